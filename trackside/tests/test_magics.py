"""``%%mlflow`` and ``%mlflow`` in a real kernel against a real ``mlflow server``."""

from __future__ import annotations

import json
import math
import sys
import time
import uuid

import pytest
from mlflow import MlflowClient

from .servers import MlflowServer
from .test_magics_support import (
    Kernel,
    Notebook,
    loaded_kernel,
    make_notebook,
    run_id_of,
    runs_in,
    unique,
)


@pytest.fixture(scope="module")
def notebook(tmp_path_factory: pytest.TempPathFactory) -> Notebook:
    return make_notebook(tmp_path_factory.mktemp("repo"))


@pytest.fixture(scope="module")
def kernel(real_mlflow: MlflowServer, notebook: Notebook, tmp_path_factory):
    yield from loaded_kernel(real_mlflow, notebook, tmp_path_factory.mktemp("home"))


@pytest.fixture
def client(real_mlflow: MlflowServer) -> MlflowClient:
    return MlflowClient(tracking_uri=real_mlflow.url)


def sync(k: Kernel) -> None:
    reply = k.ok("%mlflow sync")
    assert "incomplete" not in reply.stdout, reply.stdout


def test_magic_cell_logs_params_metrics_tags_and_source(
    kernel: Kernel, client: MlflowClient, notebook: Notebook
):
    experiment = unique("magic")
    cell_id = uuid.uuid4().hex
    cell = (
        f'%%mlflow -e {experiment} -n "<b>first</b>" --tag team=vision --tag note="a=b"\n'
        "lr = 0.01\n"
        "epochs = 3\n"
        "optimizer = 'adam'\n"
        "cfg = {'layers': [64, 32], 'dropout': 0.1}\n"
        "mlflow.log_param('epochs', 3)\n"
        "mlflow.log_metric('acc', 0.5)\n"
        "acc = np.float32(0.75)\n"
        "val_loss = float('nan')\n"
        "test_rmse = float('-inf')\n"
        "lossy_data = [1, 2]\n"
        "flag_score = True\n"
        "lr * 100\n"
    )
    reply = kernel.run(cell, cell_id=cell_id)
    assert reply.status == "ok", str(reply)
    assert reply.results and reply.results[0]["text/plain"] == "1.0"  # last expression shown
    run_id = run_id_of(reply)
    summary = next(d for d in reply.displays if "text/html" in d)
    html = summary["text/html"]
    assert "&lt;b&gt;first&lt;/b&gt;" in html and "<b>first" not in html
    assert f'data-trackside-run-id="{run_id}"' in html
    assert "data-trackside-experiment-id=" in html
    assert "Open in Trackside" in html
    assert "<b>first</b>" in summary["text/plain"] and run_id in summary["text/plain"]
    # the cell's variables are in the user namespace
    assert kernel.value("(lr, optimizer, float(acc))") == "(0.01, 'adam', 0.75)"

    sync(kernel)
    run = client.get_run(run_id)
    assert run.info.status == "FINISHED"
    assert run.info.run_name == "<b>first</b>"
    assert client.get_experiment(run.info.experiment_id).name == experiment
    assert run.data.params == {
        "lr": "0.01",
        "epochs": "3",
        "optimizer": "adam",
        "cfg.layers": "[64, 32]",
        "cfg.dropout": "0.1",
        "lossy_data": "[1, 2]",
        "flag_score": "True",
    }
    # the user's own log_metric('acc', 0.5) wins over the captured acc = 0.75
    assert [m.value for m in client.get_metric_history(run_id, "acc")] == [0.5]
    assert math.isnan(run.data.metrics["val_loss"])
    # logged as -inf; MLflow's SQL store keeps infinities as -/+ float max
    assert run.data.metrics["test_rmse"] in (-math.inf, -sys.float_info.max)
    assert set(run.data.metrics) == {"acc", "val_loss", "test_rmse"}
    tags = run.data.tags
    assert tags["team"] == "vision" and tags["note"] == "a=b"
    assert tags["trackside.cell_id"] == cell_id
    assert tags["trackside.notebook"] == str(notebook.path)
    assert tags["mlflow.source.name"] == str(notebook.path)
    assert tags["mlflow.source.type"] == "NOTEBOOK"
    assert tags["mlflow.source.git.commit"] == notebook.commit
    source = client.download_artifacts(run_id, tags["trackside.cell_source"])
    with open(source) as handle:
        assert handle.read() == cell


