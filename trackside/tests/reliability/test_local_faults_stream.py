"""A15: a comm flood of real MLflow logging, through a real Jupyter server's IOPub limiter.

A kernel logs 5,000 points/s for 10 s with ``MlflowClient.log_batch`` (durable logging into the
backend, every point teed to the live stream) behind a websocket whose IOPub limiter is ten times
stricter than Jupyter's default. No "IOPub message rate exceeded"; the streamed points, which
are what the chart draws, equal MLflow's history, which equals what was logged. The 100,000
points/s flood is ``tests/test_stream_iopub.py`` (marked A15 there).
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from ..test_stream_iopub import jp_server_config, stream_in_kernel
from .points import Point, compare, history

__all__ = ["jp_server_config"]  # the strict limiter, shared with test_stream_iopub.py

RATE = 5_000
SECONDS = 10.0


@pytest.mark.reliability("A15")
async def test_a_5000_points_per_second_flood_streams_exactly_what_mlflow_stores(
    jp_fetch: Any, jp_ws_fetch: Any, tracking_backend: Any, tmp_path: Path, figures: Any
) -> None:
    code = textwrap.dedent(
        f"""
        import json
        import time
        from pathlib import Path
        import mlflow
        from mlflow import MlflowClient
        from mlflow.entities import Metric
        from trackside.kernel.journal.durable import DurableLogging

        mlflow.set_tracking_uri({tracking_backend.url!r})
        durable = DurableLogging(journal_dir=Path({str(tmp_path / "journal")!r}), flush_timeout=60)
        durable.install()
        stream = s.start_stream()
        client = MlflowClient()
        run_id = client.create_run("0").info.run_id
        start, n, logged = time.monotonic(), 0, []
        while time.monotonic() - start < {SECONDS}:
            now = int(time.time() * 1000)
            batch = [Metric("loss", (n + i) / 7, now, n + i) for i in range(100)]
            client.log_batch(run_id, metrics=batch)
            logged += [(m.step, m.timestamp, m.value) for m in batch]
            n += 100
            delay = start + n / {RATE} - time.monotonic()
            if delay > 0:
                time.sleep(delay)
        assert stream.flush(timeout=30)
        assert durable.flush(180), durable.status()
        Path({str(tmp_path / "logged.json")!r}).write_text(json.dumps(logged))
        print("RUN", run_id, n, time.monotonic() - start)
        """
    )
    seen = await stream_in_kernel(jp_fetch, jp_ws_fetch, code)

    text = "".join(m["content"].get("text", "") for m in seen if m["msg_type"] == "stream")
    assert "IOPub message rate exceeded" not in text
    replies = [m for m in seen if m["msg_type"] == "execute_reply"]
    assert replies and replies[-1]["content"]["status"] == "ok", text
    run_id, produced, _ = text.split("RUN")[1].split()[:3]
    assert int(produced) >= RATE * SECONDS * 0.9

    points = [m for m in seen if m["msg_type"] == "comm_msg"]
    points = [m for m in points if m["content"]["data"].get("type") == "points"]
    assert [m["content"]["data"]["seq"] for m in points] == list(range(1, len(points) + 1))
    assert not any(m["content"]["data"]["decimated"] for m in points)
    streamed: list[Point] = []
    for msg in points:
        (buffer,) = msg["buffers"]
        for row in pa.ipc.open_stream(pa.py_buffer(buffer)).read_all().to_pylist():
            assert row["run_id"] == run_id and row["key"] == "loss"
            streamed.append(
                Point(run_id, "loss", int(row["step"]), int(row["timestamp"]), row["value"])
            )
    assert len(streamed) == int(produced)
    logged_rows = json.loads((tmp_path / "logged.json").read_text())
    logged = [Point(run_id, "loss", step, ts, value) for step, ts, value in logged_rows]

    stored = history(tracking_backend.url, run_id, "loss")
    chart = compare(streamed, stored)  # what the chart drew vs MLflow
    found = compare(logged, stored)
    figures.points(found.logged, found.in_mlflow, found.lost, found.duplicated)
    figures.note(f"{len(points)} comm messages for {produced} points; strict IOPub limiter")
    assert (found.lost, found.duplicated) == (0, 0)
    assert chart.exact
