"""End to end: ``mlflow.log_metric`` in a real kernel → metric feed → comm stream, compared with
what a real ``mlflow server`` holds."""

from __future__ import annotations

import textwrap
from collections import defaultdict

from mlflow.tracking import MlflowClient

from .servers import MlflowServer
from .test_stream import Kernel, assert_wire_schema, kernel, read_table

__all__ = ["kernel"]  # the fixture, shared with test_stream.py


def test_logged_metrics_stream_exactly_what_mlflow_holds(
    kernel: Kernel, real_mlflow: MlflowServer
) -> None:
    kernel.execute(
        textwrap.dedent(
            f"""
            import time
            import mlflow
            from mlflow import MlflowClient
            from mlflow.entities import Metric

            mlflow.set_tracking_uri({real_mlflow.url!r})
            mlflow.set_experiment("stream-e2e")
            stream = s.start_stream()
            with mlflow.start_run() as run:
                for i in range(300):
                    mlflow.log_metric("loss", 1.0 / (i + 1), step=i)
                mlflow.log_metrics({{"acc": 0.5, "f1": 0.25}}, step=7)
                now = int(time.time() * 1000)
                MlflowClient().log_batch(
                    run.info.run_id, metrics=[Metric("lr", 0.1, now, 3), Metric("lr", 0.05, now, 4)]
                )
            assert stream.flush()
            print("RUN", run.info.run_id)
            """
        ),
        timeout=120,
    )
    kernel.drain()
    text = kernel.stream_text()
    run_id = text.split("RUN")[1].split()[0]

    messages = kernel.points_messages()
    assert messages, text
    assert [m["content"]["data"]["seq"] for m in messages] == list(range(1, len(messages) + 1))
    assert len(kernel.of_type("comm_open")) == 1
    streamed: dict[str, set[tuple[float, float, float]]] = defaultdict(set)
    for msg in messages:
        assert msg["content"]["data"]["decimated"] is False
        table = read_table(msg)
        assert_wire_schema(table)
        for row in table.to_pylist():
            assert row["run_id"] == run_id
            streamed[row["key"]].add((row["step"], row["timestamp"], row["value"]))

    client = MlflowClient(real_mlflow.url)
    assert set(streamed) == {"loss", "acc", "f1", "lr"}
    for key, points in streamed.items():
        history = {
            (float(m.step), float(m.timestamp), float(m.value))
            for m in client.get_metric_history(run_id, key)
        }
        assert points == history, key
    assert len(streamed["loss"]) == 300
