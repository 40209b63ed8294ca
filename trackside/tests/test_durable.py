"""Durable logging against a real ``mlflow server``: outcomes of good and bad input."""

from __future__ import annotations

import math
import os
import subprocess
import sys
import warnings
from pathlib import Path

import mlflow
import pytest
from mlflow import MlflowClient
from mlflow.entities import Metric as MlflowMetric
from mlflow.exceptions import MlflowException

from trackside.kernel import mlflow_hook
from trackside.kernel.capture.logger import CaptureLogger
from trackside.kernel.journal import durable as durable_module
from trackside.kernel.journal.durable import DurableLogging
from trackside.kernel.journal.records import iter_records, try_lock

from .kernel_helpers import REPO, create_run, get_run, history, rest

MAX = 1.7976931348623157e308


def _params(uri: str, run_id: str) -> dict[str, str]:
    return {p["key"]: p["value"] for p in get_run(uri, run_id)["data"].get("params", [])}


def test_calls_return_before_the_network_and_everything_arrives(
    uri: str, durable: DurableLogging
) -> None:
    assert durable_module.active() is durable
    durable.install()  # idempotent
    with mlflow.start_run() as run:
        for i in range(3000):
            mlflow.log_metric("loss", 1 / (i + 1), step=i)
        mlflow.log_param("lr", 0.1)
        mlflow.set_tag("stage", "test")
    assert durable.backlog() > 0  # still in the journal: the calls did not wait
    assert durable.flush(60) and durable.backlog() == 0
    run_id = run.info.run_id
    stored = history(uri, run_id, "loss")
    assert [(s, v) for s, _, v in stored] == [(i, 1 / (i + 1)) for i in range(3000)]
    info = get_run(uri, run_id)
    assert info["info"]["status"] == "FINISHED"
    assert _params(uri, run_id) == {"lr": "0.1"}
    assert {"key": "stage", "value": "test"} in info["data"]["tags"]


def test_nan_and_infinities(uri: str, durable: DurableLogging) -> None:
    with mlflow.start_run() as run:
        mlflow.log_metrics({"nan": math.nan, "pinf": math.inf, "ninf": -math.inf})
        mlflow.log_metric("nan", math.nan, step=1)
    assert durable.flush(30)
    run_id = run.info.run_id
    assert [math.isnan(v) for _, _, v in history(uri, run_id, "nan")] == [True, True]
    # MLflow's SQL store keeps +-Inf as +-DBL_MAX (its documented behaviour); the value that
    # comes back through MLflow's API is that, not inf.
    assert history(uri, run_id, "pinf")[0][2] == MAX
    assert history(uri, run_id, "ninf")[0][2] == -MAX


def test_metric_values_mlflow_converts_or_rejects(uri: str, durable: DurableLogging) -> None:
    with mlflow.start_run() as run:
        mlflow.log_metric("bool", True)  # MLflow converts: float(True)
        mlflow.log_metric("numeric_str", "0.25")  # MLflow converts: float("0.25")
        for bad in ("abc", None):
            with pytest.raises(MlflowException) as error:
                mlflow.log_metric("bad", bad)
            assert error.value.error_code == "INVALID_PARAMETER_VALUE"
        with pytest.raises(MlflowException, match="Step must be"):
            mlflow.log_metric("bad", 1.0, step=1.5)
    assert durable.flush(30)
    assert history(uri, run.info.run_id, "bool")[0][2] == 1.0
    assert history(uri, run.info.run_id, "numeric_str")[0][2] == 0.25
    assert history(uri, run.info.run_id, "bad") == []


def test_invalid_keys_raise_mlflows_exception_and_keep_the_rest(
    uri: str, durable: DurableLogging
) -> None:
    with mlflow.start_run() as run:
        with pytest.raises(MlflowException) as error:
            mlflow.log_metric("bad/../key", 1.0)
        assert error.value.error_code == "INVALID_PARAMETER_VALUE"
        with pytest.raises(MlflowException, match="250"):
            mlflow.log_metric("k" * 251, 1.0)
        with pytest.raises(MlflowException, match="2 valid entries of this call were logged"):
            mlflow.log_metrics({"ok1": 1.0, "bad key!": 2.0, "ok2": 3.0})
        with pytest.raises(MlflowException):
            mlflow.log_param("bad key!", 1)
        with pytest.raises(MlflowException):
            mlflow.set_tag("", "x")
    assert durable.flush(30)
    assert history(uri, run.info.run_id, "ok1") and history(uri, run.info.run_id, "ok2")


