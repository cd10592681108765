"""Writing the report: the table and targets in docs/performance.md, and the same figures as JSON
for other tools. Pure functions of a bench.measure.Run, apart from write_markdown and write_json."""

import json
from dataclasses import asdict, dataclass
from pathlib import Path

from bench.load import CONNECTIONS, THREADS, WARMUP_SECONDS
from bench.pages import SIGNED_IN_AS, WRITERS

OUTPUT = Path(__file__).resolve().parent.parent / "docs" / "performance.md"
START_MARK = "<!-- bench:start -->"
END_MARK = "<!-- bench:end -->"


@dataclass(frozen=True)
class Target:
    name: str
    figure: str  # by req/s or p50 latency
    met: bool
    cpu_figure: str = ""  # by server CPU per request, when it applies
    cpu_met: bool | None = None


def table_rows(run):
    """Every row of the table in order: the wrk pages, then the writers."""
    return [*run.pages, run.writers] if run.writers else run.pages


def ratios(figures, fortunes):
    """Throughput as a multiple of fortunes', by req/s and by server CPU per request."""
    if not fortunes:
        return None, None
    cpu_ratio = fortunes.cpu_ms / figures.cpu_ms if figures.cpu_ms else None
    return figures.rps / fortunes.rps, cpu_ratio


def two_places(ratio):
    return "" if ratio is None else f"{ratio:.2f}"


def fortunes_figures(run):
    return next((r.figures for r in run.pages if r.page.key == "fortunes"), None)


def header(run):
    seeded, cpus, machine = run.seeded, run.cpus, run.machine
    return [
        f"Run on {run.when:%Y-%m-%d %H:%M %Z} with `{run.command}` (`make bench`).",
        "",
        f"- Machine: {machine.cpus} CPUs ({machine.model}), {machine.memory} memory; "
        f"load average {run.load_before:.2f} before the run.",
        "- Versions: " + ", ".join(f"{name} {version}" for name, version in run.versions.items()),
        f"- Database: {seeded.database}. Seeded {seeded.people:,} demo people with "
        f"{seeded.episodes:,} episodes (ten-year person {seeded.decade_episodes:,}, "
        f"one-year person {seeded.year_episodes:,}) in {seeded.seconds:.0f} s "
        "including migrations and collectstatic.",
        f"- Server: gunicorn, {run.workers} sync workers, DEBUG off, whitenoise, "
        + (f"pinned to CPU {cpus.server}" if cpus.server else "not pinned (one CPU)")
        + f". Load: wrk, {THREADS} threads, {CONNECTIONS} connections, "
        + measured_for(run)
        + (f"pinned to CPU {cpus.client}" if cpus.client else "not pinned")
        + f"; writers: {WRITERS} Python threads on the same CPU as wrk, each signed in as a "
        f"different person, for {run.seconds * run.rounds} s.",
        f"- Whole run: {run.total_seconds:.0f} s.",
    ]


def measured_for(run):
    if run.rounds == 1:
        return f"{run.seconds} s per page after {WARMUP_SECONDS} s of warm-up, "
    return (
        f"{run.rounds} rounds of {run.seconds} s per page, every page in turn in each round, "
        f"after {WARMUP_SECONDS} s of warm-up in the first; each page's figures are the "
        "median of its rounds (its requests and errors, their sum), "
    )


