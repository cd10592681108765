"""Every page is valid HTML, by the Nu Html Checker (the W3C's validator, from npm's vnu-jar).

The pages are saved from the test client and checked in one run of the validator, because the
Java virtual machine takes seconds to start.
"""

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from django.test import Client

from .sitepages import (
    add_sign_in_methods,
    admin_pages,
    anonymous_pages,
    build_site,
    expected_status,
    make_drafts,
    make_editor,
    refusal_pages,
    sign_in_step_pages,
    signed_in_client,
    signed_in_pages,
)

VNU_JAR = Path(__file__).resolve().parent.parent / "node_modules/vnu-jar/build/dist/vnu.jar"


def validator_command():
    """The command that runs the checker, or skips (fails on CI) saying what is missing."""
    missing = None
    if not VNU_JAR.exists():
        missing = f"{VNU_JAR} is missing: run `npm ci --ignore-scripts` (make test does)"
    elif not shutil.which("java"):
        missing = "Java is missing: apt-get install default-jre-headless"
    if missing:
        if os.environ.get("CI"):
            pytest.fail(f"{missing} (CI must check the HTML)")
        pytest.skip(missing)
    # One short run: the JVM's quick compiler alone halves its CPU time against the default,
    # which also spends seconds optimising code that will not run long enough to repay it.
    java = ["java", "-XX:TieredStopAtLevel=1", "-Xss4m"]
    return [*java, "-jar", str(VNU_JAR), "--errors-only", "--format", "json"]


def save(client, url, folder, name, expected_status=200):
    response = client.get(url)
    assert response.status_code == expected_status, url
    path = folder / f"{name}.html"
    path.write_bytes(response.content)
    return path, url


def test_every_page_is_valid_html(owner, tmp_path):
    command = validator_command()
    episode = build_site(owner)
    add_sign_in_methods(owner)
    make_drafts(make_editor("author"))
    editor = make_editor(reviewer=True)
    saved = {}

    for state, user, urls in (
        ("signed-in", owner, signed_in_pages(episode)),
        ("anonymous", None, anonymous_pages()),
        ("admin", editor, admin_pages()),
    ):
        client = signed_in_client(user) if user else Client(HTTP_HOST="localhost")
        for number, url in enumerate(urls):
            path, url = save(client, url, tmp_path, f"{state}-{number:02d}", expected_status(url))
            saved[path.name] = f"{url} ({state})"

    for kind, pages in (
        ("refusal", refusal_pages(owner, episode)),
        ("sign-in", sign_in_step_pages(owner)),
    ):
        for name, response in pages:
            path = tmp_path / f"{kind}-{name}.html"
            path.write_bytes(response.content)
            saved[path.name] = f"the {name} page"

    # An invalid HTML document is not an error of the command: the exit code only says
    # whether there were messages, so the JSON report is what decides.
    result = subprocess.run(
        [*command, *sorted(str(path) for path in tmp_path.glob("*.html"))],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.stderr.strip(), f"the validator said nothing:\n{result.stdout}"
    messages = json.loads(result.stderr)["messages"]
    problems = [
        f"{saved.get(message.get('url', '').rpartition('/')[2])} line {message.get('lastLine')}: "
        f"{message['message']}\n    {message.get('extract', '').strip()}"
        for message in messages
    ]
    assert not problems, f"{len(problems)} HTML errors:\n" + "\n".join(problems)
    assert len(saved) == len(list(tmp_path.glob("*.html")))
