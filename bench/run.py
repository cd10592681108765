"""Benchmark cramplog as it runs in production, against the framework's own ceiling.

Seeds a throw-away database (SQLite in a temporary folder, or the PostgreSQL database that
DATABASE_URL names), starts gunicorn with DEBUG off and whitenoise as `make run` does, pinned
to one core, and drives it with wrk pinned to another, on 127.0.0.1 only. Baselines (a bare
WSGI app, a fixed Django response, a TechEmpower-style fortunes page) are measured in the same
run, so the ratios hold on any machine. Writes the table into docs/performance.md.

    .venv/bin/python bench/run.py [--seconds 10] [--workers 3] [--large]
"""

import argparse
import http.client
import http.cookiejar
import json
import os
import platform
import re
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import tracemalloc
import urllib.error
import urllib.parse
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
OUTPUT = BASE_DIR / "docs" / "performance.md"
START_MARK = "<!-- bench:start -->"
END_MARK = "<!-- bench:end -->"
WRITERS = 8
THREADS = 2
CONNECTIONS = 8
WARMUP_SECONDS = 2
# The fixed Django response again under lighter middleware, to show what bounds the full stack.
BASELINE_SETTINGS = {
    "plaintext_none": "bench.settings_no_middleware",
    "plaintext_stock": "bench.settings_stock_middleware",
}


def log(message):
    print(message, flush=True)


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=10, help="wrk duration per page")
    parser.add_argument("--workers", type=int, default=3, help="gunicorn workers (as make run)")
    parser.add_argument("--large", action="store_true", help="seed about a million episodes")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--output", type=Path, default=OUTPUT)
    return parser.parse_args()


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def cpu_sets():
    """One core for the server, another for the load generator, when there are two."""
    cores = sorted(os.sched_getaffinity(0))
    if len(cores) < 2 or not shutil.which("taskset"):
        return None, None
    return str(cores[0]), str(cores[1])


def pinned(command, cpus):
    return ["taskset", "-c", cpus, *command] if cpus else command


class Server:
    def __init__(self, app, env, workers, cpus, log_dir, name):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        command = [
            str(BASE_DIR / ".venv" / "bin" / "gunicorn"),
            app,
            "--bind",
            f"127.0.0.1:{self.port}",
            "--workers",
            str(workers),
            "--access-logfile",
            str(log_dir / f"{name}-access.log"),
            "--error-logfile",
            str(log_dir / f"{name}-error.log"),
        ]
        self.process = subprocess.Popen(pinned(command, cpus), cwd=BASE_DIR, env=env)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise SystemExit(f"gunicorn ({app}) did not start; see {log_dir}/{name}-error.log")

    def cpu_seconds(self):
        """CPU time the master and its workers have used: steadier than req/s on a busy machine."""
        pids = [self.process.pid]
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == self.process.pid:
                pids.append(int(stat.parent.name))
        total = 0
        for pid in pids:
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            total += int(fields[11]) + int(fields[12])
        return total / os.sysconf("SC_CLK_TCK")

    def stop(self):
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Visitor:
    """A browser-like client with its own cookies; signs in through the login form."""

    def __init__(self, base_url):
        self.base_url = base_url
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.jar), NoRedirect()
        )

    def cookie(self, name):
        return next((c.value for c in self.jar if c.name == name), "")

    def header(self):
        return "; ".join(f"{c.name}={c.value}" for c in self.jar)

    def fetch(self, path, data=None):
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        try:
            with self.opener.open(self.base_url + path, body, timeout=60) as response:
                return response.status, dict(response.headers), response.read()
        except urllib.error.HTTPError as error:
            return error.code, dict(error.headers), error.read()

    def sign_in(self, login_path, username, password):
        self.fetch(login_path)
        status, _headers, _body = self.fetch(
            login_path,
            {
                "username": username,
                "password": password,
                "csrfmiddlewaretoken": self.cookie("csrftoken"),
            },
        )
        if status != 302:
            raise SystemExit(f"Signing in as {username} answered {status}, not a redirect.")


def wrk(url, seconds, cookie, cpus, script):
    command = ["wrk", f"-t{THREADS}", f"-c{CONNECTIONS}", f"-d{seconds}s", "--timeout", "10s"]
    command += ["-s", str(script)]
    if cookie:
        command += ["-H", f"Cookie: {cookie}"]
    output = subprocess.run(
        pinned([*command, url], cpus), capture_output=True, text=True, check=True
    ).stdout
    figures = json.loads(next(line for line in output.splitlines() if line.startswith("{")))
    seconds_run = figures["duration_us"] / 1e6
    return {
        "rps": figures["requests"] / seconds_run,
        "p50": figures["p50_us"] / 1000,
        "p99": figures["p99_us"] / 1000,
        "errors": figures["errors"],
        "requests": figures["requests"],
    }


