import calendar
import functools
import zoneinfo
from datetime import date, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from .durations import MAX_SECONDS, MIN_SECONDS, format_duration
from .fields import ChoiceListField

MAX_FLUID_ML = 15_000
MAX_NOTES = 2_000
ML_PER_UNIT = {"ml": 1, "glass": 250, "floz": 29.5735}


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


class FluidUnit(models.TextChoices):
    ML = "ml", "Millilitres (ml)"
    GLASS = "glass", "Glasses of 250 ml"
    FLOZ = "floz", "US fluid ounces (fl oz)"


class Condition(models.TextChoices):
    DIABETES = "diabetes", "Diabetes"
    THYROID = "thyroid", "Thyroid disorder"
    KIDNEY = "kidney", "Kidney disease"
    NEUROPATHY = "neuropathy", "Peripheral neuropathy (nerve damage)"
    PAD = "pad", "Peripheral artery disease (PAD)"
    PARKINSONS = "parkinsons", "Parkinson’s disease"
    MOTOR_NEURON = "motor_neuron", "Motor neuron disease"


class Medication(models.TextChoices):
    DIURETIC = "diuretic", "A diuretic (water tablet)"
    STATIN = "statin", "A statin (for cholesterol)"
    ANTIPSYCHOTIC = "antipsychotic", "An antipsychotic"
    OTHER = "other", "Another regular medicine"


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
        validators=[MinValueValidator(1900)],
        help_text="Optional. Cramps become more common with age.",
    )
    conditions = ChoiceListField(
        "health conditions", choices=Condition.choices, help_text="Any that a doctor has found."
    )
    medications = ChoiceListField(
        "regular medicines", choices=Medication.choices, help_text="Any you take regularly."
    )
    pregnant = models.BooleanField("I am pregnant", default=False)

    objects = ProfileManager()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(birth_year__isnull=True) | Q(birth_year__gte=1900),
                name="profile_birth_year_plausible",
            ),
            models.CheckConstraint(
                condition=Q(fluid_unit__in=FluidUnit.values), name="profile_fluid_unit_valid"
            ),
        ]

    def __str__(self):
        return f"Profile of {self.user}"

    def clean(self):
        if self.birth_year and self.birth_year > date.today().year:
            raise ValidationError({"birth_year": "The year of birth cannot be in the future."})

    @property
    def zone(self):
        return zoneinfo.ZoneInfo(self.time_zone)

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


class Foot(models.TextChoices):
    LEFT = "left", "Left"
    RIGHT = "right", "Right"
    BOTH = "both", "Both"


class Location(models.TextChoices):
    TOES = "toes", "Toes"
    BALL = "ball", "Ball of the foot"
    ARCH = "arch", "Arch"
    HEEL = "heel", "Heel"
    TOP = "top", "Top of the foot"
    ANKLE = "ankle", "Ankle"
    CALF = "calf", "Calf"


class Activity(models.TextChoices):
    SLEEPING = "sleeping", "Sleeping"
    RESTING = "resting", "Resting or lying down"
    SITTING = "sitting", "Sitting"
    STANDING = "standing", "Standing"
    WALKING = "walking", "Walking"
    RUNNING = "running", "Running"
    CYCLING = "cycling", "Cycling"
    SPORT = "sport", "Other sport or exercise"
    STRETCHING = "stretching", "Stretching"
    OTHER = "other", "Something else"


class Trigger(models.TextChoices):
    INTENSE_EXERCISE = "intense_exercise", "Hard or unusual exercise"
    NO_WARMUP = "no_warmup", "Exercise without warming up"
    LONG_STANDING = "long_standing", "Standing for a long time"
    LONG_SITTING = "long_sitting", "Sitting for a long time"
    TIGHT_FOOTWEAR = "tight_footwear", "Tight or ill-fitting shoes"
    HIGH_HEELS = "high_heels", "High heels"
    COLD = "cold", "Cold feet or cold weather"
    HEAVY_SWEATING = "heavy_sweating", "Heavy sweating"
    ALCOHOL = "alcohol", "Alcohol"
    SMOKING = "smoking", "Smoking"


