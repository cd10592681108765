"""Send the reminders that are due, as healthchecks' sendalerts sends its alerts.

Without --once it runs until stopped (SIGTERM or Ctrl-C), finishing the reminder in hand
first; several may run at once against one database, and each reminder is still sent once.
"""

import signal
import threading

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import close_old_connections
from django.utils import timezone

from diary.models import Reminder

# How often the loop looks for due reminders, when it has nothing to send.
IDLE_SECONDS = 15


class Command(BaseCommand):
    help = "Send due reminders by e-mail; --once sends what is due now and exits."

    def add_arguments(self, parser):
        parser.add_argument(
            "--once", action="store_true", help="Send what is due now, then exit (for cron)."
        )

    def handle(self, *args, once=False, **options):
        if once:
            self.send_due()
            return
        stop = threading.Event()
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: stop.set())
        self.stdout.write(f"Sending reminders every {IDLE_SECONDS} seconds; Ctrl-C stops.")
        while not stop.is_set():
            close_old_connections()
            self.send_due(stop)
            stop.wait(IDLE_SECONDS)

    def send_due(self, stop=None):
        made = Reminder.objects.make_due(timezone.now())
        counts = {}
        while stop is None or not stop.is_set():
            reminder = Reminder.objects.claim(timezone.now())
            if reminder is None:
                break
            status = reminder.send(settings.CRAMPLOG_BASE_URL)
            counts[status] = counts.get(status, 0) + 1
        if made or counts:
            summary = ", ".join(f"{n} {status}" for status, n in sorted(counts.items()))
            self.stdout.write(f"{made} fell due; {summary or 'none ready'}.")
