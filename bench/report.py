"""`make bench`: runs every benchmark in bench/ one after the other and prints one table of every
figure that names its target (the lines with "target" in them), with met / not met as each benchmark
judged it, the date and the load average before and after each benchmark (this machine is shared:
figures under load are noisy). The whole output of each benchmark is kept in var/bench/<name>.log.

    uv run --no-sync python bench/report.py [--only catalog_search,bidding_quotes]
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

HERE = Path(__file__).parent
LOGS = HERE.parent / "var" / "bench"


def verdict(line: str) -> str:
    if re.search(r"NOT met|not met", line):
        return "NOT met"
    if re.search(r"\bmet\b", line):
        return "met"
    return "?"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", help="comma-separated benchmark names (without .py)")
    args = parser.parse_args()
    names = sorted(p.stem for p in HERE.glob("*.py") if p.stem not in ("benchlib", "report"))
    if args.only:
        names = [n for n in names if n in args.only.split(",")]
    LOGS.mkdir(parents=True, exist_ok=True)
    rows: list[tuple[str, str, str, str]] = []
    failed = []
    for name in names:
        before = os.getloadavg()[0]
        print(f"== bench/{name}.py (load average {before:.1f})", flush=True)
        started = time.monotonic()
        with open(LOGS / f"{name}.log", "w") as log:
            process = subprocess.Popen([sys.executable, str(HERE / f"{name}.py")], stdout=subprocess.PIPE,
                                       stderr=subprocess.STDOUT, text=True)
            for line in process.stdout:
                sys.stdout.write(line)
                log.write(line)
                if "target" in line:
                    rows.append((name, line.strip(), verdict(line), f"{before:.1f}→{os.getloadavg()[0]:.1f}"))
            if process.wait() != 0:
                failed.append(name)
                rows.append((name, f"exited {process.returncode} after {time.monotonic() - started:.0f} s", "NOT met",
                             f"{before:.1f}→{os.getloadavg()[0]:.1f}"))
    print(f"\nbenchmarks of {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC, {os.cpu_count()} CPUs, "
          f"load average now {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    print(f"| {'benchmark':22} | {'verdict':7} | {'load':9} | figure against its target")
    print(f"|{'-' * 24}|{'-' * 9}|{'-' * 11}|{'-' * 40}")
    for name, line, met, load in rows:
        print(f"| {name:22} | {met:7} | {load:9} | {line}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
