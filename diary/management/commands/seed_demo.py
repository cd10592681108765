"""Fill the database with demo people and realistic cramp histories, for benchmarks and demos.

Everything it creates belongs to users named ``demo-...``; running it again replaces them, so
the same seed always gives the same diaries. Each person checks in most mornings, and two
factors are planted for the insights page to find: nights after alcohol have cramps more
often, nights after stretching less often. The others have no effect. The one-year person
also ran an experiment, finished ten nights ago, with magnesium at bedtime: on its nights
with the change they took it (most of the time) and had fewer cramps, a planted effect for
its result page to find.
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

from diary import experiments
from diary.models import CheckIn, Episode, Experiment, Profile
from diary.vocabulary import NIGHT_TURNS_AT_HOUR, Factor, Trigger, last_night, night

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
# Cramps in one night: most nights one, some none, a few two or three.
PER_NIGHT_WEIGHTS = [22, 58, 17, 3]
# The planted effects: how each factor scales the weights of 0, 1, 2 and 3 cramps.
EFFECTS = {
    Factor.ALCOHOL: [0.3, 1, 1.8, 1.8],
    Factor.STRETCHED: [2.5, 1, 1, 1],
}
# How often each factor is true on a day.
FACTOR_CHANCES = {
    Factor.ALCOHOL: 0.2,
    Factor.INTENSE_EXERCISE: 0.1,
    Factor.LONG_STANDING: 0.15,
    Factor.LONG_SITTING: 0.3,
    Factor.TIGHT_FOOTWEAR: 0.05,
    Factor.HIGH_HEELS: 0.03,
    Factor.COLD: 0.1,
    Factor.HEAVY_SWEATING: 0.08,
    Factor.STRETCHED: 0.35,
    Factor.SUPPLEMENT: 0.25,
    Factor.LOW_FLUIDS: 0.12,
}
# The one-year person's experiment: what it tries, how it scales the weights of 0, 1, 2 and 3
# cramps on nights the change was done, how often the schedule was followed, and how many
# nights before last night it ended.
EXPERIMENT_FACTOR = Factor.SUPPLEMENT
EXPERIMENT_EFFECT = [8, 1, 0.3, 0.1]
ADHERENCE = 0.9
EXPERIMENT_ENDED_NIGHTS_AGO = 10
# Mornings checked in: the ten-year person nearly always, the others less often.
CHECKIN_CHANCES = {"decade": 0.95, "year": 0.85}
MONTH_CHECKIN_CHANCE = 0.7
# Of the cramps in a checked-in night, the share counted in the check-in instead of logged.
UNLOGGED_SHARE = 0.05
CHECKIN_NOTES = ["Slept badly.", "Long day at work.", "Went to bed late.", "Hot night."]
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
            average_month = MONTH_DAYS * self.mean_per_night()
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
        episodes = checkins = 0
        pending, pending_checkins = [], []
        with transaction.atomic():
            for user, (name, days) in zip(users, plan, strict=True):
                chance = CHECKIN_CHANCES.get(name, MONTH_CHECKIN_CHANCE)
                experiment = self.experiment(user) if name == "year" else None
                for cramps, checkin in self.history(user, days, chance, experiment):
                    pending.extend(cramps)
                    if checkin:
                        pending_checkins.append(checkin)
                if len(pending) >= BATCH:
                    episodes += self.save(Episode, pending)
                    checkins += self.save(CheckIn, pending_checkins)
                    pending, pending_checkins = [], []
            episodes += self.save(Episode, pending)
            checkins += self.save(CheckIn, pending_checkins)

        seconds = time.monotonic() - started
        if removed:
            self.stdout.write(f"Removed {removed:,} earlier demo people and their episodes.")
        self.stdout.write(
            self.style.SUCCESS(
                f"Created {len(users):,} demo people (demo-decade, demo-year and "
                f"{month_people:,} demo-month-...) with {episodes:,} episodes "
                f"and {checkins:,} check-ins in {seconds:.1f} s (seed {seed})."
            )
        )

    def mean_per_night(self):
        return sum(n * w for n, w in enumerate(PER_NIGHT_WEIGHTS)) / sum(PER_NIGHT_WEIGHTS)

    def remove_earlier_demo_people(self):
        users = get_user_model().objects.filter(username__startswith=PREFIX)
        # Episodes and check-ins first, in one DELETE each: deleting the users alone would
        # collect every one of them in memory to cascade.
        removed = users.count()
        Episode.objects.filter(user__in=users).delete()
        CheckIn.objects.filter(user__in=users).delete()
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

    def experiment(self, user):
        """A finished alternating experiment of 14-night periods, its order from the seed."""
        nights = experiments.BASELINE_NIGHTS + 2 * experiments.PAIRS * 14
        ends_on = last_night(self.today) - timedelta(days=EXPERIMENT_ENDED_NIGHTS_AGO)
        order = "".join(self.rng.choice(experiments.PAIR_ORDERS) for _ in range(experiments.PAIRS))
        return Experiment.objects.create(
            user=user,
            change="Magnesium at bedtime",
            factor=EXPERIMENT_FACTOR,
            period_nights=14,
            starts_on=ends_on - timedelta(days=nights - 1),
            order=order,
            ended_on=ends_on,
            in_report=True,
        )

    def followed(self, experiment, date_of_night, factors):
        """The night's factors as the experiment's schedule had them, most of the time."""
        period = experiment.period_on(date_of_night)
        if period is None:
            return factors, False
        factors = [f for f in factors if f != experiment.factor]
        done = period.kind == experiments.WITH
        if period.kind != experiments.BASELINE and self.rng.random() > ADHERENCE:
            done = not done
        return factors + [experiment.factor] * done, done

    def history(self, user, days, checkin_chance, experiment=None):
        """(cramps, check-in or None) for each of the last `days` nights, up to last night.

        A night's factors are drawn first and set the chances of its cramps, so the planted
        effects are there to be found; none of the cramps is in the future.
        """
        rng = self.rng
        zone_name = user.profile.time_zone
        zone = zoneinfo.ZoneInfo(zone_name)
        hours = range(24)
        last = last_night(self.today)
        for back in range(days - 1, -1, -1):
            date_of_night = last - timedelta(days=back)
            factors = [f for f, chance in FACTOR_CHANCES.items() if rng.random() < chance]
            done = False
            if experiment:
                factors, done = self.followed(experiment, date_of_night, factors)
            weights = list(PER_NIGHT_WEIGHTS)
            effects = [EFFECTS.get(factor, [1] * 4) for factor in factors]
            for effect in effects + [EXPERIMENT_EFFECT] * done:
                weights = [w * m for w, m in zip(weights, effect, strict=True)]
            count = rng.choices(range(len(weights)), weights)[0]
            checked = rng.random() < checkin_chance
            unlogged = sum(1 for _ in range(count) if checked and rng.random() < UNLOGGED_SHARE)
            cramps = []
            for hour in sorted(rng.choices(hours, HOUR_WEIGHTS, k=count - unlogged)):
                # Hours before noon belong to the morning after the night's date.
                after = hour < NIGHT_TURNS_AT_HOUR
                day = date_of_night + timedelta(days=1) if after else date_of_night
                local = datetime(day.year, day.month, day.day, hour, rng.randrange(60), tzinfo=zone)
                started_at = local.astimezone(UTC)
                if started_at < self.now:
                    cramps.append(self.episode(user, zone_name, started_at, hour, factors))
            checkin = None
            if checked:
                checkin = self.checkin(user, date_of_night, factors, count, unlogged)
            yield cramps, checkin

    def checkin(self, user, date_of_night, factors, cramps, unlogged):
        rng = self.rng
        fluid_ml = None
        if rng.random() < 0.4:
            usual = 1300 if Factor.LOW_FLUIDS in factors else 1900
            fluid_ml = min(6000, max(200, int(round(rng.gauss(usual, 400), -1))))
        disturbance = min(10, 2 * cramps + rng.randint(0, 2)) if cramps else 0
        return CheckIn(
            user=user,
            night=date_of_night,
            unlogged_cramps=unlogged,
            sleep_disturbance=disturbance if rng.random() < 0.7 else None,
            factors=factors,
            fluid_ml=fluid_ml,
            notes=rng.choice(CHECKIN_NOTES) if rng.random() < 0.03 else "",
        )

    def episode(self, user, zone_name, started_at, hour, factors):
        rng = self.rng
        at_night = hour in self.night
        locations = {pick(rng, LOCATIONS)}
        if rng.random() < 0.2:
            locations.add(pick(rng, LOCATIONS))
        activity = "sleeping" if at_night and rng.random() < 0.85 else pick(rng, DAY_ACTIVITIES)
        if rng.random() < 0.1:
            activity = ""
        relief = [pick(rng, RELIEF)] if rng.random() < 0.7 else []
        # The day's factors that are triggers too, as a person would note some of them.
        triggers = [f for f in factors if f in Trigger.values and rng.random() < 0.5]
        if rng.random() < 0.03:
            triggers.append(rng.choice([Trigger.NO_WARMUP, Trigger.SMOKING]))
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

    def save(self, model, rows):
        model.objects.bulk_create(rows, batch_size=BATCH)
        return len(rows)
