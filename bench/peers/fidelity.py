"""Fidelity: how many of 20 one-point spikes in a 1,000,000-point series each tool's chart shows.

    python -m bench.peers.fidelity [--tools trackside,mlflow_sync,…] [--quick]

Writes ``.bench/peers/fidelity.json`` (``spikes``, ``spikes_shown``, ``points_drawn``, ``how``
per tool). Also called by ``python -m bench.peers`` through :func:`run`.

The series (``SERIES_SOURCE``, the one definition, run here and in the logging kernels): a
smooth decaying loss with a deterministic noise of up to +0.05, and 20 single steps raised by
+2.0 at steps ``31_337 + 49_999·k`` (k = 0…19; scaled with ``--quick``'s 100,000 points).
Those steps fall on no sampler's grid (MLflow's 320 buckets are 3,125 steps wide: the spikes
sit 68 to 87 steps after a bucket's first row). Every spike is above every other point, and the 20
spike values differ from each other by far more than float32's precision, so a spike is *shown*
when the data the tool's chart draws holds a value equal to it (relative 1e-6: TensorBoard
stores float32), whether as a point or as the max of a min/max bin.

Per tool, what its chart draws at its default view:

- MLflow (sync and async: one store, one UI): the request its run-page chart makes,
  ``GET /ajax-api/2.0/mlflow/metrics/get-history-bulk-interval?run_ids=…&metric_key=…&
  max_results=320`` (``maxResults:320`` in the UI's bundle), asked of a real ``mlflow server``.
- Trackside: the panel's chart in a real JupyterLab in chromium
  (``fidelity_trackside.mjs``: the server's min/max history, the chart's decimation, Plotly's
  drawn traces).
- Trackio, TensorBoard, Aim: the code path or endpoint their dashboards use (see each
  function); W&B offline has no local chart.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import importlib
import json
import os
import platform
import shutil
import subprocess
import tempfile
import time
import traceback
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
RESULT = REPO / ".bench" / "peers" / "fidelity.json"
TOOL_KEYS = ("trackside", "mlflow_sync", "mlflow_async", "trackio", "wandb", "tensorboard", "aim")

POINTS = 1_000_000
QUICK_POINTS = 100_000
SPIKES = 20
KEY = "loss"
EXPERIMENT = "bench-peers-fidelity"
RUN = "fidelity"
BATCH = 1000
#: ``maxResults:320``: what MLflow's UI asks ``get-history-bulk-interval`` for, per series.
MLFLOW_UI_POINTS = 320
#: Values equal within this relative tolerance are the same point (TensorBoard keeps float32).
SAME_VALUE = 1e-6

#: The series, as source: executed here and in every logging kernel, so both use one formula.
SERIES_SOURCE = '''
def fidelity_spike_steps(points):
    """The 20 spike steps of a series of ``points`` steps."""
    return [(31_337 + 49_999 * k) * points // 1_000_000 for k in range(20)]


def fidelity_series(points):
    """Every (step, value) of the series: a noisy decaying loss and 20 spikes of +2.0."""
    spikes = set(fidelity_spike_steps(points))
    scale = points / 20
    return [
        (s, 1 / (1 + s / scale) + (s * 7919 % 1000) / 20_000 + (2.0 if s in spikes else 0.0))
        for s in range(points)
    ]
'''
_series_namespace: dict[str, Any] = {}
exec(SERIES_SOURCE, _series_namespace)  # our own constant source
spike_steps: Callable[[int], list[int]] = _series_namespace["fidelity_spike_steps"]
series: Callable[[int], list[tuple[int, float]]] = _series_namespace["fidelity_series"]


def same(a: float, b: float) -> bool:
    return abs(a - b) <= SAME_VALUE * max(abs(a), abs(b))


def spike_values(points: int) -> list[float]:
    values = dict(series(points))
    spikes = [values[s] for s in spike_steps(points)]
    others = max(v for s, v in values.items() if s not in set(spike_steps(points)))
    assert min(spikes) > 1.5 * others, "every spike stands above the curve"
    assert all(not same(a, b) for i, a in enumerate(spikes) for b in spikes[i + 1 :])
    return spikes


def spikes_shown(drawn: Iterable[float | None], spikes: Sequence[float]) -> int:
    """How many spikes have a drawn value equal to theirs."""
    values = sorted(v for v in drawn if v is not None and v == v)
    return sum(any(same(v, spike) for v in values) for spike in spikes)


def figures(drawn: Sequence[float | None], spikes: Sequence[float], how: str) -> dict[str, Any]:
    return {
        "status": "ok",
        "spikes": len(spikes),
        "spikes_shown": spikes_shown(drawn, spikes),
        "points_drawn": sum(1 for v in drawn if v is not None),
        "how": how,
    }


# --- MLflow ----------------------------------------------------------------------------------


@contextlib.contextmanager
def mlflow_backend(root: Path) -> Iterator[tuple[str, Path]]:
    """A real ``mlflow server`` (SQLite): H2's harness backend when present; URL and folder."""
    try:
        from bench.peers.tools import backends
    except ImportError:
        backends = None
    if backends is not None:
        with backends() as started:
            yield started.mlflow_url, Path(started.root)
        return
    from trackside.tests.servers import mlflow_server

    with mlflow_server(root) as server:
        yield server.url, root


