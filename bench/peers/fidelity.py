"""Fidelity: how many of 20 one-point spikes in a 1,000,000-point series each tool's chart shows.

    python -m bench.peers.fidelity [--tools trackside,mlflow_sync,…] [--quick]

Writes ``.bench/peers/fidelity.json`` through ``bench.peers.results`` (per tool: ``spikes``,
``spikes_shown``, ``points_drawn``, ``how``); ``python -m bench.peers`` calls :func:`run`.

The series (``SERIES_SOURCE``, the one definition, run here and in the logging kernels): a
decaying loss with a deterministic noise of up to +0.05, and 20 single steps raised by +2.0 at
steps ``31_337 + 49_999·k`` (k = 0…19; scaled down with ``--quick``'s 100,000 points). Those
steps fall on no sampler's grid (MLflow's 320 buckets are 3,125 steps wide: the spikes sit 68
to 87 steps after a bucket's first row). Every spike stands above every other point and the 20
spike values differ by far more than float32's precision, so a spike is *shown* when the data
a tool's chart draws holds a value equal to it (relative 1e-6: TensorBoard keeps float32),
as a point or as the max of a min/max bin.

Each tool logs the series with its own call (H2's adapters in ``tools.py``, a real kernel),
except MLflow: ``MlflowClient.log_batch`` to a real ``mlflow server`` (the chart does not care
how the points arrived; 1,000,000 synchronous REST calls would take an hour). Then, per tool,
what its chart draws at its default view, asked of its real UI server (H3's ``ui_servers``):

- MLflow (sync and async: one store, one UI): the run page chart's request,
  ``get-history-bulk-interval`` with ``max_results=320`` (``maxResults:320`` in its bundle).
- Trackside: the panel's chart in a real JupyterLab in chromium (``fidelity_trackside.mjs``:
  the server's min/max history, the chart's decimation, Plotly's drawn traces).
- TensorBoard: the Time Series dashboard's ``/data/plugin/timeseries/timeSeries`` request.
- Trackio: the Metrics page's ``/api/get_logs_batch`` request, then the page's own
  ``dataProcessing.js`` (binning) run in node.
- Aim: the Metrics explorer's ``/api/runs/search/metric/`` request at its default density.
- W&B offline: no local chart (``not-applicable``).
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import json
import os
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
    """A real ``mlflow server`` (SQLite in ``root``, as the tests start it); its URL and folder."""
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


def trackside_drawn(
    db: Path, experiment: str, points: int, work: Path
) -> tuple[list[float | None], dict[str, Any]]:
    """Every y value the Trackside panel's chart draws (via ``fidelity_trackside.mjs``)."""
    out = work / "trackside-drawn.json"
    env = {**os.environ, "PATH": f"{REPO / '.venv' / 'bin'}:{os.environ.get('PATH', '')}"}
    env.setdefault("FIDELITY_PORT", "8961")
    script = Path(__file__).with_name("fidelity_trackside.mjs")
    arguments = [str(db), experiment, RUN, KEY, str(points - 1), str(out)]
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


# --- peers: logged through H2's adapters (bench/peers/tools.py) in a real kernel --------------


def log_with_tool(key: str, store: Path, points: int) -> Any:
    """Log the series with ``key``'s own call in a fresh kernel; the adapter, or a reason."""
    from bench.peers.tools import TOOLS, kernel_for

    tool = TOOLS[key]
    reason = tool.missing()
    if reason:
        return reason
    kernel = kernel_for(tool, store)
    try:
        kernel.run(tool.open_cell(store, RUN))
        loop = f"\nfor _step, _value in fidelity_series({points}):\n    log(_step, _value)\n"
        began = time.perf_counter()
        kernel.run(SERIES_SOURCE + loop)
        kernel.run(tool.close_cell())
        print(f"{key}: {points:,} points logged in {time.perf_counter() - began:.0f} s", flush=True)
    finally:
        kernel.shutdown()
    return tool


