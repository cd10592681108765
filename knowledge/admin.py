from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import Article, Cause, Citation, MatchRule, RedFlag, Tip


class CitationInline(admin.StackedInline):
    model = Citation
    extra = 0
    fields = ["article", "quote"]
    autocomplete_fields = ["article"]


class EntryAdmin(SimpleHistoryAdmin):
    list_display = ["title", "slug", "published", "updated_at"]
    list_filter = ["published"]
    search_fields = ["title", "slug", "summary", "body"]
    prepopulated_fields = {"slug": ["title"]}
    inlines = [CitationInline]


@admin.register(Article)
class ArticleAdmin(SimpleHistoryAdmin):
    list_display = ["title", "slug", "source_file", "published", "updated_at"]
    list_filter = ["published"]
    search_fields = ["title", "slug", "body"]
    prepopulated_fields = {"slug": ["title"]}


@admin.register(Cause)
class CauseAdmin(EntryAdmin):
    list_display = ["title", "slug", "category", "published", "updated_at"]
    list_filter = ["category", "published"]
    fields = ["title", "slug", "category", "summary", "body", "published"]


@admin.register(Tip)
class TipAdmin(EntryAdmin):
    list_display = ["title", "slug", "kind", "published", "updated_at"]
    list_filter = ["kind", "published", "causes"]
    fields = ["title", "slug", "kind", "summary", "body", "causes", "published"]
    autocomplete_fields = ["causes"]


@admin.register(RedFlag)
class RedFlagAdmin(EntryAdmin):
    fields = ["title", "slug", "summary", "body", "published"]


@admin.register(Citation)
class CitationAdmin(SimpleHistoryAdmin):
    list_display = ["__str__", "article", "cause", "tip", "red_flag"]
    list_filter = ["article"]
    search_fields = ["quote", "cause__title", "tip__title", "red_flag__title"]
    autocomplete_fields = ["article", "cause", "tip", "red_flag"]
    list_select_related = ["article", "cause", "tip", "red_flag"]


@admin.register(MatchRule)
class MatchRuleAdmin(SimpleHistoryAdmin):
    list_display = ["__str__", "cause", "red_flag", "fact", "value", "weight", "published"]
    list_filter = ["fact", "published", "cause", "red_flag"]
    list_editable = ["weight", "published"]
    search_fields = ["reason", "value", "cause__title", "red_flag__title"]
    autocomplete_fields = ["cause", "red_flag"]
    list_select_related = ["cause", "red_flag"]
    ordering = ["cause__title", "red_flag__title", "fact", "pk"]
