"""Self-experiments: the schedule, the statistics on series with a known answer, the pages."""

import csv
import io
import random
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import IntegrityError
from django.test import Client
from django.utils import timezone
from scipy.stats import binomtest

from diary import experiments
from diary.experiments import BASELINE, WITH, WITHOUT
from diary.models import CheckIn, Experiment

from .conftest import BACKEND
from .factories import EpisodeFactory

BERLIN = ZoneInfo("Europe/Berlin")
# 08:00 on 1 June 2026: last night is the night of 31 May.
NOW = datetime(2026, 6, 1, 8, 0, tzinfo=BERLIN)
TODAY = date(2026, 6, 1)
LAST = date(2026, 5, 31)
CSV_COLUMNS = ["night", "period", "counted", "done", "cramps"]


# The pure module, on hand-made series.


def series(order, rates_or_counts, period_nights=14, design=experiments.ALTERNATING, done=None):
    """experiments.Night rows for a whole experiment, every night checked.

    `rates_or_counts` gives each night's cramps from (kind, index in period); `done` whether
    the change was done (by default: as planned).
    """
    schedule = experiments.periods(date(2026, 1, 1), period_nights, order, design)
    nights = []
    for period in schedule:
        for i in range(period.nights):
            night = period.first + timedelta(days=i)
            did = (period.kind == WITH) if done is None else done(period, i)
            cramps = rates_or_counts(period, i)
            nights.append(experiments.Night(night, period, True, did, cramps))
    return nights


def every_nth(per_night_with, per_night_without):
    """Counts that average exactly the given rates over each period's counted nights."""

    def cramps(period, i):
        rate = per_night_with if period.kind == WITH else per_night_without
        # i from the wash-in on: 12 counted nights a period of 14.
        return round(rate * (i - 1)) - round(rate * (i - 2)) if i >= 2 else 5

    return cramps


def test_a_strong_real_effect_is_found():
    # 0.3 cramps a night with the change, 0.8 without, over 3 pairs of 14 nights.
    nights = series("wnnwwn", every_nth(0.3, 0.8))

    result = experiments.analyse(nights, experiments.ALTERNATING)

    assert (result.with_change.nights, result.without_change.nights) == (36, 36)
    # 4 cramps on the 12 counted nights of each "with" period, 10 on each "without" one.
    assert result.with_change.per_night == pytest.approx(4 / 12)
    assert result.without_change.per_night == pytest.approx(10 / 12)
    assert result.ratio == pytest.approx(0.4)
    assert result.ci_high < 1
    assert result.verdict == experiments.FEWER
    # Every pair had fewer with it: the most extreme of the 8 orders, both ways.
    assert result.pairs_tested == 3
    assert result.randomisation_p == pytest.approx(0.25)
    assert result.smallest_p == pytest.approx(0.25)


def test_the_same_rate_with_and_without_is_no_clear_difference():
    result = experiments.analyse(series("nwwnnw", every_nth(0.5, 0.5)), experiments.ALTERNATING)

    assert result.ratio == pytest.approx(1.0, abs=0.05)
    assert result.ci_low < 1 < result.ci_high
    assert result.verdict == experiments.UNCLEAR


def test_more_cramps_with_the_change_is_said_so():
    result = experiments.analyse(series("wnwnnw", every_nth(1.2, 0.3)), experiments.ALTERNATING)

    assert result.ci_low > 1
    assert result.verdict == experiments.MORE


def test_the_interval_is_the_exact_conditional_one_when_counts_are_not_overdispersed():
    # Every night exactly one cramp with, none on some without: dispersion stays 1 and the
    # interval must match scipy's exact (Clopper–Pearson) binomial interval, turned into a ratio.
    with_counts, without_counts = [1] * 12, [1, 0] * 6
    ratio, low, high, dispersion = experiments.rate_ratio(with_counts, without_counts)

    assert dispersion == 1.0
    exact = binomtest(12, 18, 0.5).proportion_ci(0.95, method="exact")
    assert ratio == pytest.approx(2.0)
    assert low == pytest.approx(exact.low / (1 - exact.low))
    assert high == pytest.approx(exact.high / (1 - exact.high))


def test_no_cramp_with_the_change_still_gives_an_upper_bound():
    ratio, low, high, _ = experiments.rate_ratio([0] * 12, [1] * 12)

    assert (ratio, low) == (0.0, 0.0)
    assert 0 < high < 1


