"""The live metric stream (comm ``trackside.metrics``) in a real kernel.

The stream listens to the metric feed; these tests publish through the feed directly
(what the MLflow hook does for every logged point) so the rate, the seq numbers, the Arrow
content and the decimation can be driven exactly. ``test_stream_mlflow.py`` logs with
``mlflow.log_metric`` against a real ``mlflow server``.
"""

from __future__ import annotations

import contextlib
import json
import math
import queue
import textwrap
import time
from collections.abc import Iterator
from typing import Any

import numpy as np
import pyarrow as pa
import pytest
from jupyter_client import BlockingKernelClient, KernelManager

from trackside import wire
from trackside.kernel.live.columns import series_of, to_columns

DICT = pa.dictionary(pa.int32(), pa.string())
EXPECTED_TYPES = {
    "run_id": DICT,
    "key": DICT,
    "step": pa.float64(),
    "timestamp": pa.float64(),
    "value": pa.float64(),
}

# Runs in the kernel: points go through the real metric feed (``feed.publish`` is what the MLflow
# hook calls for every logged metric), so rates far above what an MLflow server takes
# can be driven exactly.
SOURCE = textwrap.dedent(
    """
    import time
    import trackside.kernel.live.comm_stream as s
    from trackside.kernel.live import feed

    _P = feed.MetricPoint
    _publish = feed.publish

    def _produce(rate, seconds, batch=1000, run="run-a", key="loss"):
        start, n = time.monotonic(), 0
        while time.monotonic() - start < seconds:
            now_ms = int(time.time() * 1000)
            _publish([_P(run, key, float(n + i), now_ms, n + i) for i in range(batch)])
            n += batch
            delay = start + n / rate - time.monotonic()
            if delay > 0:
                time.sleep(delay)
        return n
    """
)


class Kernel:
    """A real IPython kernel and a blocking client that keeps every iopub message."""

    def __init__(self, manager: KernelManager, client: BlockingKernelClient) -> None:
        self.manager, self.client = manager, client
        self.iopub: list[dict[str, Any]] = []

    def execute(self, code: str, timeout: float = 60.0) -> dict[str, Any]:
        """Run ``code``; collect iopub until idle; return the execute reply content."""
        msg_id = self.client.execute(code, store_history=False)
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"no idle for {code[:60]!r}")
            try:
                msg = self.client.get_iopub_msg(timeout=remaining)
            except queue.Empty:
                continue
            self.iopub.append(msg)
            if (
                msg["msg_type"] == "status"
                and msg["parent_header"].get("msg_id") == msg_id
                and msg["content"]["execution_state"] == "idle"
            ):
                break
        reply = self.client.get_shell_msg(timeout=timeout)
        assert reply["content"]["status"] == "ok", reply["content"]
        return reply["content"]

    def drain(self, seconds: float = 0.3) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            with contextlib.suppress(queue.Empty):
                self.iopub.append(self.client.get_iopub_msg(timeout=0.05))

    def of_type(self, msg_type: str) -> list[dict[str, Any]]:
        return [m for m in self.iopub if m["msg_type"] == msg_type]

    def stream_text(self) -> str:
        return "".join(m["content"]["text"] for m in self.of_type("stream"))

    def points_messages(self) -> list[dict[str, Any]]:
        return [m for m in self.of_type("comm_msg") if m["content"]["data"].get("type") == "points"]


@pytest.fixture
def kernel() -> Iterator[Kernel]:
    manager = KernelManager(kernel_name="python3")
    manager.start_kernel()
    client = manager.client()
    client.start_channels()
    client.wait_for_ready(timeout=60)
    k = Kernel(manager, client)
    k.execute(SOURCE)
    try:
        yield k
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)


def read_table(msg: dict[str, Any]) -> pa.Table:
    (buffer,) = msg["buffers"]
    return pa.ipc.open_stream(pa.py_buffer(bytes(buffer))).read_all()


def assert_wire_schema(table: pa.Table) -> None:
    assert [f.name for f in table.schema] == list(EXPECTED_TYPES)
    for field in table.schema:
        assert field.type == EXPECTED_TYPES[field.name], field
        assert not pa.types.is_int64(field.type)


def assert_single_batch_stream(buffer: bytes) -> None:
    reader = pa.ipc.open_stream(pa.py_buffer(buffer))
    batches = list(reader)
    assert len(batches) == 1
    # self-contained: one schema message, one dictionary per string column, one batch
    messages = []
    stream = pa.BufferReader(pa.py_buffer(buffer))
    message_reader = pa.ipc.MessageReader.open_stream(stream)
    while True:
        try:
            messages.append(message_reader.read_next_message().type)
        except StopIteration:
            break
    assert messages == ["schema", "dictionary", "dictionary", "record batch"]


