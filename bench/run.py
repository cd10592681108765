"""Benchmark cramplog as it runs in production, against the framework's own ceiling.

Seeds a throw-away database (SQLite in a temporary folder, or the PostgreSQL database that
DATABASE_URL names), starts gunicorn with DEBUG off and whitenoise as `make run` does, pinned
to one core, and drives it with wrk pinned to another, on 127.0.0.1 only. Baselines (a bare
WSGI app, a fixed Django response, a TechEmpower-style fortunes page) are measured in the same
run, so the ratios hold on any machine. Writes the table into docs/performance.md.

    .venv/bin/python bench/run.py [--seconds 4] [--rounds 3] [--workers 3] [--large] [--json PATH]

bench/load.py runs the load, bench/measure.py turns it into figures, bench/report.py writes them.
"""

import argparse
import os
import shutil
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

# Run as a script, Python puts bench/ first on the path; Django and bench.* need the project.
sys.path[0] = str(Path(__file__).resolve().parent.parent)

import django  # noqa: E402

from bench import load, measure, pages, report  # noqa: E402


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=4, help="wrk duration per page and round")
    parser.add_argument(
        "--rounds", type=int, default=3, help="times each page is measured, in turn (median)"
    )
    parser.add_argument("--workers", type=int, default=3, help="gunicorn workers (as make run)")
    parser.add_argument("--large", action="store_true", help="seed about a million episodes")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--output", type=Path, default=report.OUTPUT)
    parser.add_argument("--json", type=Path, help="also write the run's figures to this file")
    return parser.parse_args()


def main():
    args = parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is missing: sudo apt-get install wrk (or run `make bench`).")
    var_dir = Path(tempfile.mkdtemp(prefix="cramplog-bench-"))
    try:
        result = run(args, var_dir)
    finally:
        shutil.rmtree(var_dir, ignore_errors=True)
    text = report.markdown(result)
    report.write_markdown(args.output, text)
    if args.json:
        report.write_json(args.json, result)
    load.log(text)
    written = f"{args.output} and {args.json}" if args.json else args.output
    load.log(f"Wrote {written} in {result.total_seconds:.0f} s.")


def run(args, var_dir):
    started = time.monotonic()
    load_before = os.getloadavg()[0]
    env = load.environment(var_dir)
    os.environ.update(env)
    django.setup()
    from django.db import connections

    seeded = load.seed(args.large, args.seed)
    plan = pages.plan(seeded.decade_episodes)
    queries = measure.query_counts(plan.pages)
    export_memory = measure.export_memory()
    connections.close_all()

    cpus = load.cpu_sets()
    servers = load.start_servers(env, args.workers, cpus.server, var_dir)
    try:
        results = measure.measure_pages(plan, servers, args.seconds, cpus.client, args.rounds)
        writers = None
        if plan.writers:
            writers = measure.measure_writers(
                plan, servers["app"], args.seconds * args.rounds, cpus.client
            )
    finally:
        for server in servers.values():
            server.stop()
    total = time.monotonic() - started
    return measure.Run(
        when=datetime.now().astimezone(),
        command=" ".join([".venv/bin/python", "bench/run.py", *sys.argv[1:]]),
        machine=measure.machine(),
        versions=measure.versions(),
        load_before=load_before,
        seeded=seeded,
        workers=args.workers,
        seconds=args.seconds,
        cpus=cpus,
        total_seconds=total,
        pages=results,
        writers=writers,
        queries=queries,
        export_memory=export_memory,
        missing=plan.missing,
        rounds=args.rounds,
    )


if __name__ == "__main__":
    main()
