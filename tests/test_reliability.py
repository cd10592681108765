"""Generated input at every form and URL parameter: never a 500, never a partial save.

Each test posts through the real stack (test client, middleware, forms, database), so a value
that slips past a form and trips a database constraint or an overflow shows up as an error.
"""

import csv
import io
from datetime import datetime
from urllib.parse import quote, urlencode

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import Resolver404, resolve
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from diary import csvio
from diary.forms import DURATION_CHOICES, ExportRangeForm, ReportForm
from diary.models import (
    Activity,
    Condition,
    Episode,
    FluidUnit,
    Foot,
    Helped,
    Location,
    Medication,
    Profile,
    Relief,
    Symptom,
    Trigger,
)
from diary.vocabulary import FIRST_YEAR, LAST_YEAR

from .factories import EpisodeFactory

# Each example is a request through the whole stack, so these try a quarter of the profile's
# examples: the same 25 on every run (tests/conftest.py), 250 new ones with
# `pytest --hypothesis-profile=explore`.
FUZZ = settings(
    max_examples=settings.default.max_examples // 4,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# Printable text and control characters, but no lone surrogates: browsers cannot send those.
text = st.text(st.characters(exclude_categories=("Cs",)), max_size=40)
huge = st.integers(min_value=-(10**30), max_value=10**30).map(str)
odd_numbers = st.sampled_from(
    ["", "0", "-1", "1e308", "-0", "NaN", "inf", "9" * 40, "1.5", "0x10", " 7 "]
)


def two(n):
    return f"{n:02d}"


datetimes = st.one_of(
    st.datetimes().map(
        lambda d: f"{d.year:04d}-{two(d.month)}-{two(d.day)}T{two(d.hour)}:{two(d.minute)}"
    ),
    st.sampled_from(
        [
            "0000-00-00T00:00",
            "9999-12-31T23:59",
            "0001-01-01T00:00",
            "2026-02-30T10:00",
            "2026-13-01T10:00",
            "2026-03-29T02:30",  # does not exist in Berlin: the clocks skip it
            "2025-10-26T02:30",  # happens twice in Berlin
        ]
    ),
    text,
)
dates = st.one_of(
    st.dates().map(lambda d: f"{d.year:04d}-{two(d.month)}-{two(d.day)}"),
    st.sampled_from(["0000-00-00", "2026-02-30", "9999-12-31", "2026-1-1", "01/02/2026"]),
    text,
)
zones = st.sampled_from(
    ["Europe/Berlin", "UTC", "Pacific/Kiritimati", "Pacific/Pago_Pago", "America/St_Johns"]
)


def choice(values):
    return st.one_of(st.sampled_from(list(values)), text)


def choices(values):
    return st.lists(choice(values), max_size=4)


valid_episode_posts = st.fixed_dictionaries(
    {
        "started_at": st.datetimes(datetime(1990, 1, 1), datetime(2025, 12, 31)).map(
            lambda d: d.strftime("%Y-%m-%dT%H:%M")
        ),
        "duration": st.sampled_from(DURATION_CHOICES),
        "foot": st.sampled_from(Foot.values),
        "locations": st.lists(st.sampled_from(Location.values), min_size=1, max_size=3),
        "intensity": st.integers(0, 10).map(str),
        "fluids": st.one_of(st.just(""), st.integers(0, 4000).map(str)),
        "activity": st.sampled_from(["", *Activity.values]),
        "triggers": st.lists(st.sampled_from(Trigger.values), max_size=3),
        "symptoms": st.lists(st.sampled_from(Symptom.values), max_size=3),
        "relief": st.lists(st.sampled_from(Relief.values), max_size=3),
        "relief_helped": st.sampled_from(["", *Helped.values]),
        "notes": st.text(st.characters(codec="utf-8"), max_size=300),
    }
)
junk_episode_posts = st.fixed_dictionaries(
    {
        "started_at": datetimes,
        "duration": st.one_of(st.sampled_from(DURATION_CHOICES), huge, odd_numbers, text),
        "foot": choice(Foot.values),
        "locations": choices(Location.values),
        "intensity": st.one_of(st.integers(-3, 13).map(str), huge, text),
        "fluids": st.one_of(odd_numbers, huge, st.decimals(allow_nan=True).map(str), text),
        "activity": choice(Activity.values),
        "triggers": choices(Trigger.values),
        "symptoms": choices(Symptom.values),
        "relief": choices(Relief.values),
        "relief_helped": choice(Helped.values),
        "notes": st.one_of(
            text, st.text(st.characters(codec="utf-8"), min_size=1990, max_size=2010)
        ),
    }
)
episode_posts = st.one_of(
    valid_episode_posts,
    st.builds(
        lambda data, key, value: {**data, key: value},
        valid_episode_posts,
        st.sampled_from(["started_at", "duration", "foot", "locations", "intensity", "fluids"]),
        st.one_of(huge, odd_numbers, datetimes, text),
    ),
    junk_episode_posts,
)


@FUZZ
@given(data=episode_posts, zone=zones)
def test_the_episode_form_survives_any_input(owner_client, owner, data, zone):
    Profile.objects.filter(user=owner).update(time_zone=zone)
    before = Episode.objects.count()

    response = owner_client.post("/diary/new/", data)

    # Saved whole and sent on (302), or the form again with its messages and nothing saved.
    if response.status_code == 302:
        event("saved")
        assert Episode.objects.count() == before + 1
        Episode.objects.latest("pk").full_clean()
    else:
        event("refused")
        assert response.status_code == 200
        assert Episode.objects.count() == before, "a refused form saved something"


@FUZZ
@given(data=episode_posts)
def test_editing_an_episode_with_any_input_saves_all_of_it_or_none(owner_client, owner, data):
    episode = EpisodeFactory(user=owner, notes="as it was")
    before = Episode.objects.filter(pk=episode.pk).values().get()

    response = owner_client.post(f"/diary/{episode.pk}/edit/", data)

    after = Episode.objects.filter(pk=episode.pk).values().get()
    if response.status_code == 302:
        event("saved")
        Episode.objects.get(pk=episode.pk).full_clean()
    else:
        event("refused")
        assert response.status_code == 200
        assert after == before


valid_profile_posts = st.fixed_dictionaries(
    {
        "time_zone": zones,
        "fluid_unit": st.sampled_from(FluidUnit.values),
        "birth_year": st.one_of(st.just(""), st.integers(1900, 2025).map(str)),
        "conditions": st.lists(st.sampled_from(Condition.values), max_size=3),
        "medications": st.lists(st.sampled_from(Medication.values), max_size=3),
        "pregnant": st.sampled_from(["", "on"]),
    }
)
junk_profile_posts = st.fixed_dictionaries(
    {
        "time_zone": st.one_of(zones, text, st.sampled_from(["Mars/Olympus", "../etc"])),
        "fluid_unit": choice(FluidUnit.values),
        "birth_year": st.one_of(st.integers(-5, 3000).map(str), huge, odd_numbers, text),
        "conditions": choices(Condition.values),
        "medications": choices(Medication.values),
        "pregnant": st.one_of(st.sampled_from(["on", "true", "1"]), text),
    }
)


@FUZZ
@given(data=st.one_of(valid_profile_posts, junk_profile_posts))
def test_the_profile_form_survives_any_input(owner_client, owner, data):
    before = Profile.objects.filter(user=owner).values().get()

    response = owner_client.post("/accounts/profile/", data)

    event(f"status {response.status_code}")
    if response.status_code == 302:
        Profile.objects.get(user=owner).full_clean()
    else:
        assert response.status_code == 200
        assert Profile.objects.filter(user=owner).values().get() == before


path_parts = st.one_of(
    st.integers(min_value=0, max_value=10**25).map(str),
    st.sampled_from(
        ["0000", "00", "01", "12", "13", "1900", "2026", "9999", "10000", "99999999999999999999"]
    ),
    text,
)


@FUZZ
@given(
    template=st.sampled_from(
        [
            "/diary/{a}/",
            "/diary/{a}/{b}/",
            "/diary/{a}/edit/",
            "/diary/{a}/delete/",
            "/diary/{a}/{b}/{a}/",
        ]
    ),
    a=path_parts,
    b=path_parts,
)
def test_any_diary_address_answers_without_an_error(owner_client, owner, template, a, b):
    EpisodeFactory(user=owner)

    response = owner_client.get(template.format(a=quote(a, safe=""), b=quote(b, safe="")))

    # The server sees the address decoded, as resolve() takes it.
    assert response.status_code == expected_status(template.format(a=a, b=b), owner)


def expected_status(path, owner):
    """200 for the owner's episodes and for a year or month the calendar shows, else 404."""
    try:
        match = resolve(path)
    except Resolver404:
        return 404
    if "pk" in match.kwargs:
        return 200 if owner.episodes.filter(pk=match.kwargs["pk"]).exists() else 404
    year, month = match.kwargs["year"], match.kwargs.get("month", 1)
    return 200 if FIRST_YEAR <= year <= LAST_YEAR and 1 <= month <= 12 else 404


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/diary/9998/12/", 200),
        ("/diary/9999/", 404),
        ("/diary/9999/12/", 404),
        ("/diary/1900/", 200),
        ("/diary/1900/01/", 200),
        ("/diary/1899/12/", 404),
        ("/diary/0000/00/", 404),
        ("/diary/2026/13/", 404),
        ("/diary/2026/00/", 404),
        ("/diary/99999/", 404),
        ("/diary/999999999999999999/", 404),
        ("/diary/9999999999999999999999/", 404),
    ],
)
def test_the_edges_of_the_calendar_answer_without_an_error(owner_client, owner, path, status):
    EpisodeFactory(user=owner)

    assert owner_client.get(path).status_code == status == expected_status(path, owner)