def writers_run(base_url, visitors, seconds, create_path):
    """Eight people logging cramps at once, each on their own connection."""
    latencies, failures = [], []
    lock = threading.Lock()
    deadline = time.monotonic() + seconds
    # Far in the past and a minute apart, so no two writes share a start time.
    oldest = datetime.now(UTC) - timedelta(days=3 * 365)

    def write(index, visitor):
        host, port = base_url.removeprefix("http://").split(":")
        minute = 0
        while time.monotonic() < deadline:
            minute += 1
            when = oldest + timedelta(minutes=index * 100_000 + minute)
            body = urllib.parse.urlencode(
                {
                    "csrfmiddlewaretoken": visitor.cookie("csrftoken"),
                    "started_at": when.strftime("%Y-%m-%dT%H:%M"),
                    "duration": "90 s",
                    "foot": "left",
                    "locations": "arch",
                    "intensity": "6",
                    "activity": "sleeping",
                    "fluids": "1500",
                }
            )
            started = time.perf_counter()
            try:
                connection = http.client.HTTPConnection(host, int(port), timeout=30)
                connection.request(
                    "POST",
                    create_path,
                    body,
                    {
                        "Cookie": visitor.header(),
                        "Content-Type": "application/x-www-form-urlencoded",
                    },
                )
                response = connection.getresponse()
                response.read()
                connection.close()
                ok = response.status == 302
                problem = None if ok else f"status {response.status}"
            except OSError as error:
                problem = repr(error)
            elapsed = time.perf_counter() - started
            with lock:
                if problem:
                    failures.append(problem)
                else:
                    latencies.append(elapsed * 1000)

    threads = [
        threading.Thread(target=write, args=(index, visitor))
        for index, visitor in enumerate(visitors)
    ]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    return latencies, failures, elapsed


def percentile(values, share):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def machine_facts():
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
    return {"cpus": os.cpu_count(), "model": model, "memory": memory}


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


def main():
    args = parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is missing: sudo apt-get install wrk (or run `make bench`).")
    var_dir = Path(tempfile.mkdtemp(prefix="cramplog-bench-"))
    try:
        run(args, var_dir)
    finally:
        shutil.rmtree(var_dir, ignore_errors=True)


def run(args, var_dir):
    run_started = time.monotonic()
    load_before = os.getloadavg()
    env = {
        **os.environ,
        "CRAMPLOG_VAR_DIR": str(var_dir),
        "CRAMPLOG_BENCH": "1",
        "DJANGO_DEBUG": "0",
        "DJANGO_LOG_LEVEL": "WARNING",
        "DJANGO_SETTINGS_MODULE": "cramplog.settings",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
    }
    os.environ.update(env)
    sys.path.insert(0, str(BASE_DIR))
    import django

    django.setup()
    from django.core.management import call_command, get_commands
    from django.db import connection, connections

    database = "PostgreSQL" if connection.vendor == "postgresql" else "SQLite"
    log(f"Database: {database}; temporary folder {var_dir}")
    step = time.monotonic()
    call_command("migrate", verbosity=0)
    if "load_knowledge" in get_commands():
        call_command("load_knowledge", verbosity=0)
    else:
        log("load_knowledge is missing: causes, tips and matches will be empty.")
    call_command("seed_demo", large=args.large, seed=args.seed)
    call_command("collectstatic", interactive=False, verbosity=0)
    setup_seconds = time.monotonic() - step
    pages, missing, context = plan_pages()
    counts = query_counts(pages)
    memory = export_memory(context)
    connections.close_all()

    server_cpus, client_cpus = cpu_sets()
    log_dir = var_dir
    servers = {
        "hello": Server(
            "bench.hello_wsgi:application", env, args.workers, server_cpus, log_dir, "hello"
        ),
        "app": Server("cramplog.wsgi", env, args.workers, server_cpus, log_dir, "cramplog"),
    }
    for key, settings_module in BASELINE_SETTINGS.items():
        baseline_env = {**env, "DJANGO_SETTINGS_MODULE": settings_module}
        servers[key] = Server(
            "cramplog.wsgi", baseline_env, args.workers, server_cpus, log_dir, key
        )
    try:
        results = measure(pages, servers, args, client_cpus, context)
    finally:
        for server in servers.values():
            server.stop()
    results_writers = results.pop("writers", None)
    writers_cpu = results.pop("writers_cpu", None)
    written = None
    if results_writers is not None:
        from diary.models import Episode

        written = Episode.objects.filter(user__username__in=context["writer_names"]).count()
        written -= context["writer_episodes_before"]
    total = time.monotonic() - run_started
    report = render_report(
        args,
        database,
        pages,
        missing,
        results,
        results_writers,
        writers_cpu,
        written,
        counts,
        memory,
        context,
        load_before,
        setup_seconds,
        total,
        server_cpus,
        client_cpus,
    )
    write_report(args.output, report)
    log(report)
    log(f"Wrote {args.output} in {total:.0f} s.")