def log_to_mlflow(url: str, points: int) -> tuple[str, float]:
    """Log the series to ``url`` with ``MlflowClient.log_batch`` (1000 a call); run id, seconds."""
    from mlflow import MlflowClient
    from mlflow.entities import Metric

    client = MlflowClient(tracking_uri=url)
    experiment = client.get_experiment_by_name(EXPERIMENT)
    experiment_id = experiment.experiment_id if experiment else client.create_experiment(EXPERIMENT)
    run = client.create_run(experiment_id, run_name=RUN)
    now = int(time.time() * 1000)
    data = series(points)
    began = time.perf_counter()
    for first in range(0, points, BATCH):
        chunk = data[first : first + BATCH]
        client.log_batch(run.info.run_id, metrics=[Metric(KEY, v, now, s) for s, v in chunk])
    client.set_terminated(run.info.run_id)
    return run.info.run_id, time.perf_counter() - began


def mlflow_ui_points(url: str, run_id: str) -> list[float]:
    """The values MLflow's UI chart loads: its own ``get-history-bulk-interval`` request."""
    query = urllib.parse.urlencode(
        {"run_ids": run_id, "metric_key": KEY, "max_results": MLFLOW_UI_POINTS}
    )
    request = f"{url}/ajax-api/2.0/mlflow/metrics/get-history-bulk-interval?{query}"
    with urllib.request.urlopen(request, timeout=600) as response:
        metrics = json.load(response).get("metrics", [])
    return [float(m["value"]) for m in metrics]


# --- Trackside -------------------------------------------------------------------------------


def trackside_drawn(db: Path, points: int, work: Path) -> tuple[list[float | None], dict[str, Any]]:
    """Every y value the Trackside panel's chart draws (via ``fidelity_trackside.mjs``)."""
    out = work / "trackside-drawn.json"
    env = {**os.environ, "PATH": f"{REPO / '.venv' / 'bin'}:{os.environ.get('PATH', '')}"}
    env.setdefault("FIDELITY_PORT", "8961")
    script = Path(__file__).with_name("fidelity_trackside.mjs")
    arguments = [str(db), EXPERIMENT, RUN, KEY, str(points - 1), str(out)]
    subprocess.run(
        ["node", str(script), *arguments],
        cwd=REPO,
        env=env,
        check=True,
        timeout=1800,
    )
    drawn = json.loads(out.read_text())
    values = [v for trace in drawn["traces"] if trace["visible"] is True for v in trace["y"]]
    return values, drawn


# --- the measure -----------------------------------------------------------------------------


def missing(module: str) -> str | None:
    try:
        importlib.import_module(module)
    except ImportError as error:
        return str(error)
    return None


