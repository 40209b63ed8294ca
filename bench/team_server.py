"""The PostgreSQL team server for a benchmark driven from Node (``bench/eight_charts.mjs``).

    .venv/bin/python bench/team_server.py [--workers 4]

Starts PostgreSQL, moto's S3 and ``mlflow server --workers N`` (``bench/kernel_driver.py``),
prints ``{"url": …, "daemons": [PostgreSQL's pid]}`` as one JSON line, then answers each line
read from stdin (a JSON list of run ids) with one JSON line: each run's exact number of metric
rows in PostgreSQL; a line ``{"away": true}`` stops the MLflow server's processes (SIGSTOP:
a server on another host, as far as this machine's CPU goes) and ``{"away": false}`` lets
them go on. When stdin closes, or on SIGTERM, everything it started is stopped and removed.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import signal
import sys
from pathlib import Path
from typing import NoReturn

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.kernel_driver import process_tree, team_server


def _exit_on_sigterm(signum: int, frame: object) -> NoReturn:
    # A plain exit unwinds the context managers, so nothing is left running.
    raise SystemExit(0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", type=int, default=4, help="mlflow server --workers")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    with team_server(args.workers, "trackside-team-") as team:
        # PostgreSQL leaves the process that started it: Node finds its processes by this pid.
        daemons = [team.cluster.postmaster_pid]
        print(json.dumps({"url": team.url, "daemons": daemons}), flush=True)
        try:
            for line in sys.stdin:
                asked = json.loads(line)
                if isinstance(asked, dict):  # {"away": bool}
                    stopped = _set_away(team.server_pid, asked["away"])
                    print(json.dumps({"stopped": stopped}), flush=True)
                    continue
                print(json.dumps({run: team.metric_rows(run) for run in asked}), flush=True)
        finally:
            _set_away(team.server_pid, False)  # a stopped server would not hear its SIGTERM


def _set_away(pid: int, away: bool) -> int:
    """Stop (SIGSTOP) or continue the MLflow server and its workers; how many processes."""
    processes = process_tree(pid)
    for process in processes:
        with contextlib.suppress(psutil.NoSuchProcess):
            process.send_signal(signal.SIGSTOP if away else signal.SIGCONT)
    return len(processes)


if __name__ == "__main__":
    main()