def test_notebook_path_follows_a_rename(kernel: Kernel, client: MlflowClient, notebook: Notebook):
    """The kernel's environment keeps the path the notebook had at kernel start; after a
    rename the frontend sends the new one, and later runs record it."""
    renamed = notebook.folder / "renamed dir" / "after rename.ipynb"
    assert str(notebook.path) in kernel.ok("%mlflow notebook").stdout
    try:
        reply = kernel.ok(f"%mlflow notebook '{renamed}'")
        assert f"notebook: {renamed}" in reply.stdout
        ran = kernel.run(f"%%mlflow -e {unique('renamed')}\nacc = 0.5\n")
        assert ran.status == "ok", str(ran)
        sync(kernel)
        tags = client.get_run(run_id_of(ran)).data.tags
        assert tags["trackside.notebook"] == str(renamed)
        assert tags["mlflow.source.name"] == str(renamed)
        for line, expected in {"a b": "quote a path", "''": "empty", "'a": "closing"}.items():
            reply = kernel.run(f"%mlflow notebook {line}")
            assert reply.ename == "UsageError", (line, str(reply))
            assert expected in reply.error["evalue"], (line, reply.error["evalue"])
        assert f"notebook: {renamed}" in kernel.ok("%mlflow notebook").stdout
    finally:
        kernel.ok(f"%mlflow notebook '{notebook.path}'")


def test_exception_fails_the_run_and_reaches_the_user_unchanged(kernel: Kernel, client):
    experiment = unique("fail")
    reply = kernel.run(
        f"%%mlflow -e {experiment}\n"
        "lr = 0.2\n"
        "class BoomError(Exception):\n"
        "    pass\n"
        "raise BoomError('boom <&> 42')\n"
    )
    assert reply.status == "error"
    assert reply.ename == "BoomError"
    assert reply.error["evalue"] == "boom <&> 42"
    traceback = reply.traceback
    assert "raise BoomError" in traceback
    assert "cellmagic.py" not in traceback and "runcell.py" not in traceback
    run_id = run_id_of(reply)
    sync(kernel)
    run = client.get_run(run_id)
    assert run.info.status == "FAILED"
    assert run.data.params == {"lr": "0.2"}
    assert kernel.value("mlflow.active_run()") == "None"


def test_interrupt_kills_the_run(kernel: Kernel, client):
    experiment = unique("interrupt")
    msg_id = kernel.send(
        f"%%mlflow -e {experiment}\n"
        "import time\n"
        "print('started', flush=True)\n"
        "for _ in range(3000):\n"
        "    time.sleep(0.1)\n"
    )
    kernel.collect(msg_id, until="started")
    time.sleep(0.5)
    kernel.km.interrupt_kernel()
    reply = kernel.collect(msg_id)
    assert reply.status == "error"
    assert reply.ename == "KeyboardInterrupt"
    sync(kernel)
    (run,) = runs_in(client, experiment)
    assert run.info.status == "KILLED"
    assert kernel.value("mlflow.active_run()") == "None"


def test_user_nested_runs_are_children_of_the_magic_run(kernel: Kernel, client):
    experiment = unique("nested")
    reply = kernel.run(
        f"%%mlflow -e {experiment} -n parent\n"
        "outer = mlflow.active_run().info.run_id\n"
        "for trial in range(3):\n"
        "    with mlflow.start_run(nested=True, run_name=f'trial-{trial}'):\n"
        "        mlflow.log_param('trial', trial)\n"
        "        mlflow.log_metric('trial_loss', 1.0 / (trial + 1))\n"
        "best_loss = 1.0 / 3\n"
    )
    assert reply.status == "ok", str(reply)
    parent_id = run_id_of(reply)
    assert kernel.value("outer") == repr(parent_id)
    sync(kernel)
    runs = {run.info.run_name: run for run in runs_in(client, experiment)}
    assert set(runs) == {"parent", "trial-0", "trial-1", "trial-2"}
    for trial in range(3):
        child = runs[f"trial-{trial}"]
        assert child.data.tags["mlflow.parentRunId"] == parent_id
        assert child.info.status == "FINISHED"
        assert child.data.params == {"trial": str(trial)}
    parent = runs["parent"]
    assert parent.info.status == "FINISHED"
    assert parent.data.metrics == {"best_loss": 1.0 / 3}
    assert "trial_loss" not in parent.data.metrics


