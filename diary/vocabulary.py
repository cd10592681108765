"""The words and limits of the diary: what a cramp, a person and a night can be.

One definition of each, imported by the models, forms, CSV, figures, the demo seed and the
matcher in the knowledge app. Nothing here touches the database, so any module can import it.
"""

from dataclasses import dataclass
from datetime import date, timedelta

from django.conf import settings
from django.db import models

# A cramp lasts from a second to two weeks; longer is a typing mistake, not a cramp.
MIN_SECONDS = 1
MAX_SECONDS = 14 * 24 * 60 * 60
MAX_INTENSITY = 10
# More than anyone drinks in a day.
MAX_FLUID_ML = 15_000
MAX_NOTES = 2_000
# Python's dates end in 9999, and a calendar of December 9998 already reaches into it.
FIRST_YEAR, LAST_YEAR = 1900, 9998
# A phone's clock may run a little ahead of the server's.
FUTURE_GRACE = timedelta(minutes=5)
# A quick log kept on a phone without a connection is saved at the time of its tap when it
# arrives within a week; an older one is refused, with a message, rather than guessed at.
MAX_TAP_AGE = timedelta(days=7)
# A quick log can be undone this long after it was saved; later, it is deleted like any cramp.
UNDO_WINDOW = timedelta(minutes=10)
ML_PER_UNIT = {"ml": 1, "glass": 250, "floz": 29.5735}
# The report's table cuts notes to about this many characters, with "…".
NOTES_CUT = 120
MAX_SHARE_NAME = 60
# A morning check-in: cramps not logged one by one (more than 50 in a night is a typing
# mistake), how much cramps disturbed sleep, and a short note.
MAX_UNLOGGED_CRAMPS = 50
MAX_SLEEP_DISTURBANCE = 10
MAX_CHECKIN_NOTES = 500
# The diary's night of a date D runs from this hour on D to this hour on D+1, in the person's
# time zone: the day D and the night after it, so a check-in's factors (what was true on D)
# come before the cramps they are compared with.
NIGHT_TURNS_AT_HOUR = 12
FIRST_NIGHT = date(FIRST_YEAR, 1, 1)


class Theme(models.TextChoices):
    AUTO = "auto", "As the phone or computer is set"
    LIGHT = "light", "Light"
    DARK = "dark", "Dark"


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


# What a check-in can say was true on the day before a night: the triggers an episode can
# name that last a day (the same values, so one word means one thing everywhere), and habits
# that may prevent cramps.
SHARED_TRIGGERS = (
    Trigger.ALCOHOL,
    Trigger.INTENSE_EXERCISE,
    Trigger.LONG_STANDING,
    Trigger.LONG_SITTING,
    Trigger.TIGHT_FOOTWEAR,
    Trigger.HIGH_HEELS,
    Trigger.COLD,
    Trigger.HEAVY_SWEATING,
)
Factor = models.TextChoices(
    "Factor",
    [(trigger.name, (trigger.value, trigger.label)) for trigger in SHARED_TRIGGERS]
    + [
        ("STRETCHED", ("stretched", "Stretched feet and calves")),
        ("SUPPLEMENT", ("supplement", "Took magnesium or another mineral supplement")),
        ("LOW_FLUIDS", ("low_fluids", "Drank less than usual")),
    ],
)


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


class Weekday(models.TextChoices):
    """In the order of date.weekday(), Monday first."""

    MON = "mon", "Monday"
    TUE = "tue", "Tuesday"
    WED = "wed", "Wednesday"
    THU = "thu", "Thursday"
    FRI = "fri", "Friday"
    SAT = "sat", "Saturday"
    SUN = "sun", "Sunday"


def weekday_of(day):
    return Weekday.values[day.weekday()]


# Reminders can be paused for up to a year; longer is better done by turning them off.
MAX_PAUSE_DAYS = 365


class Helped(models.TextChoices):
    YES = "yes", "Yes"
    PARTLY = "partly", "Partly"
    NO = "no", "No"


class ShareExpiry(models.IntegerChoices):
    """How long a link that shares a report keeps working, in days."""

    DAY = 1, "1 day"
    WEEK = 7, "7 days"
    MONTH = 30, "30 days"


@dataclass(frozen=True)
class Hours:
    """The hours from `start` up to `end` on a 24-hour clock, across midnight when start > end."""

    start: int
    end: int

    def __post_init__(self):
        if not (0 <= self.start <= 23 and 0 <= self.end <= 23) or self.start == self.end:
            raise ValueError("Hours run from 0 to 23, and start and end must differ.")

    def __contains__(self, hour):
        if self.start > self.end:
            return hour >= self.start or hour < self.end
        return self.start <= hour < self.end

    def __str__(self):
        return f"{self.start:02d}:00 to {self.end:02d}:00"


def night():
    """The site's night, from CRAMPLOG_NIGHT_START_HOUR to CRAMPLOG_NIGHT_END_HOUR."""
    return Hours(settings.CRAMPLOG_NIGHT_START_HOUR, settings.CRAMPLOG_NIGHT_END_HOUR)


def night_of(local_date, local_hour):
    """The night (its date D) a cramp at this local date and hour belongs to.

    The one definition of the diary's night, noon to noon, that check-ins are about (not the
    sleeping hours of night()); each episode stores its own as Episode.night.
    """
    if local_hour < NIGHT_TURNS_AT_HOUR:
        return local_date - timedelta(days=1)
    return local_date


def night_under_way(local_now):
    """The most recent night that has begun at this local time: before noon, last night."""
    return night_of(local_now.date(), local_now.hour)


def last_night(today):
    """The night that ended this morning, or is ending: the one a morning check-in is about."""
    return today - timedelta(days=1)


# A change to a night more than this many days before the server's (UTC) date is a change to
# the person's history: it moves Profile.history_version as well as diary_version. Logging,
# checking in and editing the last week move only diary_version.
HISTORY_AFTER_DAYS = 7


def in_history(night, utc_today):
    """Whether a change to this night moves the person's history version."""
    return night < utc_today - timedelta(days=HISTORY_AFTER_DAYS)


def history_ends(today):
    """The first night after the history whose counts may be kept on this local date.

    A Monday at least two weeks back: it moves a week at a time, so counts kept for it serve a
    week, and it stays before every night whose change does not move the history version
    (in_history), as a local date is within a day of UTC's.
    """
    back = today - timedelta(days=2 * HISTORY_AFTER_DAYS)
    return back - timedelta(days=back.weekday())


class ReminderKind(models.TextChoices):
    CHECKIN = "checkin", "Morning check-in"
    STRETCH = "stretch", "Evening stretch"


class ReminderStatus(models.TextChoices):
    DUE = "due", "Due"
    SENDING = "sending", "Being sent"
    SENT = "sent", "Sent"
    SKIPPED = "skipped", "Not needed"
    FAILED = "failed", "Given up"
