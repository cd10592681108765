import functools
import hashlib
import hmac
import logging
import operator
import re
import secrets
import smtplib
import uuid
import zoneinfo
from datetime import date, timedelta

import pyotp
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.contrib.auth.hashers import check_password, make_password
from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import IntegrityError, connection, models, transaction
from django.db.models import Exists, ExpressionWrapper, F, OuterRef, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import ngettext

from . import experiments, nights, patterns, push, reminders
from .durations import format_duration
from .fields import ChoiceListField
from .vocabulary import (
    FIRST_NIGHT,
    FIRST_YEAR,
    FUTURE_GRACE,
    MAX_CHECKIN_NOTES,
    MAX_FLUID_ML,
    MAX_INTENSITY,
    MAX_NOTES,
    MAX_SECONDS,
    MAX_SHARE_NAME,
    MAX_SLEEP_DISTURBANCE,
    MAX_UNLOGGED_CRAMPS,
    MIN_SECONDS,
    ML_PER_UNIT,
    UNDO_WINDOW,
    Activity,
    Condition,
    Factor,
    FluidUnit,
    Foot,
    Helped,
    Location,
    Medication,
    Relief,
    ReminderKind,
    ReminderStatus,
    Symptom,
    Theme,
    Trigger,
    Weekday,
    in_history,
    last_night,
    night_of,
    night_under_way,
    weekday_of,
)

logger = logging.getLogger(__name__)


@functools.cache
def time_zone_names():
    # Reading the zone database takes milliseconds; it does not change while the app runs.
    return frozenset(zoneinfo.available_timezones())


def validate_time_zone(value):
    if value not in time_zone_names():
        raise ValidationError(
            "“%(value)s” is not a time zone we know. Pick one such as Europe/Berlin.",
            params={"value": value},
        )


# How a page shows a length or pain the person did not give.
NOT_GIVEN = "not given"

# Every rate limit (diary.limits) is so many an hour, refilled evenly over the hour.
REFILL_TIME = timedelta(hours=1)


def checkpoint_wal():
    """Copy SQLite's write-ahead log into the database and empty it (TRUNCATE)."""
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")


class ProfileManager(models.Manager):
    def for_user(self, user):
        """The person's profile, created with defaults for accounts made outside sign-up."""
        try:
            return user.profile
        except Profile.DoesNotExist:
            profile, _ = self.get_or_create(user=user)
            user.profile = profile
            return profile


