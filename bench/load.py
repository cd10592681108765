"""Running the load: a seeded throw-away database, gunicorn servers pinned to one core, and wrk
and eight writing threads on another. Raw output only; bench/measure.py turns it into figures."""

import http.client
import http.cookiejar
import json
import os
import shutil
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
WRK_SCRIPT = BASE_DIR / "bench" / "report.lua"
THREADS = 2
CONNECTIONS = 8
WARMUP_SECONDS = 2
# The fixed Django response again under lighter middleware, to show what bounds the full stack.
# And cramplog with none of a person's pages kept, for the first view of a page after a
# change to the last week, and with nothing kept, after a change to their history.
BASELINE_SETTINGS = {
    "plaintext_none": "bench.settings_no_middleware",
    "plaintext_stock": "bench.settings_stock_middleware",
    "first_view": "bench.settings_no_kept_pages",
    "history_changed": "bench.settings_nothing_kept",
}


def log(message):
    print(message, flush=True)


@dataclass(frozen=True)
class Cpus:
    """The core the servers run on and the one the load comes from; None when not pinned."""

    server: str | None
    client: str | None


def cpu_sets():
    """One core for the server, another for the load generator, when there are two."""
    cores = sorted(os.sched_getaffinity(0))
    if len(cores) < 2 or not shutil.which("taskset"):
        return Cpus(None, None)
    return Cpus(str(cores[0]), str(cores[1]))


def pinned(command, cpus):
    return ["taskset", "-c", cpus, *command] if cpus else command


def environment(var_dir):
    """The settings every server and this process run with: production's, on a throw-away folder."""
    return {
        **os.environ,
        "CRAMPLOG_VAR_DIR": str(var_dir),
        "CRAMPLOG_BENCH": "1",
        "DJANGO_DEBUG": "0",
        "DJANGO_LOG_LEVEL": "WARNING",
        "DJANGO_SETTINGS_MODULE": "cramplog.settings",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
    }


@dataclass(frozen=True)
class Seeded:
    database: str
    people: int
    episodes: int
    decade_episodes: int
    year_episodes: int
    seconds: float  # migrations, knowledge, demo diaries and collectstatic


def seed(large, seed):
    """Migrate, load the knowledge base, seed the demo diaries and collect static files."""
    from django.contrib.auth import get_user_model
    from django.core.management import call_command, get_commands
    from django.db import connection

    from diary.models import Episode

    database = "PostgreSQL" if connection.vendor == "postgresql" else "SQLite"
    log(f"Database: {database}; temporary folder {os.environ['CRAMPLOG_VAR_DIR']}")
    started = time.monotonic()
    call_command("migrate", verbosity=0)
    if "load_knowledge" in get_commands():
        call_command("load_knowledge", verbosity=0)
    else:
        log("load_knowledge is missing: causes, tips and matches will be empty.")
    call_command("seed_demo", large=large, seed=seed)
    call_command("collectstatic", interactive=False, verbosity=0)
    seconds = time.monotonic() - started
    people = get_user_model().objects.filter(username__startswith="demo-")
    return Seeded(
        database=database,
        people=people.count(),
        episodes=Episode.objects.count(),
        decade_episodes=Episode.objects.filter(user__username="demo-decade").count(),
        year_episodes=Episode.objects.filter(user__username="demo-year").count(),
        seconds=seconds,
    )


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


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

    def stop(self):
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()


def start_servers(env, workers, cpus, log_dir):
    """The bare WSGI app, cramplog, and cramplog under each lighter middleware, by name."""
    servers = {
        "hello": Server("bench.hello_wsgi:application", env, workers, cpus, log_dir, "hello"),
        "app": Server("cramplog.wsgi", env, workers, cpus, log_dir, "cramplog"),
    }
    for name, settings_module in BASELINE_SETTINGS.items():
        baseline_env = {**env, "DJANGO_SETTINGS_MODULE": settings_module}
        servers[name] = Server("cramplog.wsgi", baseline_env, workers, cpus, log_dir, name)
    return servers


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


def wrk(url, seconds, cookie, cpus):
    """wrk's summary of one run as bench/report.lua prints it (counts, latencies in µs)."""
    command = ["wrk", f"-t{THREADS}", f"-c{CONNECTIONS}", f"-d{seconds}s", "--timeout", "10s"]
    command += ["-s", str(WRK_SCRIPT)]
    if cookie:
        command += ["-H", f"Cookie: {cookie}"]
    output = subprocess.run(
        pinned([*command, url], cpus), capture_output=True, text=True, check=True
    ).stdout
    return json.loads(next(line for line in output.splitlines() if line.startswith("{")))


@dataclass(frozen=True)
class Writes:
    latencies: list[float]  # ms, one per episode saved
    failures: list[str]
    seconds: float


def write_episodes(base_url, visitors, seconds, create_path):
    """Several people logging cramps at once, each on their own connection."""
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
    return Writes(latencies, failures, time.monotonic() - started)
