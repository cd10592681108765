from datetime import timedelta

import factory
from django.contrib.auth import get_user_model
from django.utils import timezone

from diary.models import Episode, Profile

PASSWORD = "correct horse battery staple"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ["username"]
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"person{n}")
    email = factory.LazyAttribute(lambda user: f"{user.username}@example.com")
    password = factory.django.Password(PASSWORD)
    profile = factory.RelatedFactory("tests.factories.ProfileFactory", factory_related_name="user")


class ProfileFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Profile
        django_get_or_create = ["user"]

    user = factory.SubFactory(UserFactory, profile=None)
    time_zone = "Europe/Berlin"


class EpisodeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Episode

    user = factory.SubFactory(UserFactory)
    started_at = factory.LazyFunction(lambda: timezone.now() - timedelta(hours=2))
    time_zone = factory.LazyAttribute(lambda episode: episode.user.profile.time_zone)
    duration_seconds = 90
    foot = "left"
    locations = factory.LazyFunction(lambda: ["arch"])
    intensity = 6
    fluid_ml = 1500
    activity = "sleeping"
