from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import construct_change_message, unquote
from django.contrib.admin.widgets import RelatedFieldWidgetWrapper
from django.contrib.contenttypes.prefetch import GenericPrefetch
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.db.models import OuterRef, Subquery
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.cache import add_never_cache_headers
from django.utils.html import format_html
from simple_history.admin import SimpleHistoryAdmin

from diary.fields import ChoiceListField
from diary.vocabulary import night

from . import views
from .forms import ArticleForm, DraftForm, KnowledgeForm, ReviewForm
from .models import (
    Article,
    Cause,
    Citation,
    MatchRule,
    RedFlag,
    Revision,
    RevisionStatus,
    Tip,
)


def shown_citations(request, obj):
    """The [article id, quote] pairs the form starts with: the draft's, else the published."""
    draft = getattr(request, "draft", None)
    if draft is not None and "citations" in draft.data:
        return draft.data["citations"]
    if obj is not None and obj.pk is not None:
        return [[citation.article_id, citation.quote] for citation in obj.citations.all()]
    return []


def without_pop_ups(field):
    # A pop-up would save the related item directly, outside any draft.
    if field is not None and isinstance(field.widget, RelatedFieldWidgetWrapper):
        widget = field.widget
        widget.can_add_related = widget.can_change_related = False
        widget.can_delete_related = widget.can_view_related = False
    return field


class CitationInline(admin.StackedInline):
    """The citations of a cause, tip or red flag, edited as a list that goes into the draft.

    Every citation is shown as a new form filled in with its values, so that the draft, not
    the published rows, decides what the list holds.
    """

    model = Citation
    form = KnowledgeForm
    fields = ["article", "quote"]
    autocomplete_fields = ["article"]

    def get_extra(self, request, obj=None, **kwargs):
        return len(shown_citations(request, obj))

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        return without_pop_ups(super().formfield_for_dbfield(db_field, request, **kwargs))