def measure_mlflow_and_trackside(
    keys: Sequence[str], points: int, work: Path
) -> dict[str, dict[str, Any]]:
    spikes = spike_values(points)
    results: dict[str, dict[str, Any]] = {}
    with mlflow_backend(work / "mlflow") as (url, root):
        run_id, seconds = log_to_mlflow(url, points)
        print(f"MLflow: {points:,} points logged in {seconds:.0f} s", flush=True)
        sampled = mlflow_ui_points(url, run_id)
        db = work / "mlflow-copy.db"
        db_source = _sqlite_file(root)
        if db_source:
            shutil.copyfile(db_source, db)
    how = (
        f"{points:,} points logged with MlflowClient.log_batch ({BATCH} a call; fidelity is "
        "about what the chart shows, not logging speed) to a real `mlflow server` (SQLite); "
        "the run page chart's own request `get-history-bulk-interval` with "
        f"max_results={MLFLOW_UI_POINTS} (from MLflow's UI bundle) asked of that server"
    )
    for key in ("mlflow_sync", "mlflow_async"):
        if key in keys:
            extra = "" if key == "mlflow_sync" else "; async logging changes when, not what"
            results[key] = figures(sampled, spikes, how + extra)
    if "trackside" in keys:
        if not db_source:
            results["trackside"] = {"status": "failed", "reason": "no SQLite file to open"}
        else:
            drawn, detail = trackside_drawn(db, points, work)
            results["trackside"] = figures(
                drawn,
                spikes,
                "the same MLflow store (what Trackside's sender writes, via log_batch) opened "
                "in a real JupyterLab's Trackside panel in Debian chromium: every y value of "
                f"the run chart's drawn Plotly traces (plot {detail['plotWidth']:.0f} px wide: "
                "server min/max history, then the chart's min/max decimation and envelope)",
            )
    return results


def _sqlite_file(root: Path) -> Path | None:
    """The server's SQLite store (the first ``mlflow.db`` under its folder)."""
    return next(iter(sorted(root.rglob("mlflow.db"))), None)


MEASURES: dict[str, Callable[[Sequence[str], int, Path], dict[str, dict[str, Any]]]] = {}


def machine() -> str:
    load = os.getloadavg()[0]
    return f"{platform.machine()}, {os.cpu_count()} cores, load {load:.1f}"


def selected(tools: object) -> list[str]:
    if not tools:
        return list(TOOL_KEYS)
    names = tools.split(",") if isinstance(tools, str) else list(tools)  # type: ignore[call-overload]
    unknown = [n for n in names if n not in TOOL_KEYS]
    if unknown:
        raise SystemExit(f"unknown tool(s) {', '.join(unknown)}; known: {', '.join(TOOL_KEYS)}")
    return names


def run(args: argparse.Namespace) -> dict[str, Any]:
    """Measure the selected tools, write ``.bench/peers/fidelity.json``, return its content."""
    keys = selected(getattr(args, "tools", None))
    points = QUICK_POINTS if getattr(args, "quick", False) else POINTS
    results: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory(prefix="bench-fidelity-") as folder:
        work = Path(folder)
        groups: list[tuple[list[str], Callable[..., dict[str, dict[str, Any]]]]] = [
            ([k for k in keys if k in ("trackside", "mlflow_sync", "mlflow_async")],
             measure_mlflow_and_trackside),
        ]  # fmt: skip
        groups += [([k], MEASURES[k]) for k in keys if k in MEASURES]
        for group, measure in groups:
            if not group:
                continue
            try:
                results.update(measure(group, points, work))
            except Exception as error:  # a failed tool is reported, not fatal
                traceback.print_exc()
                for key in group:
                    results.setdefault(key, {"status": "failed", "reason": repr(error)})
    report = {
        "measure": "fidelity",
        "date": datetime.date.today().isoformat(),
        "machine": machine(),
        "points": points,
        "spike_steps": spike_steps(points),
        "tools": {k: results.get(k, {"status": "failed", "reason": "not measured"}) for k in keys},
    }
    RESULT.parent.mkdir(parents=True, exist_ok=True)
    RESULT.write_text(json.dumps(report, indent=2) + "\n")
    return report


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.peers.fidelity", description=__doc__)
    parser.add_argument("--tools", help="comma-separated keys: " + ",".join(TOOL_KEYS))
    parser.add_argument("--quick", action="store_true", help=f"{QUICK_POINTS:,} points")
    report = run(parser.parse_args())
    for key, result in report["tools"].items():
        if result["status"] == "ok":
            shown = f"{result['spikes_shown']}/{result['spikes']} spikes"
            print(f"{key}: {shown}, {result['points_drawn']} points drawn")
        else:
            print(f"{key}: {result['status']} ({result.get('reason')})")
    print(f"wrote {RESULT.relative_to(REPO)}")


if __name__ == "__main__":
    main()
