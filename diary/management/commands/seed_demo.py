"""Fill the database with demo people and realistic cramp histories, for benchmarks and demos.

Everything it creates belongs to users named ``demo-...``; running it again replaces them, so
the same seed always gives the same diaries.
"""

import math
import random
import time
import zoneinfo
from datetime import UTC, date, datetime, timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from diary.models import Episode, Profile
from diary.vocabulary import Trigger, night

PREFIX = "demo-"
# Public on purpose: printed in --help, and it only guards made-up demo diaries.
PASSWORD = "demo cramps at night"  # noqa: S105
DECADE_DAYS = 3650
YEAR_DAYS = 365
MONTH_DAYS = 30
MONTH_PEOPLE = 200
LARGE_EPISODES = 1_000_000
BATCH = 5_000

# Cramps cluster at night; weights per local hour 0..23.
HOUR_WEIGHTS = [9, 9, 8, 7, 6, 4, 3, 2, 1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 3, 4, 6, 8]
# Episodes on one day: most days one, some none, a few two or three.
PER_DAY_WEIGHTS = [22, 58, 17, 3]
LOCATIONS = [("arch", 35), ("toes", 30), ("calf", 25), ("ball", 4), ("heel", 3), ("top", 3)]
FEET = [("left", 45), ("right", 40), ("both", 15)]
DAY_ACTIVITIES = [
    ("sitting", 25),
    ("standing", 20),
    ("walking", 20),
    ("running", 8),
    ("cycling", 5),
    ("sport", 7),
    ("stretching", 5),
    ("resting", 10),
]
RELIEF = [("stretch", 40), ("massage", 25), ("walk", 20), ("flex_toes", 10), ("heat", 5)]
NOTES = [
    "Pointed my toes while turning over.",
    "Long day on my feet at work.",
    "Forgot to drink much today.",
    "Went away after standing on a cold floor.",
    "After a long walk in new shoes.",
]
ZONES = ["Europe/Berlin", "Europe/London", "America/New_York", "America/Los_Angeles", "Asia/Tokyo"]
CONDITIONS = ["diabetes", "thyroid", "neuropathy"]
MEDICATIONS = ["diuretic", "statin"]


def pick(rng, weighted):
    values, weights = zip(*weighted, strict=True)
    return rng.choices(values, weights)[0]