class DraftAdmin(SimpleHistoryAdmin):
    """Editing through reviewed drafts: saving never changes what people see.

    A change is kept as a Revision until a reviewer approves it; deleting is only for what
    people cannot see, so taking something off the site is a reviewed draft that unpublishes
    it; restoring an old version from the history makes a draft too.
    """

    form = DraftForm
    change_form_template = "admin/knowledge/draft_change_form.html"
    object_history_form_template = "admin/knowledge/draft_history_form.html"
    review_fieldset = ("For the reviewer", {"fields": ["note", "typo"]})

    def get_fieldsets(self, request, obj=None):
        return [(None, {"fields": list(self.model.revised_fields)}), self.review_fieldset]

    def get_queryset(self, request):
        drafts = Revision.objects.open().of(self.model, OuterRef("pk"))
        return (
            super().get_queryset(request).annotate(draft_status=Subquery(drafts.values("status")))
        )

    @admin.display(description="Draft")
    def draft(self, obj):
        return RevisionStatus(obj.draft_status).label if obj.draft_status else "—"

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and not (obj and obj.published)

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if isinstance(db_field, models.TextField):
            # Keep text as stored: a trailing newline is not the editor's change.
            kwargs["strip"] = False
        return without_pop_ups(super().formfield_for_dbfield(db_field, request, **kwargs))

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        published = self.get_object(request, unquote(object_id)) if object_id else None
        request.draft = self.draft_being_edited(request, published)
        context = {"draft": request.draft, **(extra_context or {})}
        if request.draft is not None and published is not None:
            conflicts = request.draft.conflicts(published.revised_values())
            context["conflicts"] = [request.draft.label(name) for name in conflicts]
        return super().changeform_view(request, object_id, form_url, context)

    def draft_being_edited(self, request, published):
        """The open draft of the published item, or the new item's draft named in ?revision=."""
        drafts = Revision.objects.open().select_related("content_type")
        if published is not None:
            return drafts.of(self.model, published.pk).first()
        revision = request.GET.get("revision", "")
        if not revision:
            return None
        if not revision.isdigit():
            raise Http404
        return get_object_or_404(drafts.of(self.model, None), pk=revision)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        draft = getattr(request, "draft", None)
        if draft is None:
            return form
        initial = {name: value for name, value in draft.data.items() if name != "citations"}
        initial |= {"note": draft.note, "typo": draft.typo}
        return type(form.__name__, (form,), {"draft_initial": initial})

    def get_formset_kwargs(self, request, obj, inline, prefix):
        kwargs = super().get_formset_kwargs(request, obj, inline, prefix)
        kwargs["queryset"] = Citation.objects.none()
        if request.method != "POST":
            pairs = shown_citations(request, obj)
            kwargs["initial"] = [{"article": article, "quote": quote} for article, quote in pairs]
        return kwargs

    def proposed_values(self, form, formsets):
        values = {}
        for name in self.model.revised_fields:
            field = self.model._meta.get_field(name)
            if field.many_to_many:
                values[name] = sorted(item.pk for item in form.cleaned_data[name])
            else:
                values[name] = field.value_from_object(form.instance)
        for formset in formsets:
            values["citations"] = [
                [each.cleaned_data["article"].pk, each.cleaned_data["quote"]]
                for each in formset.forms
                if each.cleaned_data and not each.cleaned_data.get("DELETE")
            ]
        return values

    def save_model(self, request, obj, form, change):
        """Nothing is published here: save_related puts the change into a draft."""

    def save_related(self, request, form, formsets, change):
        request.draft = Revision.objects.save_draft(
            self.model,
            form.instance.pk if change else None,
            request.user,
            self.proposed_values(form, formsets),
            revision=request.draft,
            note=form.cleaned_data["note"],
            typo=form.cleaned_data["typo"],
            submit="_submit" in request.POST,
        )

    def construct_change_message(self, request, form, formsets, add=False):
        # The inline's rows were not saved, so only the form's fields can be described.
        return construct_change_message(form, [], add)

    def log_addition(self, request, obj, message):
        if request.draft is not None:
            super().log_addition(request, request.draft, message)

    def log_change(self, request, obj, message):
        if request.draft is not None:
            super().log_change(request, request.draft, message)

    def response_add(self, request, obj, post_url_continue=None):
        return self.response_draft(request, obj)

    def response_change(self, request, obj):
        return self.response_draft(request, obj)

    def response_draft(self, request, obj):
        draft = request.draft
        if draft is None:
            self.message_user(
                request,
                "Nothing differs from the published version, so there is no draft to keep.",
                messages.INFO,
            )
            return redirect(
                reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_changelist")
            )
        waiting = " and waits for review" if draft.status == RevisionStatus.IN_REVIEW else ""
        self.message_user(
            request,
            f"Your change is saved as a draft{waiting}. People keep seeing the published "
            "version until a reviewer approves it.",
            messages.SUCCESS,
        )
        if "_continue" not in request.POST:
            return redirect(draft)
        if obj.pk is not None:
            return redirect(request.path)
        return redirect(f"{request.path}?revision={draft.pk}")

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        if request.method != "POST":
            return super().history_form_view(request, object_id, version_id, extra_context)
        obj = self.get_object(request, unquote(object_id))
        if obj is None:
            raise Http404
        if not self.has_change_permission(request, obj):
            raise PermissionDenied
        form = self.get_form(request, obj)(request.POST, instance=obj)
        if not form.is_valid():
            self.message_user(
                request,
                f"This version cannot be restored as it is: {form.errors.as_text()}",
                messages.ERROR,
            )
            return redirect(request.path)
        version = get_object_or_404(obj.history, history_id=version_id)
        draft = Revision.objects.save_draft(
            self.model,
            obj.pk,
            request.user,
            self.proposed_values(form, []),
            note=form.cleaned_data["note"]
            or f"Restores the version of {version.history_date:%Y-%m-%d %H:%M}.",
            typo=form.cleaned_data["typo"],
        )
        if draft is None:
            self.message_user(request, "This version is the one published now.", messages.INFO)
            return redirect("../")
        self.message_user(
            request,
            "A draft restoring this version is saved. People keep seeing the published version "
            "until a reviewer approves it.",
            messages.SUCCESS,
        )
        return redirect(draft)


@admin.register(Article)
class ArticleAdmin(DraftAdmin):
    form = ArticleForm
    list_display = ["title", "slug", "source_file", "published", "draft", "updated_at"]
    list_filter = ["published"]
    search_fields = ["title", "slug", "body"]
    prepopulated_fields = {"slug": ["title"]}


class EntryAdmin(DraftAdmin):
    list_display = ["title", "slug", "published", "draft", "updated_at"]
    list_filter = ["published"]
    search_fields = ["title", "slug", "summary", "body"]
    prepopulated_fields = {"slug": ["title"]}
    inlines = [CitationInline]


@admin.register(Cause)
class CauseAdmin(EntryAdmin):
    list_display = ["title", "slug", "category", "published", "draft", "updated_at"]
    list_filter = ["category", "published"]