class Profile(models.Model):
    user = models.OneToOneField(settings.AUTH_USER_MODEL, models.CASCADE, related_name="profile")
    time_zone = models.CharField(
        max_length=64,
        default="UTC",
        validators=[validate_time_zone],
        help_text="Cramps are entered and shown in this time zone.",
    )
    fluid_unit = models.CharField(
        "unit for drinks", max_length=8, choices=FluidUnit, default=FluidUnit.ML
    )
    birth_year = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(FIRST_YEAR)],
        help_text="Optional. Cramps become more common with age.",
    )
    conditions = ChoiceListField(
        "health conditions", choices=Condition.choices, help_text="Any that a doctor has found."
    )
    medications = ChoiceListField(
        "regular medicines", choices=Medication.choices, help_text="Any you take regularly."
    )
    pregnant = models.BooleanField("I am pregnant", default=False)
    theme = models.CharField(
        "light or dark",
        max_length=8,
        choices=Theme,
        default=Theme.AUTO,
        help_text="Dark is easier on the eyes at night.",
    )
    checkin_reminder_at = models.TimeField(
        "morning check-in reminder",
        null=True,
        blank=True,
        help_text="HH:MM in your time zone; empty for none. Sent only when last night has no "
        "check-in yet, with a link straight to it.",
    )
    stretch_reminder_at = models.TimeField(
        "evening stretch reminder",
        null=True,
        blank=True,
        help_text="HH:MM in your time zone; empty for none. A nudge to stretch your feet and "
        "calves before bed.",
    )
    reminder_email = models.EmailField(
        "send reminders by e-mail to",
        blank=True,
        help_text="We first send a link to this address; nothing else goes to it until you "
        "open the link.",
    )
    # Set by the confirmation link, cleared whenever the address changes (ProfileForm).
    reminder_email_confirmed = models.BooleanField(default=False, editable=False)
    quiet_days = ChoiceListField(
        "no reminders on", choices=Weekday.choices, help_text="Days of the week to leave quiet."
    )
    # Reminders start again on this local date.
    reminders_paused_until = models.DateField(null=True, blank=True, editable=False)
    two_step = models.BooleanField(
        "ask for a second step at password sign-in",
        default=False,
        help_text="A passkey or a code from an authenticator app after the password.",
    )
    # Moves with every change to the person's episodes and check-ins, in the transaction that
    # makes it (diary.models.changed), so kept pages (diary.views.kept) follow the
    # order in which changes commit, whatever the clocks say.
    diary_version = models.PositiveBigIntegerField(default=0, editable=False)
    # Moves with the changes among those that touch a night of the person's history
    # (vocabulary.in_history), so what is counted over it is kept while the last week changes.
    history_version = models.PositiveBigIntegerField(default=0, editable=False)

    objects = ProfileManager()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(birth_year__isnull=True) | Q(birth_year__gte=FIRST_YEAR),
                name="profile_birth_year_plausible",
            ),
            models.CheckConstraint(
                condition=Q(fluid_unit__in=FluidUnit.values), name="profile_fluid_unit_valid"
            ),
            models.CheckConstraint(condition=Q(theme__in=Theme.values), name="profile_theme_valid"),
            models.CheckConstraint(
                condition=Q(reminder_email_confirmed=False) | ~Q(reminder_email=""),
                name="profile_confirmed_reminder_email_given",
            ),
        ]

    def __str__(self):
        return f"Profile of {self.user}"

    def save(self, *args, **kwargs):
        if not self._state.adding and kwargs.get("update_fields") is None:
            # Only diary.models.changed moves the versions, with F() + 1: a profile saved
            # from a copy read before a change to the diary must not set them back.
            kwargs["update_fields"] = [
                field.name
                for field in self._meta.concrete_fields
                if not field.primary_key and field.name not in VERSIONS
            ]
        super().save(*args, **kwargs)

    def clean(self):
        if self.birth_year and self.birth_year > date.today().year:
            raise ValidationError({"birth_year": "The year of birth cannot be in the future."})

    @property
    def zone(self):
        return zoneinfo.ZoneInfo(self.time_zone)

    def to_dict(self):
        """Everything the person has given us, for the JSON export they can keep."""
        user = self.user
        fields = [
            f.name for f in Profile._meta.concrete_fields if f.name not in {"id", "user", *VERSIONS}
        ]
        episode_fields = [f.name for f in Episode._meta.concrete_fields if f.name != "user"]
        # The token is never stored, and its hash would only let someone guess at it.
        link_fields = [
            f.name for f in ShareLink._meta.concrete_fields if f.name not in {"user", "token_hash"}
        ]
        checkin_fields = [f.name for f in CheckIn._meta.concrete_fields if f.name != "user"]
        experiment_fields = [f.name for f in Experiment._meta.concrete_fields if f.name != "user"]
        return {
            "exported_at": timezone.now(),
            "account": {
                "username": user.get_username(),
                "email": user.email,
                "date_joined": user.date_joined,
            },
            "profile": {name: getattr(self, name) for name in fields},
            "episodes": list(
                Episode.objects.owned_by(user).order_by("started_at", "pk").values(*episode_fields)
            ),
            "checkins": list(
                CheckIn.objects.owned_by(user).order_by("night").values(*checkin_fields)
            ),
            "share_links": list(
                ShareLink.objects.owned_by(user).order_by("created_at", "pk").values(*link_fields)
            ),
            "experiments": list(
                Experiment.objects.owned_by(user).order_by("starts_on").values(*experiment_fields)
            ),
            # How the person signs in: names and dates, never a key or a code.
            "passkeys": [
                {"name": name, "added": added, "last_used": last_used}
                for name, added, last_used in Passkey.objects.owned_by(user).values_list(
                    "name", "created_at", "last_used_at"
                )
            ],
            "authenticator_app": AuthenticatorApp.objects.filter(user=user)
            .values(added=models.F("created_at"), last_used=models.F("last_used_at"))
            .first(),
            "recovery_codes_left": RecoveryCode.objects.filter(user=user).count(),
        }

    def delete_account(self):
        """Delete the person, everything theirs, and every session still signed in as them.

        The profile, episodes, check-ins, share links, passkeys, authenticator app and
        recovery codes go by cascade. Sessions are not linked to users in the database, so the
        live ones are decoded to find theirs; the login records of django-axes name the account
        only by its username.
        """
        user = self.user
        user_id = str(user.pk)
        live = Session.objects.filter(expire_date__gt=timezone.now())
        theirs = [
            session.pk
            for session in live.iterator(chunk_size=500)
            if session.get_decoded().get(SESSION_KEY) == user_id
        ]
        username = user.get_username()
        with transaction.atomic():
            Session.objects.filter(pk__in=theirs).delete()
            for login_record in (AccessAttempt, AccessFailureLog, AccessLog):
                login_record.objects.filter(username=username).delete()
            user.delete()
        if connection.vendor == "sqlite":
            # Until a checkpoint, SQLite's write-ahead log keeps the pages as they were before
            # the delete, notes and all. SQLite cannot checkpoint inside a transaction, so
            # within an outer one (a test's) the checkpoint waits for its commit.
            transaction.on_commit(checkpoint_wal)

    def reminder_at(self, kind):
        """The local time of the reminder of this kind ("checkin" or "stretch"), or None."""
        return getattr(self, f"{kind}_reminder_at")

    def turn_off_reminder(self, kind):
        setattr(self, f"{kind}_reminder_at", None)
        self.save(update_fields=[f"{kind}_reminder_at"])

    def quiet_on(self, day):
        """Whether reminders stay quiet on this local date: a quiet weekday, or paused."""
        paused = self.reminders_paused_until is not None and day < self.reminders_paused_until
        return paused or weekday_of(day) in self.quiet_days

    def keeps_a_second_step_without(self, passkey=None, app=False):
        """Whether two-step sign-in could still be finished without this passkey, or the app.

        Recovery codes do not count: they are for when the usual way is lost, and run out.
        """
        if not self.two_step:
            return True
        passkeys = Passkey.objects.owned_by(self.user)
        if passkey is not None:
            passkeys = passkeys.exclude(pk=passkey.pk)
        has_app = AuthenticatorApp.objects.filter(user=self.user).exists()
        return passkeys.exists() or (has_app and not app)

    def condition_labels(self):
        return self._meta.get_field("conditions").labels(self.conditions)

    def medication_labels(self):
        return self._meta.get_field("medications").labels(self.medications)

    def age_on(self, day):
        if not self.birth_year:
            return None
        return day.year - self.birth_year

    def to_ml(self, amount):
        return round(amount * ML_PER_UNIT[self.fluid_unit])

    def from_ml(self, ml):
        amount = round(ml / ML_PER_UNIT[self.fluid_unit], 1)
        return int(amount) if amount == int(amount) else amount

    def format_fluids(self, ml):
        if ml is None:
            return "not logged"
        amount = self.from_ml(ml)
        if self.fluid_unit == FluidUnit.GLASS:
            return f"{amount:g} glass" if amount == 1 else f"{amount:g} glasses"
        if self.fluid_unit == FluidUnit.FLOZ:
            return f"{amount:g} fl oz"
        return f"{amount:,} ml"


# The fields only diary.models.changed moves.
VERSIONS = {"diary_version", "history_version"}
UNKNOWN = object()


class DiaryQuerySet(models.QuerySet):
    """What episodes and check-ins share: an owner, and the versions that every change to
    them moves (Profile.diary_version, and history_version for a night of their history), in
    bulk as well as one by one (DiaryRow)."""

    def owned_by(self, user):
        return self.filter(user=user)

    def bulk_create(self, objs, *args, **kwargs):
        objs = list(objs)
        today = timezone.now().date()
        with transaction.atomic():
            created = super().bulk_create(objs, *args, **kwargs)
            changed(
                {obj.user_id for obj in objs},
                {obj.user_id for obj in objs if in_history(obj.night, today)},
            )
        return created

    def update(self, **kwargs):
        with transaction.atomic():
            users, history = self.owners()
            count = super().update(**kwargs)
            # A night moved by an update could land anywhere.
            changed(users, users if "night" in kwargs else history)
        return count

    def delete(self):
        with transaction.atomic():
            users, history = self.owners()
            result = super().delete()
            changed(users, history)
        return result

    def owners(self):
        """The owners of these rows, and those of them with a row in their history."""
        today = timezone.now().date()
        first_nights = self.values_list("user_id").annotate(first=models.Min("night")).order_by()
        return (
            {user_id for user_id, _ in first_nights},
            {user_id for user_id, first in first_nights if in_history(first, today)},
        )