def output_of(command: list[str], timeout: float, **options: Any) -> str:
    """``command``'s stdout; a failure raises with the end of its stderr as the reason."""
    done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, **options)
    if done.returncode != 0:
        raise RuntimeError(
            f"{Path(command[0]).name} exited {done.returncode}: {done.stderr[-1500:]}"
        )
    return done.stdout


def measure_tensorboard(keys: Sequence[str], points: int, work: Path) -> dict[str, dict[str, Any]]:
    """TensorBoard: its Time Series dashboard's request to a real ``tensorboard`` server."""
    store = work / "tensorboard"
    tool = log_with_tool("tensorboard", store, points)
    if isinstance(tool, str):
        return {"tensorboard": {"status": "missing", "reason": tool}}
    from bench.peers.ui_servers import ui_server

    requests = json.dumps([{"plugin": "scalars", "tag": KEY}])
    with ui_server("tensorboard", store) as ui:
        url = ui.url
        deadline = time.monotonic() + 1200
        while True:  # TensorBoard loads event files in the background: until the last step
            body = urllib.parse.urlencode({"requests": requests}).encode()
            with urllib.request.urlopen(
                f"{url}/data/plugin/timeseries/timeSeries", data=body, timeout=120
            ) as response:
                answer = json.load(response)
            data = [p for run in answer[0].get("runToSeries", {}).values() for p in run]
            if data and max(p["step"] for p in data) == points - 1:
                break
            if time.monotonic() > deadline:
                raise TimeoutError("TensorBoard did not load the last step in 20 min")
            time.sleep(2)
    how = (
        f"{points:,} `SummaryWriter.add_scalar` calls in a kernel (H2's adapter); a real "
        "`tensorboard` server's Time Series dashboard request (POST "
        "/data/plugin/timeseries/timeSeries, scalars of `loss`) once the last step is loaded: "
        "TensorBoard keeps a reservoir sample of 1,000 scalars per series by default"
    )
    return {"tensorboard": figures([p["value"] for p in data], spike_values(points), how)}


#: In node: Trackio's own frontend code (its Metrics page's processRunData with the default
#: smoothing of 10, then computeMetricPlotData: 100 bins with min and max) on those logs.
_TRACKIO_PLOT = """
const [processing, run, key] = process.argv.slice(1);
const { processRunData, computeMetricPlotData } = await import(processing);
let text = '';
for await (const chunk of process.stdin) text += chunk;
const result = processRunData(JSON.parse(text), run, 10, 'step', false, false);
const plot = computeMetricPlotData(result.rows, result.xColumn, key, null);
console.log(JSON.stringify(plot.data.map(row => row[key])));
"""


def measure_trackio(keys: Sequence[str], points: int, work: Path) -> dict[str, dict[str, Any]]:
    """Trackio: its dashboard's request to a real Trackio server, then its own binning (node)."""
    store = work / "trackio-store"
    tool = log_with_tool("trackio", store, points)
    if isinstance(tool, str):
        return {"trackio": {"status": "missing", "reason": tool}}
    from bench.peers.ui_servers import ui_server

    # What the dashboard's Metrics page asks its server (frontend api.js, getLogsBatch).
    ask = {"project": RUN, "runs": [{"run": RUN, "run_id": None}], "scalar_only": True}
    with ui_server("trackio", store) as ui:
        request = urllib.request.Request(
            f"{ui.url}/api/get_logs_batch",
            data=json.dumps(ask).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=1800) as response:
            answer = json.load(response)
    if answer.get("error"):
        raise RuntimeError(f"Trackio's get_logs_batch: {answer['error']}")
    logs = json.dumps(answer["data"][0]["logs"])
    where = "import os, trackio; print(os.path.dirname(trackio.__file__))"
    site = output_of([str(tool.python), "-c", where], 300).strip()
    processing = Path(site) / "frontend" / "src" / "lib" / "dataProcessing.js"
    plot = ["node", "--input-type=module", "-e", _TRACKIO_PLOT, processing.as_uri(), RUN, KEY]
    drawn = output_of(plot, 600, input=logs)
    loaded = len(json.loads(logs))
    how = (
        f"{points:,} `trackio.log` calls in a kernel (H2's adapter); the Metrics page's request "
        "to a real Trackio dashboard server (POST /api/get_logs_batch, scalar_only, no "
        f"max_points: the server samples {loaded:,} rows, at most 3,000 by default), then the "
        "page's own code (frontend dataProcessing.js: default smoothing 10, 100 bins with min "
        "and max) run in node on them"
    )
    return {"trackio": figures(json.loads(drawn), spike_values(points), how)}


