from django.contrib.auth.decorators import login_not_required
from django.db.models import Prefetch
from django.shortcuts import get_object_or_404, render

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
def cause_detail(request, slug):
    cause = get_object_or_404(
        Cause.objects.published().prefetch_related(
            Prefetch("tips", Tip.objects.published()), published_citations()
        ),
        slug=slug,
    )
    tip_groups = by_choice(cause.tips.all(), "kind", TipKind.choices)
    return render(
        request, "knowledge/cause_detail.html", {"cause": cause, "tip_groups": tip_groups}
    )


@login_not_required
def tip_detail(request, slug):
    tip = get_object_or_404(
        Tip.objects.published().prefetch_related(
            Prefetch("causes", Cause.objects.published()), published_citations()
        ),
        slug=slug,
    )
    return render(request, "knowledge/tip_detail.html", {"tip": tip})


@login_not_required
def red_flag_detail(request, slug):
    red_flag = get_object_or_404(
        RedFlag.objects.published().prefetch_related(published_citations()), slug=slug
    )
    return render(request, "knowledge/red_flag_detail.html", {"red_flag": red_flag})


@login_not_required
def article_detail(request, slug):
    article = get_object_or_404(Article.objects.published(), slug=slug)
    citations = list(
        Citation.objects.published()
        .filter(article=article)
        .select_related("cause", "tip", "red_flag")
    )
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
