import logging
import smtplib

from django.conf import settings
from django.db import connection, models, transaction
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone
from pywebpush import WebPushException

from diary.models import CheckIn, Profile
from diary.vocabulary import last_night

from . import messages, push, schedule

logger = logging.getLogger(__name__)


class Kind(models.TextChoices):
    CHECKIN = "checkin", "Morning check-in"
    STRETCH = "stretch", "Evening stretch"


class Status(models.TextChoices):
    DUE = "due", "Due"
    SENDING = "sending", "Being sent"
    SENT = "sent", "Sent"
    SKIPPED = "skipped", "Not needed"
    FAILED = "failed", "Given up"


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
            for kind in Kind.values:
                at = profile.reminder_at(kind)
                if at is None:
                    continue
                for day, due in schedule.due_days(now, at, profile.zone):
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
        return self.filter(status=Status.DUE, next_try_at__lte=now)

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
            claimed = self.filter(pk=reminder.pk, status=Status.DUE).update(
                status=Status.SENDING, attempts=F("attempts") + 1
            )
        if not claimed:
            return None
        reminder.status = Status.SENDING
        reminder.attempts += 1
        return reminder


class Reminder(models.Model):
    """One reminder of one kind for one person on one local day, from due to sent.

    Made when it falls due, so each is sent at most once: a reminder left "being sent" by a
    sender that stopped mid-send is not tried again, as it may have gone out.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, models.CASCADE, related_name="reminders")
    kind = models.CharField(max_length=8, choices=Kind)
    day = models.DateField(help_text="The person's local date it is for.")
    due_at = models.DateTimeField()
    status = models.CharField(max_length=8, choices=Status, default=Status.DUE)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_try_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)
    # The last failure's kind, for the operator; never anything about the person's health.
    error = models.CharField(max_length=200, blank=True)

    objects = ReminderQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "kind", "day"], name="reminder_once_a_day"),
            models.CheckConstraint(condition=Q(kind__in=Kind.values), name="reminder_kind_valid"),
            models.CheckConstraint(
                condition=Q(status__in=Status.values), name="reminder_status_valid"
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
        if now >= self.due_at + schedule.STALE_AFTER or profile.reminder_at(self.kind) is None:
            return False
        if profile.quiet_on(self.day):
            return False
        if self.kind == Kind.CHECKIN:
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
            return Status.SKIPPED
        now = timezone.now()
        if not self.needed(profile, now):
            self.finish(Status.SKIPPED)
            return self.status
        pushed = self.push() if self.attempts == 1 else 0
        if not profile.reminder_email_confirmed:
            self.finish(Status.SENT if pushed else Status.FAILED)
            return self.status
        try:
            messages.reminder_email(self, profile, base_url).send()
        except (smtplib.SMTPException, OSError) as error:
            retry = schedule.next_try(self.attempts, self.due_at, now)
            logger.warning("reminder %s not sent (attempt %s): %r", self.pk, self.attempts, error)
            self.error = type(error).__name__[:200]
            if retry is None:
                self.finish(Status.FAILED)
            else:
                self.next_try_at = retry
                self.finish(Status.DUE)
            return self.status
        self.sent_at = now
        self.error = ""
        self.finish(Status.SENT)
        return self.status

    def push(self):
        """Push to each of the person's phones; how many took it."""
        if not settings.CRAMPLOG_VAPID_PRIVATE_KEY:
            return 0
        message = messages.push_message(self)
        pushed = 0
        for subscription in PushSubscription.objects.filter(user_id=self.user_id):
            try:
                push.send(subscription, message)
            except push.Gone:
                subscription.delete()
            except (WebPushException, OSError) as error:
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
