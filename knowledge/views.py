from django.contrib.auth.decorators import login_not_required
from django.db.models import Prefetch
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_safe

from . import markup
from .models import Article, Category, Cause, Citation, RedFlag, Tip, TipKind

MAX_QUERY_LENGTH = 100


def published_citations():
    return Prefetch(
        "citations",
        Citation.objects.filter(article__published=True).select_related("article"),
    )


def by_choice(entries, field, choices):
    """[(label, entries)] in the order the choices are declared, leaving out empty groups."""
    groups = [
        (label, [e for e in entries if getattr(e, field) == value]) for value, label in choices
    ]
    return [(label, members) for label, members in groups if members]


@login_not_required
@require_safe
def index(request):
    return render(
        request,
        "knowledge/index.html",
        {
            "cause_groups": by_choice(Cause.objects.published(), "category", Category.choices),
            "tip_groups": by_choice(Tip.objects.published(), "kind", TipKind.choices),
            "red_flags": RedFlag.objects.published(),
            "articles": Article.objects.published(),
        },
    )


@login_not_required
@require_safe
def search(request):
    query = " ".join(request.GET.get("q", "").split())
    context = {"query": query, "max_length": MAX_QUERY_LENGTH}
    if len(query) > MAX_QUERY_LENGTH:
        context["error"] = f"Please search for at most {MAX_QUERY_LENGTH} characters."
    elif query:
        results = {
            "causes": Cause.objects.published().search(query),
            "tips": Tip.objects.published().search(query),
            "red_flags": RedFlag.objects.published().search(query),
            "articles": Article.objects.published().search(query),
        }
        results = {name: list(found) for name, found in results.items()}
        context["results"] = results
        context["found"] = sum(len(found) for found in results.values())
    return render(request, "knowledge/search.html", context)


@login_not_required
@require_safe
def cause_detail(request, slug):
    cause = get_object_or_404(
        Cause.objects.published().prefetch_related(
            Prefetch("tips", Tip.objects.published()), published_citations()
        ),
        slug=slug,
    )
    return render_cause(request, cause, cause.tips.all(), cause.citations.all())


@login_not_required
@require_safe
def tip_detail(request, slug):
    tip = get_object_or_404(
        Tip.objects.published().prefetch_related(
            Prefetch("causes", Cause.objects.published()), published_citations()
        ),
        slug=slug,
    )
    return render_tip(request, tip, tip.causes.all(), tip.citations.all())


@login_not_required
@require_safe
def red_flag_detail(request, slug):
    red_flag = get_object_or_404(
        RedFlag.objects.published().prefetch_related(published_citations()), slug=slug
    )
    return render_red_flag(request, red_flag, red_flag.citations.all())


@login_not_required
@require_safe
def article_detail(request, slug):
    article = get_object_or_404(Article.objects.published(), slug=slug)
    citations = list(
        Citation.objects.published()
        .filter(article=article)
        .select_related("cause", "tip", "red_flag")
    )
    return render_article(request, article, citations)


# The pages, given their content: the views above pass what is published, the admin's preview
# a draft applied to an unsaved copy, so that a preview is exactly the page people will see.


def render_cause(request, cause, tips, citations):
    return render(
        request,
        "knowledge/cause_detail.html",
        {
            "cause": cause,
            "tip_groups": by_choice(tips, "kind", TipKind.choices),
            "citations": citations,
        },
    )


def render_tip(request, tip, causes, citations):
    return render(
        request,
        "knowledge/tip_detail.html",
        {"tip": tip, "causes": causes, "citations": citations},
    )


def render_red_flag(request, red_flag, citations):
    return render(
        request, "knowledge/red_flag_detail.html", {"red_flag": red_flag, "citations": citations}
    )


def render_article(request, article, citations):
    body = markup.mark_quotes(markup.render(article.body), [c.quote for c in citations])
    citing = {citation.entry.get_absolute_url(): citation.entry for citation in citations}
    return render(
        request,
        "knowledge/article_detail.html",
        {
            "article": article,
            "body": body,
            "citing": sorted(citing.values(), key=lambda entry: entry.title),
        },
    )
