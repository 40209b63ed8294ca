"""Marking the MLflow run of a stopped execution ``KILLED``.

Through ``gateway.call_mlflow`` (the one way a JSON call reaches MLflow: the backend's
URL and credentials, no redirects, bounded timeouts) with Trackside's own fixed paths,
not the browser's allow-list: the browser cannot end runs, the Stop button can. Like
``mlflow run`` itself (``_maybe_set_run_terminated``), only a run still RUNNING is changed;
its nested runs (an entry point that searches a grid) still RUNNING are ended too.
"""

from __future__ import annotations

import asyncio
import json

from ..gateway import MLFLOW_API_PREFIX, GatewayError, call_mlflow
from ..upstream import Upstream
from .execution import now_ms

KILL_TIMEOUT = 15.0  # seconds: a stop (or Jupyter's shutdown) does not wait longer for MLflow


async def _end_if_running(upstream: Upstream, run_id: str, end_time: int) -> str | None:
    """Set the run KILLED if it is RUNNING; its experiment id."""
    answer = await call_mlflow(
        upstream, MLFLOW_API_PREFIX + "runs/get", "GET", {"run_id": [run_id]}, None
    )
    if answer.status == 404:
        return None  # deleted since: nothing to end
    if answer.status != 200:
        raise GatewayError(answer.status, "RUN_NOT_READ", json.dumps(answer.body))
    info = answer.body.get("run", {}).get("info", {})  # type: ignore[union-attr]
    if info.get("status") == "RUNNING":
        update = {"run_id": run_id, "status": "KILLED", "end_time": end_time}
        answer = await call_mlflow(upstream, MLFLOW_API_PREFIX + "runs/update", "POST", {}, update)
        if answer.status != 200:
            raise GatewayError(answer.status, "RUN_NOT_UPDATED", json.dumps(answer.body))
    experiment_id = info.get("experiment_id")
    return str(experiment_id) if experiment_id is not None else None


async def _running_children(upstream: Upstream, run_id: str, experiment_id: str) -> list[str]:
    query = {
        "experiment_ids": [experiment_id],
        "filter": f"tags.mlflow.parentRunId = '{run_id}' and attributes.status = 'RUNNING'",
        "max_results": 1000,
    }
    answer = await call_mlflow(upstream, MLFLOW_API_PREFIX + "runs/search", "POST", {}, query)
    runs = answer.body.get("runs", []) if answer.status == 200 else []
    return [run["info"]["run_id"] for run in runs]  # type: ignore[union-attr, index]


async def _kill(upstream: Upstream, run_id: str) -> None:
    end_time = now_ms()
    experiment_id = await _end_if_running(upstream, run_id, end_time)
    if experiment_id is not None:
        for child in await _running_children(upstream, run_id, experiment_id):
            await _end_if_running(upstream, child, end_time)


async def kill_run(upstream: Upstream, run_id: str) -> str | None:
    """End ``run_id`` (and its nested runs) KILLED if still RUNNING; why not, or None."""
    try:
        await asyncio.wait_for(_kill(upstream, run_id), KILL_TIMEOUT)
    except GatewayError as err:
        return f"Its MLflow run {run_id} could not be marked KILLED: {err.message}"
    except asyncio.TimeoutError:
        return f"Its MLflow run {run_id} could not be marked KILLED: MLflow did not answer."
    return None
