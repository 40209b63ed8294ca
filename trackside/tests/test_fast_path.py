"""The fluent fast path (``trackside.kernel.fast_path``): every input gives MLflow's outcome.

Each case is run twice against the same real ``mlflow server``: through MLflow's own fluent
function with Trackside entirely off, and through the fast path of durable logging. The
outcomes must be identical: the same exception (class, error_code, message) or the same return
value and, after the journal is flushed, the same points stored in MLflow.
"""

from __future__ import annotations

import math
import re
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import mlflow
import numpy as np
import pytest
from mlflow.exceptions import MlflowException
from mlflow.tracking import fluent
from mlflow.tracking._tracking_service import utils as tracking_utils

from trackside.kernel import fast_path, mlflow_hook
from trackside.kernel.journal.durable import DurableLogging
from trackside.kernel.journal.records import Metric, iter_records
from trackside.kernel.live.feed import MetricPoint

from .kernel_helpers import history

TS = 1_700_000_000_000

# MLflow's own metric-name cases (tests/utils/test_validation.py): accepted and rejected names.
GOOD_NAMES = ["a", "Ab-5_", "a/b/c", "a.b.c", ".a", "b.", "a..a/._./o_O/.e.", "a b/c d", "k" * 250]
BAD_NAMES = ["", ".", "/", "..", "//", "a//b", "a/./b", "/a", "a/", ":", "\\", "./", "/./"]
BAD_NAMES += ["k" * 251, "bad/../key", "bad key!", "ключ?"]

# (case id, kwargs of mlflow.log_metric); key "m" unless the case is about keys.
CASES: list[tuple[str, dict[str, Any]]] = [
    *[(f"good-name-{i}", {"key": k, "value": 1.0, "step": 1}) for i, k in enumerate(GOOD_NAMES)],
    *[(f"bad-name-{i}", {"key": k, "value": 1.0, "step": 1}) for i, k in enumerate(BAD_NAMES)],
    ("key-none", {"key": None, "value": 1.0}),
    ("key-int", {"key": 5, "value": 1.0}),
    # values
    ("float", {"key": "m", "value": 0.25, "step": 3}),
    ("int", {"key": "m", "value": 7, "step": 3}),
    ("zero", {"key": "m", "value": 0}),
    ("negative", {"key": "m", "value": -1.5}),
    ("nan", {"key": "m", "value": math.nan}),
    ("inf", {"key": "m", "value": math.inf}),
    ("-inf", {"key": "m", "value": -math.inf}),
    ("huge", {"key": "m", "value": 1.7976931348623157e308}),
    ("tiny", {"key": "m", "value": 5e-324}),
    ("int-beyond-float", {"key": "m", "value": 10**400}),
    ("int-2**63", {"key": "m", "value": 2**63}),
    ("true", {"key": "m", "value": True}),
    ("false", {"key": "m", "value": False}),
    ("numeric-str", {"key": "m", "value": "0.25"}),
    ("str", {"key": "m", "value": "abc"}),
    ("none", {"key": "m", "value": None}),
    ("list", {"key": "m", "value": [1.0]}),
    ("np-float32", {"key": "m", "value": np.float32(1.5)}),
    ("np-float64", {"key": "m", "value": np.float64(2.5)}),
    ("np-int64", {"key": "m", "value": np.int64(3)}),
    ("np-0d-array", {"key": "m", "value": np.array(4.0)}),
    ("np-2-array", {"key": "m", "value": np.array([1.0, 2.0])}),
    # steps
    ("step-none", {"key": "m", "value": 1.0, "step": None}),
    ("step-0", {"key": "m", "value": 1.0, "step": 0}),
    ("step-negative", {"key": "m", "value": 1.0, "step": -1}),
    ("step-max", {"key": "m", "value": 1.0, "step": 2**63 - 1}),
    ("step-min", {"key": "m", "value": 1.0, "step": -(2**63)}),
    ("step-2**63", {"key": "m", "value": 1.0, "step": 2**63}),
    ("step-below-min", {"key": "m", "value": 1.0, "step": -(2**63) - 1}),
    ("step-1.5", {"key": "m", "value": 1.0, "step": 1.5}),
    ("step-2.0", {"key": "m", "value": 1.0, "step": 2.0}),
    ("step-true", {"key": "m", "value": 1.0, "step": True}),
    ("step-str", {"key": "m", "value": 1.0, "step": "3"}),
    ("step-np-int64", {"key": "m", "value": 1.0, "step": np.int64(4)}),
    # timestamps
    ("ts-given", {"key": "m", "value": 1.0, "timestamp": TS}),
    ("ts-0", {"key": "m", "value": 1.0, "timestamp": 0}),
    ("ts-1", {"key": "m", "value": 1.0, "timestamp": 1}),
    ("ts-negative", {"key": "m", "value": 1.0, "timestamp": -1}),
    ("ts-2**63", {"key": "m", "value": 1.0, "timestamp": 2**63}),
    ("ts-1.5", {"key": "m", "value": 1.0, "timestamp": 1.5}),
    ("ts-float-whole", {"key": "m", "value": 1.0, "timestamp": float(TS)}),
    ("ts-str", {"key": "m", "value": 1.0, "timestamp": "5"}),
    # synchronous: what the call returns
    ("sync-true", {"key": "m", "value": 1.0, "synchronous": True}),
    ("sync-false", {"key": "m", "value": 1.0, "synchronous": False}),
    ("sync-0", {"key": "m", "value": 1.0, "synchronous": 0}),
]

