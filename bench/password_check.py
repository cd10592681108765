"""Time one password check with Django's default Argon2 and with cramplog's tuned one.

    .venv/bin/python bench/password_check.py [--runs 20]

Prints the median wall-clock and CPU milliseconds per check; docs/security.md keeps the
figures. `measure()` returns them for bench/run.py's table.
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
SAMPLE = "correct horse battery staple"


def measure(runs=20):
    """[(hasher name, parameters, median wall ms, median CPU ms)] for both hashers."""
    from django.contrib.auth.hashers import Argon2PasswordHasher

    from cramplog.hashers import TunedArgon2PasswordHasher

    results = []
    for hasher in (Argon2PasswordHasher(), TunedArgon2PasswordHasher()):
        encoded = hasher.encode(SAMPLE, hasher.salt())
        walls, cpus = [], []
        for _ in range(runs):
            wall, cpu = time.perf_counter(), time.process_time()
            hasher.verify(SAMPLE, encoded)
            walls.append(time.perf_counter() - wall)
            cpus.append(time.process_time() - cpu)
        parameters = (
            f"{hasher.memory_cost // 1024} MiB, {hasher.time_cost} passes, "
            f"{hasher.parallelism} lane(s)"
        )
        results.append(
            (
                type(hasher).__name__,
                parameters,
                statistics.median(walls) * 1000,
                statistics.median(cpus) * 1000,
            )
        )
    return results


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cramplog.settings")
    sys.path.insert(0, str(BASE_DIR))
    import django

    django.setup()
    print("| Hasher | Parameters | Wall ms per check | CPU ms per check |")
    print("|---|---|---:|---:|")
    for name, parameters, wall, cpu in measure(args.runs):
        print(f"| {name} | {parameters} | {wall:.0f} | {cpu:.0f} |")


if __name__ == "__main__":
    main()
