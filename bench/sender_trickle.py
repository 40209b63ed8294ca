"""A trickle of points into the PostgreSQL team server: what the sender's linger saves it.

    .venv/bin/python bench/sender_trickle.py [--kernels 8] [--rate 200] [--seconds 20]
                                             [--repeat 2] [--workers 4] [--json out.json]

Starts the team server (PostgreSQL, moto's S3, ``mlflow server --workers 4``;
``bench/kernel_driver.py``) and ``--kernels`` tracked kernels. Each phase, every kernel starts a
run and logs ``--rate`` points a second for ``--seconds`` s (``bench/eight_kernels.py``'s paced
loop, all kernels at once), then waits until MLflow acknowledged every point
(``durable.flush``). Two modes, alternating (``--repeat`` times each, the order swapped every
round, so a change in the machine's load hits both):

- ``linger``: the sender as shipped, a live journal read again at most every ``LINGER`` s
  (``trackside/kernel/journal/sender.py``) while it only trickles;
- ``every answer``: ``LINGER = 0`` in each kernel, the sender before the linger: the journal
  read again, and what it holds sent, as soon as a request is answered.

Measured per phase: the log-batch requests the kernels sent, the CPU seconds of the MLflow
server's processes and of the kernels (PostgreSQL's too, a lower bound: a connection that
closes takes its time with it), the time from the end of the loops until every point was
acknowledged, and the exact number of metric rows per run in PostgreSQL. A benchmark: it
measures and prints; it asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.eight_kernels import LOOP, wait_reply
from bench.kernel_driver import (
    TeamServer,
    TrackedKernel,
    cpu_used,
    finish,
    loop_arguments,
    loop_results,
    team_server,
    team_server_arguments,
)
from trackside.kernel.journal.sender import LINGER

MODES = {"linger": LINGER, "every answer": 0.0}

# Once per kernel: count the log-batch requests its sender makes.
COUNT_REQUESTS = """
import threading
from trackside.kernel.journal.durable import active
_requests, _requests_lock = [0], threading.Lock()  # the sender's worker threads all count
def _counted(*args, _send=active()._backlog_sender.transport.log_batch, **kwargs):
    with _requests_lock:
        _requests[0] += 1
    return _send(*args, **kwargs)
active()._backlog_sender.transport.log_batch = _counted
"""

# Each phase: a new run, the sender's linger for it, counts from zero.
PHASE = """
import json, time, mlflow
from trackside.kernel.journal import sender as _sender
mlflow.end_run()
run = mlflow.start_run(run_name="trickle-{index}")
_sender.LINGER = {linger}
_requests[0] = 0
_cpu0 = time.process_time()
print(run.info.run_id)
"""

SETTLE = """
_t2 = time.monotonic()
_acked = active().flush(3600)
print(json.dumps({"acked": _acked, "drain_s": time.monotonic() - _t2, "requests": _requests[0],
                  "kernel_cpu_s": time.process_time() - _cpu0, "logged": _last_loop["logged"]}))
"""


def phase(
    team: TeamServer, kernels: list[TrackedKernel], linger: float, rate: int, seconds: float
) -> dict[str, Any]:
    runs = [
        k.run(PHASE.format(index=i, linger=linger)).strip().splitlines()[-1]
        for i, k in enumerate(kernels)
    ]
    cpu_before = team.cpu_seconds()
    ids = [k.client.execute(LOOP.format(rate=rate, seconds=seconds, first=0)) for k in kernels]
    for k, msg_id in zip(kernels, ids, strict=True):
        wait_reply(k, msg_id)
    settled = [k.json(SETTLE) for k in kernels]
    server = cpu_used(cpu_before, team.cpu_seconds())
    rows = [team.metric_rows(run) for run in runs]
    logged = sum(s["logged"] for s in settled)
    return {
        "linger_s": linger,
        "load_average": os.getloadavg()[0],
        "logged": logged,
        "exact": all(r == s["logged"] for r, s in zip(rows, settled, strict=True)),
        "requests": sum(s["requests"] for s in settled),
        "points_per_request": logged / max(1, sum(s["requests"] for s in settled)),
        "mlflow_server_cpu_s": server["mlflow_server"],
        "postgres_cpu_s": server["postgres"],
        "kernels_cpu_s": round(sum(s["kernel_cpu_s"] for s in settled), 2),
        "drain_s_max": round(max(s["drain_s"] for s in settled), 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    loop_arguments(parser, rate=200, seconds=20.0)
    parser.add_argument("--repeat", type=int, default=2)
    team_server_arguments(parser)
    args = parser.parse_args()
    results = loop_results(args)
    phases: dict[str, list[dict[str, Any]]] = {mode: [] for mode in MODES}
    with team_server(args.workers, "trackside-trickle-") as team:
        kernels = [TrackedKernel(team.url, team.root / "journal") for _ in range(args.kernels)]
        try:
            for k in kernels:
                k.run(COUNT_REQUESTS)
            for round_ in range(args.repeat):
                order = list(MODES) if round_ % 2 == 0 else list(reversed(MODES))
                for mode in order:
                    figures = phase(team, kernels, MODES[mode], args.rate, args.seconds)
                    phases[mode].append(figures)
                    print(json.dumps({"mode": mode, **figures}), flush=True)
        finally:
            for k in kernels:
                k.stop()
    results["phases"] = phases

    def med(mode: str, name: str) -> float:
        return statistics.median(p[name] for p in phases[mode])

    # Not PostgreSQL's: a connection that closes takes its CPU time with it, so its sums are
    # a lower bound only (recorded per phase all the same).
    for name in ("requests", "mlflow_server_cpu_s", "kernels_cpu_s"):
        results[f"{name}_ratio"] = med("linger", name) / max(1e-9, med("every answer", name))
        print(
            f"{name}: linger {med('linger', name):g}, every answer {med('every answer', name):g}"
            f" (ratio {results[f'{name}_ratio']:.3f})"
        )
    results["all_exact"] = all(p["exact"] for ps in phases.values() for p in ps)
    print(f"every run exact in PostgreSQL: {results['all_exact']}")
    finish(results, args.json)


if __name__ == "__main__":
    main()