def plan_pages():
    """The pages to measure, each with the person it is measured as; missing ones listed."""
    from datetime import date

    from django.contrib.auth import get_user_model
    from django.urls import NoReverseMatch, Resolver404, resolve, reverse

    from diary.models import Episode
    from knowledge.models import Cause

    User = get_user_model()
    decade = User.objects.get(username="demo-decade")
    year_person = User.objects.get(username="demo-year")
    today = date.today()
    month = date(today.year, today.month, 1) - timedelta(days=1)
    night_episode = (
        Episode.objects.owned_by(decade)
        .filter(activity="sleeping", local_hour__in=[22, 23, 0, 1, 2, 3, 4, 5])
        .order_by("-started_at")
        .first()
    )
    cause = Cause.objects.published().order_by("title").first()
    writer_names = [f"demo-month-{n:06d}" for n in range(1, WRITERS + 1)]
    context = {
        "decade": decade,
        "year_person": year_person,
        "decade_episodes": Episode.objects.owned_by(decade).count(),
        "year_episodes": Episode.objects.owned_by(year_person).count(),
        "total_episodes": Episode.objects.count(),
        "people": User.objects.filter(username__startswith="demo-").count(),
        "month": month,
        "login_path": reverse("login"),
        "writer_names": writer_names,
        "writer_episodes_before": Episode.objects.filter(user__username__in=writer_names).count(),
    }
    candidates = [
        ("hello", "Bare WSGI app (gunicorn)", "/", None),
        ("plaintext_none", "Django fixed response, no middleware", "/bench/plaintext/", None),
        (
            "plaintext_stock",
            "Django fixed response, startproject's 7 middleware",
            "/bench/plaintext/",
            None,
        ),
        ("plaintext", "Django fixed response, full middleware", "/bench/plaintext/", None),
        ("fortunes", "Fortunes: 12 rows through a template", "/bench/fortunes/", None),
        ("fortunes_signed_in", "Fortunes, signed in", "/bench/fortunes/", "decade"),
        ("home", "Home", "/", "decade"),
        ("list", "Diary list", "/diary/", "decade"),
        (
            "detail",
            "Episode detail with matches",
            f"/diary/{night_episode.pk}/" if night_episode else None,
            "decade",
        ),
        (
            "month_decade",
            f"Month page {month:%Y-%m}, ten-year person",
            f"/diary/{month:%Y}/{month:%m}/",
            "decade",
        ),
        (
            "month_year",
            f"Month page {month:%Y-%m}, one-year person",
            f"/diary/{month:%Y}/{month:%m}/",
            "year",
        ),
        ("year_decade", f"Year page {month:%Y}, ten-year person", f"/diary/{month:%Y}/", "decade"),
        (
            "cause",
            f"Knowledge cause page ({cause.slug})" if cause else "Knowledge cause page",
            f"/knowledge/causes/{cause.slug}/" if cause else None,
            "decade",
        ),
        (
            "export",
            f"CSV export, ten years ({context['decade_episodes']:,} rows)",
            "/diary/export.csv",
            "decade",
        ),
        ("rows", "Same rows read with values_list", "/bench/rows/", "decade"),
    ]
    pages, missing = [], []
    for key, label, path, who in candidates:
        if path is None:
            missing.append((label, "nothing to show it for (no data)"))
            continue
        if key != "hello":
            try:
                resolve(path)
            except Resolver404:
                missing.append((label, f"{path} does not resolve yet"))
                continue
        pages.append({"key": key, "label": label, "path": path, "who": who})
    try:
        create_path = reverse("episode_create")
        pages.append(
            {
                "key": "writers",
                "label": f"Episode creation, {WRITERS} concurrent writers",
                "path": create_path,
                "who": "writers",
            }
        )
    except NoReverseMatch:
        missing.append(("Episode creation", "episode_create does not resolve"))
    return pages, missing, context


