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
from django.db import transaction
from django.db.models import Count
from django.http import Http404
from django.urls import reverse

from .models import AuthenticatorApp, Passkey, Profile, RecoveryCode

User = get_user_model()
admin.site.unregister(User)


@admin.register(User)
class PersonAdmin(UserAdmin):
    list_display = [*UserAdmin.list_display, "episode_count"]
    actions = ["reset_sign_in"]

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

    @admin.action(
        permissions=["change"],
        description="Turn off two-step sign-in, remove passkeys and authenticator app",
    )
    def reset_sign_in(self, request, queryset):
        """For someone who lost their phone and their recovery codes, once staff know it is them.

        Afterwards their password alone signs them in (a reset mail sets a new one). Keys and
        codes are deleted, never shown: staff cannot sign in as anyone.
        """
        users = list(queryset)
        with transaction.atomic():
            Profile.objects.filter(user__in=users).update(two_step=False)
            for model in (Passkey, AuthenticatorApp, RecoveryCode):
                model.objects.filter(user__in=users).delete()
        self.message_user(
            request,
            f"Two-step sign-in is off, and passkeys and authenticator apps are removed, for "
            f"{len(users)} {'person' if len(users) == 1 else 'people'}.",
        )


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