@admin.register(Tip)
class TipAdmin(EntryAdmin):
    list_display = ["title", "slug", "kind", "general", "published", "draft", "updated_at"]
    list_filter = ["kind", "general", "published", "causes"]
    autocomplete_fields = ["causes"]
    # The admin gives every CharField a text box; a list of choices needs its checkboxes.
    formfield_overrides = {ChoiceListField: {"widget": forms.CheckboxSelectMultiple}}


@admin.register(RedFlag)
class RedFlagAdmin(EntryAdmin):
    pass


@admin.register(Citation)
class CitationAdmin(SimpleHistoryAdmin):
    """Citations are read here and edited with the cause, tip or red flag they back, so that
    a change to them is reviewed with it."""

    list_display = ["__str__", "article", "cause", "tip", "red_flag"]
    list_filter = ["article"]
    search_fields = ["quote", "cause__title", "tip__title", "red_flag__title"]
    list_select_related = ["article", "cause", "tip", "red_flag"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(MatchRule)
class MatchRuleAdmin(DraftAdmin):
    list_display = ["__str__", "cause", "red_flag", "fact", "value", "weight", "published", "draft"]
    list_filter = ["fact", "published", "cause", "red_flag"]
    search_fields = ["reason", "value", "cause__title", "red_flag__title"]
    # Plain selects: the lists are short, and the autocomplete widget's empty <option> is
    # not valid HTML.
    list_select_related = ["cause", "red_flag"]
    ordering = ["cause__title", "red_flag__title", "fact", "pk"]


# Drafts and their review -------------------------------------------------------------------


class StatusFilter(admin.SimpleListFilter):
    """By status, showing the drafts waiting for review unless another status is picked."""

    title = "status"
    parameter_name = "status"
    default = RevisionStatus.IN_REVIEW

    def lookups(self, request, model_admin):
        return [*RevisionStatus.choices, ("all", "All")]

    def choices(self, changelist):
        for value, label in self.lookup_choices:
            yield {
                "selected": (self.value() or self.default) == value,
                "query_string": changelist.get_query_string({self.parameter_name: value}),
                "display": label,
            }

    def queryset(self, request, queryset):
        status = self.value() or self.default
        return queryset if status == "all" else queryset.filter(status=status)


# What each kind of item needs for its public page in a preview.
def preview_citations(item, rest):
    if "citations" in rest:
        pairs = rest["citations"]
    else:
        pairs = [[c.article_id, c.quote] for c in item.citations.all()] if item.pk else []
    articles = Article.objects.published().in_bulk([article for article, _quote in pairs])
    return [Citation(article=articles[a], quote=q) for a, q in pairs if a in articles]


def preview_cause(request, cause, rest):
    tips = Tip.objects.published().filter(causes=cause) if cause.pk else []
    return views.render_cause(request, cause, tips, preview_citations(cause, rest))


def preview_tip(request, tip, rest):
    ids = rest["causes"] if "causes" in rest else tip.causes.values("pk") if tip.pk else []
    causes = Cause.objects.published().filter(pk__in=ids)
    return views.render_tip(request, tip, causes, preview_citations(tip, rest))


def preview_red_flag(request, red_flag, rest):
    return views.render_red_flag(request, red_flag, preview_citations(red_flag, rest))


def preview_article(request, article, rest):
    citations = []
    if article.pk:
        citations = list(
            Citation.objects.published()
            .filter(article=article)
            .select_related("cause", "tip", "red_flag")
        )
    return views.render_article(request, article, citations)


PREVIEWS = {
    Cause: preview_cause,
    Tip: preview_tip,
    RedFlag: preview_red_flag,
    Article: preview_article,
}


@admin.register(Revision)
class RevisionAdmin(admin.ModelAdmin):
    list_display = ["__str__", "status", "typo", "written_by", "updated_at"]
    list_filter = [StatusFilter, "typo", ("content_type", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["note", "comment"]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("content_type")
            .prefetch_related(
                "authors",
                GenericPrefetch(
                    "target",
                    [
                        Article.objects.all(),
                        Cause.objects.all(),
                        Tip.objects.all(),
                        RedFlag.objects.all(),
                        MatchRule.objects.select_related("cause", "red_flag"),
                    ],
                ),
            )
        )

    @admin.display(description="Written by")
    def written_by(self, revision):
        return ", ".join(sorted(user.get_username() for user in revision.authors.all()))

    def changelist_view(self, request, extra_context=None):
        status = request.GET.get(StatusFilter.parameter_name, StatusFilter.default)
        title = "Drafts waiting for review" if status == StatusFilter.default else "Drafts"
        return super().changelist_view(request, {"title": title, **(extra_context or {})})

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_urls(self):
        return [
            path(
                "<int:object_id>/preview/",
                self.admin_site.admin_view(self.preview_view),
                name="knowledge_revision_preview",
            ),
            *super().get_urls(),
        ]

    def may_edit(self, request, revision):
        action = "add" if revision.object_id is None else "change"
        return request.user.has_perm(f"knowledge.{action}_{revision.content_type.model}")

    def change_view(self, request, object_id, form_url="", extra_context=None):
        """The review page: what changes, how it changes what people see, and the decision."""
        revision = self.get_object(request, unquote(object_id))
        if revision is None:
            raise Http404
        if not self.has_view_permission(request, revision):
            raise PermissionDenied
        form = ReviewForm(request.POST or None, revision=revision)
        action = next((name for name in ReviewForm.ACTIONS if name in request.POST), None)
        if action and form.is_valid():
            comment = form.cleaned_data["comment"]
            if action in {"submit", "withdraw"} and not self.may_edit(request, revision):
                raise PermissionDenied
            try:
                if action == "submit":
                    revision.submit(request.user)
                elif action == "withdraw":
                    revision.withdraw(request.user)
                elif action == "approve":
                    revision.approve(request.user, comment)
                else:
                    revision.send_back(request.user, comment)
            except ValidationError as error:
                form.add_error(None, error)
            else:
                self.log_change(request, revision, ReviewForm.ACTIONS[action])
                self.message_user(
                    request,
                    f"{revision}: {revision.get_status_display().lower()}.",
                    messages.SUCCESS,
                )
                return redirect(revision)
        return TemplateResponse(
            request,
            "admin/knowledge/revision/review.html",
            {
                **self.admin_site.each_context(request),
                **self.review_context(request, revision, form),
            },
        )

    def review_context(self, request, revision, form):
        target = revision.target
        conflicts = revision.conflicts(target.revised_values()) if target is not None else []
        may_review = request.user.has_perm("knowledge.approve_revision")
        is_author = revision.authors.filter(pk=request.user.pk).exists()
        effect = revision.effect(night()) if revision.is_open else None
        edit_url = None
        if revision.is_open and self.may_edit(request, revision):
            name = f"admin:knowledge_{revision.content_type.model}"
            edit_url = (
                reverse(f"{name}_add") + f"?revision={revision.pk}"
                if revision.object_id is None
                else reverse(f"{name}_change", args=[revision.object_id])
            )
        return {
            "title": "Review a draft",
            "subtitle": str(revision),
            "opts": self.opts,
            "revision": revision,
            "target": target,
            "changes": revision.changes(),
            "conflicts": [revision.label(name) for name in conflicts],
            # Scenarios that change first; each group keeps the scenarios' order.
            "effect": sorted(effect, key=lambda row: not row.changed) if effect else None,
            "changed_scenarios": sum(row.changed for row in effect or []),
            "preview_url": (
                reverse("admin:knowledge_revision_preview", args=[revision.pk])
                if revision.model in PREVIEWS and (target is not None or revision.object_id is None)
                else None
            ),
            "edit_url": edit_url,
            "timeline": revision.history.select_related("history_user").order_by("history_date"),
            "form": form,
            "may_submit": self.may_edit(request, revision)
            and revision.status in {RevisionStatus.DRAFT, RevisionStatus.SENT_BACK},
            "may_withdraw": self.may_edit(request, revision) and revision.is_open,
            "may_review": may_review
            and not is_author
            and revision.status == RevisionStatus.IN_REVIEW,
            "own_draft": may_review and is_author and revision.status == RevisionStatus.IN_REVIEW,
        }

    def preview_view(self, request, object_id):
        """The public page as it would look with the draft, for staff only and never cached."""
        revision = get_object_or_404(Revision.objects.select_related("content_type"), pk=object_id)
        if not self.has_view_permission(request, revision) or revision.model not in PREVIEWS:
            raise Http404
        item, rest = revision.proposed()
        if item is None:
            raise Http404
        messages.warning(
            request,
            format_html(
                "Preview of a draft ({}): people do not see this version until a reviewer "
                'approves it. <a class="alert-link" href="{}">Back to the draft</a>',
                revision.get_status_display().lower(),
                revision.get_absolute_url(),
            ),
        )
        response = PREVIEWS[revision.model](request, item, rest)
        response["X-Robots-Tag"] = "noindex, nofollow"
        add_never_cache_headers(response)
        return response
