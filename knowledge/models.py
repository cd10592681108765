from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Count, Max, Q
from django.urls import reverse
from django.utils import timezone
from simple_history.models import HistoricalRecords

from . import markup, matching


class Category(models.TextChoices):
    ACTIVITY_LIFESTYLE = "activity-lifestyle", "Activity and lifestyle"
    NUTRITION_FLUIDS = "nutrition-fluids", "Nutrition and fluids"
    CIRCULATION = "circulation", "Circulation"
    NERVES = "nerves", "Nerves"
    MEDICAL_CONDITIONS = "medical-conditions", "Medical conditions"
    MEDICINES = "medicines", "Medicines"
    LIFE_STAGE = "life-stage", "Life stage"


class TipKind(models.TextChoices):
    RELIEF = "relief", "Relief now"
    PREVENTION = "prevention", "Prevention"


class StampedQuerySet(models.QuerySet):
    """Keeps `updated_at` true for bulk updates, which skip save() and so auto_now.

    Matching caches the rules until one of them, or its cause or red flag, changes (see
    MatchRuleQuerySet.stamp), so a change made with update() must move the stamp too.
    """

    def update(self, **kwargs):
        kwargs.setdefault("updated_at", timezone.now())
        return super().update(**kwargs)


class PublishedQuerySet(StampedQuerySet):
    def published(self):
        return self.filter(published=True)

    def search(self, query):
        return self.filter(
            Q(title__icontains=query) | Q(summary__icontains=query) | Q(body__icontains=query)
        )


class ArticleQuerySet(PublishedQuerySet):
    def search(self, query):
        return self.filter(Q(title__icontains=query) | Q(body__icontains=query))


class Article(models.Model):
    title = models.CharField(max_length=200)
    slug = models.SlugField(max_length=100, unique=True)
    source_file = models.CharField(
        max_length=100, blank=True, help_text="The customer's original file this text came from."
    )
    body = models.TextField(help_text="Markdown. Citations quote this text word for word.")
    editor_note = models.TextField(
        blank=True, help_text="Markdown, shown in a box above the article, e.g. an erratum."
    )
    published = models.BooleanField(default=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords()
    objects = ArticleQuerySet.as_manager()

    class Meta:
        ordering = ["title"]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("knowledge:article_detail", args=[self.slug])


class Entry(models.Model):
    """What causes, tips and red flags have in common: a short, cited piece of advice."""

    title = models.CharField(max_length=200)
    slug = models.SlugField(max_length=100, unique=True)
    summary = models.CharField(max_length=300, help_text="One line, shown in lists.")
    body = models.TextField(help_text="Markdown.")
    published = models.BooleanField(default=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = PublishedQuerySet.as_manager()

    class Meta:
        abstract = True
        ordering = ["title"]

    def __str__(self):
        return self.title


class Cause(Entry):
    category = models.CharField(max_length=32, choices=Category)

    history = HistoricalRecords()

    class Meta(Entry.Meta):
        constraints = [
            models.CheckConstraint(
                condition=Q(category__in=Category.values), name="cause_category_valid"
            ),
        ]

    def get_absolute_url(self):
        return reverse("knowledge:cause_detail", args=[self.slug])


class Tip(Entry):
    kind = models.CharField(max_length=16, choices=TipKind)
    causes = models.ManyToManyField(Cause, related_name="tips", blank=True)

    history = HistoricalRecords(m2m_fields=[causes])

    class Meta(Entry.Meta):
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=TipKind.values), name="tip_kind_valid"),
        ]

    def get_absolute_url(self):
        return reverse("knowledge:tip_detail", args=[self.slug])


class RedFlag(Entry):
    history = HistoricalRecords()

    class Meta(Entry.Meta):
        verbose_name = "red flag"

    def get_absolute_url(self):
        return reverse("knowledge:red_flag_detail", args=[self.slug])


class CitationQuerySet(models.QuerySet):
    def published(self):
        """Citations whose article and whose entry are both published."""
        return self.filter(
            Q(cause__published=True) | Q(tip__published=True) | Q(red_flag__published=True),
            article__published=True,
        )


