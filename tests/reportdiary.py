"""Three months of a person's cramps, the size of diary the report for the doctor is made for.

52 cramps over 13 weeks, most at night, a few long notes, two that raise red flags, and morning
check-ins on most nights: what a person brings to a GP, and the longest page one. Made from a
fixed seed, so the printed page counts can be asserted.
"""

import random
from datetime import datetime, time, timedelta

from diary.models import CheckIn
from tests.factories import EpisodeFactory

CRAMPS = 52
DAYS = 91
LONG_NOTE = (
    "Woke with the left arch locked hard and the toes curled under. Stretching against the "
    "bed frame did nothing for the first minutes; standing on the cold floor eased it slowly. "
    "The calf stayed sore for most of the next day and I limped on the way to work. I had "
    "walked about fifteen kilometres the day before in new boots and drank less than usual "
    "because of the heat on the way back, which I think may have had something to do with it."
)
SHORT_NOTES = [
    "After a long day on my feet.",
    "Second one tonight.",
    "Eased after a few minutes of stretching.",
    "New shoes.",
    "Cold bedroom, window open.",
    "Had two glasses of wine at dinner.",
]


def three_months(user, last_day):
    """The person's profile and 52 cramps over the 91 days up to last_day; the first day."""
    profile = user.profile
    profile.birth_year = last_day.year - 67
    profile.conditions = ["diabetes"]
    profile.medications = ["statin", "diuretic"]
    profile.fluid_unit = "glass"
    profile.save()
    first_day = last_day - timedelta(days=DAYS - 1)
    chance = random.Random(14)
    days = sorted(chance.sample(range(DAYS), CRAMPS - 6) + chance.sample(range(DAYS), 6))
    zone = profile.zone
    for number, offset in enumerate(days):
        at_night = chance.random() < 0.75
        hour = chance.choice([23, 0, 1, 2, 3, 4, 5]) if at_night else chance.choice([9, 14, 17])
        day = first_day + timedelta(days=offset)
        started = datetime.combine(day, time(hour, chance.randrange(60)), zone)
        notes = ""
        if number % 10 == 3:
            notes = LONG_NOTE
        elif number % 4 == 1:
            notes = chance.choice(SHORT_NOTES)
        relief = chance.sample(["stretch", "massage", "walk", "heat"], chance.choice([0, 1, 2]))
        EpisodeFactory(
            user=user,
            started_at=started,
            duration_seconds=chance.choice([30, 60, 90, 120, 180, 300, 600]),
            foot=chance.choice(["left", "left", "right", "both"]),
            locations=chance.sample(["arch", "calf", "toes", "heel"], chance.choice([1, 1, 2])),
            intensity=chance.randint(3, 8),
            fluid_ml=chance.choice([None, 750, 1000, 1500, 2000]),
            activity="sleeping" if at_night else chance.choice(["walking", "standing", "sitting"]),
            triggers=chance.sample(
                ["long_standing", "cold", "alcohol", "intense_exercise", "tight_footwear"],
                chance.choice([0, 0, 1, 2]),
            ),
            symptoms=["numbness_tingling"] if number in (7, 30) else [],
            relief=relief,
            relief_helped=chance.choice(["yes", "partly", "no", ""]) if relief else "",
            notes=notes,
        )
    # Check-ins on four nights in five; now and then a cramp not logged one by one.
    CheckIn.objects.bulk_create(
        CheckIn(
            user=user,
            night=first_day + timedelta(days=offset),
            unlogged_cramps=chance.choice([0, 0, 0, 1]),
            sleep_disturbance=chance.choice([None, 2, 4, 6]),
        )
        for offset in range(DAYS)
        if chance.random() < 0.8
    )
    return first_day