def test_2500_metrics_in_one_call(uri: str, durable: DurableLogging) -> None:
    with mlflow.start_run() as run:
        mlflow.log_metrics({f"m{i}": float(i) for i in range(2500)}, step=7)
    assert durable.flush(60)
    metrics = get_run(uri, run.info.run_id)["data"]["metrics"]
    assert len(metrics) == 2500
    assert {m["key"]: m["value"] for m in metrics} == {f"m{i}": float(i) for i in range(2500)}


def test_huge_param_is_truncated_like_mlflow(uri: str, durable: DurableLogging) -> None:
    with mlflow.start_run() as run:
        mlflow.log_param("big", "x" * 2_000_000)
        mlflow.log_params({"big2": "y" * 2_000_000, "small": 1})
        mlflow.set_tag("bigtag", "z" * 100_000)
    assert durable.flush(30)
    params = _params(uri, run.info.run_id)
    assert params["big"] == "x" * 6000 and params["big2"] == "y" * 6000 and params["small"] == "1"
    tags = {t["key"]: t["value"] for t in get_run(uri, run.info.run_id)["data"]["tags"]}
    assert tags["bigtag"] == "z" * 8000


def test_changed_param_raises_at_the_call(uri: str, durable: DurableLogging) -> None:
    with mlflow.start_run() as run:
        mlflow.log_param("lr", 0.1)
        mlflow.log_param("lr", 0.1)  # the same value again is fine, as in MLflow
        with pytest.raises(MlflowException, match="Changing param values is not allowed") as e:
            mlflow.log_param("lr", 0.2)
        assert e.value.error_code == "INVALID_PARAMETER_VALUE"
        with pytest.raises(MlflowException, match="Changing param values"):
            mlflow.log_params({"lr": 0.3, "other": 1})
    # a run this process did not create: its params are fetched once
    other = create_run(uri)
    rest(uri, "/api/2.0/mlflow/runs/log-parameter", {"run_id": other, "key": "seed", "value": "1"})
    with pytest.raises(MlflowException, match="Changing param values"):
        MlflowClient().log_param(other, "seed", 2)
    assert durable.flush(30)
    assert _params(uri, run.info.run_id) == {"lr": "0.1", "other": "1"}
    assert _params(uri, other) == {"seed": "1"}


def test_async_calls_are_journaled_too(uri: str, durable: DurableLogging) -> None:
    with mlflow.start_run() as run:
        operation = mlflow.log_metric("a", 1.0, synchronous=False)
        operation.wait()
        MlflowClient().log_batch(run.info.run_id, [MlflowMetric("b", 2.0, 1, 0)])
    assert durable.flush(30)
    assert history(uri, run.info.run_id, "a") and history(uri, run.info.run_id, "b")


def test_rejected_entries_go_to_dead_letter_and_do_not_block(
    uri: str, durable: DurableLogging
) -> None:
    client = MlflowClient()
    doomed = client.create_run("0").info.run_id
    alive = client.create_run("0").info.run_id
    mlflow_hook.original("log_param")(client, alive, "p", "server")
    client.delete_run(doomed)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        client.log_metric(doomed, "lost", 1.0)  # the run was deleted: MLflow will refuse
        # the param conflict is only known to the server (created elsewhere, not fetched: the
        # process learnt "p" only after our param cache was filled)
        durable._validator._params[alive] = {}  # type: ignore[union-attr]
        client.log_batch(
            alive, [MlflowMetric("kept", 1.0, 1, 0)], [mlflow.entities.Param("p", "x")]
        )
        client.log_metric(alive, "later", 2.0)
        assert durable.flush(30)
    dead = durable.dead_letter_path.read_text().splitlines()
    assert len(dead) == 2
    assert '"lost"' in dead[0] and '"p"' in dead[1]
    assert any("rejected" in str(w.message) for w in caught)
    assert history(uri, alive, "kept") and history(uri, alive, "later")
    assert _params(uri, alive) == {"p": "server"}