def changed(user_ids, history_ids=()):
    """Move these people's diary versions on, and history_ids' history versions, in the
    caller's transaction: the updates lock their profile rows until it commits."""
    Profile.objects.filter(user_id__in=user_ids).update(diary_version=F("diary_version") + 1)
    if history_ids:
        Profile.objects.filter(user_id__in=history_ids).update(
            history_version=F("history_version") + 1
        )


class DiaryRow(models.Model):
    """An episode or a check-in: saving or deleting one moves its owner's diary version, and
    their history version when the night it had or has is in their history."""

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        nights = [self.night, self.before()]
        with transaction.atomic():
            super().save(*args, **kwargs)
            changed([self.user_id], self.owner_if_history(nights))
        self.stored_night = self.night

    def delete(self, *args, **kwargs):
        nights = [self.before()]
        with transaction.atomic():
            result = super().delete(*args, **kwargs)
            changed([self.user_id], self.owner_if_history(nights))
        return result

    @classmethod
    def from_db(cls, db, field_names, values):
        row = super().from_db(db, field_names, values)
        # The night the row has in the database: changing or deleting it changes that night.
        row.stored_night = row.__dict__.get("night")
        return row

    def before(self):
        """The night the row has in the database: None for a new row, UNKNOWN for a row
        that was not read from it."""
        if self.pk is None:
            return None
        return self.__dict__.get("stored_night", UNKNOWN)

    def owner_if_history(self, nights):
        today = timezone.now().date()
        if any(
            night is UNKNOWN or (night is not None and in_history(night, today)) for night in nights
        ):
            return [self.user_id]
        return []


class EpisodeQuerySet(DiaryQuerySet):
    def in_month(self, year, month):
        return self.between(*patterns.month_bounds(year, month))

    def between(self, start=None, end=None):
        """Episodes whose local date falls from start to end, both included; None is open."""
        if start is not None:
            self = self.filter(local_date__gte=start)
        if end is not None:
            self = self.filter(local_date__lte=end)
        return self

    def at_location(self, location):
        return self.filter(locations__contains=location)

    def in_nights(self, first=None, last=None):
        """Episodes that belong to the nights from first to last, both included; None is open."""
        if first is not None:
            self = self.filter(night__gte=first)
        if last is not None:
            self = self.filter(night__lte=last)
        return self

    def relief_rows(self):
        """(relief tried, whether it helped, episodes) rows for patterns.relief_tally: one
        grouped query, a few dozen rows however long the diary."""
        return (
            self.values_list("relief", "relief_helped")
            .annotate(episodes=models.Count("pk"))
            .order_by()
        )

    def per_night(self, first=None, last=None):
        """{night: cramps logged in it} for the nights from first to last: one grouped query."""
        rows = self.in_nights(first, last).values("night").annotate(cramps=models.Count("pk"))
        return dict(rows.values_list("night", "cramps").order_by())

    def with_client_id(self, value):
        """The episode saved from the tap with this client_id, or None, also for a malformed one."""
        try:
            client_id = uuid.UUID(str(value))
        except ValueError:
            return None
        return self.filter(client_id=client_id).first()

    def may_repeat(self, starts, client_ids):
        """The episodes an import's rows may repeat, for the CSV import's duplicate check.

        Those that began from the first to the last of `starts` (one indexed range, however
        many rows), and those saved from a tap in `client_ids`, whenever they began.
        """
        if not starts:
            return self.none()
        repeats = Q(started_at__gte=min(starts), started_at__lte=max(starts))
        if client_ids:
            repeats |= Q(client_id__in=client_ids)
        return self.filter(repeats)

    def compare_around(self, change, today):
        """Cramps per week and mean pain over equal windows before and after a change."""
        first_day = self.aggregate(first=models.Min("local_date"))["first"]
        before_start, change, after_end, days = patterns.comparison_windows(
            change, today, first_day
        )
        if days < 7:
            return {"days": days}
        figures = self.between(before_start, after_end - timedelta(days=1)).aggregate(
            before=models.Count("pk", filter=Q(local_date__lt=change)),
            after=models.Count("pk", filter=Q(local_date__gte=change)),
            before_pain=models.Avg("intensity", filter=Q(local_date__lt=change)),
            after_pain=models.Avg("intensity", filter=Q(local_date__gte=change)),
        )
        weeks = days / 7
        return {
            "days": days,
            "before_start": before_start,
            "change": change,
            "after_end": after_end - timedelta(days=1),
            "before": figures["before"],
            "after": figures["after"],
            "before_per_week": round(figures["before"] / weeks, 1),
            "after_per_week": round(figures["after"] / weeks, 1),
            "before_pain": _round(figures["before_pain"]),
            "after_pain": _round(figures["after_pain"]),
        }


def _round(mean):
    return None if mean is None else round(mean, 1)