def test_user_start_run_without_nested_fails_as_in_plain_mlflow(kernel: Kernel, client):
    experiment = unique("notnested")
    reply = kernel.run(f"%%mlflow -e {experiment}\nmlflow.start_run()\n")
    assert reply.status == "error"
    assert "already active" in reply.error["evalue"]
    assert "nested=True" in reply.error["evalue"]
    sync(kernel)
    (run,) = runs_in(client, experiment)
    assert run.info.status == "FAILED"
    assert kernel.value("mlflow.active_run()") == "None"


def test_runs_left_open_by_the_cell_are_ended(kernel: Kernel, client):
    experiment = unique("leftopen")
    reply = kernel.run(
        f"%%mlflow -e {experiment} -n outer\nmlflow.start_run(nested=True, run_name='inner')\n"
    )
    assert reply.status == "ok", str(reply)
    sync(kernel)
    statuses = {run.info.run_name: run.info.status for run in runs_in(client, experiment)}
    assert statuses == {"outer": "FINISHED", "inner": "FINISHED"}
    assert kernel.value("mlflow.active_run()") == "None"


def test_continue_a_run_with_run_id(kernel: Kernel, client):
    experiment = unique("continue")
    first = kernel.run(f"%%mlflow -e {experiment} -n long\nlr = 0.3\nloss = 0.9\n")
    assert first.status == "ok", str(first)
    run_id = run_id_of(first)
    second = kernel.run(f"%%mlflow --run-id {run_id}\nepochs = 7\nloss = 0.4\nacc = 0.8\n")
    assert second.status == "ok", str(second)
    assert run_id_of(second) == run_id
    sync(kernel)
    run = client.get_run(run_id)
    assert run.info.status == "FINISHED"
    assert run.info.run_name == "long"
    assert run.data.params == {"lr": "0.3", "epochs": "7"}
    # auto-captured metrics of the same run continue as new steps
    history = client.get_metric_history(run_id, "loss")
    assert [(m.step, m.value) for m in history] == [(0, 0.9), (1, 0.4)]
    assert run.data.metrics["acc"] == 0.8
    assert len(runs_in(client, experiment)) == 1


@pytest.mark.reliability("B5")
def test_rerun_with_changed_param_value_keeps_the_first_and_says_so(kernel: Kernel, client):
    experiment = unique("changed")
    first = kernel.run(f"%%mlflow -e {experiment}\nlr = 0.1\n")
    run_id = run_id_of(first)
    second = kernel.run(f"%%mlflow --run-id {run_id}\nlr = 0.2\n")
    assert second.status == "ok", str(second)
    assert "param 'lr' changed (0.1 -> 0.2)" in second.stderr
    sync(kernel)
    assert client.get_run(run_id).data.params == {"lr": "0.1"}


def test_explicit_params_and_metrics_lists(kernel: Kernel, client):
    experiment = unique("explicit")
    reply = kernel.run(
        f"%%mlflow -e {experiment} --params base,lr --metrics quality\n"
        "base = 2\nlr = base * 0.05\nquality = np.float64(0.66)\nacc = 0.9\nignored = 'x'\n"
    )
    assert reply.status == "ok", str(reply)
    sync(kernel)
    run = client.get_run(run_id_of(reply))
    assert run.data.params == {"base": "2", "lr": "0.1"}
    assert run.data.metrics == {"quality": 0.66}
    off = kernel.run(f"%%mlflow -e {experiment} --no-params --no-metrics\nlr = 1\nacc = 0.5\n")
    sync(kernel)
    run = client.get_run(run_id_of(off))
    assert run.data.params == {} and run.data.metrics == {}