def test_a_forked_child_logs_to_mlflow_without_touching_the_parents_journal(
    uri: str, durable: DurableLogging
) -> None:
    # A forked child shares the parent's journal files: its writes would take the parent's
    # sequence numbers, and the sender would keep one record of each number. The child's call
    # goes to MLflow synchronously instead.
    with mlflow.start_run() as run:
        run_id = run.info.run_id
        mlflow.log_metric("parent", 1.0, step=0)
        pid = os.fork()
        if pid == 0:
            code = 1
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    MlflowClient().log_metric(run_id, "child", 2.0, step=0)
                code = 0
            finally:
                os._exit(code)
        assert os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]) == 0
        mlflow.log_metric("parent", 3.0, step=1)
    assert durable.flush(30)
    assert [(s, v) for s, _, v in history(uri, run_id, "parent")] == [(0, 1.0), (1, 3.0)]
    assert [(s, v) for s, _, v in history(uri, run_id, "child")] == [(0, 2.0)]


def test_a_forked_child_exiting_leaves_the_parents_journal_and_lock(
    uri: str, durable: DurableLogging
) -> None:
    # The child inherits the atexit handler. With nothing left to send it used to delete the
    # parent's kernel journal, and in any case it released the parent's flock on it (shared
    # across fork), so a replayer could adopt a live journal.
    with mlflow.start_run() as run:
        mlflow.log_metric("loss", 1.0, step=0)
        assert durable.flush(30) and durable.backlog() == 0
        journal = durable.journal_path
        pid = os.fork()
        if pid == 0:
            code = 1
            try:
                durable._at_exit()
                code = 0
            finally:
                os._exit(code)
        assert os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]) == 0
        assert journal.is_dir()
        assert try_lock(journal) is None  # still held by this process
        mlflow.log_metric("loss", 2.0, step=1)
    assert durable.flush(30)
    assert [(s, v) for s, _, v in history(uri, run.info.run_id, "loss")] == [(0, 1.0), (1, 2.0)]


def test_unreachable_uri_keeps_everything_and_shutdown_does_not_hang(tmp_path: Path) -> None:
    # No run can be created there (MLflow's own error, synchronous); logging to a known run id
    # is journaled and kept; uninstall gives up after its timeout and leaves an orphan.
    logging = DurableLogging("http://127.0.0.1:9", tmp_path, flush_timeout=1)
    logging.install()
    try:
        client = MlflowClient("http://127.0.0.1:9")
        for i in range(10):
            client.log_metric("0123456789abcdef", "x", float(i), step=i)
        assert logging.backlog() == 10
    finally:
        assert logging.uninstall(timeout=1) is False
    journals = [p for p in tmp_path.iterdir() if p.is_dir()]
    assert len(journals) == 1 and len(list(iter_records(journals[0]))) == 10


def test_non_mlflow_uri_is_not_dead_lettered(tmp_path: Path) -> None:
    from .servers import recording_peer

    with recording_peer() as peer:
        peer.answers["/api/2.0/mlflow/runs/log-batch"] = (404, {}, b"<html>nope</html>")
        logging = DurableLogging(peer.url, tmp_path, flush_timeout=1)
        logging.install()
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                MlflowClient(peer.url).log_metric("0123456789abcdef", "x", 1.0)
                assert logging.flush(2) is False
            assert logging.backlog() == 1
        finally:
            logging.uninstall(timeout=0.5)
    assert not logging.dead_letter_path.exists()
    assert any("is it an MLflow tracking server" in str(w.message) for w in caught)