# Cases the fast path must take itself (the rest fall back to MLflow's fluent function).
FAST = {
    *(f"good-name-{i}" for i in range(len(GOOD_NAMES))),
    *(f"bad-name-{i}" for i in range(len(BAD_NAMES))),
    *["float", "int", "zero", "negative", "nan", "inf", "-inf", "huge", "tiny"],
    *["int-beyond-float", "int-2**63", "step-none", "step-0", "step-negative", "step-max"],
    *["step-min", "step-2**63", "step-below-min", "ts-given", "ts-0", "ts-1", "ts-negative"],
    *["ts-2**63", "sync-true", "sync-false", "sync-0"],
}


class Fallbacks:
    """Counts the calls that went through MLflow's own fluent ``log_metric``/``log_metrics``:
    both call ``_log_inputs_for_metrics_if_necessary``, which the fast path never needs."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.count = 0
        original = fluent._log_inputs_for_metrics_if_necessary

        def counting(*args: Any, **kwargs: Any) -> None:
            self.count += 1
            original(*args, **kwargs)

        monkeypatch.setattr(fluent, "_log_inputs_for_metrics_if_necessary", counting)


@pytest.fixture
def fallbacks(monkeypatch: pytest.MonkeyPatch) -> Fallbacks:
    return Fallbacks(monkeypatch)


def _outcome(call: Callable[[], Any]) -> tuple[Any, ...]:
    try:
        returned = call()
    except MlflowException as error:
        return ("raised", type(error), error.error_code, _no_clock(error.message))
    except Exception as error:
        return ("raised", type(error), None, _no_clock(str(error)))
    if returned is None:
        return ("returned", None)
    return ("returned", type(returned).__name__, returned.wait() if returned else None)


def _no_clock(message: str) -> str:
    # MLflow's message quotes the timestamp it chose for the call ("now"), different each time
    return re.sub(r"timestamp=1\d{12}\b", "timestamp=<now>", message)


def _stored(uri: str, run_id: str, key: Any, timestamp: Any) -> list[tuple[Any, ...]]:
    if not isinstance(key, str) or not key or len(key) > 250:
        return []
    try:
        points = history(uri, run_id, key)
    except Exception as error:  # a key the history endpoint itself rejects
        return [("unreadable", str(error)[:80])]
    # a timestamp MLflow chose ("now") differs between the two runs; one the caller gave does not
    keep_time = isinstance(timestamp, int | float) and not isinstance(timestamp, bool) and timestamp
    return [(step, ts if keep_time else None, repr(value)) for step, ts, value in points]


def _run_case(uri: str, kwargs: dict[str, Any], after: Callable[[], object]) -> tuple[Any, ...]:
    with mlflow.start_run() as run:
        outcome = _outcome(lambda: mlflow.log_metric(**kwargs))
    after()
    return outcome, _stored(uri, run.info.run_id, kwargs.get("key"), kwargs.get("timestamp"))


# Inputs durable logging accepts where plain MLflow's REST client fails in protobuf (README's
# bad-input table: "step 2.0 -> 2", a whole float timestamp likewise; a bool step is a number to
# MLflow's validator).
COERCED = {"step-2.0", "step-true", "ts-float-whole"}


@pytest.mark.parametrize(("case", "kwargs"), CASES, ids=[c for c, _ in CASES])
def test_log_metric_outcome_is_mlflows(
    uri: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, case: str, kwargs: dict[str, Any]
) -> None:
    assert not mlflow_hook.installed()
    plain = _run_case(uri, kwargs, lambda: None)

    durable = DurableLogging(journal_dir=tmp_path / "journal", flush_timeout=30)
    durable.install()
    try:
        fast_path.uninstall()  # MLflow's own fluent function, durable logging under it
        assert mlflow.log_metric is fluent.log_metric is fast_path._MLFLOW["log_metric"]
        through_mlflow = _run_case(uri, kwargs, lambda: durable.flush(30))
        fast_path.install()
        assert mlflow.log_metric is fluent.log_metric is fast_path.log_metric
        fallbacks = Fallbacks(monkeypatch)
        fast = _run_case(uri, kwargs, lambda: durable.flush(30))
    finally:
        durable.uninstall()

    # exactly what MLflow's fluent function does in a tracked kernel: exception class,
    # error_code and message, or return value and the points stored in MLflow
    assert fast == through_mlflow
    assert (fallbacks.count == 0) == (case in FAST), fallbacks.count
    # and what plain MLflow does: the same calls rejected, the same points stored
    if case not in COERCED:
        assert (fast[0][0], fast[1]) == (plain[0][0], plain[1]), (fast, plain)
    else:
        assert plain[0][0] == "raised" and fast[0][0] == "returned"


METRICS_CASES: list[tuple[str, dict[str, Any]]] = [
    ("plain", {"metrics": {"a": 1.0, "b": 2, "c": math.nan}, "step": 4}),
    ("timestamp", {"metrics": {"a": 0.5}, "timestamp": TS}),
    ("bad-key", {"metrics": {"ok1": 1.0, "bad key!": 2.0, "ok2": 3.0}}),
    ("bad-value", {"metrics": {"a": "abc"}}),
    ("empty", {"metrics": {}}),
    ("async", {"metrics": {"a": 1.0}, "synchronous": False}),
    ("step-1.5", {"metrics": {"a": 1.0}, "step": 1.5}),
    ("not-a-dict", {"metrics": [("a", 1.0)]}),
]


@pytest.mark.parametrize(("case", "kwargs"), METRICS_CASES, ids=[c for c, _ in METRICS_CASES])
def test_log_metrics_outcome_is_mlflows(
    uri: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, case: str, kwargs: dict[str, Any]
) -> None:
    def run_case(after: Callable[[], object]) -> tuple[Any, ...]:
        with mlflow.start_run() as run:
            outcome = _outcome(lambda: mlflow.log_metrics(**kwargs))
        after()
        metrics = kwargs["metrics"]
        keys = sorted(metrics) if isinstance(metrics, dict) else []
        stored = [_stored(uri, run.info.run_id, k, kwargs.get("timestamp")) for k in keys]
        return outcome, stored

    durable = DurableLogging(journal_dir=tmp_path / "journal", flush_timeout=30)
    durable.install()
    try:
        fast_path.uninstall()
        through_mlflow = run_case(lambda: durable.flush(30))
        fast_path.install()
        fallbacks = Fallbacks(monkeypatch)
        fast = run_case(lambda: durable.flush(30))
    finally:
        durable.uninstall()
    assert fast == through_mlflow
    # a float step goes to MLflow's function; so does a list, on which MLflow raises before
    # it logs anything (the outcome above), hence no count for it
    assert fallbacks.count == (1 if case == "step-1.5" else 0)
    if case == "not-a-dict":
        assert fast[0][:2] == ("raised", AttributeError)


def test_a_loop_is_one_journal_record_per_call_and_reaches_the_feed(
    uri: str, durable: DurableLogging, fallbacks: Fallbacks, monkeypatch: pytest.MonkeyPatch
) -> None:
    got: list[MetricPoint] = []
    stop = mlflow_hook.listen(got.extend)
    writer = durable._writer
    assert writer is not None
    appends: list[int] = []
    append = writer.append

    def counting_append(entries: Any) -> int:
        appends.append(len(entries))
        return append(entries)

    try:
        with mlflow.start_run() as run:
            monkeypatch.setattr(writer, "append", counting_append)
            for i in range(100):
                mlflow.log_metric("loss", 1 / (i + 1), step=i)
            monkeypatch.setattr(writer, "append", append)
    finally:
        stop()
    run_id = run.info.run_id
    assert fallbacks.count == 0
    assert appends == [1] * 100  # one journal record per call, written in one append
    loss = [p for p in got if p.key == "loss"]
    assert [(p.run_id, p.step, p.value) for p in loss] == [
        (run_id, i, 1 / (i + 1)) for i in range(100)
    ]
    assert durable.flush(30)
    records = [e for _, e in iter_records(durable.journal_path) if type(e) is Metric]
    assert [(e.step, e.value) for e in records if e.key == "loss"] == [
        (i, 1 / (i + 1)) for i in range(100)
    ]
    stored = history(uri, run_id, "loss")
    assert [(s, ts, v) for s, ts, v in stored] == [(p.step, p.timestamp, p.value) for p in loss]


def test_no_active_run_starts_one_as_mlflow_does_and_end_run_ends_it(
    uri: str, durable: DurableLogging, fallbacks: Fallbacks
) -> None:
    assert mlflow.active_run() is None
    mlflow.log_metric("a", 1.0, step=0)  # MLflow's function: it starts the run
    first = mlflow.active_run()
    assert first is not None and fallbacks.count == 1
    mlflow.log_metric("a", 2.0, step=1)  # then the fast path, into that run
    assert fallbacks.count == 1
    mlflow.end_run()
    mlflow.log_metric("a", 3.0, step=2)  # a new run, as MLflow does after end_run
    second = mlflow.active_run()
    assert second is not None and second.info.run_id != first.info.run_id
    mlflow.end_run()
    assert durable.flush(30)
    assert [(s, v) for s, _, v in history(uri, first.info.run_id, "a")] == [(0, 1.0), (1, 2.0)]
    assert [(s, v) for s, _, v in history(uri, second.info.run_id, "a")] == [(2, 3.0)]


def test_nested_runs_log_to_the_innermost(
    uri: str, durable: DurableLogging, fallbacks: Fallbacks
) -> None:
    with mlflow.start_run() as parent:
        mlflow.log_metric("m", 1.0)
        with mlflow.start_run(nested=True) as child:
            mlflow.log_metric("m", 2.0)
        mlflow.log_metric("m", 3.0, step=1)
    assert fallbacks.count == 0 and durable.flush(30)
    assert [(s, v) for s, _, v in history(uri, parent.info.run_id, "m")] == [(0, 1.0), (1, 3.0)]
    assert [(s, v) for s, _, v in history(uri, child.info.run_id, "m")] == [(0, 2.0)]


def test_a_run_started_by_another_thread_is_that_threads_only(
    uri: str, durable: DurableLogging
) -> None:
    started = threading.Event()
    finish = threading.Event()
    other: list[str] = []

    def worker() -> None:
        run = mlflow.start_run()
        other.append(run.info.run_id)
        mlflow.log_metric("m", 10.0)
        started.set()
        finish.wait(30)
        mlflow.log_metric("m", 11.0, step=1)
        mlflow.end_run()

    thread = threading.Thread(target=worker)
    thread.start()
    assert started.wait(30)
    assert mlflow.active_run() is None  # MLflow's active run is per thread
    mlflow.log_metric("m", 1.0)  # so this starts a run of this thread
    mine = mlflow.active_run()
    assert mine is not None and mine.info.run_id != other[0]
    finish.set()
    thread.join(30)
    mlflow.end_run()
    assert durable.flush(30)
    assert [(s, v) for s, _, v in history(uri, other[0], "m")] == [(0, 10.0), (1, 11.0)]
    assert [(s, v) for s, _, v in history(uri, mine.info.run_id, "m")] == [(0, 1.0)]


def test_calls_only_mlflow_can_resolve_go_through_mlflow(
    uri: str, durable: DurableLogging, fallbacks: Fallbacks
) -> None:
    with mlflow.start_run() as run:
        other = mlflow.MlflowClient().create_run(run.info.experiment_id).info.run_id
        mlflow.log_metric("given-run", 1.0, run_id=other)
        assert fallbacks.count == 1
        dataset = mlflow.data.from_numpy(np.arange(3.0), name="d")
        mlflow.log_metric("with-dataset", 2.0, dataset=dataset)
        assert fallbacks.count == 2
        model = mlflow.initialize_logged_model(name="fast-path-model")
        mlflow.log_metric("with-model", 3.0, model_id=model.model_id)
        assert fallbacks.count == 3
        mlflow.set_active_model(model_id=model.model_id)
        try:
            mlflow.log_metric("active-model", 4.0)
            assert fallbacks.count == 4
        finally:
            fluent._ACTIVE_MODEL_CONTEXT.set(fluent.ActiveModelContext())
        mlflow.log_metric("plain", 5.0)
        assert fallbacks.count == 4
        mlflow.set_tracking_uri(uri + "/")  # another URI: not the sink's
        try:
            mlflow.log_metric("other-uri", 6.0)
            assert fallbacks.count == 5
        finally:
            mlflow.set_tracking_uri(uri)
    assert durable.flush(30)
    run_id = run.info.run_id
    assert [v for _, _, v in history(uri, other, "given-run")] == [1.0]
    for key, value in (("with-dataset", 2.0), ("with-model", 3.0), ("active-model", 4.0)):
        assert [v for _, _, v in history(uri, run_id, key)] == [value]
    assert [v for _, _, v in history(uri, run_id, "other-uri")] == [6.0]
    inputs = mlflow.get_run(run_id).inputs
    assert model.model_id in {i.model_id for i in inputs.model_inputs}  # as MLflow records it


def test_a_run_with_logged_model_outputs_goes_through_mlflow(
    uri: str, durable: DurableLogging, fallbacks: Fallbacks
) -> None:
    from mlflow.entities import LoggedModelOutput

    client = mlflow.MlflowClient()
    with mlflow.start_run() as first:
        model = mlflow.initialize_logged_model(name="output-model")
    client.log_outputs(first.info.run_id, [LoggedModelOutput(model.model_id, step=3)])
    with mlflow.start_run(run_id=first.info.run_id):
        mlflow.log_metric("at-model-step", 1.0, step=3)
    assert fallbacks.count == 1
    assert durable.flush(30)
    stored = client.get_metric_history(first.info.run_id, "at-model-step")
    assert [(m.step, m.value) for m in stored] == [(3, 1.0)]


def test_async_logging_variable_decides_the_return_value_as_in_mlflow(
    uri: str, durable: DurableLogging, fallbacks: Fallbacks, monkeypatch: pytest.MonkeyPatch
) -> None:
    with mlflow.start_run():
        assert mlflow.log_metric("m", 1.0) is None
        monkeypatch.setenv("MLFLOW_ENABLE_ASYNC_LOGGING", "true")
        operations = mlflow.log_metric("m", 2.0, step=1)
        assert operations is not None and operations.wait() is None
        assert mlflow.log_metric("m", 3.0, step=2, synchronous=True) is None
        monkeypatch.setenv("MLFLOW_ENABLE_ASYNC_LOGGING", "false")  # a changed value is re-read
        assert mlflow.log_metric("m", 3.5, step=2) is None
        monkeypatch.setenv("MLFLOW_ENABLE_ASYNC_LOGGING", "TRUE")
        assert mlflow.log_metric("m", 3.75, step=2) is not None
        monkeypatch.setenv("MLFLOW_ENABLE_ASYNC_LOGGING", "maybe")
        fast = _outcome(lambda: mlflow.log_metric("m", 4.0, step=3))
        fast_path.uninstall()
        try:
            through_mlflow = _outcome(lambda: mlflow.log_metric("m", 4.0, step=3))
        finally:
            fast_path.install()
    assert fast == through_mlflow and fast[0] == "raised"


def test_the_installed_mlflow_has_what_the_fast_path_reads() -> None:
    # else install() leaves MLflow's functions in place: correct, but slow again
    assert fast_path.SUPPORTED


def test_a_client_method_patched_over_the_hook_is_not_bypassed(
    uri: str, durable: DurableLogging, fallbacks: Fallbacks, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[str] = []
    hooked = mlflow.MlflowClient.log_metric

    def patched(self: Any, run_id: str, key: str, *args: Any, **kwargs: Any) -> Any:
        seen.append(key)
        return hooked(self, run_id, key, *args, **kwargs)

    monkeypatch.setattr(mlflow.MlflowClient, "log_metric", patched)
    with mlflow.start_run() as run:
        mlflow.log_metric("m", 1.0)
    assert seen == ["m"] and fallbacks.count == 1
    assert durable.flush(30)
    assert [v for _, _, v in history(uri, run.info.run_id, "m")] == [1.0]


def test_a_tracking_uri_from_the_environment_is_read_as_mlflow_reads_it(
    uri: str, durable: DurableLogging, fallbacks: Fallbacks, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A tracked kernel has no set_tracking_uri: the server extension sets $MLFLOW_TRACKING_URI.
    with mlflow.start_run() as run:
        monkeypatch.setattr(tracking_utils, "_tracking_uri", None)
        monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
        mlflow.log_metric("from-env", 1.0)
        assert fallbacks.count == 0
        monkeypatch.setenv("MLFLOW_TRACKING_URI", uri + "/")  # another URI: not the sink's
        mlflow.log_metric("other-env", 2.0)
        assert fallbacks.count == 1
        monkeypatch.delenv("MLFLOW_TRACKING_URI")  # MLflow's default store: not the sink's
        assert mlflow.get_tracking_uri() != uri
        monkeypatch.setattr(tracking_utils, "_tracking_uri", uri)
        mlflow.log_metric("set-again", 3.0)
        assert fallbacks.count == 1
    assert durable.flush(30)
    assert [v for _, _, v in history(uri, run.info.run_id, "from-env")] == [1.0]