class Episode(DiaryRow):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, models.CASCADE, related_name="episodes")
    started_at = models.DateTimeField("when it began")
    time_zone = models.CharField(max_length=64, validators=[validate_time_zone])
    # Local calendar date and hour, in time_zone, so months and hours group on plain columns;
    # and the night they belong to (vocabulary.night_of), so a check-in finds its cramps on one.
    local_date = models.DateField(editable=False)
    local_hour = models.PositiveSmallIntegerField(editable=False)
    night = models.DateField(editable=False)
    # Empty is "not given": a quick log stores nothing rather than a made-up value.
    duration_seconds = models.PositiveIntegerField(
        "how long it lasted",
        null=True,
        blank=True,
        validators=[MinValueValidator(MIN_SECONDS), MaxValueValidator(MAX_SECONDS)],
    )
    foot = models.CharField(max_length=5, choices=Foot)
    locations = ChoiceListField("where on the foot", choices=Location.choices, blank=False)
    intensity = models.PositiveSmallIntegerField(
        "pain",
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(MAX_INTENSITY)],
    )
    fluid_ml = models.PositiveIntegerField(
        "drinks in the 24 hours before (ml)",
        null=True,
        blank=True,
        validators=[MaxValueValidator(MAX_FLUID_ML)],
    )
    activity = models.CharField("what you were doing", max_length=16, choices=Activity, blank=True)
    triggers = ChoiceListField("anything else beforehand", choices=Trigger.choices)
    symptoms = ChoiceListField("other symptoms", choices=Symptom.choices)
    relief = ChoiceListField("what you tried", choices=Relief.choices)
    relief_helped = models.CharField("did it help?", max_length=8, choices=Helped, blank=True)
    notes = models.TextField(blank=True, max_length=MAX_NOTES)
    # Made in the browser for each tap, so a double tap, a retry or a replay from the phone's
    # queue saves one cramp.
    client_id = models.UUIDField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = EpisodeQuerySet.as_manager()

    class Meta:
        ordering = ["-started_at", "-pk"]
        indexes = [
            # In the diary's order to the last column, so that a deep page is read from the
            # index instead of sorting every earlier cramp again.
            models.Index(fields=["user", "-started_at", "-id"], name="episode_user_started_id"),
            models.Index(fields=["user", "local_date", "local_hour"], name="episode_user_local"),
            models.Index(fields=["user", "night"], name="episode_user_night"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(intensity__isnull=True)
                | Q(intensity__gte=0, intensity__lte=MAX_INTENSITY),
                name="episode_intensity_0_10",
            ),
            models.CheckConstraint(
                condition=Q(duration_seconds__isnull=True)
                | Q(duration_seconds__gte=MIN_SECONDS, duration_seconds__lte=MAX_SECONDS),
                name="episode_duration_range",
            ),
            # Episodes without a client_id never clash: NULLs are distinct in a unique index.
            models.UniqueConstraint(fields=["user", "client_id"], name="episode_client_id_unique"),
            models.CheckConstraint(
                condition=Q(fluid_ml__isnull=True) | Q(fluid_ml__lte=MAX_FLUID_ML),
                name="episode_fluid_range",
            ),
            models.CheckConstraint(condition=Q(foot__in=Foot.values), name="episode_foot_valid"),
            models.CheckConstraint(condition=~Q(locations=""), name="episode_has_location"),
            models.CheckConstraint(
                condition=Q(local_hour__gte=0, local_hour__lte=23), name="episode_local_hour"
            ),
        ]

    def __str__(self):
        return f"{self.get_foot_display()} foot cramp on {self.local_started_at:%d %b %Y %H:%M}"

    def save(self, *args, **kwargs):
        self.set_local_fields()
        if kwargs.get("update_fields") is not None and "started_at" in kwargs["update_fields"]:
            kwargs["update_fields"] = {
                *kwargs["update_fields"],
                "local_date",
                "local_hour",
                "night",
            }
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return reverse("episode_detail", args=[self.pk])

    def save_once(self):
        """Save this new episode, or return the one its tap saved before.

        A second post of a tap (a double tap, a retry, a replay from the phone's queue) finds
        the first; when two arrive at the same moment, the unique constraint decides.
        """
        if self.client_id is None:
            self.save()
            return self
        try:
            with transaction.atomic():
                self.save()
        except IntegrityError:
            earlier = Episode.objects.owned_by(self.user_id).with_client_id(self.client_id)
            if earlier is None:
                raise
            return earlier
        return self

    def undoable(self, now=None):
        return (now or timezone.now()) - self.created_at <= UNDO_WINDOW

    def clean(self):
        if self.started_at is None:
            return
        if self.started_at > timezone.now() + FUTURE_GRACE:
            raise ValidationError(
                {"started_at": "A cramp cannot start in the future. Check the date."}
            )
        if self.started_at.year < FIRST_YEAR:
            raise ValidationError({"started_at": f"Enter a date after {FIRST_YEAR}."})

    def set_local_fields(self):
        """Fill local_date, local_hour and night; bulk_create skips save(), so callers use this."""
        local = self.local_started_at
        self.local_date = local.date()
        self.local_hour = local.hour
        self.night = night_of(self.local_date, self.local_hour)

    @property
    def local_started_at(self):
        """Wall-clock time where the cramp happened, naive so templates show it unconverted.

        Pages list cramps by this time, matching local_date, even after the person moves
        to another time zone.
        """
        local = timezone.localtime(self.started_at, zoneinfo.ZoneInfo(self.time_zone))
        return local.replace(tzinfo=None)

    @property
    def duration_display(self):
        if self.duration_seconds is None:
            return NOT_GIVEN
        return format_duration(self.duration_seconds)

    @property
    def pain_display(self):
        return NOT_GIVEN if self.intensity is None else f"{self.intensity}/10"

    def location_labels(self):
        return self._meta.get_field("locations").labels(self.locations)

    def trigger_labels(self):
        return self._meta.get_field("triggers").labels(self.triggers)

    def symptom_labels(self):
        return self._meta.get_field("symptoms").labels(self.symptoms)

    def relief_labels(self):
        return self._meta.get_field("relief").labels(self.relief)


def check_night(night, zone):
    """Refuse a night a check-in cannot be for: before the diary's years, or not begun yet."""
    if night < FIRST_NIGHT:
        raise ValidationError(f"Enter a night from {FIRST_YEAR} on.", code="too_early")
    if night > night_under_way(timezone.localtime(timezone=zone)):
        raise ValidationError(
            "That night has not begun yet: the night of a date begins at noon that day.",
            code="future",
        )


class CheckInQuerySet(DiaryQuerySet):
    def between(self, first=None, last=None):
        """Check-ins for the nights from first to last, both included; None is open."""
        if first is not None:
            self = self.filter(night__gte=first)
        if last is not None:
            self = self.filter(night__lte=last)
        return self

    def rows(self):
        """(night, unlogged_cramps, sleep_disturbance, factors) rows, as diary.nights reads them."""
        return self.values_list("night", "unlogged_cramps", "sleep_disturbance", "factors")

    def tallies(self):
        """(factors, whether a cramp night, how many nights) for each set of factors named.

        A cramp night has unlogged cramps or a cramp logged in it. Counted in the database,
        a few hundred rows for ten years of nightly check-ins, for diary.stats.links.
        """
        logged = Episode.objects.filter(user=OuterRef("user"), night=OuterRef("night"))
        cramp = ExpressionWrapper(
            Q(unlogged_cramps__gt=0) | Exists(logged), output_field=models.BooleanField()
        )
        return (
            self.annotate(cramp=cramp)
            .values_list("factors", "cramp")
            .annotate(nights=models.Count("pk"))
            .order_by()
        )

    def streak(self, last_night):
        """nights.Streak up to last night, reading only as far back as the streak goes."""
        checked = (
            self.filter(night__lte=last_night + timedelta(days=1))
            .order_by("-night")
            .values_list("night", flat=True)
        )
        return nights.streak(checked.iterator(chunk_size=100), last_night)


