"""Staff never see diary content: there is no admin for cramps or profiles.

People are listed with how many cramps each has logged, and support works through the
person's own export. Neither the deletion summary nor the "view on site" redirect may name
or reveal a cramp.
"""

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.views import redirect_to_login
from django.contrib.contenttypes.models import ContentType
from django.contrib.contenttypes.views import shortcut
from django.db.models import Count
from django.http import Http404
from django.urls import reverse

User = get_user_model()
admin.site.unregister(User)


@admin.register(User)
class PersonAdmin(UserAdmin):
    list_display = [*UserAdmin.list_display, "episode_count"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(episode_count=Count("episodes"))

    @admin.display(description="cramps logged", ordering="episode_count")
    def episode_count(self, user):
        return user.episode_count

    def get_deleted_objects(self, objs, request):
        # Django's summary names every object deleted with the person: each cramp by its
        # date and time. The counts per kind are enough to confirm.
        _, counts, perms_needed, protected = super().get_deleted_objects(objs, request)
        return [str(user) for user in objs], counts, perms_needed, protected


@login_not_required
def login(request):
    """The site's own login page, which limits failures per address, for the admin too."""
    return redirect_to_login(request.GET.get("next", reverse("admin:index")))


def view_on_site(request, content_type_id, object_id):
    """The admin's "view on site" redirect, for what this staff member may view in the admin.

    Django's own looks up any object first, so its answer (a redirect or a 404) told staff
    which cramp ids exist.
    """
    try:
        model = ContentType.objects.get_for_id(content_type_id).model_class()
    except ContentType.DoesNotExist:
        raise Http404("No such kind of object.") from None
    if not admin.site.is_registered(model) or not (
        admin.site.get_model_admin(model).has_view_permission(request)
    ):
        raise Http404("No such kind of object.")
    return shortcut(request, content_type_id, object_id)
