"""Measuring: req/s and latency from wrk, the server's CPU time per request from /proc, each page's
queries and the export's peak memory in this process, and the machine it all ran on."""

import os
import platform
import re
import sqlite3
import statistics
import subprocess
import tracemalloc
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from pathlib import Path

from bench import load
from bench.pages import PEOPLE, Page


@dataclass(frozen=True)
class Figures:
    """One page under load."""

    rps: float
    p50: float  # latency, ms
    p99: float
    errors: int
    requests: int
    cpu_ms: float  # server CPU time per request: steadier than req/s on a busy machine


@dataclass(frozen=True)
class PageResult:
    page: Page
    figures: Figures | None = None
    skipped: str = ""  # why it has no figures
    streamed: bool = False  # sent without a Content-Length
    rows: int | None = None  # fortunes only: the table rows it rendered
    rounds: tuple[Figures, ...] = ()  # each round's own figures, when there were several


@dataclass(frozen=True)
class Writers:
    page: Page
    figures: Figures | None  # None when no episode was saved
    failures: list[str]
    saved: int  # episodes the writers' diaries gained

    @property
    def skipped(self):
        return "" if self.figures else f"no request succeeded: {self.failures[:1]}"


@dataclass(frozen=True)
class ExportPeak:
    peak: int  # Python memory, bytes
    bytes: int  # CSV sent


@dataclass(frozen=True)
class ExportMemory:
    five_years: ExportPeak
    ten_years: ExportPeak


@dataclass(frozen=True)
class Machine:
    cpus: int
    model: str
    memory: str


@dataclass(frozen=True)
class Run:
    """Everything one benchmark run measured, and the conditions it was measured under."""

    when: datetime
    command: str
    machine: Machine
    versions: dict[str, str]
    load_before: float  # one-minute load average
    seeded: load.Seeded
    workers: int
    seconds: int  # of wrk per page and round
    cpus: load.Cpus
    total_seconds: float
    pages: list[PageResult]
    writers: Writers | None
    queries: dict[str, int]  # by page key
    export_memory: ExportMemory | None
    missing: list[tuple[str, str]]  # (label, why)
    rounds: int = 1