class CheckIn(DiaryRow):
    """What a person says about one night, the morning after.

    The night of a date runs from noon on that date to noon the next day (vocabulary.night_of):
    factors are what was true on the day, cramps are counted over the night. A night's cramps
    are those logged in it plus unlogged_cramps; the logged ones are never counted here.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, models.CASCADE, related_name="checkins")
    night = models.DateField("night of")
    unlogged_cramps = models.PositiveSmallIntegerField(
        "other cramps that night, not logged one by one",
        default=0,
        validators=[
            MaxValueValidator(
                MAX_UNLOGGED_CRAMPS,
                f"At most {MAX_UNLOGGED_CRAMPS}: if there were more, say so in the notes.",
            )
        ],
    )
    sleep_disturbance = models.PositiveSmallIntegerField(
        "how much cramps disturbed your sleep",
        null=True,
        blank=True,
        validators=[MaxValueValidator(MAX_SLEEP_DISTURBANCE)],
    )
    factors = ChoiceListField("on the day", choices=Factor.choices)
    fluid_ml = models.PositiveIntegerField(
        "drinks that day (ml)", null=True, blank=True, validators=[MaxValueValidator(MAX_FLUID_ML)]
    )
    notes = models.TextField(blank=True, max_length=MAX_CHECKIN_NOTES)
    # Whether the change an experiment tries was done that day, asked while one runs; an
    # experiment whose change is a factor reads `factors` instead.
    experiment_done = models.BooleanField("did you do it?", null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = CheckInQuerySet.as_manager()

    class Meta:
        ordering = ["-night"]
        constraints = [
            models.UniqueConstraint(fields=["user", "night"], name="checkin_one_per_night"),
            models.CheckConstraint(
                condition=Q(night__gte=FIRST_NIGHT), name="checkin_night_plausible"
            ),
            models.CheckConstraint(
                condition=Q(unlogged_cramps__lte=MAX_UNLOGGED_CRAMPS),
                name="checkin_unlogged_cramps_range",
            ),
            models.CheckConstraint(
                condition=Q(sleep_disturbance__isnull=True)
                | Q(sleep_disturbance__lte=MAX_SLEEP_DISTURBANCE),
                name="checkin_sleep_disturbance_0_10",
            ),
            models.CheckConstraint(
                condition=Q(fluid_ml__isnull=True) | Q(fluid_ml__lte=MAX_FLUID_ML),
                name="checkin_fluid_range",
            ),
        ]

    def __str__(self):
        return f"Check-in for the night of {self.night:%d %b %Y}"

    def get_absolute_url(self):
        return reverse("checkin_night", args=[self.night])

    def clean(self):
        if self.night is None:
            return
        try:
            check_night(self.night, Profile.objects.for_user(self.user).zone)
        except ValidationError as error:
            raise ValidationError({"night": error.error_list}) from error

    def factor_labels(self):
        return self._meta.get_field("factors").labels(self.factors)


class ExperimentQuerySet(models.QuerySet):
    def owned_by(self, user):
        return self.filter(user=user)

    def open(self):
        """Not stopped and not closed: at most one a person (a constraint)."""
        return self.filter(ended_on__isnull=True)

    def covering(self, night):
        """The experiment whose nights may include this one: the last to start by then."""
        return self.filter(starts_on__lte=night).order_by("-starts_on").first()

    def for_report(self):
        return self.filter(in_report=True).order_by("starts_on")

    def close_finished(self, today):
        """Close the open experiments whose schedule is over, at their planned end."""
        for experiment in self.open():
            if not experiment.running(today):
                experiment.ended_on = experiment.planned_end
                experiment.save(update_fields=["ended_on"])


class Experiment(models.Model):
    """A person's trial of one change, on a schedule drawn when it is created (diary.experiments).

    ended_on is the last night it covers once it is over: set when the person stops it early,
    or to its planned end when the schedule is over and they start the next one. Until then it
    is empty, and a person has at most one such experiment.
    """

    ALTERNATING, BEFORE_AFTER = experiments.ALTERNATING, experiments.BEFORE_AFTER
    DESIGNS = [
        (ALTERNATING, "Alternating periods with and without (recommended)"),
        (BEFORE_AFTER, "Before and after"),
    ]

    user = models.ForeignKey(settings.AUTH_USER_MODEL, models.CASCADE, related_name="experiments")
    change = models.CharField("the change you want to try", max_length=100)
    factor = models.CharField(
        "or one of the check-in’s factors", max_length=20, choices=Factor.choices, blank=True
    )
    design = models.CharField(max_length=16, choices=DESIGNS, default=ALTERNATING)
    period_nights = models.PositiveSmallIntegerField(
        "nights in each period",
        choices=[(n, f"{n} nights") for n in experiments.PERIOD_NIGHTS],
        default=14,
    )
    starts_on = models.DateField("first night of the baseline")
    # One letter a period after the baseline (w: with, n: without), drawn at creation.
    order = models.CharField(max_length=2 * experiments.PAIRS, editable=False)
    ended_on = models.DateField(null=True, blank=True, editable=False)
    in_report = models.BooleanField("show in the doctor’s report", default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ExperimentQuerySet.as_manager()

    class Meta:
        ordering = ["-starts_on"]
        constraints = [
            models.UniqueConstraint(
                fields=["user"],
                condition=Q(ended_on__isnull=True),
                name="experiment_one_running_per_person",
                violation_error_message="You already have an experiment running.",
            ),
            models.CheckConstraint(
                condition=Q(period_nights__in=experiments.PERIOD_NIGHTS),
                name="experiment_period_7_or_14_nights",
            ),
            models.CheckConstraint(
                condition=functools.reduce(
                    operator.or_,
                    (
                        Q(design=design, order__in=orders)
                        for design, orders in experiments.ORDERS.items()
                    ),
                ),
                name="experiment_order_fits_design",
            ),
            models.CheckConstraint(
                condition=Q(factor="") | Q(factor__in=Factor.values), name="experiment_factor_valid"
            ),
            models.CheckConstraint(
                condition=Q(starts_on__gte=FIRST_NIGHT), name="experiment_starts_plausible"
            ),
            models.CheckConstraint(
                condition=Q(ended_on__isnull=True) | Q(ended_on__gte=models.F("starts_on")),
                name="experiment_ends_after_start",
            ),
        ]

    def __str__(self):
        return f"Experiment: {self.change}"

    def save(self, *args, **kwargs):
        if not self.order:
            self.order = experiments.draw_order(self.design)
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return reverse("experiment_detail", args=[self.pk])

    def clean(self):
        if self.starts_on is None or self.user_id is None:
            return
        today = timezone.localtime(timezone=Profile.objects.for_user(self.user).zone).date()
        others = list(Experiment.objects.owned_by(self.user).exclude(pk=self.pk))
        if any(other.running(today) for other in others):
            raise ValidationError(
                "You already have an experiment running: stop it or let it finish first.",
                code="running",
            )
        earliest = today - timedelta(days=experiments.MAX_NIGHTS_BACK)
        if self.starts_on > today:
            raise ValidationError({"starts_on": "Start tonight at the latest."})
        if self.starts_on < earliest:
            raise ValidationError(
                {
                    "starts_on": f"Start at most {experiments.MAX_NIGHTS_BACK} nights back: "
                    f"on {earliest:%-d %B %Y} or later."
                }
            )
        if self.starts_on < last_night(today):
            first = CheckIn.objects.owned_by(self.user).aggregate(first=models.Min("night"))
            first = first["first"]
            if first is None or self.starts_on < first:
                since = f"begin on {first:%-d %B %Y}" if first else "have not begun"
                raise ValidationError(
                    {
                        "starts_on": f"A baseline in the past comes from your check-ins, and "
                        f"they {since}: start on a checked night, or tonight."
                    }
                )
        latest = max((other.ends_on for other in others), default=None)
        if latest is not None and self.starts_on <= latest:
            raise ValidationError(
                {
                    "starts_on": "Your last experiment covers the nights up to "
                    f"{latest:%-d %B %Y}: start after it."
                }
            )

    @property
    def schedule(self):
        return experiments.periods(self.starts_on, self.period_nights, self.order, self.design)

    @property
    def planned_end(self):
        return self.schedule[-1].last

    @property
    def ends_on(self):
        return self.ended_on or self.planned_end

    @property
    def stopped_early(self):
        return self.ended_on is not None and self.ended_on < self.planned_end

    def running(self, today):
        """Whether nights are still to come: not ended, and the schedule's last night not over."""
        return self.ended_on is None and last_night(today) < self.planned_end

    def period_on(self, night):
        if night > self.ends_on:
            return None
        return experiments.period_of(night, self.schedule)

    def asks(self, night):
        """Whether the check-in for this night asks if the change was done."""
        period = self.period_on(night)
        return period is not None and period.kind != experiments.BASELINE

    def done_on(self, checkin):
        """Whether the change was done on a checked night, None when not known."""
        if self.factor:
            return self.factor in checkin.factors
        return checkin.experiment_done

    def done_by_night(self, checkins):
        return {c.night: self.done_on(c) for c in checkins if self.done_on(c) is not None}


