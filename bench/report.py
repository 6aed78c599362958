"""`make bench`: runs every benchmark in bench/ one after the other and prints one table of every
figure that names its target (the lines with "target" in them), with met / not met as each benchmark
judged it, the date and the load average before and after each benchmark (this machine is shared:
figures under load are noisy). The whole output of each benchmark is kept in var/bench/<name>.log.

    uv run --no-sync python bench/report.py [--quick] [--only catalog_search,bidding_quotes]

Every figure issue 14 names is measured, so some benchmarks run with arguments or twice (FULL below):
the catalog list and detail over HTTP, 1,000 suppliers within 5 s beside 200 within 1 s, and the search
at 1,000,000 services (its loading takes most of the ~35 minutes a whole run takes on 2 cores).
`--quick` runs each benchmark once with its defaults (~15 minutes): the smaller figures only.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import time
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path

HERE = Path(__file__).parent
LOGS = HERE.parent / "var" / "bench"
# The runs beyond a benchmark's defaults that the targets need; a benchmark not named runs once as is.
FULL: dict[str, list[list[str]]] = {
    "service_cpu": [["--http"]],
    "bidding_quotes": [[], ["--suppliers", "1000", "--spread", "5"]],
    "catalog_search": [["--sizes", "10000,100000,1000000"]],
}


def verdict(line: str) -> str:
    if re.search(r"NOT met|not met", line):
        return "NOT met"
    if re.search(r"\bmet\b", line):
        return "met"
    return "?"


def load_since(before: float) -> str:
    """The load average before a benchmark → now."""
    return f"{before:.1f}→{os.getloadavg()[0]:.1f}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", help="comma-separated benchmark names (without .py)")
    parser.add_argument("--quick", action="store_true", help="each benchmark once with its defaults (no FULL runs)")
    args = parser.parse_args()
    names = sorted(p.stem for p in HERE.glob("*.py") if p.stem not in ("benchlib", "report"))
    if args.only:
        names = [n for n in names if n in args.only.split(",")]
    runs = [(name, extra) for name in names for extra in ([[]] if args.quick else FULL.get(name, [[]]))]
    LOGS.mkdir(parents=True, exist_ok=True)
    rows: list[tuple[str, str, str, str]] = []
    failed = []
    runs_of: Counter[str] = Counter()  # a second run of a benchmark keeps its own log
    for name, extra in runs:
        runs_of[name] += 1
        before = os.getloadavg()[0]

        print(f"== bench/{name}.py {' '.join(extra)} (load average {before:.1f})", flush=True)
        started = time.monotonic()
        label = " ".join([name, *extra])
        with open(LOGS / f"{name}{f'.{runs_of[name]}' if runs_of[name] > 1 else ''}.log", "w") as log:
            process = subprocess.Popen([sys.executable, str(HERE / f"{name}.py"), *extra], stdout=subprocess.PIPE,
                                       stderr=subprocess.STDOUT, text=True)
            for line in process.stdout:
                sys.stdout.write(line)
                log.write(line)
                if "target" in line:
                    rows.append((label, line.strip(), verdict(line), load_since(before)))
            if process.wait() != 0:
                failed.append(label)
                rows.append((label, f"exited {process.returncode} after {time.monotonic() - started:.0f} s", "NOT met",
                             load_since(before)))
    print(f"\nbenchmarks of {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC, {os.cpu_count()} CPUs, "
          f"load average now {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    width = max([len("benchmark"), *(len(label) for label, *_ in rows)])
    print(f"| {'benchmark':{width}} | {'verdict':7} | {'load':9} | figure against its target")
    print(f"|{'-' * (width + 2)}|{'-' * 9}|{'-' * 11}|{'-' * 40}")
    for label, line, met, load in rows:
        print(f"| {label:{width}} | {met:7} | {load:9} | {line}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