def test_exact_points_below_budget_with_the_wire_schema(kernel: Kernel) -> None:
    kernel.execute(
        textwrap.dedent(
            """
            stream = s.start_stream()
            _publish([
                _P("run-a", "loss", 0.5, 1_700_000_000_001, 3),
                _P("run-a", "loss", 0.7, 1_700_000_000_000, 1),
                _P("run-b", "acc", float("nan"), 1_700_000_000_002, 2**40),
                _P("run-a", "acc", -1e300, 1_700_000_000_003, 0),
                _P("run-b", "loss", float("inf"), 1_700_000_000_004, -5),
            ])
            assert stream.flush()
            """
        )
    )
    kernel.drain()
    (opened,) = kernel.of_type("comm_open")
    assert opened["content"]["target_name"] == "trackside.metrics"
    assert opened["metadata"] == {"version": 1}
    assert opened["content"]["data"] == {"type": "hello", "version": 1, "seq": 1}

    (msg,) = kernel.points_messages()
    data = msg["content"]["data"]
    assert data == {
        "type": "points",
        "stream": "trackside.metrics",
        "seq": 1,
        "decimated": False,
        "points": 5,
    }
    assert len(msg["buffers"]) == 1
    assert_single_batch_stream(bytes(msg["buffers"][0]))
    table = read_table(msg)
    assert_wire_schema(table)
    rows = [
        (r["run_id"], r["key"], r["step"], r["timestamp"], r["value"]) for r in table.to_pylist()
    ]
    assert rows[0] == ("run-a", "loss", 3.0, 1_700_000_000_001.0, 0.5)
    assert rows[1] == ("run-a", "loss", 1.0, 1_700_000_000_000.0, 0.7)
    assert rows[2][:4] == ("run-b", "acc", float(2**40), 1_700_000_000_002.0)
    assert math.isnan(rows[2][4])
    assert rows[3] == ("run-a", "acc", 0.0, 1_700_000_000_003.0, -1e300)
    assert rows[4] == ("run-b", "loss", -5.0, 1_700_000_000_004.0, math.inf)
    # dictionaries hold each string once
    run_col = table.column("run_id").combine_chunks()
    assert run_col.dictionary.to_pylist() == ["run-a", "run-b"]
    assert run_col.indices.type == pa.int32()


def test_hundred_thousand_points_per_second_coalesced_to_twenty_messages(kernel: Kernel) -> None:
    kernel.execute(
        textwrap.dedent(
            """
            stream = s.start_stream()
            produced = _produce(rate=100_000, seconds=5.0)
            assert stream.flush(timeout=20)
            print("produced", produced)
            """
        ),
        timeout=120,
    )
    kernel.drain()
    text = kernel.stream_text()
    assert "IOPub message rate exceeded" not in text
    produced = int(text.split("produced")[1].split()[0])
    assert produced >= 400_000

    messages = kernel.points_messages()
    seqs = [m["content"]["data"]["seq"] for m in messages]
    assert seqs == list(range(1, len(seqs) + 1))
    # every produced point is accounted for: sent exactly, or replaced by decimation
    accounted = sum(
        m["content"]["data"]["points"] + m["content"]["data"].get("dropped_exact", 0)
        for m in messages
    )
    assert accounted == produced
    assert all("lost" not in m["content"]["data"] for m in messages)

    # at most ~20 messages/s, in every one-second window of the kernel's send times
    times = sorted(m["header"]["date"].timestamp() for m in messages)
    assert len(messages) <= 5.0 * 20 + 25
    worst = max(np.searchsorted(times, t + 1.0, side="left") - i for i, t in enumerate(times))
    assert worst <= 22, worst
    for msg in messages[:3]:
        assert_wire_schema(read_table(msg))


