"""The benchmark's report writers, on made-up figures (the run itself is `make bench`)."""

import json
from datetime import UTC, datetime

import pytest

from bench import report
from bench.load import Cpus, Seeded
from bench.measure import Figures, Machine, PageResult, Run, Writers, median_result
from bench.pages import Page, candidates, plan

FORTUNES = Page("fortunes", "Fortunes: 12 rows through a template", "/bench/fortunes/", None)
HOME = Page("home", "Home", "/", "decade")
LIST = Page("list", "Diary list", "/diary/", "decade")
WRITERS = Page("writers", "Episode creation, 8 concurrent writers", "/diary/new/", "writers")


def figures(rps, cpu_ms):
    return Figures(rps=rps, p50=8.0, p99=20.0, errors=0, requests=int(rps * 10), cpu_ms=cpu_ms)


def make_run(pages, writers=None, rounds=1):
    return Run(
        when=datetime(2026, 11, 21, 17, 6, tzinfo=UTC),
        command=".venv/bin/python bench/run.py",
        machine=Machine(cpus=2, model="AMD EPYC", memory="23.5 GiB"),
        versions={"Python": "3.11.7", "Django": "5.2.19"},
        load_before=1.2,
        seeded=Seeded("SQLite", 202, 10_014, 3_645, 355, 3.0),
        workers=3,
        seconds=10,
        cpus=Cpus("0", "1"),
        total_seconds=205.0,
        pages=pages,
        writers=writers,
        queries={"fortunes": 1, "home": 8, "list": 6},
        export_memory=None,
        missing=[("Knowledge cause page", "nothing to show it for (no data)")],
        rounds=rounds,
    )


@pytest.fixture
def run():
    return make_run(
        [
            PageResult(FORTUNES, figures(1000.0, 1.0), rows=13),
            PageResult(HOME, figures(80.0, 12.5)),
            PageResult(LIST, skipped="answers 404"),
        ],
        Writers(WRITERS, figures(120.0, 8.0), failures=[], saved=1200),
    )


def test_the_json_gives_each_page_its_label_throughput_and_cpu_with_their_ratios_to_fortunes(
    run, tmp_path
):
    path = tmp_path / "run.json"
    report.write_json(path, run)

    pages = {page["key"]: page for page in json.loads(path.read_text())["pages"]}

    assert list(pages) == ["fortunes", "home", "list", "writers"]
    home = pages["home"]
    assert home["label"] == "Home"
    assert home["signed_in_as"] == "ten-year person"
    assert home["req_per_s"] == 80.0
    assert home["req_per_s_x_fortunes"] == pytest.approx(0.08)
    assert home["server_cpu_ms_per_req"] == 12.5
    assert home["server_cpu_x_fortunes"] == pytest.approx(0.08)
    assert home["queries"] == 8
    assert pages["fortunes"]["server_cpu_x_fortunes"] == 1.0
    assert pages["writers"]["req_per_s_x_fortunes"] == pytest.approx(0.12)
    assert pages["writers"]["server_cpu_x_fortunes"] == pytest.approx(0.125)
    assert pages["writers"]["saved"] == 1200


def test_a_page_that_was_not_measured_says_why_in_the_json_and_in_the_table(run):
    listed = next(page for page in report.as_json(run)["pages"] if page["key"] == "list")

    assert listed["skipped"] == "answers 404"
    assert "req_per_s" not in listed
    assert "| Diary list | ten-year person | answers 404 |" in report.markdown(run).splitlines()


def test_without_fortunes_the_ratios_are_left_empty_rather_than_guessed():
    run = make_run([PageResult(HOME, figures(80.0, 12.5))])

    (home,) = report.as_json(run)["pages"]

    assert home["req_per_s_x_fortunes"] is None
    assert home["server_cpu_x_fortunes"] is None
    assert "| Home | ten-year person | 80 | 8.0 | 20.0 | 0 | 8 |  | 12.50 |  |" in (
        report.markdown(run).splitlines()
    )


