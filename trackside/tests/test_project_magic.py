"""``%mlflow run`` in a real kernel: a real ``mlflow run`` against a real ``mlflow server``."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import psutil
import pytest
from mlflow import MlflowClient

from trackside.projects import RUN_ID

from .kernel_helpers import wait_until
from .servers import MlflowServer
from .test_magics_support import Kernel, kernel_env, make_notebook, unique

MLPROJECT = """\
name: tiny
entry_points:
  main:
    parameters:
      alpha: {type: float, default: 0.5}
      steps: {type: int, default: 3}
      pause: {type: float, default: 0}
      note: {type: string, default: plain}
    command: python train.py --alpha {alpha} --steps {steps} --pause {pause} --note {note}
"""

TRAIN = """\
import argparse
import time

import mlflow

parser = argparse.ArgumentParser()
parser.add_argument("--alpha", type=float)
parser.add_argument("--steps", type=int)
parser.add_argument("--pause", type=float)
parser.add_argument("--note")
args = parser.parse_args()
if args.alpha < 0:
    raise SystemExit("alpha must not be negative")
with mlflow.start_run():
    # MLflow logs the entry point's parameters itself; the script's own names differ.
    mlflow.log_param("train_alpha", args.alpha)
    mlflow.log_param("train_note", args.note)
    for step in range(args.steps):
        mlflow.log_metric("loss", 1.0 / (step + 1), step=step)
        print(f"step {step}", flush=True)
        time.sleep(args.pause)
"""
# IPython expands $name and {expr} in a magic's line, so the value avoids those two.
NASTY = "; rm -rf / `x` 'a b' | cat"


@pytest.fixture(scope="module")
def kernel(real_mlflow: MlflowServer, tmp_path_factory: pytest.TempPathFactory):
    notebook = make_notebook(tmp_path_factory.mktemp("repo"))
    project = notebook.folder / "proj"
    project.mkdir()
    (project / "MLproject").write_text(MLPROJECT)
    (project / "train.py").write_text(TRAIN)
    env = kernel_env(real_mlflow, notebook, tmp_path_factory.mktemp("home"))
    # The entry point's `python` must be this environment's (it has mlflow).
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    kernel = Kernel(env, notebook.folder)
    try:
        kernel.ok("import os, mlflow\n%load_ext trackside")
        yield kernel
    finally:
        kernel.shutdown()


@pytest.fixture
def client(real_mlflow: MlflowServer) -> MlflowClient:
    return MlflowClient(tracking_uri=real_mlflow.url)


def test_run_streams_output_and_returns_the_finished_run(kernel: Kernel, client):
    experiment = unique("project")
    msg_id = kernel.send(
        f'run_id = %mlflow run proj -P alpha=0.25 -P pause=1 -P "note={NASTY}"'
        f" --experiment {experiment}"
    )
    early = kernel.collect(msg_id, until="step 0")
    assert early.status == "", str(early)  # still running
    assert "step 2" not in early.stdout  # the first line arrived while the project ran
    assert RUN_ID.search(early.stdout), early.stdout  # MLflow's stderr is in the cell too
    rest = kernel.collect(msg_id)
    assert rest.status == "ok", str(rest)
    assert "step 2" in rest.stdout
    run_id = kernel.value("run_id").strip("'")
    assert RUN_ID.search(early.stdout).group(1) == run_id
    assert f"%mlflow open {run_id}" in rest.stdout
    run = client.get_run(run_id)
    assert run.info.status == "FINISHED"
    assert run.data.params["alpha"] == "0.25"
    assert run.data.params["train_alpha"] == "0.25"
    assert run.data.params["train_note"] == NASTY  # one argument, verbatim, through bash
    assert [m.value for m in client.get_metric_history(run_id, "loss")] == [1.0, 0.5, 1 / 3]
    assert client.get_experiment(run.info.experiment_id).name == experiment


def test_a_failing_project_is_an_error_with_its_exit_code_and_last_lines(kernel: Kernel, client):
    experiment = unique("failing")
    kernel.ok(f"%mlflow experiment {experiment}")  # no --experiment: the kernel's applies
    reply = kernel.run("%mlflow run proj -P alpha=-1")
    assert reply.ename == "ProjectRunFailed", str(reply)
    assert "mlflow run exited with code 1" in reply.error["evalue"]
    assert "alpha must not be negative" in reply.error["evalue"]  # the last lines
    assert "alpha must not be negative" in reply.stdout  # streamed as well
    (run,) = client.search_runs([client.get_experiment_by_name(experiment).experiment_id])
    assert run.info.status == "FAILED"
    assert f"(run {run.info.run_id})" in reply.error["evalue"]


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("proj -P alpha=abc", "'alpha' (float) must be a finite number, got 'abc'"),
        ("proj -P steps=3.0 -P beta=1", "'beta' unknown parameter"),
        ("proj -e train", "no entry point 'train'"),
        ("../outside", "outside the root directory"),
        ("https://github.com/mlflow/mlflow-example", "remote project URIs are disabled"),
        ("proj -P alpha", "-P expects key=value"),
        ("proj --env-manager pip", "unknown --env-manager 'pip'"),
    ],
)
def test_bad_input_is_a_usage_error_and_nothing_runs(kernel: Kernel, client, line, message):
    experiment = unique("refused")
    reply = kernel.run(f"%mlflow run {line} --experiment {experiment}")
    assert reply.status == "error"
    assert reply.ename == "UsageError"
    assert message in reply.error["evalue"], reply.error["evalue"]
    assert client.get_experiment_by_name(experiment) is None  # mlflow run never started


def _group_members(group: int) -> list[psutil.Process]:
    found = []
    for proc in psutil.process_iter():
        try:
            if os.getpgid(proc.pid) == group and proc.status() != psutil.STATUS_ZOMBIE:
                found.append(proc)
        except (ProcessLookupError, psutil.Error):
            continue
    return found


def test_interrupt_stops_the_process_group_and_kills_the_run(kernel: Kernel, client):
    experiment = unique("stopped")
    kernel_pid = int(kernel.value("os.getpid()"))
    msg_id = kernel.send(
        f"%mlflow run proj -P steps=100000 -P pause=0.05 --experiment {experiment}"
    )
    # Well past the error tail's 20 lines: the run id must not be forgotten with them.
    early = kernel.collect(msg_id, until="step 40\n")
    assert early.status == "", str(early)  # still running
    run_id = RUN_ID.search(early.stdout).group(1)
    (child,) = psutil.Process(kernel_pid).children()
    group = child.pid
    assert os.getpgid(group) == group != os.getpgid(kernel_pid)
    members = _group_members(group)
    # mlflow run, its bash -c (unless bash execs) and python train.py
    assert any("train.py" in " ".join(member.cmdline()) for member in members)
    assert len(members) >= 2
    kernel.km.interrupt_kernel()
    reply = kernel.collect(msg_id)
    assert reply.ename == "KeyboardInterrupt", str(reply)
    assert f"run {run_id} KILLED" in reply.stdout
    assert wait_until(lambda: not _group_members(group), timeout=10)
    assert not [p for p in members if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]
    assert client.get_run(run_id).info.status == "KILLED"
    assert not psutil.Process(kernel_pid).children()
    started = time.monotonic()
    assert kernel.value("1 + 1") == "2"  # the kernel is free again
    assert time.monotonic() - started < 30
