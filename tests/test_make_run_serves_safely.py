"""gunicorn as `make run` starts it: slow clients cannot tie it up, oversized bodies are refused
before they are sent, and the access log keeps no query strings or share links."""

import contextlib
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from .conftest import copy_of
from .test_concurrency import free_port, manage

BASE_DIR = Path(__file__).resolve().parent.parent
GUNICORN = Path(sys.executable).with_name("gunicorn")


@pytest.fixture(scope="module")
def server(tmp_path_factory, migrated_sqlite):
    var_dir = tmp_path_factory.mktemp("var")
    copy_of(migrated_sqlite, var_dir)
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "DATABASE_URL", "CRAMPLOG_"))
    }
    env.update(
        CRAMPLOG_VAR_DIR=str(var_dir),
        DJANGO_ALLOWED_HOSTS="127.0.0.1",
        DJANGO_SECRET_KEY="make-run-test-secret-key-" + "x" * 40,
    )
    manage(env, "collectstatic", "--noinput")
    port = free_port()
    access_log = var_dir / "access.log"
    process = subprocess.Popen(
        [
            str(GUNICORN),
            "cramplog.wsgi",
            "--config",
            "gunicorn.conf.py",
            "--bind",
            f"127.0.0.1:{port}",
            "--access-logfile",
            str(access_log),
        ],
        cwd=BASE_DIR,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(url + "/healthz", timeout=2)
                break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise
                time.sleep(0.2)
        yield {"port": port, "url": url, "access_log": access_log}
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_make_run_starts_gunicorn_with_this_configuration():
    recipe = subprocess.run(
        ["make", "-n", "-W", "setup", "run"], cwd=BASE_DIR, capture_output=True, text=True
    ).stdout

    assert "gunicorn cramplog.wsgi --config gunicorn.conf.py" in recipe


def test_four_slow_header_sockets_do_not_block_the_health_check(server):
    slow = []
    try:
        for _ in range(4):
            sock = socket.create_connection(("127.0.0.1", server["port"]))
            # Headers begun and never finished, as a slowloris client sends them.
            sock.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: a")
            slow.append(sock)
        time.sleep(0.5)

        with urllib.request.urlopen(server["url"] + "/healthz", timeout=5) as response:
            assert (response.status, response.read()) == (200, b"ok")
    finally:
        for sock in slow:
            sock.close()


def test_a_50_mb_upload_is_answered_413_before_its_body_is_sent(server):
    with socket.create_connection(("127.0.0.1", server["port"]), timeout=10) as sock:
        sock.sendall(
            b"POST /diary/import/ HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"Content-Type: multipart/form-data; boundary=x\r\n"
            b"Content-Length: 52428800\r\n\r\n" + b"x" * 65536
        )
        answer = b""
        while b"</html>" not in answer and (chunk := sock.recv(65536)):
            answer += chunk

    assert answer.startswith(b"HTTP/1.1 413 ")
    assert b"too large" in answer


def test_the_access_log_has_paths_without_their_query_strings(server):
    for path in ["/knowledge/search/?q=statin+pregnant", "/diary/?location=calf&activity=sleeping"]:
        with contextlib.suppress(urllib.error.HTTPError):
            urllib.request.urlopen(server["url"] + path, timeout=10)

    deadline = time.monotonic() + 10
    while "/diary/" not in server["access_log"].read_text() and time.monotonic() < deadline:
        time.sleep(0.1)
    logged = server["access_log"].read_text()
    assert '"GET /knowledge/search/ HTTP/1.1" 200' in logged
    assert '"GET /diary/ HTTP/1.1" 302' in logged
    for detail in ["statin", "pregnant", "calf", "sleeping", "?"]:
        assert detail not in logged


def test_the_access_log_keeps_share_links_out(server):
    token = "a-share-token-that-must-not-be-logged"
    with contextlib.suppress(urllib.error.HTTPError):
        urllib.request.urlopen(f"{server['url']}/share/{token}/", timeout=10)

    deadline = time.monotonic() + 10
    while "/share/" not in server["access_log"].read_text() and time.monotonic() < deadline:
        time.sleep(0.1)
    logged = server["access_log"].read_text()
    assert '"GET /share/…/ HTTP/1.1" 404' in logged
    assert token not in logged


def test_pages_link_the_collected_files_by_their_hashed_names_and_they_are_served(server):
    """The production storage works out each file's URL once per process (cramplog.storage):
    every view must still name the hashed copy that collectstatic wrote."""
    pages = [
        urllib.request.urlopen(server["url"] + "/accounts/login/", timeout=10).read().decode()
        for _ in range(3)
    ]
    stylesheets = [re.findall(r'href="(/static/[^"]+\.css)"', page) for page in pages]

    assert stylesheets[0] == stylesheets[1] == stylesheets[2]
    assert any(re.search(r"/bootstrap\.min\.[0-9a-f]{12}\.css$", url) for url in stylesheets[0])
    for url in stylesheets[0]:
        response = urllib.request.urlopen(server["url"] + url, timeout=10)
        assert response.status == 200
        assert "immutable" in response.headers["Cache-Control"]