class Command(BaseCommand):
    help = (
        "Create demo people (usernames demo-...) with realistic cramp histories: one with ten "
        "years of near-daily cramps, one with a year, many with a month. Replaces earlier demo "
        f"people. Every demo person's password is “{PASSWORD}”."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--large",
            action="store_true",
            help=f"Add month people until there are about {LARGE_EPISODES:,} episodes in all.",
        )
        parser.add_argument(
            "--month-people",
            type=int,
            default=MONTH_PEOPLE,
            help=f"How many people with one month of cramps (default {MONTH_PEOPLE}).",
        )
        parser.add_argument("--seed", type=int, default=1, help="Random seed (default 1).")

    def handle(self, *args, large, month_people, seed, **options):
        if month_people < 0:
            raise CommandError("--month-people cannot be negative.")
        if large:
            average_month = MONTH_DAYS * self.mean_per_day()
            month_people = math.ceil((LARGE_EPISODES - DECADE_DAYS - YEAR_DAYS) / average_month)
        started = time.monotonic()
        self.rng = random.Random(seed)  # noqa: S311 - reproducible demo data, no secrets
        self.today = date.today()
        self.now = datetime.now(UTC)
        self.night = night()

        removed = self.remove_earlier_demo_people()
        plan = [("decade", DECADE_DAYS), ("year", YEAR_DAYS)]
        plan += [(f"month-{n:06d}", MONTH_DAYS) for n in range(1, month_people + 1)]
        users = self.create_people([name for name, _days in plan])
        episodes = 0
        pending = []
        with transaction.atomic():
            for user, (_name, days) in zip(users, plan, strict=True):
                pending.extend(self.history(user, days))
                if len(pending) >= BATCH:
                    episodes += self.save_episodes(pending)
                    pending = []
            episodes += self.save_episodes(pending)

        seconds = time.monotonic() - started
        if removed:
            self.stdout.write(f"Removed {removed:,} earlier demo people and their episodes.")
        self.stdout.write(
            self.style.SUCCESS(
                f"Created {len(users):,} demo people (demo-decade, demo-year and "
                f"{month_people:,} demo-month-...) with {episodes:,} episodes "
                f"in {seconds:.1f} s (seed {seed})."
            )
        )

    def mean_per_day(self):
        return sum(n * w for n, w in enumerate(PER_DAY_WEIGHTS)) / sum(PER_DAY_WEIGHTS)

    def remove_earlier_demo_people(self):
        users = get_user_model().objects.filter(username__startswith=PREFIX)
        # Episodes first, in one DELETE: deleting the users alone would collect every
        # episode in memory to cascade.
        removed = users.count()
        Episode.objects.filter(user__in=users).delete()
        users.delete()
        return removed

    def create_people(self, names):
        User = get_user_model()
        # One hash for everyone: hashing is deliberately slow, and the demo needs no secrecy.
        password = make_password(PASSWORD)
        users = User.objects.bulk_create(
            [User(username=PREFIX + name, password=password) for name in names],
            batch_size=BATCH,
        )
        if users and users[0].pk is None:
            users = list(User.objects.filter(username__startswith=PREFIX).order_by("pk"))
        profiles = []
        for user in users:
            zone = "Europe/Berlin" if user.username in {"demo-decade", "demo-year"} else None
            profiles.append(
                Profile(
                    user=user,
                    time_zone=zone or self.rng.choice(ZONES),
                    birth_year=self.rng.randint(1940, 2000),
                    conditions=[c for c in CONDITIONS if self.rng.random() < 0.08],
                    medications=[m for m in MEDICATIONS if self.rng.random() < 0.1],
                )
            )
        Profile.objects.bulk_create(profiles, batch_size=BATCH)
        for user, profile in zip(users, profiles, strict=True):
            user.profile = profile
        return users

    def history(self, user, days):
        """Near-daily cramps on each of the last `days` days, none of them in the future."""
        rng = self.rng
        zone_name = user.profile.time_zone
        zone = zoneinfo.ZoneInfo(zone_name)
        hours = range(24)
        for back in range(days, 0, -1):
            day = self.today - timedelta(days=back)
            count = rng.choices(range(len(PER_DAY_WEIGHTS)), PER_DAY_WEIGHTS)[0]
            for hour in sorted(rng.choices(hours, HOUR_WEIGHTS, k=count)):
                local = datetime(day.year, day.month, day.day, hour, rng.randrange(60), tzinfo=zone)
                started_at = local.astimezone(UTC)
                if started_at < self.now:
                    yield self.episode(user, zone_name, started_at, hour)

    def episode(self, user, zone_name, started_at, hour):
        rng = self.rng
        at_night = hour in self.night
        locations = {pick(rng, LOCATIONS)}
        if rng.random() < 0.2:
            locations.add(pick(rng, LOCATIONS))
        activity = "sleeping" if at_night and rng.random() < 0.85 else pick(rng, DAY_ACTIVITIES)
        if rng.random() < 0.1:
            activity = ""
        relief = [pick(rng, RELIEF)] if rng.random() < 0.7 else []
        triggers = rng.sample(Trigger.values, rng.choice([1, 1, 2])) if rng.random() < 0.3 else []
        episode = Episode(
            user=user,
            started_at=started_at,
            time_zone=zone_name,
            # Lognormal around a minute: mostly tens of seconds, now and then several minutes.
            duration_seconds=min(3600, max(3, round(rng.lognormvariate(math.log(60), 0.9)))),
            foot=pick(rng, FEET),
            locations=sorted(locations),
            intensity=min(10, max(1, round(rng.gauss(6, 1.8)))),
            fluid_ml=round(rng.gauss(1700, 500), -1) if rng.random() < 0.6 else None,
            activity=activity,
            triggers=triggers,
            symptoms=["woke_me"] if activity == "sleeping" and rng.random() < 0.7 else [],
            relief=relief,
            relief_helped=rng.choice(["yes", "yes", "partly", "no"]) if relief else "",
            notes=rng.choice(NOTES) if rng.random() < 0.05 else "",
        )
        if episode.fluid_ml is not None:
            episode.fluid_ml = min(6000, max(200, int(episode.fluid_ml)))
        episode.set_local_fields()
        return episode

    def save_episodes(self, episodes):
        Episode.objects.bulk_create(episodes, batch_size=BATCH)
        return len(episodes)
