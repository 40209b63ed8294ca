"""Serving a registered model through Trackside vs `mlflow models serve` by hand (a benchmark).

    .venv/bin/python bench/serve.py [--starts 3] [--rounds 5] [--requests 100] [--json out.json]

Starts an `mlflow server` (SQLite), registers a small sklearn classifier (with its input
example) and starts a real Jupyter server with Trackside pointed at it. Then, in one run:

- cold start, interleaved: `POST /trackside/api/serving` until `GET serving/<id>` says
  `ready`, against `mlflow models serve -m models:/NAME/1 --env-manager local` started by
  hand until its `/ping` answers (both polled every 50 ms from here);
- predict, interleaved rounds: the input example POSTed to `serving/<id>/predict` (token,
  session cookie and XSRF header, as JupyterLab sends them; one keep-alive connection)
  against the same body POSTed straight to the scoring server's `/invocations`; and, as the
  floor of any call to the Jupyter server, its own `GET /api` (version, no auth, no work).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import requests

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from trackside.server.probe import free_port  # noqa: E402
from trackside.server.process_group import stop_group  # noqa: E402
from trackside.tests.jupyter_process import TOKEN, jupyter_server  # noqa: E402
from trackside.tests.servers import mlflow_server  # noqa: E402
from trackside.tests.test_serving import register_versions  # noqa: E402

MODEL = "trackside-bench-serve"
POLL = 0.05
XSRF = "trackside-bench-xsrf"


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def trackside_session(lab_url: str) -> requests.Session:
    """A session like JupyterLab's: token header, login cookie, XSRF cookie and header."""
    session = requests.Session()
    session.headers.update(
        {"Authorization": f"token {TOKEN}", "X-XSRFToken": XSRF, "Content-Type": "application/json"}
    )
    session.get(f"{lab_url}/api/status", params={"token": TOKEN}, timeout=30).raise_for_status()
    session.cookies.set("_xsrf", XSRF)
    return session


def cold_start_trackside(session: requests.Session, api: str) -> tuple[float, float, str, int]:
    """Seconds from the POST until `ready` is seen; the server's own started_at → ready_at."""
    started = time.perf_counter()
    response = session.post(f"{api}/serving", json={"name": MODEL, "version": 1}, timeout=60)
    response.raise_for_status()
    served_id = response.json()["served"]["id"]
    while True:
        served = session.get(f"{api}/serving/{served_id}", timeout=30).json()["served"]
        if served["state"] == "ready":
            seen = time.perf_counter() - started
            return (
                seen,
                (served["ready_at"] - served["started_at"]) / 1000,
                served_id,
                served["port"],
            )
        if served["state"] != "starting":
            raise RuntimeError(f"serving failed: {served['message']}")
        time.sleep(POLL)


def cold_start_by_hand(tracking_uri: str, log: Path) -> tuple[float, subprocess.Popen[bytes], int]:
    port = free_port("127.0.0.1")
    env = {**os.environ, "MLFLOW_TRACKING_URI": tracking_uri, "MLFLOW_REGISTRY_URI": tracking_uri}
    env["PATH"] = os.pathsep.join([os.path.dirname(sys.executable), env.get("PATH", "")])
    started = time.perf_counter()
    with open(log, "ab") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "mlflow", "models", "serve", "-m", f"models:/{MODEL}/1",
             "--env-manager", "local", "-h", "127.0.0.1", "-p", str(port)],
            env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    while True:
        try:
            if requests.get(f"http://127.0.0.1:{port}/ping", timeout=2).status_code == 200:
                return time.perf_counter() - started, process, port
        except requests.RequestException:
            pass
        if process.poll() is not None:
            raise RuntimeError(f"mlflow models serve exited with {process.returncode}; see {log}")
        time.sleep(POLL)


def timed_posts(
    session: requests.Session, url: str, body: str, count: int, upstream: list[float] | None = None
) -> list[float]:
    """Milliseconds per POST; ``upstream`` gets Trackside's own ``latency_ms`` when given."""
    times = []
    for _ in range(count):
        started = time.perf_counter()
        response = session.post(url, data=body, timeout=60)
        elapsed = (time.perf_counter() - started) * 1000
        response.raise_for_status()
        answer = response.json()
        if "predictions" not in answer:
            raise RuntimeError(f"no predictions: {answer}")
        times.append(elapsed)
        if upstream is not None:
            upstream.append(answer["latency_ms"])
    return times