def percentile(values, share):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def cpu_seconds(pid):
    """CPU time a gunicorn master and its workers have used."""
    pids = [pid]
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            pids.append(int(stat.parent.name))
    total = 0
    for each in pids:
        try:
            fields = Path(f"/proc/{each}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def signed_in_client(who):
    from django.contrib.auth import get_user_model
    from django.test import Client

    client = Client(raise_request_exception=False, HTTP_HOST="127.0.0.1")
    if who:
        user = get_user_model().objects.get(username=PEOPLE[who])
        client.force_login(user, backend="diary.backends.ProfileModelBackend")
    return client


def query_counts(pages):
    """Queries each page runs, counted in this process with Django's test client."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    counts = {}
    clients = {}
    for page in pages:
        if page.server == "hello":
            continue
        if page.who not in clients:
            clients[page.who] = signed_in_client(page.who)
        client = clients[page.who]
        # Once before counting, as under load: the first request of a process also reads
        # the matching rules (diary.advice.load_content).
        client.get(page.path)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(page.path)
            if response.streaming:
                for _chunk in response.streaming_content:
                    pass
        counts[page.key] = len(queries)
    return counts


def export_memory():
    """Peak Python memory while streaming the ten-year person's export: five years, then ten.

    A streamed export holds one chunk of rows at a time, so doubling the rows past the chunk
    size should leave the peak about where it was.
    """
    from django.urls import Resolver404, resolve

    try:
        resolve("/diary/export.csv")
    except Resolver404:
        return None
    client = signed_in_client("decade")
    half = date.today() - timedelta(days=5 * 365)
    peaks = []
    for query in (f"?start={half}", ""):
        tracemalloc.start()
        response = client.get("/diary/export.csv" + query)
        content = response.streaming_content if response.streaming else [response.content]
        size = sum(len(chunk) for chunk in content)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        if response.status_code != 200:
            return None
        peaks.append(ExportPeak(peak=peak, bytes=size))
    return ExportMemory(*peaks)


def measure_pages(plan, servers, seconds, cpus, rounds=1):
    """Each page under wrk on its server, as its person, after a warm-up.

    With several rounds, every page is measured once in each, in turn, and gives the median of
    its rounds (median_result). On a virtual machine one page's CPU per request can move by a
    third between two windows a few seconds apart, fortunes' as much as any other's, and a
    single window per page made the ratios to fortunes a draw (docs/performance.md).
    """
    from diary.management.commands.seed_demo import PASSWORD

    app = servers["app"]
    visitors = {None: load.Visitor(app.url)}
    for who, username in PEOPLE.items():
        visitors[who] = load.Visitor(app.url)
        visitors[who].sign_in(plan.login_path, username, PASSWORD)
    measured = {page.key: [] for page in plan.pages}
    for index in range(rounds):
        for page in plan.pages:
            result = measure_page(
                page, servers[page.server], visitors[page.who], seconds, cpus, warm=index == 0
            )
            measured[page.key].append(result)
    return [median_result(measured[page.key]) for page in plan.pages]


def median_result(results):
    """One page's rounds as one result: the median of each figure, with every request and
    error counted; a page that any round could not measure is not measured."""
    unmeasured = next((result for result in results if result.figures is None), None)
    if unmeasured is not None:
        return unmeasured
    if len(results) == 1:
        return results[0]
    rounds = tuple(result.figures for result in results)
    return replace(
        results[0],
        figures=Figures(
            rps=statistics.median(f.rps for f in rounds),
            p50=statistics.median(f.p50 for f in rounds),
            p99=statistics.median(f.p99 for f in rounds),
            errors=sum(f.errors for f in rounds),
            requests=sum(f.requests for f in rounds),
            cpu_ms=statistics.median(f.cpu_ms for f in rounds),
        ),
        rounds=rounds,
    )


def measure_page(page, server, visitor, seconds, cpus, warm=True):
    status, headers, body = visitor.fetch(page.path)
    if status != 200:
        load.log(f"Skipping {page.label}: {page.path} answers {status}")
        return PageResult(page, skipped=f"answers {status}")
    url = server.url + page.path
    cookie = visitor.header() if page.who else ""
    load.log(f"Measuring {page.label} ({page.path}) for {seconds} s")
    if warm:
        load.wrk(url, load.WARMUP_SECONDS, cookie, cpus)
    cpu_before = cpu_seconds(server.process.pid)
    summary = load.wrk(url, seconds, cookie, cpus)
    cpu = cpu_seconds(server.process.pid) - cpu_before
    requests = summary["requests"]
    if not requests:
        return PageResult(page, skipped=f"no request finished in {seconds} s")
    figures = Figures(
        rps=requests / (summary["duration_us"] / 1e6),
        p50=summary["p50_us"] / 1000,
        p99=summary["p99_us"] / 1000,
        errors=summary["errors"],
        requests=requests,
        cpu_ms=cpu * 1000 / requests,
    )
    rows = len(re.findall(r"<tr><td>", body.decode())) if page.key == "fortunes" else None
    return PageResult(page, figures, streamed="Content-Length" not in headers, rows=rows)


def measure_writers(plan, server, seconds, cpus):
    """People logging cramps at once, each signed in as themselves, from the load's CPU."""
    from diary.management.commands.seed_demo import PASSWORD
    from diary.models import Episode

    page = plan.writers
    diaries = Episode.objects.filter(user__username__in=plan.writer_names)
    before = diaries.count()
    visitors = []
    for username in plan.writer_names:
        visitor = load.Visitor(server.url)
        visitor.sign_in(plan.login_path, username, PASSWORD)
        visitors.append(visitor)
    load.log(f"Measuring {page.label} for {seconds} s")
    # The writer threads inherit this thread's CPU, away from the server's.
    own_cpus = os.sched_getaffinity(0)
    if cpus:
        os.sched_setaffinity(0, {int(cpus)})
    cpu_before = cpu_seconds(server.process.pid)
    writes = load.write_episodes(server.url, visitors, seconds, page.path)
    cpu = cpu_seconds(server.process.pid) - cpu_before
    os.sched_setaffinity(0, own_cpus)
    figures = None
    if writes.latencies:
        requests = len(writes.latencies)
        figures = Figures(
            rps=requests / writes.seconds,
            p50=percentile(writes.latencies, 0.5),
            p99=percentile(writes.latencies, 0.99),
            errors=len(writes.failures),
            requests=requests,
            cpu_ms=cpu * 1000 / requests,
        )
    return Writers(page, figures, writes.failures, saved=diaries.count() - before)


def machine():
    model = "unknown"
    memory = "unknown"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            model = line.split(":", 1)[1].strip()
            break
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal"):
            memory = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
            break
    return Machine(cpus=os.cpu_count(), model=model, memory=memory)


def versions():
    import django
    import gunicorn

    wrk_version = subprocess.run(["wrk", "-v"], capture_output=True, text=True).stdout.split()
    return {
        "Python": platform.python_version(),
        "Django": django.get_version(),
        "gunicorn": gunicorn.__version__,
        **database_version(),
        "wrk": wrk_version[1] if len(wrk_version) > 1 else "unknown",
    }


def database_version():
    from django.db import connection

    if connection.vendor == "postgresql":
        connection.ensure_connection()
        major, minor = divmod(connection.pg_version, 10000)
        return {"PostgreSQL": f"{major}.{minor}"}
    return {"SQLite": sqlite3.sqlite_version}
