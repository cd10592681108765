from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models, transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.text import capfirst
from simple_history.models import HistoricalRecords

from diary.fields import ChoiceListField
from diary.vocabulary import Trigger

from . import diff, markup, matching, scenarios


class Category(models.TextChoices):
    ACTIVITY_LIFESTYLE = "activity-lifestyle", "Activity and lifestyle"
    NUTRITION_FLUIDS = "nutrition-fluids", "Nutrition and fluids"
    CIRCULATION = "circulation", "Circulation"
    NERVES = "nerves", "Nerves"
    MEDICAL_CONDITIONS = "medical-conditions", "Medical conditions"
    MEDICINES = "medicines", "Medicines"
    LIFE_STAGE = "life-stage", "Life stage"


class TipKind(models.TextChoices):
    RELIEF = matching.RELIEF, "Relief now"
    PREVENTION = matching.PREVENTION, "Prevention"


class ContentVersion(models.Model):
    """A number that goes up with every change to the advice that matching keeps per process.

    Each worker keeps the parsed rules and reads them again only when this number has moved
    (diary.advice.load_content). It moves in the transaction that changes the advice, and that
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


class Revisable:
    """What editors change through reviewed drafts (see Revision).

    `revised_fields` are the fields an editor edits; a draft stores their values as JSON:
    ids for links, sorted id lists for many-to-many fields, and for causes, tips and red
    flags the citations as [article id, quote] pairs.
    """

    revised_fields = ()

    def revised_values(self):
        values = {}
        for name in self.revised_fields:
            field = self._meta.get_field(name)
            if field.many_to_many:
                values[name] = sorted(getattr(self, name).values_list("pk", flat=True))
            else:
                values[name] = field.value_from_object(self)
        if isinstance(self, Entry):
            values["citations"] = [[c.article_id, c.quote] for c in self.citations.all()]
        return values

    def apply_values(self, values):
        """Set plain fields and links from draft values, in memory; return the other values."""
        rest = {}
        for name, value in values.items():
            if name == "citations" or self._meta.get_field(name).many_to_many:
                rest[name] = value
            else:
                setattr(self, self._meta.get_field(name).attname, value)
        return rest


def normalise_newlines(instance):
    # Browsers send \r\n from a textarea; stored text uses \n, so that saving a form whose
    # text nobody touched changes nothing.
    for field in instance._meta.concrete_fields:
        value = getattr(instance, field.attname)
        if isinstance(field, models.CharField | models.TextField) and isinstance(value, str):
            setattr(instance, field.attname, markup.unix_newlines(value))


class PublishedQuerySet(models.QuerySet):
    def published(self):
        return self.filter(published=True)

    def search(self, query):
        return self.filter(
            Q(title__icontains=query) | Q(summary__icontains=query) | Q(body__icontains=query)
        )


class EntryQuerySet(VersionedQuerySet, PublishedQuerySet):
    pass


class ArticleQuerySet(PublishedQuerySet):
    def search(self, query):
        return self.filter(Q(title__icontains=query) | Q(body__icontains=query))


def shipped_key():
    return models.CharField(
        max_length=200,
        blank=True,
        editable=False,
        help_text="The shipped content this row was loaded from; empty for an editor's own.",
    )


def unique_shipped_key(name):
    # Found by this key, a shipped row stays itself after an editor renames it or changes a
    # rule's value, instead of load_knowledge adding the shipped one again beside it.
    return models.UniqueConstraint(
        fields=["shipped_key"], condition=~Q(shipped_key=""), name=f"{name}_shipped_key_unique"
    )


class Article(Revisable, models.Model):
    title = models.CharField(max_length=200)
    slug = models.SlugField(max_length=100, unique=True)
    source_file = models.CharField(
        max_length=100, blank=True, help_text="The customer's original file this text came from."
    )
    source_kind = models.CharField(
        "kind of source",
        max_length=100,
        default="a general-audience web article",
        help_text="What the source is, as the pages say it: “a general-audience web article”.",
    )
    author = models.CharField(
        max_length=200, blank=True, help_text="Leave empty when not known: the pages say so."
    )
    source_date = models.CharField(
        "date",
        max_length=50,
        blank=True,
        help_text="As the source gives it, such as “2023”; leave empty when not known.",
    )
    body = models.TextField(help_text="Markdown. Citations quote this text word for word.")
    editor_note = models.TextField(
        blank=True, help_text="Markdown, shown in a box above the article, e.g. an erratum."
    )
    published = models.BooleanField(default=True)
    updated_at = models.DateTimeField(auto_now=True)
    shipped_key = shipped_key()

    history = HistoricalRecords()
    objects = ArticleQuerySet.as_manager()

    revised_fields = (
        "title",
        "slug",
        "source_file",
        "source_kind",
        "author",
        "source_date",
        "body",
        "editor_note",
        "published",
    )

    class Meta:
        ordering = ["title"]
        constraints = [unique_shipped_key("article")]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("knowledge:article_detail", args=[self.slug])

    @property
    def provenance(self):
        """What the source is, and what is not known about it, in words for its readers:
        “a general-audience web article; author and date not known”."""
        facts = {
            "author": self.author and f"by {self.author}",
            "date": self.source_date and f"dated {self.source_date}",
        }
        words = ", ".join([self.source_kind, *filter(None, facts.values())])
        unknown = [name for name, known in facts.items() if not known]
        if unknown:
            words += f"; {' and '.join(unknown)} not known"
        return words

    def clean(self):
        normalise_newlines(self)

    def lost_citations(self, body):
        """The citations of this article whose quote `body` no longer has, word for word."""
        citations = self.citations.select_related("cause", "tip", "red_flag")
        return [citation for citation in citations if citation.quote not in body]


class Entry(Revisable, Versioned):
    """What causes, tips and red flags have in common: a short, cited piece of advice."""

    title = models.CharField(max_length=200)
    slug = models.SlugField(max_length=100, unique=True)
    summary = models.CharField(max_length=300, help_text="One line, shown in lists.")
    body = models.TextField(help_text="Markdown.")
    published = models.BooleanField(default=True)
    updated_at = models.DateTimeField(auto_now=True)
    shipped_key = shipped_key()

    objects = EntryQuerySet.as_manager()

    class Meta:
        abstract = True
        ordering = ["title"]

    def __str__(self):
        return self.title

    def clean(self):
        normalise_newlines(self)


class Cause(Entry):
    category = models.CharField(max_length=32, choices=Category)

    history = HistoricalRecords()

    revised_fields = ("title", "slug", "category", "summary", "body", "published")

    class Meta(Entry.Meta):
        constraints = [
            models.CheckConstraint(
                condition=Q(category__in=Category.values), name="cause_category_valid"
            ),
            unique_shipped_key("cause"),
        ]

    def get_absolute_url(self):
        return reverse("knowledge:cause_detail", args=[self.slug])


class Tip(Entry):
    kind = models.CharField(max_length=16, choices=TipKind)
    general = models.BooleanField(
        "general relief step",
        default=False,
        help_text="A relief step that helps any cramp while it happens: shown for a cramp "
        "that no cause matched. Relief tips only.",
    )
    causes = models.ManyToManyField(Cause, related_name="tips", blank=True)
    habits = ChoiceListField(
        "habits",
        choices=Trigger.choices,
        help_text="For a tip about a habit (smoking, shoes): it is shown only for cramps where "
        "one of these was logged. Leave empty for other tips.",
    )

    history = HistoricalRecords(m2m_fields=[causes])

    revised_fields = (
        "title",
        "slug",
        "kind",
        "general",
        "summary",
        "body",
        "causes",
        "habits",
        "published",
    )

    class Meta(Entry.Meta):
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=TipKind.values), name="tip_kind_valid"),
            models.CheckConstraint(
                condition=Q(general=False) | Q(kind=TipKind.RELIEF),
                name="tip_general_is_relief",
                violation_error_message="Only a relief tip can be a general relief step.",
            ),
            unique_shipped_key("tip"),
        ]

    def get_absolute_url(self):
        return reverse("knowledge:tip_detail", args=[self.slug])

    def as_info(self, cause_slugs):
        """The tip as ranking reads it (plain data), given the slugs of its published causes."""
        return matching.TipInfo(
            slug=self.slug,
            title=self.title,
            kind=self.kind,
            causes=frozenset(cause_slugs),
            habits=frozenset(self.habits),
            general=self.general,
        )


class RedFlag(Entry):
    history = HistoricalRecords()

    revised_fields = ("title", "slug", "summary", "body", "published")

    class Meta(Entry.Meta):
        verbose_name = "red flag"
        constraints = [unique_shipped_key("redflag")]

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
        normalise_newlines(self)
        # Compare objects, not ids: an admin inline sets an entry that is not saved yet.
        if sum(entry is not None for entry in (self.cause, self.tip, self.red_flag)) != 1:
            raise ValidationError("A citation backs exactly one cause, tip or red flag.")
        if self.article_id and self.quote and self.quote not in self.article.body:
            message = "This passage does not appear word for word in the article."
            closest = markup.closest_passage(self.quote, self.article.body)
            if closest:
                message += f" The closest passage is: “{closest}”"
            raise ValidationError({"quote": message})

    @property
    def entry(self):
        return self.cause or self.tip or self.red_flag


class MatchRuleQuerySet(VersionedQuerySet):
    def published(self):
        """Rules in force: published, and pointing at a published cause or red flag."""
        return self.filter(published=True).filter(
            Q(cause__published=True) | Q(red_flag__published=True)
        )


class MatchRule(Revisable, Versioned):
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
    shipped_key = shipped_key()

    history = HistoricalRecords()
    objects = MatchRuleQuerySet.as_manager()

    revised_fields = ("cause", "red_flag", "fact", "value", "weight", "reason", "published")

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
            unique_shipped_key("matchrule"),
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
        normalise_newlines(self)
        if (self.cause_id is None) == (self.red_flag_id is None):
            raise ValidationError("Pick either a cause or a red flag, not both.")
        errors = matching.validate_rule(self.fact, self.value, self.reason)
        if errors:
            raise ValidationError(errors)


class RevisionStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    IN_REVIEW = "in_review", "Waiting for review"
    SENT_BACK = "sent_back", "Sent back"
    APPROVED = "approved", "Approved and published"
    WITHDRAWN = "withdrawn", "Withdrawn"


OPEN_STATUSES = [RevisionStatus.DRAFT, RevisionStatus.IN_REVIEW, RevisionStatus.SENT_BACK]
# The fields whose change can alter the causes, red flags or tips a person is shown.
EFFECT_FIELDS = {
    "matchrule": set(MatchRule.revised_fields),
    "cause": {"slug", "published"},
    "redflag": {"slug", "published"},
    "tip": {"title", "kind", "general", "causes", "habits", "published"},
}


class RevisionQuerySet(models.QuerySet):
    def open(self):
        return self.filter(status__in=OPEN_STATUSES)

    def of(self, model, object_id):
        return self.filter(
            content_type=ContentType.objects.get_for_model(model), object_id=object_id
        )

    def save_draft(
        self,
        model,
        object_id,
        author,
        proposed,
        *,
        revision=None,
        note="",
        typo=False,
        submit=False,
    ):
        """Put an editor's proposed values into the open draft of an object, or a new draft.

        `object_id` is None for a new item, and `revision` then the draft being edited. Only
        values that differ from the published row are kept, each with the published value it
        replaces; a draft left with no difference is withdrawn. Returns the draft, or None.
        """
        with transaction.atomic():
            current = {}
            if object_id is not None:
                # Locking the published row makes a second editor's first draft wait for this
                # one, so an object never has two open drafts.
                current = model.objects.select_for_update().get(pk=object_id).revised_values()
                revision = self.select_for_update().open().of(model, object_id).first()
            elif revision is not None:
                revision = self.select_for_update().open().get(pk=revision.pk)
            if revision is not None:
                proposed = {**revision.data, **proposed}
            changes = {
                name: value
                for name, value in proposed.items()
                if object_id is None or current[name] != value
            }
            if not changes:
                if revision is not None:
                    revision.status = RevisionStatus.WITHDRAWN
                    revision._history_user = author
                    revision.save()
                return None
            if revision is None:
                revision = Revision(
                    content_type=ContentType.objects.get_for_model(model), object_id=object_id
                )
            revision.data = changes
            revision.base = {name: current[name] for name in changes if name in current}
            revision.note, revision.typo = note, typo
            revision.status = RevisionStatus.IN_REVIEW if submit else RevisionStatus.DRAFT
            revision._history_user = author
            revision.save()
            revision.authors.add(author)
        return revision


class Revision(models.Model):
    """A change to a cause, tip, red flag, article or matching rule, waiting to be published.

    The published row is what the site reads. An editor's change is kept here until a
    reviewer other than its authors approves it, which applies it to the row in one
    transaction, so the row's history shows the reviewer and this draft its authors.
    """

    content_type = models.ForeignKey(ContentType, models.PROTECT)
    object_id = models.PositiveBigIntegerField(
        null=True, blank=True, help_text="The published item; empty for a new one."
    )
    target = GenericForeignKey("content_type", "object_id")
    data = models.JSONField(help_text="The proposed values of the fields this draft changes.")
    base = models.JSONField(
        default=dict,
        blank=True,
        help_text="The published values of those fields when the draft was last saved.",
    )
    note = models.TextField(blank=True, help_text="What the editor changed and why.")
    typo = models.BooleanField(
        "small fix", default=False, help_text="A typo or similar; it still needs a reviewer."
    )
    status = models.CharField(max_length=16, choices=RevisionStatus, default=RevisionStatus.DRAFT)
    authors = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        related_name="knowledge_revisions",
        help_text="Everyone who wrote part of this draft; none of them may approve it.",
    )
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="knowledge_reviews",
    )
    comment = models.TextField(blank=True, help_text="The reviewer's comment.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    reviewed_at = models.DateTimeField(null=True, blank=True)

    history = HistoricalRecords()
    objects = RevisionQuerySet.as_manager()

    class Meta:
        ordering = ["-updated_at"]
        verbose_name = "draft"
        permissions = [("approve_revision", "Can approve a draft and publish it")]
        constraints = [
            models.UniqueConstraint(
                fields=["content_type", "object_id"],
                condition=Q(status__in=OPEN_STATUSES),
                name="revision_one_open_draft_per_item",
            ),
            models.CheckConstraint(
                condition=Q(status__in=RevisionStatus.values), name="revision_status_valid"
            ),
        ]

    def __str__(self):
        name = self.content_type.name
        if self.object_id is None:
            return f"New {name}: {self.title}"
        return f"Change to {name} “{self.title}”"

    def get_absolute_url(self):
        return reverse("admin:knowledge_revision_change", args=[self.pk])

    @property
    def model(self):
        return self.content_type.model_class()

    @property
    def title(self):
        if self.data.get("title"):
            return self.data["title"]
        if self.target is not None:
            return str(self.target)
        if "fact" in self.data:
            return f"{matching.FACTS[self.data['fact']].label} {self.data.get('value', '')}"
        return ""

    @property
    def is_open(self):
        return self.status in OPEN_STATUSES

    def proposed(self):
        """An unsaved copy of the published item with the draft applied, and the draft's
        many-to-many and citation values; (None, {}) if the published item is gone."""
        if self.object_id is None:
            item = self.model()
        else:
            item = self.model.objects.filter(pk=self.object_id).first()
            if item is None:
                return None, {}
        return item, item.apply_values(self.data)

    def conflicts(self, current):
        """The fields changed both by this draft and on the published item since it was saved."""
        return [
            name
            for name, value in self.data.items()
            if name in self.base and current[name] not in (self.base[name], value)
        ]

    def changes(self):
        """(label, old text, new text, word diff) for each field the draft changes: against
        the published version while the draft is open, else against what it replaced."""
        if not self.is_open:
            current = self.base
        else:
            current = self.target.revised_values() if self.target is not None else {}
        rows = []
        for name, value in self.data.items():
            old = self.describe(name, current[name]) if name in current else ""
            new = self.describe(name, value)
            rows.append((self.label(name), old, new, diff.word_diff(old, new)))
        return rows

    def label(self, name):
        if name == "citations":
            return "Citations"
        return capfirst(self.model._meta.get_field(name).verbose_name)

    def describe(self, name, value):
        """A field's value as words a reviewer can read and compare."""
        if name == "citations":
            titles = Article.objects.in_bulk([article for article, _quote in value])
            return "\n\n".join(
                f"{titles[article].title if article in titles else 'A deleted article'}: “{quote}”"
                for article, quote in value
            )
        field = self.model._meta.get_field(name)
        if field.many_to_many or field.is_relation:
            ids = value if field.many_to_many else [value] if value else []
            return "\n".join(str(item) for item in field.related_model.objects.filter(pk__in=ids))
        if isinstance(field, ChoiceListField):
            return ", ".join(field.labels(value))
        if field.choices:
            return str(dict(field.flatchoices).get(value, value))
        if isinstance(value, bool):
            return "yes" if value else "no"
        return "" if value is None else str(value)

    def effect(self, night):
        """scenarios.compare() for the published content and for the content with this draft,
        or None when the draft cannot change which causes, red flags or tips are shown."""
        if not set(self.data) & EFFECT_FIELDS.get(self.content_type.model, set()):
            return None
        tables = {
            Cause: Cause.objects.in_bulk(),
            RedFlag: RedFlag.objects.in_bulk(),
            MatchRule: MatchRule.objects.in_bulk(),
            Tip: Tip.objects.in_bulk(),
        }
        links = {}
        for tip, cause in Tip.causes.through.objects.values_list("tip_id", "cause_id"):
            links.setdefault(tip, set()).add(cause)
        before = _world(tables, links)
        item, rest = self.proposed()
        if item is None:
            return None
        key = item.pk or "draft"
        tables[self.model][key] = item
        if "causes" in rest:
            links[key] = set(rest["causes"])
        after = _world(tables, links)
        return scenarios.compare(before, after, night)

    def check_reviewer(self, user):
        if not user.has_perm("knowledge.approve_revision"):
            raise PermissionDenied("Only a member of the Reviewers group can review drafts.")
        if self.authors.filter(pk=user.pk).exists():
            raise PermissionDenied(
                "You wrote part of this draft, so another reviewer must approve it."
            )

    def _lock(self, statuses):
        revision = Revision.objects.select_for_update().get(pk=self.pk)
        if revision.status not in statuses:
            raise ValidationError(
                f"This draft is “{revision.get_status_display().lower()}”, so it cannot be "
                "changed that way. Reload the page to see where it stands."
            )
        return revision

    def submit(self, user):
        with transaction.atomic():
            revision = self._lock([RevisionStatus.DRAFT, RevisionStatus.SENT_BACK])
            revision.status, revision._history_user = RevisionStatus.IN_REVIEW, user
            revision.save()
        self.refresh_from_db()

    def withdraw(self, user):
        with transaction.atomic():
            revision = self._lock(OPEN_STATUSES)
            revision.status, revision._history_user = RevisionStatus.WITHDRAWN, user
            revision.save()
        self.refresh_from_db()

    def send_back(self, reviewer, comment):
        if not comment.strip():
            raise ValidationError({"comment": "Tell the author what to change."})
        with transaction.atomic():
            revision = self._lock([RevisionStatus.IN_REVIEW])
            revision.check_reviewer(reviewer)
            revision.record_review(RevisionStatus.SENT_BACK, reviewer, comment)
        self.refresh_from_db()

    def approve(self, reviewer, comment=""):
        """Publish the draft: apply it to the published row in one transaction, as the reviewer.

        Refused with ValidationError, saving nothing, when the published item changed the
        same fields since the draft was saved, or the result would not be valid.
        """
        with transaction.atomic():
            revision = self._lock([RevisionStatus.IN_REVIEW])
            revision.check_reviewer(reviewer)
            revision.publish(reviewer)
            revision.record_review(RevisionStatus.APPROVED, reviewer, comment)
        self.refresh_from_db()

    def record_review(self, status, reviewer, comment):
        self.status, self.reviewer, self.comment = status, reviewer, comment
        self.reviewed_at = timezone.now()
        self._history_user = reviewer
        self.save()

    def publish(self, reviewer):
        if self.object_id is None:
            item, current = self.model(), {}
        else:
            item = self.model.objects.select_for_update().filter(pk=self.object_id).first()
            if item is None:
                raise ValidationError("The published item was deleted after this draft was saved.")
            current = item.revised_values()
        conflicts = self.conflicts(current)
        if conflicts:
            raise ValidationError(
                "Since this draft was saved, the published item changed too: "
                f"{', '.join(self.label(name).lower() for name in conflicts)}. Send it back so "
                "that its author can check it against the published version and save it again."
            )
        changes = {name: value for name, value in self.data.items() if current.get(name) != value}
        if item.pk is not None and isinstance(item, Article) and "body" in changes:
            lost = item.lost_citations(changes["body"])
            if lost:
                raise ValidationError(
                    f"The new text no longer has the passage {lost[0].entry} cites: "
                    f"“{lost[0].quote}”."
                )
        rest = item.apply_values(changes)
        citations = self.citations_for(item, rest.pop("citations", None))
        try:
            item.full_clean()
        except ValidationError as error:
            raise ValidationError(
                [f"The draft is no longer valid: {message}" for message in error.messages]
            ) from error
        item._history_user = reviewer
        authors = ", ".join(sorted(user.get_username() for user in self.authors.all()))
        item._change_reason = f"Draft {self.pk} by {authors}"[:100]
        if item.pk is None:
            item.save()
            for name, ids in rest.items():
                getattr(item, name).set(ids)
        else:
            # Links first, without history, then one save records fields and links together.
            item.skip_history_when_saving = True
            for name, ids in rest.items():
                getattr(item, name).set(ids)
            del item.skip_history_when_saving
            if set(changes) - {"citations"}:
                item.save()
        if citations is not None:
            self.replace_citations(item, citations, reviewer)
        self.object_id = item.pk

    def citations_for(self, item, pairs):
        """Unsaved Citations for the draft's [article, quote] pairs, checked word for word."""
        if pairs is None:
            return None
        articles = Article.objects.in_bulk([article for article, _quote in pairs])
        citations = []
        for article, quote in pairs:
            if article not in articles:
                raise ValidationError("A cited article was deleted after this draft was saved.")
            citation = Citation(article=articles[article], quote=quote)
            setattr(citation, citation_field(self.model), item)
            try:
                citation.clean()
            except ValidationError as error:
                raise ValidationError(
                    [f"A citation is no longer valid: {message}" for message in error.messages]
                ) from error
            citations.append(citation)
        return citations

    def replace_citations(self, item, citations, reviewer):
        kept = {(c.article_id, c.quote): c for c in item.citations.all()}
        wanted = {(c.article_id, c.quote) for c in citations}
        for key, citation in kept.items():
            if key not in wanted:
                citation._history_user = reviewer
                citation.delete()
        for citation in citations:
            if (citation.article_id, citation.quote) not in kept:
                citation._history_user = reviewer
                citation.save()


def citation_field(model):
    """The name of Citation's link to a cause, tip or red flag."""
    return next(field.name for field in Citation._meta.fields if field.related_model is model)


def _world(tables, links):
    """The rules in force and the published tips, as the matcher and scenarios take them."""
    causes, red_flags = tables[Cause], tables[RedFlag]
    rules = []
    for rule in tables[MatchRule].values():
        rule.cause = causes.get(rule.cause_id) if rule.cause_id else None
        rule.red_flag = red_flags.get(rule.red_flag_id) if rule.red_flag_id else None
        if not (rule.published and rule.target and rule.target.published):
            continue
        plain = rule.as_rule()
        try:
            plain.parsed_value  # noqa: B018 - a rule that is not valid never matches
        except matching.RuleError:
            continue
        rules.append(plain)
    titles = {(False, cause.slug): cause.title for cause in causes.values()}
    titles |= {(True, red_flag.slug): red_flag.title for red_flag in red_flags.values()}
    tips = [
        tip.as_info(
            causes[pk].slug for pk in links.get(key, ()) if pk in causes and causes[pk].published
        )
        for key, tip in tables[Tip].items()
        if tip.published
    ]
    return scenarios.World(rules, titles, tips)