def table(run):
    lines = [
        "| Page | Signed in as | req/s | p50 ms | p99 ms | errors | queries | × fortunes "
        "| server CPU ms/req | × fortunes by CPU |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    fortunes = fortunes_figures(run)
    for result in table_rows(run):
        page, figures = result.page, result.figures
        who = SIGNED_IN_AS[page.who]
        if figures is None:
            lines.append(f"| {page.label} | {who} | {result.skipped} |")
            continue
        ratio, cpu_ratio = ratios(figures, fortunes)
        queries = run.queries.get(page.key, "")
        lines.append(
            f"| {page.label} | {who} | {figures.rps:,.0f} | {figures.p50:.1f} | "
            f"{figures.p99:.1f} | {figures.errors} | {queries} | "
            f"{two_places(ratio)} | {figures.cpu_ms:.2f} | {two_places(cpu_ratio)} |"
        )
    return lines


def faster(measured, key, than, floor, name):
    """Throughput of key over than's, by req/s and by CPU per request."""
    ratio = measured[key].rps / measured[than].rps
    cpu_ratio = measured[than].cpu_ms / measured[key].cpu_ms
    return Target(name, f"{ratio:.2f}×", ratio >= floor, f"{cpu_ratio:.2f}×", cpu_ratio >= floor)


def slower(measured, key, than, ceiling, name):
    """Time of key over than's, by p50 latency and by CPU per request."""
    page, base = measured[key], measured[than]
    ratio = page.p50 / base.p50
    cpu_ratio = page.cpu_ms / base.cpu_ms
    return Target(
        name,
        f"{page.p50:.1f} / {base.p50:.1f} ms = {ratio:.2f}×",
        ratio <= ceiling,
        f"{page.cpu_ms:.1f} / {base.cpu_ms:.1f} ms = {cpu_ratio:.2f}×",
        cpu_ratio <= ceiling,
    )


def targets(run):
    """Issue 20's targets (issue 8's, moved) that this run's figures can judge."""
    measured = {r.page.key: r.figures for r in run.pages if r.figures}
    return [*page_targets(measured), *export_targets(run, measured), *writer_targets(run)]


def page_targets(measured):
    found = []
    if {"plaintext", "hello"} <= measured.keys():
        found.append(
            faster(measured, "plaintext", "hello", 0.55, "Full middleware ≥ 0.55× bare WSGI")
        )
        for key, name in (
            ("plaintext_none", "For scale: Django with no middleware"),
            ("plaintext_stock", "For scale: startproject's 7 middleware"),
        ):
            if key in measured:
                found.append(faster(measured, key, "hello", 0.55, f"{name} ≥ 0.55× bare WSGI"))
    for key, name, floor in (
        ("plaintext_signed_in", "Django fixed response, signed in", 0.60),
        ("list", "Diary list, repeat view", 0.12),
        ("list_first", "Diary list, first view after a change", 0.12),
        ("detail", "Episode detail, repeat view", 0.20),
        ("detail_first", "Episode detail, first view after a change", 0.20),
        ("home", "Home, repeat view", 0.15),
        ("home_first", "Home, first view after a change", 0.15),
        ("year_first", "Year page (ten years), first view after a change", 0.15),
        ("year_decade", "Year page (ten years), repeat view", 0.15),
        ("month_first", "Month page (ten years), first view after a change", 0.08),
        ("month_decade", "Month page (ten years), repeat view", 0.25),
        ("checkin", "Check-in page", 0.15),
        ("insights", "Insights (ten years of check-ins), repeat view", 0.08),
        ("insights_first", "Insights (ten years of check-ins), first view after a change", 0.08),
    ):
        if {key, "fortunes"} <= measured.keys():
            found.append(faster(measured, key, "fortunes", floor, f"{name} ≥ {floor}× fortunes"))
    for key, than, name in (
        ("list_last", "list", "Diary list: last page ≤ 1.2× the first"),
        ("month_first", "month_year", "Month page, first view: ten years ≤ 1.2× one year"),
        ("detail_first", "detail_year", "Episode detail, first view: ten years ≤ 1.2× one year"),
        ("insights_first", "insights_year", "Insights, first view: ten years ≤ 1.2× one year"),
    ):
        if {key, than} <= measured.keys():
            found.append(slower(measured, key, than, 1.2, name))
    if {"insights", "month_first"} <= measured.keys():
        name = "Insights, ten years of check-ins ≤ 3× the month page's first view (issue 13)"
        found.append(slower(measured, "insights", "month_first", 3, name))
    return found


def export_targets(run, measured):
    found = []
    if {"export", "rows"} <= measured.keys():
        name = "CSV export ≤ 3× reading the rows with values_list"
        found.append(slower(measured, "export", "rows", 3, name))
        streamed = next(r.streamed for r in run.pages if r.page.key == "export")
        sent = (
            "no Content-Length, sent in chunks" if streamed else "sent whole, with a Content-Length"
        )
        found.append(Target("CSV export streamed", sent, streamed))
    if run.export_memory:
        half, full = run.export_memory.five_years, run.export_memory.ten_years
        found.append(
            Target(
                "CSV export memory flat: peak Python memory, five years → ten years",
                f"{half.peak / 1024:,.0f} KiB for {half.bytes / 1024:,.0f} KiB of CSV → "
                f"{full.peak / 1024:,.0f} KiB for {full.bytes / 1024:,.0f} KiB of CSV",
                full.peak < 1.25 * half.peak,
            )
        )
    return found


def writer_targets(run):
    if not (run.writers and run.writers.figures):
        return []
    writers, figures = run.writers, run.writers.figures
    attempts = figures.requests + len(writers.failures)
    return [
        Target(
            f"{WRITERS} concurrent writers on {run.seeded.database}: no error",
            f"{len(writers.failures)} failed of {attempts}; {writers.saved} episodes saved",
            not writers.failures and writers.saved == figures.requests,
        ),
        Target(
            "Writers: p99 < 10× p50",
            f"{figures.p99 / figures.p50:.1f}×",
            figures.p99 < 10 * figures.p50,
        ),
    ]


def verdict(met):
    return "yes" if met else "**no**"


def targets_table(run):
    lines = [
        "Targets (issues 8 and 20). Throughput is judged by req/s, as the issues ask, and again "
        "by the "
        "server CPU each request took, which other work on the machine disturbs far less:",
        "",
        "| Target | By req/s or p50 | Met | By server CPU per request | Met |",
        "|---|---|---|---|---|",
    ]
    for target in targets(run):
        cpu_verdict = "" if target.cpu_met is None else verdict(target.cpu_met)
        lines.append(
            f"| {target.name} | {target.figure} | {verdict(target.met)} | "
            f"{target.cpu_figure} | {cpu_verdict} |"
        )
    return lines


def markdown(run):
    """The block docs/performance.md holds between its bench marks."""
    lines = [*header(run), "", *table(run), "", *targets_table(run)]
    fortune_rows = next((r.rows for r in run.pages if r.page.key == "fortunes"), None)
    if fortune_rows is not None and fortune_rows != 13:
        lines += ["", f"Fortunes rendered {fortune_rows} rows instead of 13 (12 tips + 1)."]
    if run.missing:
        lines += ["", "Not measured (missing):", ""]
        lines += [f"- {label}: {why}" for label, why in run.missing]
    lines += ["", "Queries counted in-process with the test client, on each page's second request."]
    return "\n".join(lines)


def row_json(result, fortunes):
    """One row of the table, with units in the names; a row not measured says why instead."""
    page, figures = result.page, result.figures
    entry = {
        "key": page.key,
        "label": page.label,
        "path": page.path,
        "signed_in_as": SIGNED_IN_AS[page.who],
    }
    if figures is None:
        return {**entry, "skipped": result.skipped}
    ratio, cpu_ratio = ratios(figures, fortunes)
    return {
        **entry,
        "req_per_s": figures.rps,
        "req_per_s_x_fortunes": ratio,
        "server_cpu_ms_per_req": figures.cpu_ms,
        "server_cpu_x_fortunes": cpu_ratio,
        "p50_ms": figures.p50,
        "p99_ms": figures.p99,
        "requests": figures.requests,
        "errors": figures.errors,
    }


def as_json(run):
    """The run for other tools: its conditions, every row of the table, and the targets."""
    fortunes = fortunes_figures(run)
    pages = [
        {
            **row_json(result, fortunes),
            "queries": run.queries.get(result.page.key),
            "rounds_server_cpu_ms_per_req": [each.cpu_ms for each in result.rounds],
        }
        for result in run.pages
    ]
    if run.writers:
        writers = row_json(run.writers, fortunes)
        pages.append({**writers, "queries": None, "saved": run.writers.saved})
    return {
        "when": run.when.isoformat(timespec="seconds"),
        "command": run.command,
        "machine": asdict(run.machine),
        "load_average_before": run.load_before,
        "versions": run.versions,
        "seeded": asdict(run.seeded),
        "server": {"workers": run.workers, "cpu": run.cpus.server},
        "load": {
            "threads": THREADS,
            "connections": CONNECTIONS,
            "seconds": run.seconds,
            "rounds": run.rounds,
            "warmup_seconds": WARMUP_SECONDS,
            "cpu": run.cpus.client,
            "writers": WRITERS,
        },
        "whole_run_seconds": run.total_seconds,
        "pages": pages,
        "export_memory": asdict(run.export_memory) if run.export_memory else None,
        "targets": [asdict(target) for target in targets(run)],
        "missing": [{"label": label, "why": why} for label, why in run.missing],
    }


def write_markdown(path, report):
    """Replace the block between the bench marks, keeping the text around it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    block = f"{START_MARK}\n{report}\n{END_MARK}"
    if path.exists() and START_MARK in path.read_text():
        before, rest = path.read_text().split(START_MARK, 1)
        after = rest.split(END_MARK, 1)[1] if END_MARK in rest else ""
        path.write_text(before + block + after)
    else:
        path.write_text(f"# Performance\n\n{block}\n")


def write_json(path, run):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(as_json(run), indent=2, ensure_ascii=False) + "\n")