class Citation(models.Model):
    """A passage quoted word for word from an article, backing one cause, tip or red flag."""

    article = models.ForeignKey(Article, models.CASCADE, related_name="citations")
    quote = models.TextField(help_text="Copied word for word from the article's text.")
    cause = models.ForeignKey(
        Cause, models.CASCADE, null=True, blank=True, related_name="citations"
    )
    tip = models.ForeignKey(Tip, models.CASCADE, null=True, blank=True, related_name="citations")
    red_flag = models.ForeignKey(
        RedFlag, models.CASCADE, null=True, blank=True, related_name="citations"
    )

    history = HistoricalRecords()
    objects = CitationQuerySet.as_manager()

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(cause__isnull=False, tip__isnull=True, red_flag__isnull=True)
                    | Q(cause__isnull=True, tip__isnull=False, red_flag__isnull=True)
                    | Q(cause__isnull=True, tip__isnull=True, red_flag__isnull=False)
                ),
                name="citation_backs_exactly_one_entry",
            ),
        ]

    def __str__(self):
        return f"{self.article}: “{self.quote[:60]}”"

    def get_absolute_url(self):
        return f"{self.article.get_absolute_url()}#{self.anchor}"

    @property
    def anchor(self):
        return markup.quote_anchor(self.quote)

    def clean(self):
        # Compare objects, not ids: an admin inline sets an entry that is not saved yet.
        if sum(entry is not None for entry in (self.cause, self.tip, self.red_flag)) != 1:
            raise ValidationError("A citation backs exactly one cause, tip or red flag.")
        if self.article_id and self.quote and self.quote not in self.article.body:
            raise ValidationError(
                {"quote": "This passage does not appear word for word in the article."}
            )

    @property
    def entry(self):
        return self.cause or self.tip or self.red_flag


class MatchRuleQuerySet(StampedQuerySet):
    def published(self):
        """Rules in force: published, and pointing at a published cause or red flag."""
        return self.filter(published=True).filter(
            Q(cause__published=True) | Q(red_flag__published=True)
        )

    def stamp(self):
        """A value that changes whenever a rule, or a cause or red flag it points at, changes.

        Adding or deleting a rule changes the count; saving one, or its cause or red flag,
        moves the newest `updated_at`. One small query, so a per-process copy of the parsed
        rules can be checked on every request instead of reading them all again.
        """
        return tuple(
            self.aggregate(
                count=Count("pk"),
                rule=Max("updated_at"),
                cause=Max("cause__updated_at"),
                red_flag=Max("red_flag__updated_at"),
            ).values()
        )


class MatchRule(models.Model):
    """Ties one fact about a cramp or the person to a cause or a red flag, with a weight."""

    cause = models.ForeignKey(Cause, models.CASCADE, null=True, blank=True, related_name="rules")
    red_flag = models.ForeignKey(
        RedFlag, models.CASCADE, null=True, blank=True, related_name="rules"
    )
    fact = models.CharField(max_length=32, choices=matching.FACT_CHOICES)
    value = models.CharField(
        max_length=200, blank=True, help_text="What the fact is compared with; see the fact."
    )
    weight = models.PositiveSmallIntegerField(
        default=30,
        validators=[
            MinValueValidator(matching.MIN_WEIGHT),
            MaxValueValidator(matching.MAX_WEIGHT),
        ],
        help_text=(
            f"{matching.MIN_WEIGHT} to {matching.MAX_WEIGHT}. A cause shows from "
            f"{matching.CAUSE_THRESHOLD} in total, a red flag from {matching.RED_FLAG_THRESHOLD}."
        ),
    )
    reason = models.TextField(
        help_text="Written for the person, e.g. “You drank {fluids} in the 24 hours before.”"
    )
    published = models.BooleanField(default=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords()
    objects = MatchRuleQuerySet.as_manager()

    class Meta:
        ordering = ["pk"]
        verbose_name = "matching rule"
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(cause__isnull=False, red_flag__isnull=True)
                    | Q(cause__isnull=True, red_flag__isnull=False)
                ),
                name="matchrule_targets_cause_or_red_flag",
            ),
            models.CheckConstraint(
                condition=Q(weight__gte=matching.MIN_WEIGHT, weight__lte=matching.MAX_WEIGHT),
                name="matchrule_weight_range",
            ),
        ]

    def __str__(self):
        return f"{self.target}: {self.get_fact_display()} {self.value}".strip()

    @property
    def target(self):
        return self.cause or self.red_flag

    def clean(self):
        if (self.cause_id is None) == (self.red_flag_id is None):
            raise ValidationError("Pick either a cause or a red flag, not both.")
        errors = matching.validate_rule(self.fact, self.value, self.reason)
        if errors:
            raise ValidationError(errors)