def query_counts(pages):
    """Queries each page runs, counted in this process with Django's test client."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    counts = {}
    clients = {}
    for page in pages:
        if page["key"] in {"hello", "writers"}:
            continue
        who = page["who"]
        if who not in clients:
            client = Client(raise_request_exception=False, HTTP_HOST="127.0.0.1")
            if who:
                from django.contrib.auth import get_user_model

                username = {"decade": "demo-decade", "year": "demo-year"}[who]
                user = get_user_model().objects.get(username=username)
                client.force_login(user, backend="diary.backends.ProfileModelBackend")
            clients[who] = client
        # Once before counting, as under load: the first request of a process also reads
        # the matching rules (diary.advice.load_rules).
        clients[who].get(page["path"])
        with CaptureQueriesContext(connection) as queries:
            response = clients[who].get(page["path"])
            if response.streaming:
                for _chunk in response.streaming_content:
                    pass
        counts[page["key"]] = (len(queries), response.status_code)
    return counts


def export_memory(context):
    """Peak Python memory while streaming the ten-year person's export: five years, then ten.

    A streamed export holds one chunk of rows at a time, so doubling the rows past the chunk
    size should leave the peak about where it was.
    """
    from datetime import date

    from django.test import Client
    from django.urls import Resolver404, resolve

    try:
        resolve("/diary/export.csv")
    except Resolver404:
        return None
    client = Client(raise_request_exception=False, HTTP_HOST="127.0.0.1")
    client.force_login(context["decade"], backend="diary.backends.ProfileModelBackend")
    half = date.today() - timedelta(days=5 * 365)
    peaks = {}
    for key, query in (("half", f"?start={half}"), ("all", "")):
        tracemalloc.start()
        response = client.get("/diary/export.csv" + query)
        content = response.streaming_content if response.streaming else [response.content]
        size = sum(len(chunk) for chunk in content)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        if response.status_code != 200:
            return None
        peaks[key] = {"peak": peak, "bytes": size}
    return peaks


def measure(pages, servers, args, client_cpus, context):
    script = BASE_DIR / "bench" / "report.lua"
    app = servers["app"]
    visitors = {None: Visitor(app.url)}
    for who, username in (("decade", "demo-decade"), ("year", "demo-year")):
        visitors[who] = Visitor(app.url)
        visitors[who].sign_in(context["login_path"], username, "demo cramps at night")
    results = {}
    for page in pages:
        if page["key"] == "writers":
            writers = []
            for username in context["writer_names"]:
                visitor = Visitor(app.url)
                visitor.sign_in(context["login_path"], username, "demo cramps at night")
                writers.append(visitor)
            log(f"Measuring {page['label']} for {args.seconds} s")
            # The writer threads inherit this thread's CPU, away from the server's.
            own_cpus = os.sched_getaffinity(0)
            if client_cpus:
                os.sched_setaffinity(0, {int(client_cpus)})
            cpu_before = app.cpu_seconds()
            results["writers"] = writers_run(app.url, writers, args.seconds, page["path"])
            results["writers_cpu"] = app.cpu_seconds() - cpu_before
            os.sched_setaffinity(0, own_cpus)
            continue
        server = servers.get(page["key"], app)
        visitor = visitors[page["who"]]
        status, headers, body = visitor.fetch(page["path"])
        if status != 200:
            results[page["key"]] = {"skipped": f"answers {status}"}
            log(f"Skipping {page['label']}: {page['path']} answers {status}")
            continue
        url = server.url + page["path"]
        cookie = visitor.header() if page["who"] else ""
        log(f"Measuring {page['label']} ({page['path']}) for {args.seconds} s")
        wrk(url, WARMUP_SECONDS, cookie, client_cpus, script)
        cpu_before = server.cpu_seconds()
        figures = wrk(url, args.seconds, cookie, client_cpus, script)
        if not figures["requests"]:
            results[page["key"]] = {"skipped": f"no request finished in {args.seconds} s"}
            continue
        figures["cpu_ms"] = (server.cpu_seconds() - cpu_before) * 1000 / figures["requests"]
        figures["bytes"] = len(body)
        figures["streamed"] = "Content-Length" not in headers
        if page["key"] == "fortunes":
            figures["rows"] = len(re.findall(r"<tr><td>", body.decode()))
        results[page["key"]] = figures
    return results


def render_report(
    args,
    database,
    pages,
    missing,
    results,
    writers,
    writers_cpu,
    written,
    counts,
    memory,
    context,
    load_before,
    setup_seconds,
    total,
    server_cpus,
    client_cpus,
):
    facts = machine_facts()
    fortunes = results.get("fortunes", {}).get("rps")
    fortunes_cpu = results.get("fortunes", {}).get("cpu_ms")
    lines = [
        f"Run on {datetime.now().astimezone():%Y-%m-%d %H:%M %Z} with "
        f"`{' '.join(['.venv/bin/python', 'bench/run.py', *sys.argv[1:]])}` (`make bench`).",
        "",
        f"- Machine: {facts['cpus']} CPUs ({facts['model']}), {facts['memory']} memory; "
        f"load average {load_before[0]:.2f} before the run.",
        "- Versions: " + ", ".join(f"{name} {version}" for name, version in versions().items()),
        f"- Database: {database}. Seeded {context['people']:,} demo people with "
        f"{context['total_episodes']:,} episodes (ten-year person {context['decade_episodes']:,}, "
        f"one-year person {context['year_episodes']:,}) in {setup_seconds:.0f} s "
        "including migrations and collectstatic.",
        f"- Server: gunicorn, {args.workers} sync workers, DEBUG off, whitenoise, "
        + (f"pinned to CPU {server_cpus}" if server_cpus else "not pinned (one CPU)")
        + f". Load: wrk, {THREADS} threads, {CONNECTIONS} connections, {args.seconds} s per "
        f"page after {WARMUP_SECONDS} s of warm-up, "
        + (f"pinned to CPU {client_cpus}" if client_cpus else "not pinned")
        + f"; writers: {WRITERS} Python threads on the same CPU as wrk, each signed in as a "
        "different person.",
        f"- Whole run: {total:.0f} s.",
        "",
        "| Page | Signed in as | req/s | p50 ms | p99 ms | errors | queries | × fortunes "
        "| server CPU ms/req | × fortunes by CPU |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    who_names = {None: "nobody", "decade": "ten-year person", "year": "one-year person"}
    for page in pages:
        key = page["key"]
        if key == "writers":
            continue
        figures = results.get(key, {})
        if "skipped" in figures:
            lines.append(f"| {page['label']} | {who_names[page['who']]} | {figures['skipped']} |")
            continue
        queries = counts.get(key, ("",))[0]
        ratio = f"{figures['rps'] / fortunes:.2f}" if fortunes else ""
        cpu_ratio = f"{fortunes_cpu / figures['cpu_ms']:.2f}" if fortunes_cpu else ""
        lines.append(
            f"| {page['label']} | {who_names[page['who']]} | {figures['rps']:,.0f} | "
            f"{figures['p50']:.1f} | {figures['p99']:.1f} | {figures['errors']} | {queries} | "
            f"{ratio} | {figures['cpu_ms']:.2f} | {cpu_ratio} |"
        )
    if writers is not None:
        latencies, failures, elapsed = writers
        if latencies:
            rps = len(latencies) / elapsed
            ratio = f"{rps / fortunes:.2f}" if fortunes else ""
            cpu_ms = writers_cpu * 1000 / len(latencies)
            cpu_ratio = f"{fortunes_cpu / cpu_ms:.2f}" if fortunes_cpu else ""
            lines.append(
                f"| Episode creation, {WRITERS} concurrent writers | {WRITERS} month people | "
                f"{rps:,.0f} | {percentile(latencies, 0.5):.1f} | "
                f"{percentile(latencies, 0.99):.1f} | {len(failures)} |  | {ratio} | "
                f"{cpu_ms:.2f} | {cpu_ratio} |"
            )
        else:
            lines.append(f"| Episode creation | | no request succeeded: {failures[:1]} |")
    lines += [
        "",
        "Targets (issue 8). Throughput is judged by req/s, as the issue asks, and again by the "
        "server CPU each request took, which other work on the machine disturbs far less:",
        "",
        "| Target | By req/s or p50 | Met | By server CPU per request | Met |",
        "|---|---|---|---|---|",
    ]

    def verdict(met):
        return "yes" if met else "**no**"

    def target(name, figure, met, cpu_figure="", cpu_met=None):
        cpu_verdict = "" if cpu_met is None else verdict(cpu_met)
        lines.append(f"| {name} | {figure} | {verdict(met)} | {cpu_figure} | {cpu_verdict} |")

    def measured(key):
        return "rps" in results.get(key, {})

    def faster(key, than, floor, name):
        """Throughput of key over than's, by req/s and by CPU per request."""
        ratio = results[key]["rps"] / results[than]["rps"]
        cpu_ratio = results[than]["cpu_ms"] / results[key]["cpu_ms"]
        target(name, f"{ratio:.2f}×", ratio >= floor, f"{cpu_ratio:.2f}×", cpu_ratio >= floor)

    def slower(key, than, ceiling, name):
        """Time of key over than's, by p50 latency and by CPU per request."""
        ratio = results[key]["p50"] / results[than]["p50"]
        cpu_ratio = results[key]["cpu_ms"] / results[than]["cpu_ms"]
        target(
            name,
            f"{results[key]['p50']:.1f} / {results[than]['p50']:.1f} ms = {ratio:.2f}×",
            ratio <= ceiling,
            f"{results[key]['cpu_ms']:.1f} / {results[than]['cpu_ms']:.1f} ms = {cpu_ratio:.2f}×",
            cpu_ratio <= ceiling,
        )

    if measured("plaintext") and measured("hello"):
        faster("plaintext", "hello", 0.55, "Full middleware ≥ 0.55× bare WSGI")
        for key, name in (
            ("plaintext_none", "For scale: Django with no middleware"),
            ("plaintext_stock", "For scale: startproject's 7 middleware"),
        ):
            if measured(key):
                faster(key, "hello", 0.55, f"{name} ≥ 0.55× bare WSGI")
    for key, name, floor in (
        ("list", "Diary list", 0.5),
        ("detail", "Episode detail", 0.5),
        ("month_decade", "Month page (ten years)", 0.33),
        ("year_decade", "Year page (ten years)", 0.33),
    ):
        if measured(key) and measured("fortunes"):
            faster(key, "fortunes", floor, f"{name} ≥ {floor}× fortunes")
    if measured("month_decade") and measured("month_year"):
        slower("month_decade", "month_year", 1.5, "Month page: ten years ≤ 1.5× one year")
    if measured("export") and measured("rows"):
        slower("export", "rows", 3, "CSV export ≤ 3× reading the rows with values_list")
        target(
            "CSV export streamed",
            "no Content-Length, sent in chunks"
            if results["export"]["streamed"]
            else "sent whole, with a Content-Length",
            results["export"]["streamed"],
        )
    if memory:
        half, full = memory["half"], memory["all"]
        target(
            "CSV export memory flat: peak Python memory, five years → ten years",
            f"{half['peak'] / 1024:,.0f} KiB for {half['bytes'] / 1024:,.0f} KiB of CSV → "
            f"{full['peak'] / 1024:,.0f} KiB for {full['bytes'] / 1024:,.0f} KiB of CSV",
            full["peak"] < 1.25 * half["peak"],
        )
    if writers is not None and writers[0]:
        latencies, failures, _elapsed = writers
        p50, p99 = percentile(latencies, 0.5), percentile(latencies, 0.99)
        target(
            f"{WRITERS} concurrent writers on {database}: no error",
            f"{len(failures)} failed of {len(latencies) + len(failures)}; {written} episodes saved",
            not failures and written == len(latencies),
        )
        target("Writers: p99 < 10× p50", f"{p99 / p50:.1f}×", p99 < 10 * p50)
    fortune_rows = results.get("fortunes", {}).get("rows")
    if fortune_rows is not None and fortune_rows != 13:
        lines += ["", f"Fortunes rendered {fortune_rows} rows instead of 13 (12 tips + 1)."]
    if missing:
        lines += ["", "Not measured (missing):", ""]
        lines += [f"- {label}: {why}" for label, why in missing]
    lines += ["", "Queries counted in-process with the test client, on each page's second request."]
    return "\n".join(lines)


def write_report(path, report):
    path.parent.mkdir(parents=True, exist_ok=True)
    block = f"{START_MARK}\n{report}\n{END_MARK}"
    if path.exists() and START_MARK in path.read_text():
        before, rest = path.read_text().split(START_MARK, 1)
        after = rest.split(END_MARK, 1)[1] if END_MARK in rest else ""
        path.write_text(before + block + after)
    else:
        path.write_text(f"# Performance\n\n{block}\n")


if __name__ == "__main__":
    main()