def test_no_cramp_without_the_change_gives_a_lower_bound_only():
    ratio, low, high, _ = experiments.rate_ratio([2] * 12, [0] * 12)

    assert (ratio, high) == (None, None)
    assert low > 1


def test_too_few_counted_nights_give_no_interval():
    assert experiments.rate_ratio([1] * 4, [0] * 20) == (None, None, None, None)
    assert experiments.rate_ratio([0] * 10, [0] * 10) == (None, None, None, None)


def test_wash_in_nights_are_left_out():
    # The first two nights of each period have 5 cramps (see every_nth): never counted.
    nights = series("wnnwwn", every_nth(0.3, 0.8))

    wash_in = [night for night in nights if night.wash_in]
    assert len(wash_in) == 6 * 2
    assert all(not night.counted and night.cramps == 5 for night in wash_in)
    assert all(night.counted for night in nights if night.period.kind == BASELINE)
    assert all(not night.wash_in for night in nights if night.period.kind == BASELINE)


def test_adherence_decides_which_nights_count():
    # On "with" nights the change was left out every fourth night, and done on every fifth
    # "without" night: those nights do not count, whatever the plan said.
    def done(period, i):
        if period.kind == WITH:
            return i % 4 != 0
        return i % 5 == 0 if period.kind == WITHOUT else False

    nights = series("wnnwwn", every_nth(0.3, 0.8), done=done)
    result = experiments.analyse(nights, experiments.ALTERNATING)

    skipped = [n for n in nights if not n.wash_in and n.period.kind != BASELINE and not n.adhered]
    assert skipped and all(not night.counted for night in skipped)
    # i = 4, 8, 12 of each "with" period are off plan; i = 5, 10 of each "without" period.
    assert result.with_change.nights == 36 - 3 * 3
    assert result.without_change.nights == 36 - 3 * 2


def test_unknown_adherence_and_unchecked_nights_do_not_count():
    schedule = experiments.periods(date(2026, 1, 1), 7, "wn" * 3, experiments.ALTERNATING)
    night = schedule[1].first + timedelta(days=3)
    unanswered = experiments.Night(night, schedule[1], True, None, 0)
    unchecked = experiments.Night(night, schedule[1], False, True, None)

    assert not unanswered.counted
    assert not unchecked.counted


def test_a_before_after_design_compares_with_the_baseline():
    nights = series("w", every_nth(0.3, 0.8), design=experiments.BEFORE_AFTER)

    result = experiments.analyse(nights, experiments.BEFORE_AFTER)

    assert result.without_change == result.baseline
    assert result.baseline.nights == 14
    assert result.with_change.nights == 12
    assert result.randomisation_p is None


def test_the_schedule_is_drawn_in_pairs_and_balanced():
    orders = [experiments.draw_order(experiments.ALTERNATING) for _ in range(400)]

    assert all(order in experiments.ORDERS[experiments.ALTERNATING] for order in orders)
    for order in orders:
        assert order.count("w") == order.count("n") == 3
        assert all(order[i : i + 2] in ("wn", "nw") for i in (0, 2, 4))
    # Each pair starts with "with" about half the time (400 draws: 200 ± 3 standard errors).
    for pair in range(3):
        starts_with = sum(order[2 * pair] == "w" for order in orders)
        assert 170 <= starts_with <= 230
    assert experiments.draw_order(experiments.BEFORE_AFTER) == "w"


def simulate(rng, rate_with, rate_without, period_nights=14, spells=True):
    """One experiment's nights, cramps drawn night by night.

    With spells, each night's rate is drawn from a gamma distribution around the period's
    (shape 1: as often a night with twice the usual chance as one with half), the
    overdispersion cramp diaries show.
    """
    order = "".join(rng.choice(("wn", "nw")) for _ in range(3))
    rates = {BASELINE: rate_without, WITH: rate_with, WITHOUT: rate_without}

    def cramps(period, i):
        rate = rates[period.kind]
        if spells:
            rate = rng.gammavariate(1.0, rate)
        # Poisson by counting exponential gaps within one night.
        count, clock = 0, rng.expovariate(rate) if rate > 0 else 2
        while clock < 1:
            count += 1
            clock += rng.expovariate(rate)
        return count

    return series(order, cramps, period_nights)


def verdicts(rate_with, rate_without, runs=1000, seed=18, **options):
    rng = random.Random(seed)
    found = [
        experiments.analyse(simulate(rng, rate_with, rate_without, **options), "alternating")
        for _ in range(runs)
    ]
    return sum(result.verdict != experiments.UNCLEAR for result in found) / runs