DATE_FORMS = {"/diary/report/": ReportForm, "/diary/export.csv": ExportRangeForm}


@FUZZ
@given(
    path=st.sampled_from(
        ["/diary/", "/diary/report/", "/diary/export.csv", "/diary/2026/", "/diary/2026/02/"]
    ),
    params=st.dictionaries(
        st.sampled_from(["start", "end", "since", "month", "foot", "location", "activity", "page"]),
        st.one_of(dates, huge, path_parts, text),
        max_size=5,
    ),
)
def test_any_query_parameters_answer_without_an_error(owner_client, owner, path, params):
    EpisodeFactory(user=owner)

    response = owner_client.get(f"{path}?{urlencode(params)}")

    # The report and the export refuse dates their form does not take, with its messages;
    # the report without any parameter shows the empty form.
    form = DATE_FORMS.get(path)
    refused = form is not None and bool(params) and not form(params).is_valid()
    event(f"{path} {'refused' if refused else 'answered'}")
    assert response.status_code == (400 if refused else 200)
    if response.streaming:
        b"".join(response.streaming_content)


def csv_file(rows, header=csvio.CRAMP_COLUMNS):
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


import_rows = st.lists(
    st.tuples(
        datetimes,
        st.one_of(st.integers(-10, 10_000).map(str), huge, text),
        choice(Foot.values),
        st.lists(choice(Location.values), max_size=3).map(";".join),
        st.one_of(st.integers(-3, 13).map(str), text),
        st.one_of(st.integers(-10, 20_000).map(str), odd_numbers),
        choice(Activity.values),
        st.lists(choice(Trigger.values), max_size=3).map(";".join),
        st.lists(choice(Symptom.values), max_size=3).map(";".join),
        st.lists(choice(Relief.values), max_size=3).map(";".join),
        choice(Helped.values),
        text,
    ),
    max_size=6,
)