# How long checked rows wait for the person to confirm an import.
PENDING_IMPORT_LIFETIME = timedelta(days=1)


class PendingImportQuerySet(models.QuerySet):
    def expired(self):
        return self.filter(created_at__lt=timezone.now() - PENDING_IMPORT_LIFETIME)

    def fresh(self):
        return self.filter(created_at__gte=timezone.now() - PENDING_IMPORT_LIFETIME)


class PendingImport(models.Model):
    """The checked rows of an uploaded CSV file, waiting for the person to confirm them.

    Kept on the server, so the browser cannot alter what gets imported; one per person, gone
    once confirmed or replaced, and ignored, then deleted, after a day.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, models.CASCADE, related_name="pending_import"
    )
    # Names this upload's preview, so only the latest preview can be confirmed.
    token = models.CharField(max_length=32)
    rows = models.JSONField()
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    objects = PendingImportQuerySet.as_manager()

    def __str__(self):
        cramps = ngettext("%(count)d cramp", "%(count)d cramps", len(self.rows)) % {
            "count": len(self.rows)
        }
        return f"Import of {cramps} waiting since {self.created_at:%Y-%m-%d %H:%M}"


class BucketQuerySet(models.QuerySet):
    def full(self, now):
        """Buckets left alone for a whole refill time: full again, so the same as no row."""
        return self.filter(updated_at__lte=now - REFILL_TIME)


class Bucket(models.Model):
    """What is left of one hourly allowance for one address or account (a token bucket).

    A bucket starts full, each use takes one token, and tokens come back evenly over the
    hour, so bursts up to the allowance pass and a steady stream gets no more than it.
    """

    key = models.CharField(max_length=100, unique=True)
    tokens = models.FloatField()
    updated_at = models.DateTimeField(db_index=True)

    objects = BucketQuerySet.as_manager()

    def __str__(self):
        return self.key

    def refill(self, per_hour, now):
        earned = (now - self.updated_at) / REFILL_TIME * per_hour
        self.tokens = min(per_hour, self.tokens + earned)
        self.updated_at = now


class ShareLinkQuerySet(models.QuerySet):
    def owned_by(self, user):
        return self.filter(user=user)

    def live(self):
        return self.filter(revoked_at__isnull=True, expires_at__gt=timezone.now())

    def find(self, token):
        """The live link this token opens, or None.

        Unknown, expired and revoked tokens take the same single query and give the same
        None. The lookup is by the token's SHA-256, so the database's comparison can only
        tell an attacker about hashes, never about the token; the final check compares in
        constant time anyway.
        """
        digest = ShareLink.digest(token)
        link = self.live().filter(token_hash=digest).select_related("user__profile").first()
        if link is None or not hmac.compare_digest(link.token_hash, digest):
            return None
        return link


class ShareLinkManager(models.Manager.from_queryset(ShareLinkQuerySet)):
    def issue(self, *, user, start, end, expires_in_days, name="", full_notes=False):
        """A new link and its token. The token is returned once and never stored."""
        token = secrets.token_urlsafe(32)
        now = timezone.now()
        link = self.create(
            user=user,
            token_hash=ShareLink.digest(token),
            start=start,
            end=end,
            name=name,
            full_notes=full_notes,
            created_at=now,
            expires_at=now + timedelta(days=expires_in_days),
        )
        return link, token


class ShareLink(models.Model):
    """A link that shows one period of a person's report to whoever holds it, until it expires.

    Only the SHA-256 of its token is kept: the token has 256 random bits, far too many to
    guess, so a fast hash is enough, and a copy of the database opens no report.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, models.CASCADE, related_name="share_links")
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    start = models.DateField("from")
    end = models.DateField("to")
    name = models.CharField(max_length=MAX_SHARE_NAME, blank=True)
    full_notes = models.BooleanField("include full notes", default=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    open_count = models.PositiveIntegerField(default=0)
    last_opened_at = models.DateTimeField(null=True, blank=True)

    objects = ShareLinkManager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(start__lte=F("end")), name="sharelink_period"),
        ]

    def __str__(self):
        return f"Link to the report from {self.start} to {self.end}"

    @staticmethod
    def digest(token):
        return hashlib.sha256(token.encode()).hexdigest()

    @property
    def is_live(self):
        return self.revoked_at is None and self.expires_at > timezone.now()

    def record_opening(self):
        """Count one opening in the database, so two at once both count."""
        now = timezone.now()
        ShareLink.objects.filter(pk=self.pk).update(
            open_count=F("open_count") + 1, last_opened_at=now
        )

    def revoke(self):
        if self.revoked_at is None:
            self.revoked_at = timezone.now()
            self.save(update_fields=["revoked_at"])


