"""The ceiling of the tracking server itself: points/s an `mlflow server` (SQLite) accepts.

Not a test. Sends ready-made 1000-metric `log-batch` requests (MLflow's per-request
limit) as fast as the server answers, from 1 or 2 client threads, to a server with 1
or 2 workers, and prints the rate and what it means for draining 1,000,000 points.
No Trackside code is involved: this is the most any client could get from that server
on this machine, and so a bound on ``kernel_overhead.py``'s drain time.

    .venv/bin/python bench/server_ingest.py [--batches 40] [--repeat 2]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import requests
from mlflow import MlflowClient

BATCH = 1000
CONFIGS = [(1, 1), (1, 2), (2, 2)]  # (server workers, client threads)


def start_server(root: Path, port: int, workers: int) -> subprocess.Popen[bytes]:
    mlflow = Path(sys.executable).with_name("mlflow")
    process = subprocess.Popen(
        [str(mlflow), "server", "--backend-store-uri", f"sqlite:///{root}/mlflow.db",
         "--default-artifact-root", str(root / "artifacts"), "--host", "127.0.0.1",
         "--port", str(port), "--workers", str(workers)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )  # fmt: skip
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if requests.get(f"http://127.0.0.1:{port}/health", timeout=2).ok:
                return process
        except requests.RequestException:
            pass
        time.sleep(0.5)
    os.killpg(process.pid, signal.SIGKILL)
    raise RuntimeError(f"mlflow server on port {port} did not start")


def ingest_rate(port: int, clients: int, batches: int) -> float:
    """Points/s for ``batches`` requests of BATCH points, sent by ``clients`` threads."""
    url = f"http://127.0.0.1:{port}"
    client = MlflowClient(url)
    experiment = client.create_experiment(f"ingest-{time.time_ns()}")
    run_id = client.create_run(experiment).info.run_id

    def send(worker: int) -> None:
        session = requests.Session()
        for batch in range(batches // clients):
            first = (worker * batches + batch) * BATCH
            body = {
                "run_id": run_id,
                "metrics": [
                    {"key": "loss", "value": i * 0.5, "timestamp": 1_700_000_000_000 + i,
                     "step": first + i}
                    for i in range(BATCH)
                ],
            }  # fmt: skip
            response = session.post(
                f"{url}/api/2.0/mlflow/runs/log-batch",
                data=json.dumps(body),
                headers={"Content-Type": "application/json"},
                timeout=120,
            )
            response.raise_for_status()

    threads = [threading.Thread(target=send, args=(k,)) for k in range(clients)]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return (batches // clients) * clients * BATCH / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batches", type=int, default=40)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--port", type=int, default=5971)
    args = parser.parse_args()

    root = Path(tempfile.mkdtemp(prefix="trackside-ingest-"))
    servers: dict[int, tuple[int, subprocess.Popen[bytes]]] = {}
    try:
        for offset, workers in enumerate(sorted({w for w, _ in CONFIGS})):
            server_root = root / f"w{workers}"
            server_root.mkdir()
            port = args.port + offset
            servers[workers] = (port, start_server(server_root, port, workers))
        rates: dict[tuple[int, int], list[float]] = {config: [] for config in CONFIGS}
        for _ in range(args.repeat):  # interleaved, so load changes hit every config
            for workers, clients in CONFIGS:
                port = servers[workers][0]
                rates[(workers, clients)].append(ingest_rate(port, clients, args.batches))
        print(f"load average: {os.getloadavg()[0]:.2f}")
        for (workers, clients), values in rates.items():
            best = max(values)
            print(
                f"{workers} worker(s), {clients} client(s): best {best:,.0f} points/s "
                f"(runs: {', '.join(f'{v:,.0f}' for v in values)}); "
                f"1,000,000 points need >= {1_000_000 / best:.0f} s at that rate"
            )
    finally:
        for _, process in servers.values():
            os.killpg(process.pid, signal.SIGTERM)
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
