from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models, transaction
from django.db.models import F, Q
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


class ContentVersion(models.Model):
    """A number that goes up with every change to the advice that matching keeps per process.

    Each worker keeps the parsed rules and reads them again only when this number has moved
    (diary.advice.load_rules). It moves in the transaction that changes the advice, and that
    update locks its row until the commit, so numbers follow the order in which changes
    commit, whatever the clocks say. A data migration or raw SQL that changes causes, tips,
    red flags or rules calls ContentVersion.bump() too; `migrate` bumps it at the end.
    """

    number = models.PositiveBigIntegerField(default=0)

    class Meta:
        constraints = [models.CheckConstraint(condition=Q(pk=1), name="content_version_single")]

    def __str__(self):
        return f"Content version {self.number}"

    @classmethod
    def current(cls):
        return cls.objects.filter(pk=1).values_list("number", flat=True).first() or 0

    @classmethod
    def bump(cls):
        with transaction.atomic():
            if not cls.objects.filter(pk=1).update(number=F("number") + 1):
                cls.objects.create(pk=1, number=1)


class VersionedQuerySet(models.QuerySet):
    """Bulk changes skip save() and delete(), so they move the version (and the date) here."""

    def update(self, **kwargs):
        kwargs.setdefault("updated_at", timezone.now())
        with transaction.atomic():
            count = super().update(**kwargs)
            ContentVersion.bump()
        return count

    def delete(self):
        with transaction.atomic():
            result = super().delete()
            ContentVersion.bump()
        return result


class Versioned(models.Model):
    """Advice that matching reads: every save and delete moves ContentVersion on."""

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        with transaction.atomic():
            super().save(*args, **kwargs)
            ContentVersion.bump()

    def delete(self, *args, **kwargs):
        with transaction.atomic():
            result = super().delete(*args, **kwargs)
            ContentVersion.bump()
        return result


class PublishedQuerySet(models.QuerySet):
    def published(self):
        return self.filter(published=True)

    def search(self, query):
        return self.filter(
            Q(title__icontains=query) | Q(summary__icontains=query) | Q(body__icontains=query)
        )


class EntryQuerySet(VersionedQuerySet, PublishedQuerySet):
    pass


class TipQuerySet(EntryQuerySet):
    def for_causes(self, causes):
        """Published tips linked to these causes: a tip once per cause, that cause as cause_id."""
        return self.published().filter(causes__in=causes).annotate(cause_id=F("causes"))


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


class Entry(Versioned):
    """What causes, tips and red flags have in common: a short, cited piece of advice."""

    title = models.CharField(max_length=200)
    slug = models.SlugField(max_length=100, unique=True)
    summary = models.CharField(max_length=300, help_text="One line, shown in lists.")
    body = models.TextField(help_text="Markdown.")
    published = models.BooleanField(default=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = EntryQuerySet.as_manager()

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
    objects = TipQuerySet.as_manager()

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


class MatchRuleQuerySet(VersionedQuerySet):
    def published(self):
        """Rules in force: published, and pointing at a published cause or red flag."""
        return self.filter(published=True).filter(
            Q(cause__published=True) | Q(red_flag__published=True)
        )


class MatchRule(Versioned):
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

    def as_rule(self):
        """The rule as the matcher reads it: plain data, no database."""
        return matching.Rule(
            target=self.target.slug,
            is_red_flag=self.red_flag_id is not None,
            fact=self.fact,
            value=self.value,
            weight=self.weight,
            reason=self.reason,
        )

    def clean(self):
        if (self.cause_id is None) == (self.red_flag_id is None):
            raise ValidationError("Pick either a cause or a red flag, not both.")
        errors = matching.validate_rule(self.fact, self.value, self.reason)
        if errors:
            raise ValidationError(errors)