def test_with_no_effect_fewer_or_more_come_out_in_at_most_five_percent_of_experiments():
    # 1,000 simulated experiments with cramps coming in spells and no effect at all.
    false_positives = verdicts(0.6, 0.6)

    assert false_positives <= 0.05


def test_with_no_effect_and_steady_nights_fewer_or_more_stay_under_five_percent():
    assert verdicts(0.6, 0.6, period_nights=7, spells=False) <= 0.05


def test_a_strong_effect_is_found_in_most_simulated_experiments():
    # 0.3 against 0.8 cramps a night, 3 pairs of 14 nights, nights in spells.
    assert verdicts(0.3, 0.8, runs=300) >= 0.5
    assert verdicts(0.3, 0.8, runs=300, spells=False) >= 0.7


# The pages.


@pytest.fixture(autouse=True)
def now(monkeypatch):
    monkeypatch.setattr(timezone, "now", lambda: NOW)


def at(day, hour):
    return datetime(day.year, day.month, day.day, hour, tzinfo=BERLIN)


def make(owner, starts_on=TODAY, **fields):
    fields = {"change": "Stretch before bed", "design": "alternating", "period_nights": 7, **fields}
    return Experiment.objects.create(user=owner, starts_on=starts_on, **fields)


def finished(owner, order="wnnwwn", factor="stretched"):
    """A finished alternating experiment of 7-night periods ending last night, checked every
    night: 2 cramps on each night without stretching, none with, 1 each baseline night."""
    starts_on = LAST - timedelta(days=14 + 6 * 7 - 1)
    experiment = make(owner, starts_on=starts_on, factor=factor, order=order)
    for night in experiments.plan(experiment.schedule, LAST, {}, {}):
        kind = night.period.kind
        CheckIn.objects.create(
            user=owner,
            night=night.night,
            factors=["stretched"] * (kind == WITH),
            unlogged_cramps={BASELINE: 1, WITH: 0, WITHOUT: 2}[kind],
        )
    return experiment


def csv_rows(response):
    return list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))


def test_a_person_starts_an_experiment_and_its_schedule_is_drawn_and_stored(owner_client, owner):
    response = owner_client.post(
        "/diary/experiments/new/",
        {
            "change": "Magnesium at bedtime",
            "factor": "",
            "design": "alternating",
            "period_nights": "14",
            "starts_on": "2026-06-01",
        },
    )

    experiment = Experiment.objects.get(user=owner)
    assert response.status_code == 302
    assert response["Location"] == f"/diary/experiments/{experiment.pk}/"
    assert experiment.order in experiments.ORDERS["alternating"]
    page = owner_client.get(response["Location"])
    assert page.status_code == 200
    assert 'data-verdict="running"' in page.content.decode()
    assert [p.kind for p in experiment.schedule][:1] == [BASELINE]
    assert experiment.planned_end == TODAY + timedelta(days=14 + 6 * 14 - 1)


def test_a_factor_alone_names_the_change(owner_client, owner):
    response = owner_client.post(
        "/diary/experiments/new/",
        {"factor": "supplement", "design": "before_after", "period_nights": "7", "starts_on": ""},
    )
    assert response.status_code == 200
    assert "starts_on" in response.context["form"].errors

    owner_client.post(
        "/diary/experiments/new/",
        {
            "factor": "supplement",
            "design": "before_after",
            "period_nights": "7",
            "starts_on": "2026-06-01",
        },
    )
    experiment = Experiment.objects.get(user=owner)
    assert experiment.change == "Took magnesium or another mineral supplement"
    assert experiment.order == "w"


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("period_nights", "0", "Choose periods of 7 or 14 nights."),
        ("period_nights", "10", "Choose periods of 7 or 14 nights."),
        ("design", "crossover", "Choose alternating periods, or before and after."),
        ("factor", "coffee", "Select a valid choice."),
        ("starts_on", "2026-06-02", "Start tonight at the latest."),
        ("starts_on", "2026-02-01", "Start at most 90 nights back"),
        ("starts_on", "2026-05-20", "A baseline in the past comes from your check-ins"),
        ("change", "", "Say what you will change"),
    ],
)
def test_bad_input_is_refused_next_to_its_field_and_nothing_is_saved(
    owner_client, owner, field, value, message
):
    data = {
        "change": "Stretch",
        "factor": "",
        "design": "alternating",
        "period_nights": "7",
        "starts_on": "2026-06-01",
        field: value,
    }
    response = owner_client.post("/diary/experiments/new/", data)

    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors[field])
    assert not Experiment.objects.exists()