def test_many_metric_variables_are_capped_with_a_warning(kernel: Kernel, client):
    experiment = unique("many")
    body = "".join(f"m{i}_loss = {i}.25\n" for i in range(2500))
    reply = kernel.run(f"%%mlflow -e {experiment}\nlr = 0.5\n{body}")
    assert reply.status == "ok", str(reply)
    assert "1500 metrics not captured (max_metrics=1000)" in reply.stderr
    assert len([ln for ln in reply.stderr.splitlines() if "trackside:" in ln]) == 1, reply.stderr
    sync(kernel)
    run = client.get_run(run_id_of(reply))
    assert len(run.data.metrics) == 1000
    assert run.data.metrics["m999_loss"] == 999.25
    assert run.data.params == {"lr": "0.5"}


def test_huge_cell_runs_with_a_warning_and_no_capture(kernel: Kernel, client):
    experiment = unique("huge")
    kernel.ok("%mlflow config max_source_chars 2000")
    try:
        reply = kernel.run(f"%%mlflow -e {experiment}\nacc = 0.5\n" + "x = 1\n" * 1000)
    finally:
        kernel.ok("%mlflow config max_source_chars 100000")
    assert reply.status == "ok", str(reply)
    assert "max_source_chars=2,000" in reply.stderr
    sync(kernel)
    run = client.get_run(run_id_of(reply))
    assert run.info.status == "FINISHED"
    assert run.data.metrics == {} and run.data.params == {}


BAD_CELL_LINES = {
    "--bogus": "unrecognized arguments: --bogus",
    "--tag novalue": "--tag expects KEY=VALUE",
    "--tag =value": "--tag expects KEY=VALUE",
    "--params a --no-params": "either --params a,b or --no-params",
    "--metrics x --no-metrics": "either --metrics x,y or --no-metrics",
    "--params 1abc": "'1abc' is not a variable name",
    "--run-id 0123456789abcdef0123456789abcdef": "--run-id 0123456789abcdef0123456789abcdef",
    "--run-id ../etc": "is not a run id",
    "-e {bell_name}": "control characters",
    "-e ' '": "must not be empty",
    "-n": "expected one argument",
}


def test_bad_cell_magic_arguments_are_usage_errors_and_nothing_runs(kernel: Kernel, client):
    kernel.ok("bell_name = 'exp\\x07name'\nran = False")
    for line, expected in BAD_CELL_LINES.items():
        reply = kernel.run(f"%%mlflow {line}\nran = True\n")
        assert reply.ename == "UsageError", (line, str(reply))
        assert expected in reply.error["evalue"], (line, reply.error["evalue"])
        assert kernel.value("ran") == "False", line
        assert kernel.value("mlflow.active_run()") == "None", line


def test_syntax_error_starts_no_run(kernel: Kernel, client):
    experiment = unique("syntax")
    kernel.ok("ran = False")
    reply = kernel.run(f"%%mlflow -e {experiment}\nran = True\nx = (\n")
    assert reply.ename == "UsageError"
    assert "syntax error" in reply.error["evalue"]
    assert client.get_experiment_by_name(experiment) is None
    assert kernel.value("ran") == "False"


def test_active_run_needs_nested(kernel: Kernel, client):
    experiment = unique("active")
    kernel.ok(f"mlflow.set_experiment('{experiment}')\nouter = mlflow.start_run()")
    try:
        reply = kernel.run("%%mlflow\nran_inside = True\n")
        assert reply.ename == "UsageError"
        assert "--nested" in reply.error["evalue"]
        nested = kernel.run("%%mlflow --nested -n child\nacc = 0.5\n")
        assert nested.status == "ok", str(nested)
        assert kernel.value("mlflow.active_run().info.run_id == outer.info.run_id") == "True"
    finally:
        kernel.ok("%mlflow end")
    sync(kernel)
    runs = {run.info.run_name: run for run in runs_in(client, experiment)}
    child = next(run for name, run in runs.items() if name == "child")
    parent = next(run for name, run in runs.items() if name != "child")
    assert child.data.tags["mlflow.parentRunId"] == parent.info.run_id
    assert child.data.metrics == {"acc": 0.5}
    assert parent.info.status == "FINISHED"