def test_the_table_gives_each_page_its_figures_and_ratios_to_fortunes(run):
    lines = report.markdown(run).splitlines()

    assert "| Home | ten-year person | 80 | 8.0 | 20.0 | 0 | 8 | 0.08 | 12.50 | 0.08 |" in lines
    assert (
        "| Episode creation, 8 concurrent writers | 8 month people | 120 | 8.0 | 20.0 | 0 |  "
        "| 0.12 | 8.00 | 0.12 |"
    ) in lines
    assert "- Knowledge cause page: nothing to show it for (no data)" in lines


def test_the_report_replaces_only_the_text_between_the_bench_marks(run, tmp_path):
    path = tmp_path / "performance.md"
    path.write_text(
        f"# Performance\n\nBefore.\n\n{report.START_MARK}\nold table\n{report.END_MARK}\n\nAfter.\n"
    )

    report.write_markdown(path, report.markdown(run))

    text = path.read_text()
    assert text.startswith(f"# Performance\n\nBefore.\n\n{report.START_MARK}\nRun on 2026-11-21")
    assert text.endswith(f"{report.END_MARK}\n\nAfter.\n")
    assert "old table" not in text


def test_the_plan_measures_the_last_page_of_a_long_diary_list(db):
    pages = {page.key: page for page in plan(decade_episodes=3_645).pages}

    assert pages["list_last"].path == "/diary/?page=146"


def test_a_page_measured_in_rounds_gives_the_median_of_each_figure_and_every_request():
    rounds = [
        PageResult(HOME, Figures(rps=80, p50=9, p99=30, errors=0, requests=320, cpu_ms=12.0)),
        PageResult(HOME, Figures(rps=60, p50=12, p99=90, errors=1, requests=240, cpu_ms=19.0)),
        PageResult(HOME, Figures(rps=75, p50=10, p99=40, errors=0, requests=300, cpu_ms=13.0)),
    ]

    result = median_result(rounds)

    assert result.figures == Figures(rps=75, p50=10, p99=40, errors=1, requests=860, cpu_ms=13.0)
    assert [each.cpu_ms for each in result.rounds] == [12.0, 19.0, 13.0]
    assert median_result(rounds[:1]) == rounds[0]


def test_a_page_that_one_round_could_not_measure_is_not_measured():
    rounds = [PageResult(HOME, figures(80.0, 12.5)), PageResult(HOME, skipped="answers 500")]

    assert median_result(rounds).skipped == "answers 500"


def test_a_run_in_rounds_says_so_and_gives_each_rounds_cpu_in_the_json(tmp_path):
    home = median_result([PageResult(HOME, figures(80.0, cpu)) for cpu in (12.0, 14.0, 13.0)])
    run = make_run([PageResult(FORTUNES, figures(1000.0, 1.0), rows=13), home], rounds=3)

    text = report.markdown(run)
    path = tmp_path / "run.json"
    report.write_json(path, run)
    data = json.loads(path.read_text())

    assert "3 rounds of 10 s per page, every page in turn in each round" in text
    assert "each page's figures are the median of its rounds" in text
    assert data["load"]["rounds"] == 3
    home_json = next(page for page in data["pages"] if page["key"] == "home")
    assert home_json["server_cpu_ms_per_req"] == 13.0
    assert home_json["rounds_server_cpu_ms_per_req"] == [12.0, 14.0, 13.0]


def test_the_benchmark_knows_first_views_of_the_episode_page_and_insights_for_one_year_too(db):
    pages = {page.key: page for page in candidates(decade_episodes=3_645)}

    pairs = (("detail_first", "detail_year"), ("insights_first", "insights_year"))
    for ten_years, one_year in pairs:
        assert (pages[ten_years].who, pages[ten_years].server) == ("decade", "first_view")
        assert (pages[one_year].who, pages[one_year].server) == ("year", "first_view")


def test_an_episode_page_slower_for_ten_years_than_one_misses_its_target():
    def result(key, who, cpu_ms):
        page = Page(key, key, "/diary/1/", who, server="first_view")
        return PageResult(page, figures(50.0, cpu_ms))

    run = make_run([result("detail_first", "decade", 15.0), result("detail_year", "year", 10.0)])

    [target] = [t for t in report.targets(run) if t.name.startswith("Episode detail, first view")]
    assert target.cpu_figure == "15.0 / 10.0 ms = 1.50×"
    assert target.cpu_met is False
