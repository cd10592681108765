from datetime import timedelta

import factory
from django.contrib.auth import get_user_model
from django.utils import timezone

from diary.models import Episode, Profile
from knowledge.models import Article, Cause, Citation, RedFlag, Tip

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


class ArticleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Article

    title = factory.Sequence(lambda n: f"Article {n}")
    slug = factory.Sequence(lambda n: f"article-{n}")
    source_file = "000_example.txt"
    body = "Cramps are sudden.\n\nStretching the calf often eases a cramp quickly."


class CauseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Cause

    title = factory.Sequence(lambda n: f"Cause {n}")
    slug = factory.Sequence(lambda n: f"cause-{n}")
    summary = "A one-line summary."
    body = "A body in **Markdown**."
    category = "activity-lifestyle"


class TipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Tip
        skip_postgeneration_save = True

    title = factory.Sequence(lambda n: f"Tip {n}")
    slug = factory.Sequence(lambda n: f"tip-{n}")
    summary = "A one-line summary."
    body = "A body in **Markdown**."
    kind = "relief"

    @factory.post_generation
    def causes(self, create, extracted, **kwargs):
        if create and extracted:
            self.causes.set(extracted)


class RedFlagFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RedFlag

    title = factory.Sequence(lambda n: f"Red flag {n}")
    slug = factory.Sequence(lambda n: f"red-flag-{n}")
    summary = "A one-line summary."
    body = "See a health professional."


class CitationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Citation

    article = factory.SubFactory(ArticleFactory)
    quote = "Stretching the calf often eases a cramp quickly."