BAD_LINES = {
    "frobnicate": "unknown subcommand 'frobnicate'",
    "autolog maybe": "expected: %mlflow autolog on|off",
    "autolog": "expected: %mlflow autolog on|off",
    "track": "expected: %mlflow track on|off",
    "track yes please": "expected: %mlflow track on|off",
    "end NOPE": "expected: %mlflow end [FINISHED|FAILED|KILLED]",
    "experiment a b": "expected: %mlflow experiment NAME",
    "experiment 'unclosed": "expected: %mlflow experiment NAME",
    "experiment {bell_name}": "control characters",
    "status now": "expected: %mlflow status",
    "sync now": "expected: %mlflow sync",
    "open a b": "expected: %mlflow open [RUN_ID]",
    "open 0123456789abcdef0123456789abcdef": "no such run",
    "help me": "expected: %mlflow help",
    "config nope": "unknown setting 'nope'",
    "config max_metrics -3": "expects a number >= 0",
    "config max_metrics lots": "expects a whole number",
    "config autolog sometimes": "expects on or off",
    "config metric_patterns (": "invalid regular expression",
}


def test_bad_line_magic_arguments_are_usage_errors(kernel: Kernel):
    kernel.ok("bell_name = 'exp\\x07name'")
    for line, expected in BAD_LINES.items():
        reply = kernel.run(f"%mlflow {line}")
        assert reply.ename == "UsageError", (line, str(reply))
        assert expected in reply.error["evalue"], (line, reply.error["evalue"])


def test_line_magics(kernel: Kernel, client, real_mlflow):
    experiment = unique("line magics")
    reply = kernel.ok(f"%mlflow experiment '{experiment}'")
    assert f"active experiment: {experiment}" in reply.stdout
    created = client.get_experiment_by_name(experiment)
    assert created is not None

    reply = kernel.ok("%%mlflow -n via-line\nacc = 0.5\n")
    run_id = run_id_of(reply)
    assert client.get_run(run_id).info.experiment_id == created.experiment_id

    status = kernel.ok("%mlflow status").stdout
    assert f"backend: {real_mlflow.url} (healthy)" in status
    assert "active run: none" in status
    assert f"last run: {run_id}" in status
    assert "durable logging: on; backlog" in status and "dead letters 0" in status

    opened = kernel.ok("%mlflow open")
    (message,) = opened.displays
    assert message["application/vnd.trackside.open+json"] == {
        "run_id": run_id,
        "experiment_id": created.experiment_id,
    }
    assert run_id in message["text/plain"]

    kernel.ok("started = mlflow.start_run(run_name='manual')")
    status = kernel.ok("%mlflow status").stdout
    assert "active run: " in status and "(manual)" in status
    ended = kernel.ok("%mlflow end KILLED")
    assert "KILLED" in ended.stdout
    assert kernel.ok("%mlflow end").stdout.strip() == "no active run"
    sync(kernel)
    assert client.get_run(kernel.value("started.info.run_id").strip("'")).info.status == "KILLED"

    assert "MLflow autologging on" in kernel.ok("%mlflow autolog on").stdout
    assert "MLflow autologging off" in kernel.ok("%mlflow autolog off").stdout

    config = kernel.ok("%mlflow config").stdout
    assert "max_metrics = 1000" in config and "metric_patterns = [" in config
    assert kernel.ok("%mlflow config max_params 5").stdout.strip() == "max_params = 5"
    assert kernel.ok("%mlflow config max_params").stdout.strip() == "max_params = 5"
    kernel.ok("%mlflow config max_params 100")
    patterns = json.loads(kernel.ok("%mlflow config metric_patterns").stdout.split(" = ", 1)[1])
    assert len(patterns) == 2

    assert "%%mlflow [-e NAME]" in kernel.ok("%mlflow help").stdout
    assert "%mlflow sync" in kernel.ok("%mlflow").stdout
    kernel.ok("mlflow.set_experiment('Default')")


def test_sync_reports(kernel: Kernel):
    reply = kernel.ok("%mlflow sync")
    assert reply.stdout.startswith("synced: "), reply.stdout
    assert "nothing waiting" in reply.stdout
