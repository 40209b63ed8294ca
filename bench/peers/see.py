"""The logging side of "time to see a point" for a peer: a real kernel that logs on demand.

``see.mjs`` starts one of these per peer and talks to it over stdin/stdout, one JSON line
each way:

    python -m bench.peers.see TOOL WORK
    -> {"url": ..., "page": ..., "settings": ...}      the UI is up and shows the run
    <- {"step": 7, "value": 6007.375}                  log one point
    -> {"t0": 1764770000.123}                          time.time() just before the call
    <- (stdin closed)                                   close the run, stop everything

The kernel is ``bench.peers.tools.kernel_for(tool)`` running the tool's own ``open_cell``
(the same logging call the other measures time), and the UI is ``ui_servers``'s, started
with the tool's defaults on the store the kernel writes to. ``t0`` is taken in the kernel,
right before the tool's logging call, so the kernel round trip is not counted.
"""

from __future__ import annotations

import contextlib
import json
import sys
import time
from pathlib import Path

from bench.peers.tools import TOOLS, MlflowTool, Tool, backends, kernel_for
from bench.peers.ui_servers import ui_server

RUN_NAME = "see"


def _page(tool: Tool, kernel: object, base: str, store: Path) -> str:
    """The UI's default view of the run's ``loss`` chart."""
    if isinstance(tool, MlflowTool):
        experiment, run = kernel.json(  # type: ignore[attr-defined]
            "import json; print(json.dumps([_run.info.experiment_id, _run.info.run_id]))"
        )
        return f"{base}/#/experiments/{experiment}/runs/{run}/model-metrics"
    if tool.key == "trackio":
        return f"{base}/?project={RUN_NAME}"
    if tool.key == "aim":
        run_hash = (store / f"{RUN_NAME}.path").read_text().strip()
        return f"{base}/runs/{run_hash}/metrics"
    return f"{base}/"


def serve(key: str, work: Path) -> None:
    tool = TOOLS[key]
    store = work / "store"
    with contextlib.ExitStack() as stack:
        if isinstance(tool, MlflowTool):
            base = stack.enter_context(backends(work / "backends")).mlflow_url
            settings = "run page charts auto-refresh every 30 s (MLflow's default)"
        kernel = kernel_for(tool, store)
        stack.callback(kernel.shutdown)
        kernel.run(tool.open_cell(store, RUN_NAME))
        # First points, so that the UI's default view has the run and its line chart of `loss`
        # (MLflow draws a metric with one step as a bar of its latest value, never refreshed).
        kernel.run("log(0, 0.375)\nlog(1, 1.375)\nlog(2, 2.375)\n")
        if key == "tensorboard":
            # SummaryWriter writes every 120 s by default: the first point is set-up, not timed.
            kernel.run("_writer.flush()\n")
        if not isinstance(tool, MlflowTool):
            ui = stack.enter_context(ui_server(key, store))
            base, settings = ui.url, ui.settings
        print(
            json.dumps(
                {"url": base, "page": _page(tool, kernel, base, store), "settings": settings}
            ),
            flush=True,
        )
        for line in sys.stdin:
            if not line.strip():
                continue
            point = json.loads(line)
            t0 = kernel.json(
                "import time as _see_time\n"
                "_see_t0 = _see_time.time()\n"
                f"log({int(point['step'])}, {float(point['value'])!r})\n"
                "print(repr(_see_t0))\n"
            )
            print(json.dumps({"t0": t0}), flush=True)
        with contextlib.suppress(Exception):
            kernel.run(tool.close_cell(), timeout=120)


def main(argv: list[str]) -> int:
    if len(argv) != 2 or argv[0] not in TOOLS:
        print(f"usage: python -m bench.peers.see {{{','.join(TOOLS)}}} WORK", file=sys.stderr)
        return 2
    started = time.monotonic()
    serve(argv[0], Path(argv[1]).resolve())
    print(f"see.py {argv[0]}: {time.monotonic() - started:.0f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