#: In Aim's interpreter: Aim's Metrics explorer request to a real `aim up` server, decoded with
#: Aim's own tree codec; prints the values of `loss`.
_AIM_EXPLORER = """
import json, struct, sys, urllib.parse, urllib.request
import numpy as np
from aim.storage.treeutils import decode_tree
query = urllib.parse.urlencode({"q": '(metric.name == "loss")', "p": sys.argv[2],
                                "report_progress": "false"})
with urllib.request.urlopen(sys.argv[1] + "/api/runs/search/metric/?" + query,
                            timeout=1800) as response:
    body = response.read()
pairs, at = [], 0
while at < len(body):
    (size,) = struct.unpack_from("I", body, at); key = body[at + 4 : at + 4 + size]; at += 4 + size
    (size,) = struct.unpack_from("I", body, at); val = body[at + 4 : at + 4 + size]; at += 4 + size
    pairs.append((key, val))
values = []
for run in decode_tree(iter(pairs)).values():
    for trace in run["traces"]:
        if trace["name"] == "loss":
            values += np.frombuffer(trace["values"]["blob"], dtype="float64").tolist()
print(json.dumps(values))
"""
#: Aim's Metrics explorer default point density ("Maximum", 500 points per series).
AIM_UI_POINTS = 500


def measure_aim(keys: Sequence[str], points: int, work: Path) -> dict[str, dict[str, Any]]:
    """Aim: its Metrics explorer's default request (500 points) to a real ``aim up``."""
    store = work / "aim-store"
    tool = log_with_tool("aim", store, points)
    if isinstance(tool, str):
        return {"aim": {"status": "missing", "reason": tool}}
    from bench.peers.ui_servers import ui_server

    with ui_server("aim", store) as ui:
        ask = [str(tool.python), "-c", _AIM_EXPLORER, ui.url, str(AIM_UI_POINTS)]
        drawn = output_of(ask, 1900)
    how = (
        f"{points:,} `run.track` calls in a kernel (H2's adapter); a real `aim up` server asked "
        "the Metrics explorer's request (/api/runs/search/metric/ with its default density "
        f"p={AIM_UI_POINTS}), decoded with Aim's own tree codec"
    )
    return {"aim": figures(json.loads(drawn), spike_values(points), how)}


def measure_wandb(keys: Sequence[str], points: int, work: Path) -> dict[str, dict[str, Any]]:
    """W&B offline: no local chart to count."""
    reason = missing("wandb")
    if reason:
        return {"wandb": {"status": "missing", "reason": reason}}
    from bench.peers.ui_servers import NO_UI

    return {"wandb": {"status": "not-applicable", "reason": NO_UI["wandb"]}}


# --- the measure -----------------------------------------------------------------------------


def missing(module: str) -> str | None:
    try:
        importlib.import_module(module)
    except ImportError as error:
        return str(error)
    return None