def timed_gets(session: requests.Session, url: str, count: int) -> list[float]:
    times = []
    for _ in range(count):
        started = time.perf_counter()
        session.get(url, timeout=60).raise_for_status()
        times.append((time.perf_counter() - started) * 1000)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--starts", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--requests", type=int, default=100)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()

    root = Path(tempfile.mkdtemp(prefix="trackside-serve-"))
    results: dict[str, Any] = {
        "machine": f"{platform.machine()}, {os.cpu_count()} cores",
        "load_before": os.getloadavg()[0],
    }
    with mlflow_server(root / "mlflow") as tracking:
        registered = register_versions(tracking.url, MODEL, versions=1)
        notebooks = root / "notebooks"
        notebooks.mkdir()
        extra = [f"--Trackside.tracking_uri={tracking.url}"]
        with jupyter_server(notebooks, free_port("127.0.0.1"), extra) as lab:
            lab.wait_ready()
            api = f"{lab.url}/trackside/api"
            session = trackside_session(lab.url)

            seen, server_side, by_hand = [], [], []
            for _ in range(args.starts):  # interleaved, so load changes hit both
                t_seen, t_server, served_id, _ = cold_start_trackside(session, api)
                session.delete(f"{api}/serving/{served_id}", timeout=60).raise_for_status()
                seconds, process, _ = cold_start_by_hand(tracking.url, root / "by-hand.log")
                stop_group(process.pid, grace=5)
                process.wait()
                seen.append(t_seen)
                server_side.append(t_server)
                by_hand.append(seconds)

            _, _, served_id, port = cold_start_trackside(session, api)
            split = json.loads(registered.example.to_json(orient="split", index=False))
            body = json.dumps({"dataframe_split": split})
            through, direct, upstream, floor = [], [], [], []
            straight = requests.Session()
            straight.headers["Content-Type"] = "application/json"
            predict_url = f"{api}/serving/{served_id}/predict"
            direct_url = f"http://127.0.0.1:{port}/invocations"
            timed_posts(session, predict_url, body, 10)  # warm both paths up
            timed_posts(straight, direct_url, body, 10)
            differences = []
            for _ in range(args.rounds):
                a = timed_posts(session, predict_url, body, args.requests, upstream)
                b = timed_posts(straight, direct_url, body, args.requests)
                floor += timed_gets(session, f"{lab.url}/api", args.requests)
                through += a
                direct += b
                differences.append(statistics.median(a) - statistics.median(b))
            results["load_after"] = os.getloadavg()[0]
            lab.process.send_signal(signal.SIGTERM)
            lab.process.wait(timeout=60)

    results.update(
        {
            "cold_start_trackside_s": seen,
            "cold_start_trackside_server_side_s": server_side,
            "cold_start_by_hand_s": by_hand,
            "cold_start_ratio": statistics.median(seen) / statistics.median(by_hand),
            "predict_trackside_ms": {
                "p50": percentile(through, 50),
                "p95": percentile(through, 95),
            },
            "predict_direct_ms": {"p50": percentile(direct, 50), "p95": percentile(direct, 95)},
            # Measured by the Jupyter server around its own call to /invocations.
            "predict_upstream_in_server_ms": {
                "p50": percentile(upstream, 50),
                "p95": percentile(upstream, 95),
            },
            "overhead_p50_ms": percentile(through, 50) - percentile(direct, 50),
            "jupyter_floor_ms": {"p50": percentile(floor, 50), "p95": percentile(floor, 95)},
            "overhead_p50_per_round_ms": differences,
            "requests_each": len(through),
        }
    )
    r = results
    print(f"machine: {r['machine']}; load average {r['load_before']:.2f} → {r['load_after']:.2f}")
    print(
        f"cold start, Trackside (POST → ready seen): median {statistics.median(seen):.2f} s "
        f"({', '.join(f'{v:.2f}' for v in seen)}); server side started_at → ready_at: "
        f"{statistics.median(server_side):.2f} s"
    )
    print(
        f"cold start, `mlflow models serve` by hand (→ /ping): median "
        f"{statistics.median(by_hand):.2f} s ({', '.join(f'{v:.2f}' for v in by_hand)}); "
        f"ratio {r['cold_start_ratio']:.2f}x"
    )
    print(
        f"predict ({r['requests_each']} requests each, {args.rounds} interleaved rounds): "
        f"Trackside p50 {r['predict_trackside_ms']['p50']:.2f} ms, "
        f"p95 {r['predict_trackside_ms']['p95']:.2f} ms; straight to the port p50 "
        f"{r['predict_direct_ms']['p50']:.2f} ms, p95 {r['predict_direct_ms']['p95']:.2f} ms; "
        f"overhead p50 {r['overhead_p50_ms']:.2f} ms (per round: "
        f"{', '.join(f'{v:.2f}' for v in differences)})"
    )
    print(
        f"of which the Jupyter server's own call to /invocations (its latency_ms): p50 "
        f"{r['predict_upstream_in_server_ms']['p50']:.2f} ms, "
        f"p95 {r['predict_upstream_in_server_ms']['p95']:.2f} ms; the Jupyter server's own "
        f"GET /api: p50 {r['jupyter_floor_ms']['p50']:.2f} ms, "
        f"p95 {r['jupyter_floor_ms']['p95']:.2f} ms"
    )
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