valid_import_rows = st.lists(
    st.tuples(
        st.datetimes(datetime(1990, 1, 1), datetime(2025, 12, 31)).map(
            lambda d: d.strftime("%Y-%m-%dT%H:%M")
        ),
        st.integers(5, 3600).map(str),
        st.sampled_from(Foot.values),
        st.lists(st.sampled_from(Location.values), min_size=1, max_size=3).map(";".join),
        st.integers(0, 10).map(str),
        st.sampled_from(["", "0", "1500"]),
        st.sampled_from(["", *Activity.values]),
        st.lists(st.sampled_from(Trigger.values), max_size=2).map(";".join),
        st.just(""),
        st.lists(st.sampled_from(Relief.values), max_size=2).map(";".join),
        st.sampled_from(["", *Helped.values]),
        st.text(st.characters(codec="utf-8", exclude_categories=("Cc", "Cs")), max_size=60),
    ),
    min_size=1,
    max_size=6,
)


@FUZZ
@given(
    content=st.one_of(
        valid_import_rows.map(lambda rows: csv_file(rows).encode()),
        import_rows.map(lambda rows: csv_file(rows).encode()),
        st.binary(max_size=300),
        text.map(str.encode),
    )
)
def test_the_import_survives_any_file(owner_client, owner, content):
    before = Episode.objects.count()

    preview = owner_client.post(
        "/diary/import/", {"file": SimpleUploadedFile("diary.csv", content, "text/csv")}
    )

    assert preview.status_code == 200
    assert Episode.objects.count() == before
    token = preview.context.get("token")
    event("previewed for import" if token else "refused")
    if token:
        new = preview.context["new_count"]
        response = owner_client.post("/diary/import/", {"confirm": "1", "token": token})
        assert response.status_code == 302
        assert Episode.objects.count() == before + new
        for episode in Episode.objects.order_by("-pk")[:new]:
            episode.full_clean()


@pytest.mark.parametrize("notes", ["<script>alert(1)</script>", '"><img src=x onerror=alert(1)>'])
def test_imported_notes_are_shown_as_text(owner_client, notes):
    content = csv_file(
        [("2025-01-02T03:04", "60", "left", "arch", "5", "", "", "", "", "", "", notes)]
    )
    preview = owner_client.post(
        "/diary/import/", {"file": SimpleUploadedFile("d.csv", content.encode(), "text/csv")}
    )
    owner_client.post("/diary/import/", {"confirm": "1", "token": preview.context["token"]})
    episode = Episode.objects.get(notes=notes)

    page = owner_client.get(f"/diary/{episode.pk}/").content.decode()

    assert notes not in page
    assert "&lt;" in page
