from django.contrib import admin

from .models import Episode, Profile


@admin.register(Profile)
class ProfileAdmin(admin.ModelAdmin):
    list_display = ["user", "time_zone", "fluid_unit", "birth_year", "pregnant"]
    search_fields = ["user__username", "user__email"]
    raw_id_fields = ["user"]


@admin.register(Episode)
class EpisodeAdmin(admin.ModelAdmin):
    list_display = ["user", "started_at", "foot", "intensity", "duration_seconds", "activity"]
    list_filter = ["foot", "activity"]
    search_fields = ["user__username"]
    date_hierarchy = "started_at"
    raw_id_fields = ["user"]
    readonly_fields = ["local_date", "local_hour", "created_at", "updated_at"]