def test_decimates_above_the_byte_budget_keeping_first_last_min_max(kernel: Kernel) -> None:
    kernel.execute(
        textwrap.dedent(
            """
            import math
            stream = s.start_stream(byte_budget=16 * 1024)
            points = [
                _P("run-a", "loss", math.sin(i / 50.0), 1_700_000_000_000 + i, i)
                for i in range(20_000)
            ]
            for spike in (1234, 7777, 15000):
                points[spike] = _P("run-a", "loss", 100.0 + spike, points[spike].timestamp, spike)
            points[9999] = _P("run-a", "loss", -500.0, points[9999].timestamp, 9999)
            points.append(_P("run-b", "acc", 0.25, 1_700_000_000_000, 0))
            _publish(points)
            assert stream.flush()
            """
        )
    )
    kernel.drain()
    (msg,) = kernel.points_messages()
    data = msg["content"]["data"]
    assert data["decimated"] is True
    assert data["seq"] == 1
    assert data["points"] + data["dropped_exact"] == 20_001
    assert len(msg["buffers"][0]) <= 16 * 1024
    table = read_table(msg)
    assert_wire_schema(table)
    assert table.num_rows == data["points"]
    rows = table.to_pylist()
    loss = [r for r in rows if r["run_id"] == "run-a" and r["key"] == "loss"]
    steps = [r["step"] for r in loss]
    assert steps == sorted(steps)
    assert steps[0] == 0 and steps[-1] == 19_999  # first and last kept
    by_step = {r["step"]: r["value"] for r in loss}
    for spike in (1234, 7777, 15000):
        assert by_step[spike] == 100.0 + spike  # max spikes survive
    assert by_step[9999] == -500.0  # min spike survives
    for step, value in by_step.items():  # every kept point is an exact original
        if step not in (1234, 7777, 15000, 9999):
            assert value == math.sin(step / 50.0)
    assert [r for r in rows if r["run_id"] == "run-b"] == [
        {"run_id": "run-b", "key": "acc", "step": 0.0, "timestamp": 1.7e12, "value": 0.25}
    ]


def test_reopens_a_comm_closed_by_the_frontend_and_keeps_counting(kernel: Kernel) -> None:
    kernel.execute(
        textwrap.dedent(
            """
            stream = s.start_stream()
            _publish([_P("run-a", "loss", 1.0, 1, 1)])
            assert stream.flush()
            """
        )
    )
    kernel.drain()
    (first,) = kernel.of_type("comm_open")
    close = kernel.client.session.msg(
        "comm_close", {"comm_id": first["content"]["comm_id"], "data": {}}
    )
    kernel.client.shell_channel.send(close)
    time.sleep(1.5)  # past the first reopen back-off
    kernel.execute(
        textwrap.dedent(
            """
            assert stream.comm is None
            _publish([_P("run-a", "loss", 2.0, 2, 2)])
            assert stream.flush()
            """
        )
    )
    kernel.drain()
    opens = kernel.of_type("comm_open")
    assert len(opens) == 2
    second = opens[1]["content"]
    assert second["comm_id"] != first["content"]["comm_id"]
    assert second["data"] == {"type": "hello", "version": 1, "seq": 2}
    messages = kernel.points_messages()
    assert [m["content"]["data"]["seq"] for m in messages] == [1, 2]
    assert messages[1]["content"]["comm_id"] == second["comm_id"]


def test_start_and_stop_are_idempotent_and_stop_closes_the_comm(kernel: Kernel) -> None:
    kernel.execute(
        textwrap.dedent(
            """
            a = s.start_stream()
            assert s.start_stream() is a
            _publish([_P("run-a", "loss", 1.0, 1, 1)])
            assert a.flush()
            s.stop_stream()
            s.stop_stream()
            assert not feed.has_subscribers()
            _publish([_P("run-a", "loss", 1.0, 1, 1)])  # no subscriber: nothing happens
            """
        )
    )
    kernel.drain()
    assert len(kernel.of_type("comm_open")) == 1
    assert len(kernel.of_type("comm_close")) == 1
    assert len(kernel.points_messages()) == 1


def test_a_broken_source_warns_once_and_never_raises(kernel: Kernel) -> None:
    kernel.execute(
        textwrap.dedent(
            """
            def _bad(callback):
                raise RuntimeError("no feed here")
            assert s.start_stream(subscribe=_bad) is None
            assert s.start_stream(subscribe=_bad) is None
            """
        )
    )
    kernel.drain()
    assert kernel.stream_text().count("live metric stream not started") == 1


# -- the decimation itself, in process ------------------------------------------------


def test_encode_is_a_self_contained_single_batch_stream_without_int64() -> None:
    columns = to_columns([[_Point("r", "k", 1.0, 2, 3)]])
    buffer = wire.encode(columns).to_pybytes()
    assert_single_batch_stream(buffer)
    assert_wire_schema(pa.ipc.open_stream(buffer).read_all())
    assert json.dumps(series_of(columns)) == '[["r", "k"]]'


class _Point:
    __slots__ = ("key", "run_id", "step", "timestamp", "value")

    def __init__(self, run_id: str, key: str, value: float, timestamp: int, step: int) -> None:
        self.run_id, self.key, self.value = run_id, key, value
        self.timestamp, self.step = timestamp, step
