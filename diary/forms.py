import math
import re
import uuid
import zoneinfo
from datetime import date, datetime, timedelta
from decimal import Decimal

from crispy_forms.bootstrap import InlineRadios
from crispy_forms.helper import FormHelper
from crispy_forms.layout import HTML, Field, Fieldset, Layout, Submit
from django import forms
from django.contrib.auth import authenticate, get_user_model
from django.contrib.auth import forms as auth_forms
from django.contrib.auth.forms import UserCreationForm
from django.core.exceptions import NON_FIELD_ERRORS
from django.core.validators import URLValidator
from django.utils import timezone
from django.utils.formats import date_format

from . import csvio, limits, passkeys, taps, wallclock
from .durations import MAX_LENGTH, DurationError, format_duration, parse_duration
from .fields import ChoiceListField
from .models import (
    NOT_GIVEN,
    AuthenticatorApp,
    CheckIn,
    Episode,
    Experiment,
    Passkey,
    Profile,
    RecoveryCode,
    check_night,
)
from .reminders import CONFIRMATION_DAYS
from .validators import validate_single_script
from .vocabulary import (
    FIRST_YEAR,
    MAX_CHECKIN_NOTES,
    MAX_FLUID_ML,
    MAX_NOTES,
    MAX_PAUSE_DAYS,
    MAX_SHARE_NAME,
    MAX_TAP_AGE,
    MAX_UNLOGGED_CRAMPS,
    ML_PER_UNIT,
    Activity,
    Factor,
    FluidUnit,
    Foot,
    Helped,
    Location,
    ShareExpiry,
)

# The episode form's fields with another name than the model field they edit.
RENAMED = {"duration": "duration_seconds", "fluids": "fluid_ml"}
DATETIME_LOCAL_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"]
DURATION_CHOICES = ["10 s", "30 s", "1 min", "2 min", "5 min", "15 min"]
INTENSITY_CHOICES = [
    (0, "0 no pain"),
    (1, "1"),
    (2, "2 mild"),
    (3, "3"),
    (4, "4"),
    (5, "5 moderate"),
    (6, "6"),
    (7, "7 severe"),
    (8, "8"),
    (9, "9"),
    (10, "10 worst imaginable"),
    ("", "Not given"),
]
SLEEP_DISTURBANCE_CHOICES = [
    ("", "Not said"),
    (0, "0 not at all"),
    *[(n, str(n)) for n in range(1, 5)],
    (5, "5 woke me"),
    *[(n, str(n)) for n in range(6, 10)],
    (10, "10 hardly slept"),
]
UNIT_WORDS = {FluidUnit.ML: "ml", FluidUnit.GLASS: "glasses of 250 ml", FluidUnit.FLOZ: "fl oz"}
TIME_ZONE_CHOICES = [
    (name, name.replace("_", " ")) for name in sorted(zoneinfo.available_timezones())
]


def as_ml(amount, profile):
    """Millilitres from an amount in the person's unit, refused (in their unit) above the limit."""
    if amount is None:
        return None
    ml = round(amount * Decimal(str(ML_PER_UNIT[profile.fluid_unit])))
    if ml > MAX_FLUID_ML:
        most = profile.format_fluids(MAX_FLUID_ML)
        raise forms.ValidationError(f"That is more than anyone drinks in a day: at most {most}.")
    return ml


def fluids_help(profile):
    unit = UNIT_WORDS[FluidUnit(profile.fluid_unit)]
    return f"In {unit}, as set in your profile. Leave empty if you do not know."


def as_set(value):
    """Choice lists compare by what was picked, whatever the order."""
    return set(value) if isinstance(value, list) else value


class SignupForm(UserCreationForm):
    email = forms.EmailField(
        required=False,
        help_text="Optional. Only used to reset your password if you forget it.",
    )
    # UTC unless the page's script fills in the zone the phone or computer is set to, or a
    # post leaves it out.
    time_zone = forms.ChoiceField(
        label="Your time zone",
        choices=TIME_ZONE_CHOICES,
        required=False,
        initial="UTC",
        help_text="Cramps are logged and shown in this time zone. We fill it in from your "
        "phone or computer; change it if it is wrong.",
        widget=forms.Select(attrs={"data-fill": "time-zone", "autocomplete": "off"}),
    )

    class Meta(UserCreationForm.Meta):
        model = get_user_model()
        fields = ["username", "email"]

    def clean_username(self):
        username = super().clean_username()
        if username:
            validate_single_script(username)
        return username

    def clean_time_zone(self):
        return self.cleaned_data["time_zone"] or "UTC"


