"""Make the VAPID key web push signs with, kept in var/ beside the secret key."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from diary import push


class Command(BaseCommand):
    help = "Make the private key for web push (VAPID) in var/vapid_private_key."

    def add_arguments(self, parser):
        parser.add_argument(
            "--replace",
            action="store_true",
            help="Replace an existing key: every phone must then subscribe again.",
        )

    def handle(self, *args, replace=False, **options):
        path = settings.VAPID_KEY_FILE
        if path.exists() and not replace:
            raise CommandError(
                f"{path} exists. Replacing it stops push on every subscribed phone until it "
                "subscribes again; use --replace to do so."
            )
        path.touch(mode=0o600)
        path.chmod(0o600)
        path.write_text(push.new_private_key())
        self.stdout.write(f"Made {path}. Restart the app and send_reminders to use it.")