class Symptom(models.TextChoices):
    NUMBNESS_TINGLING = "numbness_tingling", "Numbness or tingling"
    WEAKNESS = "weakness", "Weakness in the foot or leg"
    SWELLING = "swelling", "Swelling"
    SKIN_CHANGE = "skin_change", "Change in skin colour or temperature"
    PAIN_WALKING_EASES_REST = "pain_walking_eases_rest", "Pain when walking that eases with rest"
    WOKE_ME = "woke_me", "It woke me up"


class Relief(models.TextChoices):
    STRETCH = "stretch", "Stretching"
    MASSAGE = "massage", "Massage"
    HEAT = "heat", "Heat"
    COLD = "cold", "Cold pack"
    WALK = "walk", "Walking on it"
    FLEX_TOES = "flex_toes", "Flexing and spreading the toes"
    MEDICATION = "medication", "Medicine"
    NONE = "none", "Nothing"


class Helped(models.TextChoices):
    YES = "yes", "Yes"
    PARTLY = "partly", "Partly"
    NO = "no", "No"


class EpisodeQuerySet(models.QuerySet):
    def owned_by(self, user):
        return self.filter(user=user)

    def in_month(self, year, month):
        start = date(year, month, 1)
        # Up to the month's last day, not before the next month's first: December 9999 has
        # no next month, and asking for it answered 500.
        last = start.replace(day=calendar.monthrange(year, month)[1])
        return self.between(start, last)

    def between(self, start, end):
        """Episodes whose local date falls from start to end, both included."""
        return self.filter(local_date__gte=start, local_date__lte=end)

    def at_location(self, location):
        return self.filter(locations__contains=location)


class Episode(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, models.CASCADE, related_name="episodes")
    started_at = models.DateTimeField("when it began")
    time_zone = models.CharField(max_length=64, validators=[validate_time_zone])
    # Local calendar date and hour, in time_zone, so months and hours group on plain columns.
    local_date = models.DateField(editable=False)
    local_hour = models.PositiveSmallIntegerField(editable=False)
    duration_seconds = models.PositiveIntegerField(
        "how long it lasted",
        validators=[MinValueValidator(MIN_SECONDS), MaxValueValidator(MAX_SECONDS)],
    )
    foot = models.CharField(max_length=5, choices=Foot)
    locations = ChoiceListField("where on the foot", choices=Location.choices, blank=False)
    intensity = models.PositiveSmallIntegerField(
        "pain", validators=[MinValueValidator(0), MaxValueValidator(10)]
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
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = EpisodeQuerySet.as_manager()

    class Meta:
        ordering = ["-started_at", "-pk"]
        indexes = [
            models.Index(fields=["user", "-started_at"], name="episode_user_started"),
            models.Index(fields=["user", "local_date", "local_hour"], name="episode_user_local"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(intensity__gte=0, intensity__lte=10), name="episode_intensity_0_10"
            ),
            models.CheckConstraint(
                condition=Q(duration_seconds__gte=MIN_SECONDS, duration_seconds__lte=MAX_SECONDS),
                name="episode_duration_range",
            ),
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
            kwargs["update_fields"] = {*kwargs["update_fields"], "local_date", "local_hour"}
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return reverse("episode_detail", args=[self.pk])

    def clean(self):
        if self.started_at and self.started_at > timezone.now() + timedelta(minutes=5):
            raise ValidationError({"started_at": "A cramp cannot start in the future."})

    def set_local_fields(self):
        """Fill local_date and local_hour; bulk_create skips save(), so callers use this."""
        local = self.local_started_at
        self.local_date = local.date()
        self.local_hour = local.hour

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
        return format_duration(self.duration_seconds)

    def location_labels(self):
        return self._meta.get_field("locations").labels(self.locations)

    def trigger_labels(self):
        return self._meta.get_field("triggers").labels(self.triggers)

    def symptom_labels(self):
        return self._meta.get_field("symptoms").labels(self.symptoms)

    def relief_labels(self):
        return self._meta.get_field("relief").labels(self.relief)


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
        return f"Import of {len(self.rows)} cramps waiting since {self.created_at:%Y-%m-%d %H:%M}"