def test_a_past_start_is_accepted_when_the_check_ins_go_back_that_far(owner_client, owner):
    CheckIn.objects.create(user=owner, night=date(2026, 5, 10))

    response = owner_client.post(
        "/diary/experiments/new/",
        {
            "change": "Stretch",
            "design": "alternating",
            "period_nights": "7",
            "starts_on": "2026-05-10",
        },
    )

    assert response.status_code == 302
    assert Experiment.objects.get(user=owner).starts_on == date(2026, 5, 10)


def test_a_second_experiment_while_one_runs_is_refused(owner_client, owner):
    make(owner)

    response = owner_client.post(
        "/diary/experiments/new/",
        {
            "change": "Water",
            "design": "alternating",
            "period_nights": "7",
            "starts_on": "2026-06-01",
        },
    )

    assert response.status_code == 200
    assert "already have an experiment running" in str(response.context["form"].non_field_errors())
    assert Experiment.objects.count() == 1


def test_the_database_refuses_two_open_experiments_and_a_bad_period(owner):
    make(owner)
    with pytest.raises(IntegrityError):
        make(owner, starts_on=TODAY - timedelta(days=1))


@pytest.mark.parametrize(("fields"), [{"period_nights": 0}, {"order": "ww"}])
def test_the_database_refuses_an_experiment_outside_the_design(owner, fields):
    with pytest.raises(IntegrityError):
        make(owner, **fields)


def test_a_finished_experiment_makes_way_for_the_next(owner_client, owner):
    old = finished(owner)

    response = owner_client.post(
        "/diary/experiments/new/",
        {
            "change": "Water",
            "design": "alternating",
            "period_nights": "7",
            "starts_on": "2026-06-01",
        },
    )

    assert response.status_code == 302
    old.refresh_from_db()
    assert old.ended_on == LAST


def test_a_finished_experiment_with_a_planted_effect_says_fewer(owner_client, owner):
    experiment = finished(owner)

    response = owner_client.get(f"/diary/experiments/{experiment.pk}/")

    assert response.status_code == 200
    assert 'data-verdict="fewer"' in response.content.decode()
    result = response.context["summary"]["result"]
    assert (result.with_change.per_night, result.without_change.per_night) == (0, 2)
    assert "placebo" in response.content.decode()
    assert "regression to the mean" in response.content.decode()


def test_the_nights_csv_has_the_contract_columns_and_rows(owner_client, owner):
    experiment = finished(owner, order="nwwnnw")
    EpisodeFactory(user=owner, started_at=at(LAST, 23))  # a logged cramp, last night

    response = owner_client.get(f"/diary/experiments/{experiment.pk}/nights.csv")

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    rows = csv_rows(response)
    assert list(rows[0]) == CSV_COLUMNS
    assert len(rows) == 14 + 6 * 7
    assert rows[0] == {
        "night": experiment.starts_on.isoformat(),
        "period": "baseline",
        "counted": "yes",
        "done": "no",
        "cramps": "1",
    }
    assert rows[14] == {
        "night": (experiment.starts_on + timedelta(days=14)).isoformat(),
        "period": "without",
        "counted": "no",  # a wash-in night
        "done": "no",
        "cramps": "2",
    }
    assert rows[16]["counted"] == "yes"
    assert rows[-1] == {
        "night": LAST.isoformat(),
        "period": "with",
        "counted": "yes",
        "done": "yes",
        "cramps": "1",
    }


def test_unchecked_nights_have_empty_cramps_and_do_not_count(owner_client, owner):
    experiment = finished(owner)
    CheckIn.objects.filter(user=owner, night=LAST).delete()

    rows = csv_rows(owner_client.get(f"/diary/experiments/{experiment.pk}/nights.csv"))

    assert rows[-1] == {
        "night": LAST.isoformat(),
        "period": "without",
        "counted": "no",
        "done": "",
        "cramps": "",
    }