class LoginForm(auth_forms.AuthenticationForm):
    remember = forms.BooleanField(
        label="Keep me signed in",
        required=False,
        help_text="On your own phone or computer. Unticked, you are signed out when the "
        "browser closes.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The browser offers this site's passkeys in the username's autofill.
        self.fields["username"].widget.attrs["autocomplete"] = "username webauthn"


class PasswordResetForm(auth_forms.PasswordResetForm):
    def get_users(self, email):
        """The accounts with this address that have mails left in this hour's allowance.

        One past its allowance is passed over without a word: saying so would tell a stranger
        that the address has an account.
        """
        return (
            user
            for user in super().get_users(email)
            if limits.take(limits.RESETS, f"account {user.pk}")
        )


class TimeInput(forms.TimeInput):
    input_type = "time"

    def format_value(self, value):
        # A browser shows a time input's value that is not a time as empty; so does this,
        # which also keeps the page valid HTML after a refused value.
        if isinstance(value, str):
            try:
                datetime.strptime(value, "%H:%M")
            except ValueError:
                return None
        return super().format_value(value)


class ReminderTimeField(forms.TimeField):
    """A reminder's time, HH:MM on a 24-hour clock, as a browser's time input sends it."""

    widget = TimeInput(format="%H:%M")
    input_formats = ["%H:%M"]
    default_error_messages = {"invalid": "Enter a time as HH:MM on a 24-hour clock, such as 07:30."}


class ProfileForm(forms.ModelForm):
    time_zone = forms.ChoiceField(
        choices=TIME_ZONE_CHOICES,
        help_text="Cramps are entered and shown in this time zone.",
    )
    pause_days = forms.IntegerField(
        label="Pause reminders for this many days",
        required=False,
        min_value=0,
        max_value=MAX_PAUSE_DAYS,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )

    class Meta:
        model = Profile
        fields = [
            "time_zone",
            "fluid_unit",
            "birth_year",
            "conditions",
            "medications",
            "pregnant",
            "theme",
            "checkin_reminder_at",
            "stretch_reminder_at",
            "reminder_email",
            "quiet_days",
        ]
        field_classes = {
            "checkin_reminder_at": ReminderTimeField,
            "stretch_reminder_at": ReminderTimeField,
        }
        widgets = {
            "birth_year": forms.NumberInput(attrs={"min": FIRST_YEAR, "inputmode": "numeric"}),
            "theme": forms.RadioSelect,
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["birth_year"].widget.attrs["max"] = timezone.localdate().year
        profile = self.instance
        if profile.reminder_email and not profile.reminder_email_confirmed:
            self.fields["reminder_email"].help_text = (
                "Not confirmed yet: open the link we sent to this address (it works for "
                f"{CONFIRMATION_DAYS} days). Nothing else is sent to it until then."
            )
        elif profile.reminder_email:
            self.fields["reminder_email"].help_text = "Confirmed."
        if profile.reminders_paused_until:
            resume = date_format(profile.reminders_paused_until, "l j F Y")
            pause_help = f"Paused: they start again on {resume}. 0 starts them again now."
        else:
            pause_help = "Empty or 0: not paused."
        self.fields["pause_days"].help_text = pause_help
        self.helper = FormHelper()
        self.helper.layout = Layout(
            Fieldset(
                "",
                "time_zone",
                "fluid_unit",
                "birth_year",
                "conditions",
                "medications",
                "pregnant",
                "theme",
            ),
            Fieldset(
                "Reminders",
                "checkin_reminder_at",
                "stretch_reminder_at",
                "reminder_email",
                "quiet_days",
                "pause_days",
            ),
        )
        self.helper.add_input(Submit("save", "Save profile"))

    def save(self, commit=True):
        profile = super().save(commit=False)
        if "reminder_email" in self.changed_data:
            profile.reminder_email_confirmed = False
        days = self.cleaned_data["pause_days"]
        if days == 0:
            profile.reminders_paused_until = None
        elif days:
            profile.reminders_paused_until = timezone.localdate(timezone=profile.zone) + timedelta(
                days=days
            )
        if commit:
            profile.save()
        return profile

    def needs_confirmation(self):
        """Whether a newly given address is waiting for its confirmation link."""
        return "reminder_email" in self.changed_data and bool(self.instance.reminder_email)


class DurationField(forms.CharField):
    # No max_length argument: CharField would check the length of the parsed seconds (an int)
    # and fail with a TypeError. parse_duration() checks the length of the text itself.
    def widget_attrs(self, widget):
        return {**super().widget_attrs(widget), "maxlength": str(MAX_LENGTH)}

    def prepare_value(self, value):
        return format_duration(value) if isinstance(value, int) else value

    def to_python(self, value):
        value = super().to_python(value)
        if value in self.empty_values:
            return None
        try:
            return parse_duration(value)
        except DurationError as error:
            raise forms.ValidationError(str(error), code="invalid") from error


class LocalDateTimeField(forms.DateTimeField):
    """A wall-clock time in the person's time zone, read as diary.wallclock reads it.

    Django's own field refuses a time in the hour that repeats when clocks go back as
    ambiguous, which would leave a cramp in that hour impossible to log.
    """

    def to_python(self, value):
        if value in self.empty_values or isinstance(value, datetime):
            return super().to_python(value)
        naive = forms.fields.BaseTemporalField.to_python(self, value)
        try:
            return wallclock.aware(naive, timezone.get_current_timezone())
        except wallclock.SkippedTime as error:
            raise forms.ValidationError(
                "Your clocks skipped that time when they went forward. Check the time.",
                code="imaginary",
            ) from error
        except wallclock.OutOfRange as error:
            raise forms.ValidationError(str(error), code="invalid") from error


class EpisodeForm(forms.ModelForm):
    """The full cramp form. Times are read in the active (the person's) time zone."""

    duration_choices = DURATION_CHOICES

    started_at = LocalDateTimeField(
        label="When it began",
        input_formats=DATETIME_LOCAL_FORMATS,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    duration = DurationField(
        label="How long it lasted",
        required=False,
        help_text="For example 90 s, 1:30, 2 min or 1 h 5 min. A number alone means seconds. "
        "Leave it empty if you do not know.",
        widget=forms.TextInput(attrs={"list": "duration-choices", "autocomplete": "off"}),
    )
    intensity = forms.TypedChoiceField(
        label="How much it hurt (0 no pain to 10 worst imaginable)",
        required=False,
        choices=INTENSITY_CHOICES,
        coerce=int,
        empty_value=None,
        widget=forms.RadioSelect,
    )
    # The saved version the page was made from: a save made since, in another tab or on
    # another device, is then shown beside this one instead of being silently undone.
    version = forms.CharField(required=False, widget=forms.HiddenInput)
    client_id = forms.UUIDField(required=False, widget=forms.HiddenInput)
    owner = forms.CharField(required=False, widget=forms.HiddenInput)
    fluids = forms.DecimalField(
        label="How much you drank in the 24 hours before",
        required=False,
        min_value=0,
        max_digits=8,
        decimal_places=1,
        widget=forms.NumberInput(attrs={"step": "any", "inputmode": "decimal"}),
    )

    class Meta:
        model = Episode
        fields = [
            "started_at",
            "foot",
            "locations",
            "intensity",
            "activity",
            "triggers",
            "symptoms",
            "relief",
            "relief_helped",
            "notes",
        ]
        widgets = {
            "foot": forms.RadioSelect,
            "relief_helped": forms.RadioSelect,
            "notes": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, profile, **kwargs):
        self.profile = profile
        super().__init__(*args, **kwargs)
        episode = self.instance
        self.conflicts = []
        if episode.pk:
            self.initial["version"] = episode.updated_at.isoformat()
            self.initial.setdefault("duration", episode.duration_seconds)
            if episode.fluid_ml is not None:
                self.initial.setdefault("fluids", profile.from_ml(episode.fluid_ml))
            # Only a new cramp comes from a tap: an edit keeps the identity it was saved with.
            del self.fields["client_id"], self.fields["owner"]
        else:
            # Made here for a page without scripts (app.js makes a new one for each visit),
            # so sending the form twice saves one cramp.
            self.initial.setdefault("client_id", uuid.uuid4())
            self.initial["owner"] = taps.owner_token(episode.user)
            if self.initial.get("started_at") is None:
                # The model's empty started_at is already in initial: setdefault would keep None.
                self.initial["started_at"] = timezone.localtime().replace(second=0, microsecond=0)
        self.fields["fluids"].help_text = fluids_help(profile)
        self.fields["foot"].choices = Foot.choices
        self.fields["activity"].choices = [("", "Not sure / not logged"), *Activity.choices]
        self.fields["relief_helped"].choices = [("", "Not logged"), *Helped.choices]
        self.fields["notes"].help_text = f"Up to {MAX_NOTES:,} characters."
        self.helper = FormHelper()
        self.helper.form_tag = False
        # The template's <form> has the CSRF token; crispy would add a second one.
        self.helper.disable_csrf = True
        self.helper.layout = Layout(
            "version",
            *([] if episode.pk else ["client_id", "owner"]),
            Fieldset(
                "The cramp",
                "started_at",
                Field("duration"),
                HTML('{% include "diary/includes/duration_choices.html" %}'),
                InlineRadios("foot"),
                HTML('{% load diary_tags %}{% foot_drawing "picker" %}'),
                Field("locations", wrapper_class="foot-locations"),
                InlineRadios("intensity", wrapper_class="intensity-scale"),
            ),
            Fieldset("Before it began", "activity", "fluids", "triggers"),
            Fieldset("Also noticed", "symptoms"),
            Fieldset("Relief", "relief", InlineRadios("relief_helped")),
            Fieldset("Anything else", "notes"),
        )

    def clean_owner(self):
        taps.check_owner(self.cleaned_data["owner"], self.instance.user)
        return self.cleaned_data["owner"]

    def clean_fluids(self):
        return as_ml(self.cleaned_data["fluids"], self.profile)

    def clean(self):
        data = super().clean()
        episode = self.instance
        # A form posted without a version (not from this page) saves as it always did.
        if not episode.pk or data.get("version") in (None, "", self.initial["version"]):
            return data
        for name in [*self._meta.fields, *RENAMED]:
            saved = getattr(episode, RENAMED.get(name, name))
            if name in data and as_set(data[name]) != as_set(saved):
                self.conflicts.append(name)
        if self.conflicts:
            # Saving this page again is the person's choice, made with both values in view.
            self.data = self.data.copy()
            self.data[self.add_prefix("version")] = self.initial["version"]
            for name in self.conflicts:
                self.add_error(
                    name,
                    f"Saved meanwhile as: {self.saved_text(name)}. "
                    "Save again to keep what is here instead.",
                )
        return data

    def saved_text(self, name):
        """How a field of the saved episode reads, to show beside the person's new value."""
        episode = self.instance
        if name == "started_at":
            return date_format(episode.local_started_at, "j M Y, H:i")
        if name == "duration":
            return episode.duration_display
        if name == "fluids":
            return self.profile.format_fluids(episode.fluid_ml)
        if name == "intensity":
            return NOT_GIVEN if episode.intensity is None else f"{episode.intensity} out of 10"
        field = episode._meta.get_field(name)
        value = getattr(episode, name)
        if isinstance(field, ChoiceListField):
            return ", ".join(field.labels(value)) or "none"
        if field.choices:
            return getattr(episode, f"get_{name}_display")() if value else "not logged"
        return f"“{value}”" if value else "empty"

    def save(self):
        """The saved episode: for a new one posted twice, the one saved the first time."""
        episode = super().save(commit=False)
        episode.duration_seconds = self.cleaned_data["duration"]
        episode.fluid_ml = self.cleaned_data["fluids"]
        episode.time_zone = self.profile.time_zone
        if episode.pk:
            episode.save()
            return episode
        episode.client_id = self.cleaned_data["client_id"]
        return episode.save_once()


class QuickLogForm(forms.ModelForm):
    """Which foot and where, when the tap was made: how long and how much it hurt stay "not
    given" until the person adds them."""

    client_id = forms.UUIDField(required=False, widget=forms.HiddenInput)
    # When a tap kept on the phone without a connection was made, with its UTC offset.
    logged_at = forms.CharField(required=False, widget=forms.HiddenInput)
    owner = forms.CharField(required=False, widget=forms.HiddenInput)

    class Meta:
        model = Episode
        fields = ["foot", "locations"]
        widgets = {"foot": forms.RadioSelect}

    def __init__(self, *args, user, tapped_at=None, **kwargs):
        """`tapped_at`: when a tap kept while signed out was posted, for one without logged_at."""
        self.user = user
        self.tapped_at = tapped_at
        super().__init__(*args, **kwargs)
        self.fields["foot"].choices = Foot.choices
        # For a page without scripts; app.js makes one for each tap.
        self.initial.setdefault("client_id", uuid.uuid4())
        self.initial["owner"] = taps.owner_token(user)

    def clean_logged_at(self):
        text = self.cleaned_data["logged_at"].strip()
        if not text:
            return None
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            moment = None
        if moment is None or moment.tzinfo is None:
            raise forms.ValidationError(
                "The time of the tap must be a date and time with its offset from UTC, "
                "such as 2026-03-01T03:12:00+01:00."
            )
        try:
            wallclock.check_year(moment)
        except wallclock.OutOfRange as error:
            raise forms.ValidationError(str(error)) from error
        if moment < timezone.now() - MAX_TAP_AGE:
            raise forms.ValidationError(
                f"This tap was made more than {MAX_TAP_AGE.days} days ago, so it was not "
                "saved. If the cramp happened, log it with the full form and its date."
            )
        return moment

    def clean_owner(self):
        taps.check_owner(self.cleaned_data["owner"], self.user)
        return self.cleaned_data["owner"]

    def clean(self):
        data = super().clean()
        episode = self.instance
        # The moment comes from the phone; it is shown in the profile's zone, as the full
        # form's times are.
        episode.started_at = data.get("logged_at") or self.tapped_at or timezone.now()
        episode.started_at = episode.started_at.replace(microsecond=0)
        episode.time_zone = Profile.objects.for_user(self.user).time_zone
        return data

    def _update_errors(self, errors):
        # The model checks the start (not in the future), which this form takes as logged_at.
        if hasattr(errors, "error_dict") and "started_at" in errors.error_dict:
            errors.error_dict["logged_at"] = errors.error_dict.pop("started_at")
        super()._update_errors(errors)

    def save(self):
        """The saved episode, or the one this tap saved before."""
        episode = super().save(commit=False)
        episode.user = self.user
        episode.client_id = self.cleaned_data["client_id"]
        return episode.save_once()


class NightForm(forms.Form):
    """Which night to check in for: one that has begun, from the diary's first year."""

    night = forms.DateField(
        label="Night of",
        help_text="From noon that day to noon the next.",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )

    def __init__(self, *args, zone, **kwargs):
        self.zone = zone
        super().__init__(*args, **kwargs)

    def clean_night(self):
        night = self.cleaned_data["night"]
        check_night(night, self.zone)
        return night


class CheckInForm(forms.ModelForm):
    """The morning check-in for one night; saving a night again updates its check-in."""

    fluids = forms.DecimalField(
        label="What you drank that day",
        required=False,
        min_value=0,
        max_digits=8,
        decimal_places=1,
        widget=forms.NumberInput(attrs={"step": "any", "inputmode": "decimal"}),
    )
    sleep_disturbance = forms.TypedChoiceField(
        label="How much cramps disturbed your sleep (0 not at all to 10 hardly slept)",
        choices=SLEEP_DISTURBANCE_CHOICES,
        coerce=int,
        empty_value=None,
        required=False,
        widget=forms.RadioSelect,
    )

    class Meta:
        model = CheckIn
        # The night comes from the address, never from the request (a disabled field, not
        # shown); it is a field so that the model's check of it has somewhere to report.
        fields = ["night", "unlogged_cramps", "sleep_disturbance", "factors", "notes"]
        labels = {
            "unlogged_cramps": "Other cramps that night, not logged one by one",
            "factors": "What was true that day",
        }
        widgets = {
            "unlogged_cramps": forms.NumberInput(
                attrs={"min": 0, "max": MAX_UNLOGGED_CRAMPS, "inputmode": "numeric"}
            ),
            "notes": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args, profile, experiment=None, **kwargs):
        self.profile = profile
        super().__init__(*args, **kwargs)
        self.fields["night"].disabled = True
        # Asked only on an experiment's nights with or without its change; a change that is a
        # factor is asked here instead of among the factors, so it is answered once.
        self.experiment = (
            experiment if experiment and experiment.asks(self.instance.night) else None
        )
        if self.experiment:
            self.fields["experiment_done"] = forms.TypedChoiceField(
                label=f"Your experiment: did you do it that day? ({self.experiment.change})",
                choices=[("yes", "Yes"), ("no", "No")],
                coerce=lambda value: value == "yes",
                empty_value=None,
                required=False,
                widget=forms.RadioSelect,
            )
            if self.instance.pk:
                done = self.experiment.done_on(self.instance)
                self.initial["experiment_done"] = {True: "yes", False: "no"}.get(done)
            if self.experiment.factor:
                factors = self.fields["factors"]
                factors.choices = [c for c in factors.choices if c[0] != self.experiment.factor]
        self.fields[
            "unlogged_cramps"
        ].help_text = f"0 means no other cramps. At most {MAX_UNLOGGED_CRAMPS}."
        self.fields["fluids"].help_text = fluids_help(profile)
        self.fields["notes"].help_text = f"Optional, up to {MAX_CHECKIN_NOTES} characters."
        if self.instance.fluid_ml is not None:
            self.initial.setdefault("fluids", profile.from_ml(self.instance.fluid_ml))
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True
        self.helper.layout = Layout(
            Field("unlogged_cramps"),
            InlineRadios("sleep_disturbance", wrapper_class="intensity-scale"),
            "factors",
            "fluids",
            "notes",
        )
        if self.experiment:
            self.helper.layout.insert(0, InlineRadios("experiment_done"))

    @property
    def unbound_key(self):
        """What alone decides how the form looks before anything is sent (None once it is):
        the fluid unit, the experiment's question and the values it starts from.

        The page keeps an unbound form's HTML under it ({% cache %}): crispy's field
        templates were half of the page's time."""
        if self.is_bound:
            return None
        question = self.experiment and (self.experiment.change, self.experiment.factor)
        return (self.profile.fluid_unit, question, sorted(self.initial.items()))

    def clean_fluids(self):
        return as_ml(self.cleaned_data["fluids"], self.profile)

    def save(self):
        """Save by person and night, so two saves at once (a double tap) make one check-in."""
        checkin = self.instance
        checkin.fluid_ml = self.cleaned_data["fluids"]
        names = [*self._meta.fields[1:], "fluid_ml"]
        if self.experiment:
            done = self.cleaned_data["experiment_done"]
            if self.experiment.factor:
                # Done or not is the factor, recorded or not, so it is never stored twice.
                factors = [f for f in checkin.factors if f != self.experiment.factor]
                checkin.factors = factors + [self.experiment.factor] * bool(done)
            else:
                checkin.experiment_done = done
                names.append("experiment_done")
        values = {name: getattr(checkin, name) for name in names}
        saved, _created = CheckIn.objects.update_or_create(
            user=checkin.user, night=checkin.night, defaults=values
        )
        return saved


class EpisodeFilterForm(forms.Form):
    month = forms.DateField(
        required=False,
        input_formats=["%Y-%m"],
        widget=forms.DateInput(attrs={"type": "month"}, format="%Y-%m"),
    )
    day = forms.DateField(
        required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    foot = forms.ChoiceField(required=False, choices=[("", "Any foot"), *Foot.choices])
    location = forms.ChoiceField(required=False, choices=[("", "Anywhere"), *Location.choices])
    activity = forms.ChoiceField(required=False, choices=[("", "Any activity"), *Activity.choices])

    def filter(self, episodes):
        data = self.cleaned_data
        if data.get("month"):
            episodes = episodes.in_month(data["month"].year, data["month"].month)
        if data.get("day"):
            episodes = episodes.filter(local_date=data["day"])
        if data.get("foot"):
            episodes = episodes.filter(foot=data["foot"])
        if data.get("location"):
            episodes = episodes.at_location(data["location"])
        if data.get("activity"):
            episodes = episodes.filter(activity=data["activity"])
        return episodes


class DeleteAccountForm(forms.Form):
    password = forms.CharField(
        label="Your password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    def __init__(self, *args, user, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)

    def clean_password(self):
        password = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise forms.ValidationError("That is not your password.")
        return password


class DateInput(forms.DateInput):
    """A date picker that is given back only a real date.

    A date input's value must be a valid date, so text such as 2026-02-30 is left out
    when the form comes back with an error, and the field shows empty beside its message.
    """

    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")

    def format_value(self, value):
        value = super().format_value(value)
        try:
            date.fromisoformat(value or "")
        except ValueError:
            return None
        return value


class DateRangeForm(forms.Form):
    start = forms.DateField(label="From", required=False, widget=DateInput)
    end = forms.DateField(label="To", required=False, widget=DateInput)

    def clean(self):
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end and start > end:
            self.add_error("end", "The end date must be on or after the start date.")
        return data


class ReportForm(DateRangeForm):
    start = forms.DateField(label="From", widget=DateInput)
    end = forms.DateField(label="To", widget=DateInput)
    name = forms.CharField(
        label="Name to print on each page",
        required=False,
        max_length=MAX_SHARE_NAME,
        help_text="Optional. Your doctor sees it at the top of every page.",
    )
    full_notes = forms.BooleanField(
        label="Include full notes",
        required=False,
        help_text="The table cuts notes short; this adds them in full after it.",
    )


class ShareForm(ReportForm):
    name = forms.CharField(
        label="Your name, as the link should show it",
        required=False,
        max_length=MAX_SHARE_NAME,
        help_text="Optional. Without one, the report says it is from “a cramplog user”.",
    )
    expires_in_days = forms.TypedChoiceField(
        label="The link works for",
        choices=ShareExpiry.choices,
        coerce=int,
        initial=ShareExpiry.WEEK,
        widget=forms.RadioSelect,
    )


class ExportRangeForm(DateRangeForm):
    start = forms.DateField(
        label="From",
        required=False,
        help_text="Leave both dates empty to export your whole diary.",
        widget=DateInput,
    )


class YearCompareForm(forms.Form):
    since = forms.DateField(
        label="I changed something on",
        help_text="For example the day you started stretching before bed.",
        widget=DateInput,
    )


class ImportForm(forms.Form):
    file = forms.FileField(
        label="Your CSV file",
        help_text=(
            f"A .csv file of at most {csvio.MAX_BYTES // (1024 * 1024)} MB and "
            f"{csvio.MAX_ROWS:,} cramps, with the same columns as the export."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
    )

    def __init__(self, *args, profile, **kwargs):
        self.profile = profile
        super().__init__(*args, **kwargs)

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith(".csv"):
            raise forms.ValidationError(
                "Choose a .csv file. From a spreadsheet, use “Save as” and pick CSV UTF-8."
            )
        if upload.size > csvio.MAX_BYTES:
            raise forms.ValidationError(
                f"This file is larger than {csvio.MAX_BYTES // (1024 * 1024)} MB. "
                "Split it into smaller files and import them one at a time."
            )
        try:
            text = csvio.decode(upload.read())
            return csvio.read_episodes(text, self.profile.zone)
        except csvio.CSVFileError as error:
            raise forms.ValidationError(str(error)) from error


# Passkeys and two-step sign-in

# The browser's answer to a passkey request, as JSON; real ones are a few kilobytes.
PASSKEY_ANSWER_MAX = 20_000
WRONG_CODE = (
    "That code is not right, or was used already. Enter the code your app shows now, or one "
    "of your recovery codes."
)


class PasskeyAnswerField(forms.CharField):
    def __init__(self, **kwargs):
        super().__init__(
            required=False, max_length=PASSKEY_ANSWER_MAX, widget=forms.HiddenInput, **kwargs
        )


class PasskeyForm(forms.Form):
    """A new passkey: its name, and the browser's answer to the registration request."""

    name = forms.CharField(
        label="Name for the new passkey",
        max_length=Passkey._meta.get_field("name").max_length,
        help_text="So you can tell your passkeys apart, such as “my phone”.",
    )
    credential = PasskeyAnswerField()

    def __init__(self, *args, request, **kwargs):
        self.request = request
        super().__init__(*args, **kwargs)

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        if not cleaned["credential"]:
            raise forms.ValidationError("Your device did not make a passkey. Please try again.")
        try:
            self.fields_for_passkey = passkeys.verify_registration(
                self.request, self.request.user, cleaned["credential"]
            )
        except passkeys.PasskeyError as error:
            raise forms.ValidationError(str(error)) from error
        if Passkey.objects.filter(credential_id=self.fields_for_passkey["credential_id"]).exists():
            raise forms.ValidationError("That passkey is registered already.")
        return cleaned

    def save(self):
        """Save the passkey; a double click's second save finds the first and changes nothing."""
        fields = dict(self.fields_for_passkey)
        passkey, _ = Passkey.objects.get_or_create(
            credential_id=fields.pop("credential_id"),
            defaults={"user": self.request.user, "name": self.cleaned_data["name"], **fields},
        )
        return passkey


class ConfirmForm(forms.Form):
    """The person's password, or one of their passkeys, before a change to how they sign in.

    Checked like a login: it uses one of the address's allowance of failed logins (given back
    when it passes), and django-axes counts the failures.
    """

    password = forms.CharField(
        label="Your password",
        required=False,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    credential = PasskeyAnswerField()

    def __init__(self, *args, request, passkeys, **kwargs):
        self.request = request
        self.passkeys = passkeys
        super().__init__(*args, **kwargs)

    def clean(self):
        cleaned = super().clean()
        password, answer = cleaned.get("password"), cleaned.get("credential")
        if not (password or answer):
            self.add_error("password", "Enter your password, or use a passkey.")
            return cleaned
        address = limits.address(self.request)
        if not limits.take(limits.LOGIN_FAILURES, address):
            minutes = math.ceil(limits.seconds_to_wait(limits.LOGIN_FAILURES) / 60)
            raise forms.ValidationError(
                f"Too many failed attempts from your network. Please try again in {minutes} "
                f"minute{'' if minutes == 1 else 's'}."
            )
        username = self.request.user.get_username()
        if answer:
            try:
                passkeys.verify_authentication(
                    self.request, passkeys.CONFIRM, answer, self.passkeys
                )
            except passkeys.PasskeyError as error:
                limits.record_failure(self.request, username)
                raise forms.ValidationError(str(error)) from error
        elif authenticate(self.request, username=username, password=password) is None:
            self.add_error("password", "That is not your password.")
            return cleaned
        limits.give_back(limits.LOGIN_FAILURES, address)
        return cleaned


class SecondStepForm(forms.Form):
    """The second step at password sign-in: a passkey, an app's code or a recovery code."""

    code = forms.CharField(
        label="Code",
        required=False,
        max_length=40,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "autocapitalize": "none", "spellcheck": "false"}
        ),
    )
    credential = PasskeyAnswerField()

    def __init__(self, *args, request, user, **kwargs):
        self.request = request
        self.user = user
        self.used = None
        super().__init__(*args, **kwargs)
        self.app = AuthenticatorApp.objects.filter(user=user).first()
        self.fields["code"].label = (
            "Code from your authenticator app, or a recovery code" if self.app else "Recovery code"
        )

    def clean(self):
        cleaned = super().clean()
        code, answer = re.sub(r"\s", "", cleaned.get("code", "")), cleaned.get("credential")
        if answer:
            try:
                passkeys.verify_authentication(
                    self.request,
                    passkeys.SECOND_STEP,
                    answer,
                    Passkey.objects.owned_by(self.user),
                )
            except passkeys.PasskeyError as error:
                raise forms.ValidationError(str(error), code="wrong") from error
            self.used = "passkey"
        elif not code:
            self.add_error("code", "Enter a code, or use a passkey.")
        elif self.app and re.fullmatch(r"\d{6}", code) and self.app.use(code):
            self.used = "app"
        elif RecoveryCode.objects.use(self.user, code):
            self.used = "recovery code"
        else:
            self.add_error("code", forms.ValidationError(WRONG_CODE, code="wrong"))
        return cleaned

    def failed(self):
        """Whether a passkey or code was checked and was wrong (not merely missing)."""
        return self.has_error("code", "wrong") or self.has_error(NON_FIELD_ERRORS, "wrong")


class AuthenticatorAppForm(forms.Form):
    """Setting up an authenticator app: the code it shows proves it has the key."""

    code = forms.CharField(
        label="The 6-digit code your app shows now",
        max_length=12,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )

    def __init__(self, *args, app, **kwargs):
        self.app = app
        super().__init__(*args, **kwargs)

    def clean_code(self):
        code = re.sub(r"\s", "", self.cleaned_data["code"])
        step = self.app.matching_step(code) if re.fullmatch(r"\d{6}", code) else None
        if step is None:
            raise forms.ValidationError(
                "That is not the code the app shows now. Check that your phone’s clock is set "
                "automatically, and enter the newest code."
            )
        # The code used here cannot be used again to sign in.
        self.app.last_step = step
        return code

    def save(self):
        """Save the app; a double click's second save finds it there and leaves it."""
        app, _ = AuthenticatorApp.objects.get_or_create(
            user=self.app.user,
            defaults={"secret": self.app.secret, "last_step": self.app.last_step},
        )
        return app


class ExperimentForm(forms.ModelForm):
    """A new experiment; its schedule is drawn when it is saved (Experiment.save)."""

    class Meta:
        model = Experiment
        fields = ["change", "factor", "design", "period_nights", "starts_on"]
        widgets = {
            "design": forms.RadioSelect,
            "period_nights": forms.RadioSelect,
            "starts_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        }
        help_texts = {
            "change": "In a few words, such as “magnesium at bedtime” or “stretch before bed”.",
            "factor": "If the change is one of these, your check-ins record it for you.",
            "starts_on": "Tonight, or a night up to 90 back that you checked in, so your "
            "check-ins since then serve as the baseline.",
        }
        error_messages = {
            "period_nights": {"invalid_choice": "Choose periods of 7 or 14 nights."},
            "design": {"invalid_choice": "Choose alternating periods, or before and after."},
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["change"].required = False
        self.fields["factor"].choices = [("", "None of these"), *Factor.choices]
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True

    def clean(self):
        data = super().clean()
        if not data.get("change") and data.get("factor"):
            data["change"] = self.instance.change = Factor(data["factor"]).label
        if not data.get("change") and not self.has_error("factor"):
            self.add_error("change", "Say what you will change, or pick it from the factors.")
        return data


class PushSubscriptionForm(forms.Form):
    """A browser's PushSubscription, as its toJSON() gives it: only push services over HTTPS."""

    endpoint = forms.URLField(
        max_length=1000, validators=[URLValidator(schemes=["https"])], assume_scheme="https"
    )
    p256dh = forms.CharField(max_length=200)
    auth = forms.CharField(max_length=100)