def test_full_disk_falls_back_to_synchronous(uri: str, tmp_path: Path) -> None:
    # The journal lives on a 64 KiB tmpfs if we may mount one, else under RLIMIT_FSIZE.
    code = f"""
import math, os, resource, signal, subprocess, sys, warnings
sys.path.insert(0, {str(REPO)!r})
from pathlib import Path
import mlflow
from trackside.kernel.journal.durable import DurableLogging
journal = Path({str(tmp_path / "full")!r}); journal.mkdir()
mounted = os.geteuid() == 0 and subprocess.run(
    ["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(journal)]).returncode == 0
if not mounted:
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (64 * 1024, 64 * 1024))
try:
    mlflow.set_tracking_uri({uri!r})
    d = DurableLogging(journal_dir=journal, flush_timeout=30); d.install()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with mlflow.start_run() as run:
            for i in range(1500):
                mlflow.log_metric("x", float(i), step=i)
    print(run.info.run_id, sum("cannot write the MLflow journal" in str(w.message) for w in caught))
    assert d.uninstall(30)
finally:
    if mounted:
        subprocess.run(["umount", "-l", str(journal)])
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr[-3000:]
    run_id, warned = out.stdout.splitlines()[-1].split()
    assert warned == "1"
    stored = history(uri, run_id, "x")
    assert [(s, v) for s, _, v in stored] == [(i, float(i)) for i in range(1500)]
    assert get_run(uri, run_id)["info"]["status"] == "FINISHED"


def test_orphan_replay_by_another_process(uri: str, tmp_path: Path) -> None:
    from trackside.kernel.journal.durable import replay_orphans

    run_id = MlflowClient(uri).create_run("0").info.run_id
    # a process that journals and dies without sending (SIGKILL right after logging)
    code = f"""
import os, signal, sys
sys.path.insert(0, {str(REPO)!r})
from pathlib import Path
import mlflow
from mlflow import MlflowClient
from trackside.kernel.journal.durable import DurableLogging
d = DurableLogging("http://127.0.0.1:9", Path({str(tmp_path)!r})); d.install()
c = MlflowClient("http://127.0.0.1:9")
for i in range(2500):
    c.log_metric({run_id!r}, "x", i * 0.5, timestamp=1000 + i, step=i)
c.log_param({run_id!r}, "p", "v")
os.kill(os.getpid(), signal.SIGKILL)
"""
    subprocess.run([sys.executable, "-c", code], timeout=120)
    assert replay_orphans(tracking_uri=uri, journal_dir=tmp_path).other_servers == 1
    report = replay_orphans(tracking_uri=uri, journal_dir=tmp_path, timeout=60, redirect=True)
    assert report.ok, report.summary()
    assert report.sent == 2501 and report.remaining == 0
    assert [(s, v) for s, _, v in history(uri, run_id, "x")] == [(i, i * 0.5) for i in range(2500)]
    assert not [p for p in tmp_path.iterdir() if p.is_dir()]
    again = replay_orphans(tracking_uri=uri, journal_dir=tmp_path)
    assert again.journals == [] and again.ok


def test_capture_knows_the_params_of_a_run_this_process_created(
    uri: str, durable: DurableLogging
) -> None:
    # The durable layer saw the run's creation and every param logged to it, so capture
    # needs no flush and no get_run for a run the cell magic created.
    with mlflow.start_run() as run:
        mlflow.log_param("lr", 0.1)
    logger = CaptureLogger()
    logger.listening = True
    asked: list[str] = []
    keys = logger.known(run.info.run_id, flush=None, fetch=asked.append, timeout=5, fresh=True)
    assert asked == []
    assert keys.fetched and keys.params == {"lr"}
    assert durable.known_params("no-such-run") is None


def test_a_flush_does_not_wait_for_the_senders_linger(
    uri: str, durable: DurableLogging, monkeypatch: pytest.MonkeyPatch
) -> None:
    from trackside.kernel.journal import sender as sender_module

    with mlflow.start_run() as run:
        mlflow.log_metric("loss", 1.0, step=0)
        assert durable.flush(30)
        monkeypatch.setattr(sender_module, "LINGER", 3600.0)  # a trickle would wait an hour
        mlflow.log_metric("loss", 0.5, step=1)
        assert durable.flush(30) and durable.backlog() == 0
    assert [(s, v) for s, _, v in history(uri, run.info.run_id, "loss")] == [(0, 1.0), (1, 0.5)]