def test_stopping_early_ends_it_at_last_night_and_the_result_says_so(owner_client, owner):
    experiment = make(owner, starts_on=LAST - timedelta(days=20))

    response = owner_client.post(f"/diary/experiments/{experiment.pk}/stop/")

    assert response.status_code == 302
    experiment.refresh_from_db()
    assert experiment.ended_on == LAST
    assert experiment.stopped_early
    page = owner_client.get(f"/diary/experiments/{experiment.pk}/").content.decode()
    assert "Stopped early" in page
    assert 'data-verdict="unclear"' in page


def test_the_check_in_asks_about_the_change_while_it_runs_and_stores_it(owner_client, owner):
    experiment = make(owner, starts_on=LAST - timedelta(days=16), order="wnwnwn")
    night = LAST  # the third night of the first "with" period

    page = owner_client.get(f"/diary/checkin/{night}/")
    assert "experiment_done" in page.context["form"].fields
    owner_client.post(
        f"/diary/checkin/{night}/", {"unlogged_cramps": "0", "experiment_done": "yes"}
    )

    assert CheckIn.objects.get(user=owner, night=night).experiment_done is True
    assert experiment.done_by_night(CheckIn.objects.filter(user=owner)) == {night: True}
    # A baseline night does not ask.
    baseline = owner_client.get(f"/diary/checkin/{experiment.starts_on}/")
    assert "experiment_done" not in baseline.context["form"].fields


def test_each_person_is_asked_about_their_own_change(owner_client, owner, stranger):
    make(owner, starts_on=LAST - timedelta(days=16), order="wnwnwn")
    make(stranger, starts_on=LAST - timedelta(days=16), order="wnwnwn", change="Tonic water")
    other = Client()
    other.force_login(stranger, backend=BACKEND)

    mine = owner_client.get(f"/diary/checkin/{LAST}/").content.decode()
    theirs = other.get(f"/diary/checkin/{LAST}/").content.decode()

    assert "did you do it that day? (Stretch before bed)" in mine
    assert "Tonic water" not in mine
    assert "did you do it that day? (Tonic water)" in theirs
    assert "Stretch before bed" not in theirs


def test_a_factor_change_is_recorded_as_the_factor(owner_client, owner):
    make(owner, starts_on=LAST - timedelta(days=16), order="wnwnwn", factor="stretched")

    owner_client.post(f"/diary/checkin/{LAST}/", {"unlogged_cramps": "0", "experiment_done": "yes"})
    checkin = CheckIn.objects.get(user=owner, night=LAST)
    assert checkin.factors == ["stretched"]
    assert checkin.experiment_done is None

    owner_client.post(
        f"/diary/checkin/{LAST}/",
        {"unlogged_cramps": "0", "experiment_done": "no", "factors": ["cold"]},
    )
    checkin.refresh_from_db()
    assert checkin.factors == ["cold"]


def test_the_result_can_be_added_to_the_doctors_report(owner_client, owner):
    experiment = finished(owner)

    owner_client.post(f"/diary/experiments/{experiment.pk}/report/", {"in_report": "yes"})
    experiment.refresh_from_db()
    assert experiment.in_report
    report = owner_client.get("/diary/report/", {"start": "2026-04-01", "end": "2026-05-31"})

    assert report.status_code == 200
    assert 'data-verdict="fewer"' in report.content.decode()


@pytest.mark.parametrize(
    "address",
    ["/diary/experiments/{pk}/", "/diary/experiments/{pk}/nights.csv"],
)
def test_another_persons_experiment_is_a_404_and_a_visitor_is_sent_to_sign_in(
    client, stranger_client, owner, address
):
    experiment = make(owner)

    assert stranger_client.get(address.format(pk=experiment.pk)).status_code == 404
    stranger_client.logout()
    response = client.get(address.format(pk=experiment.pk))
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize("action", ["stop", "report"])
def test_a_stranger_cannot_stop_or_report_anothers_experiment(stranger_client, owner, action):
    experiment = make(owner)

    response = stranger_client.post(
        f"/diary/experiments/{experiment.pk}/{action}/", {"in_report": "yes"}
    )

    assert response.status_code == 404
    experiment.refresh_from_db()
    assert experiment.ended_on is None and not experiment.in_report


def test_stopping_needs_a_post(owner_client, owner):
    experiment = make(owner)

    assert owner_client.get(f"/diary/experiments/{experiment.pk}/stop/").status_code == 405


def test_a_huge_id_is_a_404(owner_client):
    assert owner_client.get("/diary/experiments/99999999999999999999999/").status_code == 404


