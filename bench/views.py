"""Baseline views for the benchmark, mounted only when CRAMPLOG_BENCH=1 (see cramplog/urls.py)."""

from pathlib import Path

from django.contrib.auth.decorators import login_not_required
from django.http import HttpResponse
from django.template import engines

from diary import csvio
from diary.models import Episode
from knowledge.models import Tip

FORTUNES = engines["django"].from_string((Path(__file__).parent / "fortunes.html").read_text())


@login_not_required
def plaintext(request):
    return HttpResponse("Hello, World!", content_type="text/plain")


def plaintext_signed_in(request):
    """The fixed response for someone signed in: the session and the person are read, as on
    every diary page, and nothing else."""
    return HttpResponse("Hello, World!", content_type="text/plain")


@login_not_required
def fortunes(request):
    """TechEmpower's fortunes test: read a small table, add a row, sort, render a template."""
    rows = list(Tip.objects.order_by().values_list("pk", "title")[:12])
    rows.append((0, "Additional fortune added at request time."))
    rows.sort(key=lambda row: row[1])
    return HttpResponse(FORTUNES.render({"fortunes": rows}, request))


def rows(request):
    """Read every row the CSV export writes for this person, and write none of it out."""
    count = sum(
        1 for _row in Episode.objects.owned_by(request.user).values_list(*csvio.EXPORT_FIELDS)
    )
    return HttpResponse(f"{count} rows", content_type="text/plain")