def measure_mlflow(keys: Sequence[str], points: int, work: Path) -> dict[str, dict[str, Any]]:
    """MLflow sync and async (one store, one UI): its run page chart's own request."""
    with mlflow_backend(work / "mlflow") as (url, _root):
        run_id, seconds = log_to_mlflow(url, points)
        print(f"MLflow: {points:,} points logged in {seconds:.0f} s", flush=True)
        sampled = mlflow_ui_points(url, run_id)
    how = (
        f"{points:,} points logged with MlflowClient.log_batch ({BATCH} a call; fidelity is "
        "about what the chart shows, not logging speed) to a real `mlflow server` (SQLite); "
        "the run page chart's own request `get-history-bulk-interval` with "
        f"max_results={MLFLOW_UI_POINTS} (from MLflow's UI bundle) asked of that server"
    )
    spikes = spike_values(points)
    return {
        key: figures(sampled, spikes, how + ("" if key == "mlflow_sync" else "; same UI"))
        for key in keys
    }


def measure_trackside(keys: Sequence[str], points: int, work: Path) -> dict[str, dict[str, Any]]:
    """Trackside: logged by a tracked kernel, drawn by the panel's chart in chromium."""
    from bench.peers.tools import EXPERIMENT as TOOLS_EXPERIMENT
    from bench.peers.tools import backends, current_backends

    with contextlib.ExitStack() as stack:
        try:  # the harness's servers when `python -m bench.peers` runs us, else our own
            started = current_backends()
        except RuntimeError:
            started = stack.enter_context(backends(work / "backends"))
        tool = log_with_tool("trackside", work / "trackside-store", points)
        if isinstance(tool, str):
            return {"trackside": {"status": "missing", "reason": tool}}
        # The tracked kernel's store: the SQLite file of the harness's Trackside server.
        source = started.root / "mlflow-trackside" / "mlflow.db"
        db = work / "trackside-copy.db"
        shutil.copyfile(source, db)
    drawn, detail = trackside_drawn(db, TOOLS_EXPERIMENT, points, work)
    how = (
        f"{points:,} `mlflow.log_metric` calls in a Trackside-tracked kernel (H2's adapter; "
        "journal drained to a real `mlflow server`), that store opened in a real JupyterLab's "
        "Trackside panel in Debian chromium: every y value of the run chart's drawn Plotly "
        f"traces (plot {detail['plotWidth']:.0f} px wide: the server's min/max history, then "
        "the chart's min/max decimation and envelope)"
    )
    return {"trackside": figures(drawn, spike_values(points), how)}


MEASURES: dict[str, Callable[[Sequence[str], int, Path], dict[str, dict[str, Any]]]] = {
    "trackside": measure_trackside,
    "trackio": measure_trackio,
    "wandb": measure_wandb,
    "tensorboard": measure_tensorboard,
    "aim": measure_aim,
}


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
    from bench.peers.results import write

    keys = selected(getattr(args, "tools", None))
    points = QUICK_POINTS if getattr(args, "quick", False) else POINTS
    results: dict[str, dict[str, Any]] = {}
    report: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="bench-fidelity-") as folder:
        work = Path(folder)
        groups: list[tuple[list[str], Callable[..., dict[str, dict[str, Any]]]]] = [
            ([k for k in keys if k in ("mlflow_sync", "mlflow_async")], measure_mlflow),
        ]
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
            # Each tool's result is kept as soon as it is known: a long run cut short keeps
            # what it measured (each entry says how many points it was measured on).
            done = {k: {**results[k], "points": points} for k in group if k in results}
            report = write("fidelity", done, points=points, spike_steps=spike_steps(points))
    return report


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.peers.fidelity", description=__doc__)
    parser.add_argument("--tools", help="comma-separated keys: " + ",".join(TOOL_KEYS))
    parser.add_argument("--quick", action="store_true", help=f"{QUICK_POINTS:,} points")
    args = parser.parse_args()
    report = run(args)
    for key in selected(args.tools):
        result = report["tools"][key]
        if result["status"] == "ok":
            shown = f"{result['spikes_shown']}/{result['spikes']} spikes"
            print(f"{key}: {shown}, {result['points_drawn']} points drawn")
        else:
            print(f"{key}: {result['status']} ({result.get('reason')})")
    from bench.peers.results import results_dir

    print(f"wrote {results_dir() / 'fidelity.json'}")


if __name__ == "__main__":
    main()