class PasskeyQuerySet(models.QuerySet):
    def owned_by(self, user):
        return self.filter(user=user)


class Passkey(models.Model):
    """A passkey (a WebAuthn credential) that signs its owner in without a password.

    The private key stays on the person's phone or security key, which unlocks it with a
    fingerprint, a face or a PIN; the site keeps the public key, which can only check
    signatures. diary/passkeys.py makes and checks them with py_webauthn.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, models.CASCADE, related_name="passkeys")
    name = models.CharField(max_length=50, help_text="Such as “my phone”.")
    # base64url, as browsers send it; up to 1023 bytes.
    credential_id = models.CharField(max_length=1400, unique=True)
    public_key = models.BinaryField()
    # How many times the authenticator says it has signed. A passkey that counts must count up:
    # a count that does not means a copy of it signed. Synced passkeys always say 0.
    sign_count = models.PositiveBigIntegerField(default=0)
    # Random, the same for all of a person's passkeys: the authenticator keeps it with the key,
    # in place of anything that names the person.
    user_handle = models.BinaryField(max_length=64)
    # Hints for the browser on how to reach the authenticator ("internal", "hybrid", "usb").
    transports = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)

    objects = PasskeyQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [
            models.CheckConstraint(condition=~Q(name=""), name="passkey_has_a_name"),
        ]

    def __str__(self):
        return self.name

    def record_use(self, sign_count):
        """Note a signature by this passkey; False if its counter did not move forward.

        One conditional update, so two sign-ins at once with the same count cannot both pass.
        """
        moved_on = Q(sign_count__lt=sign_count) if sign_count else Q(sign_count=0)
        now = timezone.now()
        updated = Passkey.objects.filter(moved_on, pk=self.pk).update(
            sign_count=sign_count, last_used_at=now
        )
        if updated:
            self.sign_count, self.last_used_at = sign_count, now
        return updated == 1


# An authenticator app's code (RFC 6238: six digits, a new one every 30 seconds) is accepted
# from one step before to one step after now: phone clocks drift, and typing takes time.
TOTP_DRIFT_STEPS = 1


class AuthenticatorApp(models.Model):
    """An authenticator app set up for the second step at password sign-in (TOTP)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, models.CASCADE, related_name="authenticator_app"
    )
    # The key shared with the app, in base32. Checking a code needs it in the clear; it is
    # shown once, at set-up, and never exported or shown in the admin.
    secret = models.CharField(max_length=32)
    # The 30-second step of the last code accepted: each code works once, and no older one.
    last_step = models.PositiveBigIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self):
        return f"Authenticator app of {self.user}"

    @staticmethod
    def new_secret():
        return pyotp.random_base32()

    def setup_uri(self):
        """The otpauth:// address an app reads from the QR code (or a tap on a phone)."""
        return pyotp.TOTP(self.secret).provisioning_uri(
            name=self.user.get_username(), issuer_name="cramplog"
        )

    def matching_step(self, code, now=None):
        """The time step whose code this is, if it is near now and newer than the last used."""
        totp = pyotp.TOTP(self.secret)
        current = totp.timecode(now or timezone.now())
        for step in range(current - TOTP_DRIFT_STEPS, current + TOTP_DRIFT_STEPS + 1):
            if step > self.last_step and secrets.compare_digest(totp.generate_otp(step), code):
                return step
        return None

    def use(self, code):
        """Accept the app's code for now, once: True, and that code and older ones are spent."""
        with transaction.atomic():
            # Locked, so the same code sent twice at once is accepted once.
            app = AuthenticatorApp.objects.select_for_update().get(pk=self.pk)
            step = app.matching_step(code)
            if step is None:
                return False
            app.last_step, app.last_used_at = step, timezone.now()
            app.save(update_fields=["last_step", "last_used_at"])
        return True


RECOVERY_CODE_COUNT = 10
# Letters and digits that cannot be misread from paper (no 0/o, 1/l/i): 10 of them give
# about 50 bits, and each code is hashed like a password.
RECOVERY_CODE_ALPHABET = "23456789abcdefghjkmnpqrstuvwxyz"
RECOVERY_CODE_LENGTH = 10


def normalize_recovery_code(code):
    return re.sub(r"[\s-]", "", code).lower()


class RecoveryCodeQuerySet(models.QuerySet):
    def replace(self, user):
        """Ten new single-use codes instead of any left; what this returns is the only copy."""
        codes = [
            "".join(secrets.choice(RECOVERY_CODE_ALPHABET) for _ in range(RECOVERY_CODE_LENGTH))
            for _ in range(RECOVERY_CODE_COUNT)
        ]
        with transaction.atomic():
            self.filter(user=user).delete()
            self.bulk_create(RecoveryCode(user=user, code_hash=make_password(c)) for c in codes)
        half = RECOVERY_CODE_LENGTH // 2
        return [f"{code[:half]}-{code[half:]}" for code in codes]

    def use(self, user, code):
        """Spend one of the person's codes: True if it was one of them, and it is gone."""
        code = normalize_recovery_code(code)
        if len(code) != RECOVERY_CODE_LENGTH or set(code) - set(RECOVERY_CODE_ALPHABET):
            return False
        with transaction.atomic():
            # Locked, so one code sent twice at once is spent once.
            for stored in self.select_for_update().filter(user=user):
                if check_password(code, stored.code_hash):
                    stored.delete()
                    return True
        return False