def test_the_list_says_what_to_do_tonight(owner_client, owner):
    make(owner, starts_on=LAST - timedelta(days=13), order="wnwnwn")  # tonight: first "with"

    response = owner_client.get("/diary/experiments/")

    assert response.status_code == 200
    assert response.context["running"]["tonight"].kind == WITH
    assert "do it today" in response.content.decode()


# The session, the person with their profile, the experiments (or the one), and two for the
# nights of them all: the check-ins and the cramps per night.
LIST_QUERIES = DETAIL_QUERIES = 5
# The report with experiments in it, since the share links' merge: the same however many.
REPORT_QUERIES = 9


@pytest.mark.parametrize("history", [1, 3])
def test_the_pages_cost_the_same_queries_however_long_the_history(
    owner_client, owner, django_assert_num_queries, history
):
    for n in range(history):
        first = date(2025, 1, 1) + timedelta(days=120 * n)
        Experiment.objects.create(
            user=owner,
            change=f"Change {n}",
            starts_on=first,
            period_nights=7,
            ended_on=first + timedelta(days=60),
        )
        CheckIn.objects.create(user=owner, night=first, unlogged_cramps=1)
    experiment = finished(owner)
    owner_client.get("/diary/experiments/")

    with django_assert_num_queries(LIST_QUERIES):
        owner_client.get("/diary/experiments/")
    with django_assert_num_queries(DETAIL_QUERIES):
        owner_client.get(f"/diary/experiments/{experiment.pk}/")
    with django_assert_num_queries(DETAIL_QUERIES):
        owner_client.get(f"/diary/experiments/{experiment.pk}/nights.csv")


def test_the_json_export_holds_the_experiments_with_their_schedules(owner_client, owner):
    experiment = finished(owner)

    data = owner_client.get("/accounts/export/").json()

    assert [row["id"] for row in data["experiments"]] == [experiment.pk]
    exported = data["experiments"][0]
    assert (exported["order"], exported["factor"]) == ("wnnwwn", "stretched")
    assert exported["starts_on"] == experiment.starts_on.isoformat()


@pytest.mark.parametrize("reported", [1, 3])
def test_the_report_costs_the_same_queries_however_many_experiments_it_holds(
    owner_client, owner, django_assert_num_queries, reported
):
    for n in range(reported - 1):
        first = date(2025, 1, 1) + timedelta(days=120 * n)
        Experiment.objects.create(
            user=owner,
            change=f"Change {n}",
            starts_on=first,
            period_nights=7,
            ended_on=first + timedelta(days=60),
            in_report=True,
        )
    Experiment.objects.filter(pk=finished(owner).pk).update(in_report=True)
    query = {"start": "2026-04-01", "end": "2026-05-31"}
    owner_client.get("/diary/report/", query)

    with django_assert_num_queries(REPORT_QUERIES):
        response = owner_client.get("/diary/report/", query)

    assert len(response.context["experiment_summaries"]) == reported


def test_an_unknown_experiment_answer_is_refused_next_to_its_field(owner_client, owner):
    make(owner, starts_on=LAST - timedelta(days=16), order="wnwnwn")

    response = owner_client.post(
        f"/diary/checkin/{LAST}/", {"unlogged_cramps": "0", "experiment_done": "maybe"}
    )

    assert response.status_code == 200
    assert "experiment_done" in response.context["form"].errors
    assert not CheckIn.objects.exists()


def test_a_before_after_experiment_warns_that_it_cannot_separate_the_change_from_chance(
    owner_client, owner
):
    experiment = make(owner, design="before_after", order="w")

    page = owner_client.get(f"/diary/experiments/{experiment.pk}/").content.decode()

    assert "cannot separate the change from chance" in page


def test_a_new_experiment_starts_after_the_nights_of_the_last_one(owner_client, owner):
    for n in range(20):
        CheckIn.objects.create(user=owner, night=LAST - timedelta(days=n))
    old = make(owner, starts_on=LAST - timedelta(days=19))
    owner_client.post(f"/diary/experiments/{old.pk}/stop/")
    data = {"change": "Water", "design": "alternating", "period_nights": "7"}

    overlapping = owner_client.post(
        "/diary/experiments/new/", {**data, "starts_on": LAST.isoformat()}
    )
    after = owner_client.post("/diary/experiments/new/", {**data, "starts_on": TODAY.isoformat()})

    assert "start after it" in " ".join(overlapping.context["form"].errors["starts_on"])
    assert after.status_code == 302
    assert Experiment.objects.filter(user=owner).count() == 2