class RecoveryCode(models.Model):
    """One of the codes that finish two-step sign-in once when the phone or app is lost."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.CASCADE, related_name="recovery_codes"
    )
    code_hash = models.CharField(max_length=200)
    created_at = models.DateTimeField(default=timezone.now)

    objects = RecoveryCodeQuerySet.as_manager()

    def __str__(self):
        return f"Recovery code of {self.user}"


class ReminderQuerySet(models.QuerySet):
    def make_due(self, now):
        """Record every reminder that has fallen due, once per person, kind and local day.

        A reminder is due when it is on, the person has a confirmed address or a device
        subscribed to push, and its local day is neither a quiet day nor paused. The unique
        constraint makes this safe from several senders at once: a second row is ignored.
        """
        devices = PushSubscription.objects.filter(user=OuterRef("user"))
        profiles = Profile.objects.filter(
            Q(reminder_email_confirmed=True) | Exists(devices),
            Q(checkin_reminder_at__isnull=False) | Q(stretch_reminder_at__isnull=False),
        )
        candidates = []
        for profile in profiles.iterator(chunk_size=500):
            for kind in ReminderKind.values:
                at = profile.reminder_at(kind)
                if at is None:
                    continue
                for day, due in reminders.due_days(now, at, profile.zone):
                    if not profile.quiet_on(day):
                        candidates.append(
                            Reminder(user_id=profile.user_id, kind=kind, day=day, due_at=due)
                        )
        if not candidates:
            return 0
        known = set(
            self.filter(day__gte=min(c.day for c in candidates)).values_list(
                "user_id", "kind", "day"
            )
        )
        new = [c for c in candidates if (c.user_id, c.kind, c.day) not in known]
        for reminder in new:
            reminder.next_try_at = reminder.due_at
        self.bulk_create(new, ignore_conflicts=True)
        return len(new)

    def ready(self, now):
        return self.filter(status=ReminderStatus.DUE, next_try_at__lte=now)

    def claim(self, now):
        """The next reminder ready to send, marked as being sent, or None.

        Claimed in a transaction that only one sender can win. PostgreSQL locks the row and
        lets other senders skip to the next one; SQLite has one writer at a time (the
        settings begin every transaction IMMEDIATE, taking its write lock). The conditional
        update then checks the row was still due, whatever the database.
        """
        with transaction.atomic():
            ready = self.ready(now).order_by("next_try_at", "pk")
            if connection.features.has_select_for_update_skip_locked:
                ready = ready.select_for_update(skip_locked=True)
            reminder = ready.first()
            if reminder is None:
                return None
            claimed = self.filter(pk=reminder.pk, status=ReminderStatus.DUE).update(
                status=ReminderStatus.SENDING, attempts=F("attempts") + 1
            )
        if not claimed:
            return None
        reminder.status = ReminderStatus.SENDING
        reminder.attempts += 1
        return reminder


class Reminder(models.Model):
    """One reminder of one kind for one person on one local day, from due to sent.

    Made when it falls due, so each is sent at most once: a reminder left "being sent" by a
    sender that stopped mid-send is not tried again, as it may have gone out.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, models.CASCADE, related_name="reminders")
    kind = models.CharField(max_length=8, choices=ReminderKind)
    day = models.DateField(help_text="The person's local date it is for.")
    due_at = models.DateTimeField()
    status = models.CharField(max_length=8, choices=ReminderStatus, default=ReminderStatus.DUE)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_try_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)
    # The last failure's kind, for the operator; never anything about the person's health.
    error = models.CharField(max_length=200, blank=True)

    objects = ReminderQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "kind", "day"], name="reminder_once_a_day"),
            models.CheckConstraint(
                condition=Q(kind__in=ReminderKind.values), name="reminder_kind_valid"
            ),
            models.CheckConstraint(
                condition=Q(status__in=ReminderStatus.values), name="reminder_status_valid"
            ),
        ]
        indexes = [models.Index(fields=["status", "next_try_at"], name="reminder_ready")]

    def __str__(self):
        return f"{self.get_kind_display()} reminder of {self.day} for user {self.user_id}"

    @property
    def night(self):
        """The night a morning reminder asks about: the one that ended that morning."""
        return last_night(self.day)

    def needed(self, profile, now):
        """Whether to send it now: in time, still on, and still to do."""
        if now >= self.due_at + reminders.STALE_AFTER or profile.reminder_at(self.kind) is None:
            return False
        if profile.quiet_on(self.day):
            return False
        if self.kind == ReminderKind.CHECKIN:
            return not CheckIn.objects.filter(user_id=self.user_id, night=self.night).exists()
        return True

    def send(self, base_url):
        """Send this claimed reminder, or record why not.

        Push goes once, on the first attempt, to every subscribed phone; a subscription the
        push service no longer knows is deleted. E-mail is tried again later if it failed.
        """
        profile = Profile.objects.filter(user_id=self.user_id).first()
        if profile is None:
            # The account was deleted since the claim, and this reminder with it.
            return ReminderStatus.SKIPPED
        now = timezone.now()
        if not self.needed(profile, now):
            self.finish(ReminderStatus.SKIPPED)
            return self.status
        pushed = self.push() if self.attempts == 1 else 0
        if not profile.reminder_email_confirmed:
            self.finish(ReminderStatus.SENT if pushed else ReminderStatus.FAILED)
            return self.status
        try:
            reminders.reminder_email(self, profile, base_url).send()
        except (smtplib.SMTPException, OSError) as error:
            retry = reminders.next_try(self.attempts, self.due_at, now)
            logger.warning("reminder %s not sent (attempt %s): %r", self.pk, self.attempts, error)
            self.error = type(error).__name__[:200]
            if retry is None:
                self.finish(ReminderStatus.FAILED)
            else:
                self.next_try_at = retry
                self.finish(ReminderStatus.DUE)
            return self.status
        self.sent_at = now
        self.error = ""
        self.finish(ReminderStatus.SENT)
        return self.status

    def push(self):
        """Push to each of the person's phones; how many took it."""
        if not settings.CRAMPLOG_VAPID_PRIVATE_KEY:
            return 0
        message = reminders.push_message(self)
        pushed = 0
        for subscription in PushSubscription.objects.filter(user_id=self.user_id):
            try:
                push.send(subscription, message)
            except push.Gone:
                subscription.delete()
            except (push.Failed, OSError) as error:
                logger.warning("reminder %s not pushed to a phone: %r", self.pk, error)
            else:
                pushed += 1
        if pushed:
            self.sent_at = timezone.now()
        return pushed

    def finish(self, status):
        self.status = status
        self.save(update_fields=["status", "next_try_at", "sent_at", "error"])


class PushSubscription(models.Model):
    """A phone's browser that agreed to show this person's reminders (the Push API)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.CASCADE, related_name="push_subscriptions"
    )
    endpoint = models.URLField(max_length=1000, unique=True)
    p256dh = models.CharField(max_length=200)
    auth = models.CharField(max_length=100)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return f"Push subscription {self.pk} of user {self.user_id}"
