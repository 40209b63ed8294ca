"""MLflow Projects run from the Jupyter server, for real: a real ``mlflow server``, a real
Jupyter server with Trackside, real ``mlflow run --env-manager local`` processes of a tiny
project written into the server's root directory.

One Jupyter server (``lab``, at most one project running at a time) serves the module's
tests in order; the last ones stop it and start others on the same root directory.
"""

from __future__ import annotations

import json
import os
import signal
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psutil
import pytest
import requests
from mlflow.tracking import MlflowClient

from trackside.server import process_group
from trackside.server.probe import free_port
from trackside.server.projects.manager import ProjectRefusal, ProjectsManager, ProjectsOptions
from trackside.server.projects.output import read_output
from trackside.server.projects.store import ExecutionStore
from trackside.server.upstream import upstream_from_uri

from .jupyter_process import TOKEN, Server, jupyter_server
from .servers import MlflowServer

TINY_MLPROJECT = """\
name: tiny
entry_points:
  main:
    parameters:
      steps: {type: int, default: 4}
      rate: {type: float, default: 0.5}
      label: {type: string, default: plain}
    command: "python train.py --steps {steps} --rate {rate} --label {label}"
"""

TRAIN_PY = """\
import argparse
import sys
import time

import mlflow

parser = argparse.ArgumentParser()
parser.add_argument("--steps", type=int)
parser.add_argument("--rate", type=float)
parser.add_argument("--label")
args = parser.parse_args()
print("argv:", repr(sys.argv[1:]), flush=True)
with mlflow.start_run():
    mlflow.log_param("seen_label", args.label)
    for step in range(args.steps):
        mlflow.log_metric("loss", args.rate / (step + 1), step=step)
        print(f"step {step}", flush=True)
        time.sleep(0.25)
print("training done", flush=True)
"""

BAD_MLPROJECTS = {
    "bad-yaml": ("name: [unclosed\nentry_points: {}\n", "MLproject line 2", "invalid YAML"),
    "bad-type": (
        "entry_points:\n  main:\n    parameters:\n      n: {type: tensor}\n"
        "    command: python train.py {n}\n",
        "MLproject line 4",
        "unknown type 'tensor'",
    ),
    "no-command": (
        "entry_points:\n  main:\n    parameters: {}\n",
        "MLproject line 2",
        "has no command",
    ),
}
LONG_STEPS = "400"  # 100 s: only ever stopped


def api(
    server: Server, method: str, route: str, body: Any = None, **params: Any
) -> tuple[int, dict[str, Any]]:
    response = requests.request(
        method,
        f"{server.url}/trackside/api/projects/{route}",
        data=json.dumps(body) if body is not None else None,
        params=params,
        headers={"Authorization": f"token {TOKEN}", "Content-Type": "application/json"},
        timeout=60,
    )
    return response.status_code, response.json()


def run(server: Server, **body: Any) -> dict[str, Any]:
    status, answer = api(server, "POST", "executions", {"path": "tiny", **body})
    assert status == 202, answer
    return answer["execution"]


def execution(server: Server, execution_id: str) -> dict[str, Any]:
    status, answer = api(server, "GET", f"executions/{execution_id}")
    assert status == 200, answer
    return answer["execution"]


def wait_until(server: Server, execution_id: str, done: Any, timeout: float = 90.0) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        current = execution(server, execution_id)
        if done(current):
            return current
        time.sleep(0.1)
    raise AssertionError(f"the execution never got there: {current}")


def finished(server: Server, execution_id: str) -> dict[str, Any]:
    return wait_until(server, execution_id, lambda e: e["state"] not in ("queued", "running"))


def running_with_run(server: Server, execution_id: str) -> dict[str, Any]:
    return wait_until(server, execution_id, lambda e: e["state"] == "running" and e["run_id"])


def read_until(server: Server, execution_id: str, words: str, timeout: float = 90.0) -> str:
    """The output from the start, read as it is written until it holds ``words``."""
    deadline, offset, text = time.monotonic() + timeout, 0, ""
    while words not in text and time.monotonic() < deadline:
        _, chunk = api(server, "GET", f"executions/{execution_id}/output", offset=offset, wait=5)
        offset, text = chunk["offset"], text + chunk["output"]
        assert not chunk["done"], text
    assert words in text, text
    return text


def processes_with(marker: str) -> list[psutil.Process]:
    """Live processes whose command line holds ``marker`` (watchdog, mlflow run, train.py)."""
    found = []
    for proc in psutil.process_iter(["cmdline"]):
        if marker in " ".join(proc.info["cmdline"] or []) and process_group.is_alive(proc.pid):
            found.append(proc)
    return found


def wait_until_gone(marker: str, timeout: float = 20.0) -> list[psutil.Process]:
    deadline = time.monotonic() + timeout
    while (left := processes_with(marker)) and time.monotonic() < deadline:
        time.sleep(0.1)
    return left


def all_runs(client: MlflowClient) -> set[str]:
    experiments = [e.experiment_id for e in client.search_experiments()]
    return {r.info.run_id for r in client.search_runs(experiments, max_results=1000)}


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("projects") / "notebooks"
    (root / "tiny").mkdir(parents=True)
    (root / "tiny" / "MLproject").write_text(TINY_MLPROJECT)
    (root / "tiny" / "train.py").write_text(TRAIN_PY)
    for name, (text, _, _) in BAD_MLPROJECTS.items():
        (root / name).mkdir()
        (root / name / "MLproject").write_text(text)
    return root


def start_lab(
    real_mlflow: MlflowServer, root: Path, *extra: str, environment: dict[str, str] | None = None
) -> Any:
    args = [f"--Trackside.tracking_uri={real_mlflow.url}", "--Trackside.max_running_projects=1"]
    return jupyter_server(root, free_port("127.0.0.1"), [*args, *extra], environment)


# A Jupyter server started from a shell where a run or an experiment is active: `mlflow run`
# reads these as its own options (and refuses an experiment id beside --experiment-name).
HOSTILE_ENVIRONMENT = {"MLFLOW_EXPERIMENT_ID": "0", "MLFLOW_RUN_ID": "0" * 32}


@pytest.fixture(scope="module")
def lab(real_mlflow: MlflowServer, root: Path) -> Iterator[Server]:
    with start_lab(real_mlflow, root, environment=HOSTILE_ENVIRONMENT) as server:
        server.wait_ready()
        yield server


@pytest.fixture(scope="module")
def client(real_mlflow: MlflowServer) -> MlflowClient:
    return MlflowClient(real_mlflow.url)


def test_a_run_streams_its_output_links_its_run_and_finishes(lab, client, root):
    status, spec = api(lab, "GET", "spec", path="tiny")
    assert status == 200, spec
    assert spec["project"]["name"] == "tiny" and spec["env_managers"]["local"] is True
    assert [p["name"] for p in spec["project"]["entry_points"][0]["parameters"]] == [
        "steps",
        "rate",
        "label",
    ]

    # Shell metacharacters: one argument, verbatim, never interpreted by a shell.
    label = "a b; rm -rf ~ && echo $(id) `x` | 'q' \"z\" > out *"
    started = run(
        lab,
        entry_point="main",
        parameters={"steps": "8", "label": label},
        experiment_name="projects-lifecycle",
    )
    assert started["state"] == "running" and started["exit_code"] is None
    assert started["command"].startswith(f"mlflow run {root / 'tiny'} -e main -P steps=8")

    offset, text, reads_while_running, linked_while_running = 0, "", 0, False
    while True:
        status, chunk = api(lab, "GET", f"executions/{started['id']}/output", offset=offset, wait=5)
        assert status == 200 and chunk["start"] == 0, chunk
        if chunk["output"] and not chunk["done"]:
            reads_while_running += 1
            current = execution(lab, started["id"])
            linked_while_running |= current["state"] == "running" and bool(current["run_id"])
        text += chunk["output"]
        offset = chunk["offset"]
        if chunk["done"]:
            break
    assert reads_while_running >= 2, text
    assert linked_while_running, "the run id was not linked while the project ran"
    assert offset == len(text.encode())
    for step in range(8):
        assert f"step {step}\n" in text
    assert f"argv: {['--steps', '8', '--rate', '0.5', '--label', label]!r}" in text

    ended = execution(lab, started["id"])
    assert (ended["state"], ended["exit_code"], ended["message"]) == ("finished", 0, "")
    assert ended["ended"] >= ended["started"] >= ended["created"]
    mlflow_run = client.get_run(ended["run_id"])
    assert mlflow_run.info.status == "FINISHED"
    experiment = client.get_experiment_by_name("projects-lifecycle")
    assert experiment and mlflow_run.info.experiment_id == experiment.experiment_id
    assert mlflow_run.data.params["steps"] == "8"
    assert mlflow_run.data.params["seen_label"] == label
    losses = client.get_metric_history(ended["run_id"], "loss")
    assert [m.step for m in losses] == list(range(8))

    # Read again from the start after the end: the whole output is still there.
    status, again = api(lab, "GET", f"executions/{started['id']}/output", offset=0)
    assert status == 200 and again["output"] == text and again["done"] is True


@pytest.mark.reliability("B9")
def test_bad_projects_and_values_are_refused_and_nothing_starts(lab, client):
    _, before = api(lab, "GET", "executions")
    runs_before = all_runs(client)
    for name, (_, where, words) in BAD_MLPROJECTS.items():
        for method, path, body in (
            ("GET", "spec", None),
            ("POST", "executions", {"path": name, "entry_point": "main"}),
        ):
            query = {"path": name} if body is None else {}
            status, answer = api(lab, method, path, body, **query)
            assert (status, answer["error_code"]) == (400, "INVALID_PARAMETER_VALUE"), answer
            assert where in answer["message"] and words in answer["message"], answer
    wrong = [
        ({"entry_point": "nope"}, "no entry point 'nope'", "entry_point"),
        ({"parameters": {"steps": "ten"}}, "'steps' (int) must be an integer", "steps"),
        ({"parameters": {"rate": "nan"}}, "'rate' (float)", "rate"),
        ({"parameters": {"seed": "1"}}, "'seed' unknown parameter", "seed"),
        ({"env_manager": "pip"}, "'pip'", "env_manager"),
        ({"parameters": "steps=3"}, "'parameters' must be an object", "parameters"),
    ]
    for body, words, field in wrong:
        status, answer = api(lab, "POST", "executions", {"path": "tiny", **body})
        assert status == 400 and words in answer["message"], (body, answer)
        assert answer["field"] == field, answer
    _, after = api(lab, "GET", "executions")
    assert after == before
    assert all_runs(client) == runs_before


@pytest.mark.reliability("C15")
def test_paths_outside_the_root_and_remote_uris_are_refused(lab, root):
    _, before = api(lab, "GET", "executions")
    outside = root.parent / "outside"
    outside.mkdir()
    (outside / "MLproject").write_text(TINY_MLPROJECT)
    (root / "escape").symlink_to(outside)
    for path in (
        "..",
        "../outside",
        "tiny/../../outside",
        "%2e%2e/outside",
        "tiny%2F..%2F..",
        str(outside),
        "/etc",
        "escape",
        "tiny\x00",
    ):
        for method, route, body in (
            ("GET", "spec", None),
            ("POST", "executions", {"path": path}),
        ):
            query = {"path": path} if body is None else {}
            status, answer = api(lab, method, route, body, **query)
            assert status == 400 and answer["field"] == "path", (path, answer)
    for uri in ("https://github.com/mlflow/mlflow-example", "git@github.com:a/b.git"):
        status, answer = api(lab, "POST", "executions", {"path": uri})
        assert (status, answer["error_code"]) == (403, "PERMISSION_DENIED"), answer
        assert "c.Trackside.allow_remote_projects" in answer["message"]
    # An absolute path inside the root is that project.
    status, spec = api(lab, "GET", "spec", path=str(root / "tiny"))
    assert status == 200 and spec["project"]["name"] == "tiny"
    _, after = api(lab, "GET", "executions")
    assert after == before


@pytest.mark.reliability("C2")
def test_cookie_authenticated_posts_need_the_xsrf_token(lab):
    session = requests.Session()
    session.get(f"{lab.url}/api/status", params={"token": TOKEN}, timeout=30).raise_for_status()
    url = f"{lab.url}/trackside/api/projects/executions"
    listed = session.get(url, timeout=30)
    assert listed.status_code == 200  # the cookie authenticates
    refused = session.post(url, data=json.dumps({"path": "tiny"}), timeout=30)
    assert (refused.status_code, refused.json()["error_code"]) == (403, "PERMISSION_DENIED")
    # Refused before the id is looked up (an accepted DELETE of this id would be a 404).
    assert session.delete(f"{url}/0123456789abcdef", timeout=30).status_code == 403
    assert session.get(url, timeout=30).json() == listed.json()


def test_stop_kills_the_run_and_frees_the_slot_for_the_queued_ones(lab, client):
    # The module's Jupyter server runs one project at a time.
    marker = f"stop-{uuid.uuid4().hex[:8]}"
    first = run(lab, parameters={"steps": LONG_STEPS, "label": marker})
    second = run(lab, parameters={"steps": "2", "label": "second"})
    third = run(lab, parameters={"steps": "2", "label": "third"})
    assert (first["state"], second["state"], third["state"]) == ("running", "queued", "queued")
    status, answer = api(lab, "GET", f"executions/{second['id']}/output", offset=0)
    assert status == 200 and answer == {"output": "", "offset": 0, "start": 0, "done": False}
    # A queued one that is stopped never starts.
    status, answer = api(lab, "DELETE", f"executions/{third['id']}")
    assert (status, answer["execution"]["state"]) == (200, "stopped")
    assert answer["execution"]["started"] is None

    read_until(lab, first["id"], "step 1\n")
    linked = running_with_run(lab, first["id"])
    assert execution(lab, second["id"])["state"] == "queued"
    members = processes_with(marker)
    assert any("train.py" in " ".join(p.cmdline()) for p in members), members
    groups = {os.getpgid(p.pid) for p in members}
    status, answer = api(lab, "DELETE", f"executions/{first['id']}")
    assert (status, answer["execution"]["state"]) == (200, "stopped"), answer
    assert wait_until_gone(marker, timeout=5) == []
    assert all(process_group.group_members(g) == [] for g in groups)
    assert client.get_run(linked["run_id"]).info.status == "KILLED"
    stopped = execution(lab, first["id"])
    assert stopped["state"] == "stopped" and stopped["ended"] is not None
    _, chunk = api(lab, "GET", f"executions/{first['id']}/output", offset=0, wait=5)
    assert chunk["done"] is True and "step 1" in chunk["output"]
    assert "training done" not in chunk["output"]

    # The freed slot goes to the queued one.
    done_second = finished(lab, second["id"])
    assert done_second["state"] == "finished" and done_second["started"] >= stopped["ended"]
    assert client.get_run(done_second["run_id"]).data.params["seen_label"] == "second"
    assert execution(lab, third["id"])["state"] == "stopped"
    _, listed = api(lab, "GET", "executions")
    ids = [e["id"] for e in listed["executions"]]
    assert ids[:3] == [third["id"], second["id"], first["id"]]  # newest first


def test_stopping_jupyter_stops_running_projects(lab, client, root):
    # Last test of `lab`: it stops the module's Jupyter server.
    marker = f"shutdown-{uuid.uuid4().hex[:8]}"
    started = run(lab, parameters={"steps": LONG_STEPS, "label": marker})
    linked = running_with_run(lab, started["id"])
    assert processes_with(marker)
    lab.process.send_signal(signal.SIGTERM)
    lab.process.wait(timeout=60)
    assert wait_until_gone(marker, timeout=5) == [], "a project outlived its Jupyter server"
    assert client.get_run(linked["run_id"]).info.status == "KILLED"
    saved = json.loads((root / ".trackside" / "projects" / "executions.json").read_text())
    assert [e["state"] for e in saved if e["id"] == started["id"]] == ["stopped"]


def test_executions_survive_a_restart_and_a_killed_jupyter_fails_its_runs(
    real_mlflow, root, client
):
    saved = json.loads((root / ".trackside" / "projects" / "executions.json").read_text())
    marker = f"sigkill-{uuid.uuid4().hex[:8]}"
    with start_lab(real_mlflow, root) as server:
        server.wait_ready()
        _, listed = api(server, "GET", "executions")
        assert listed["executions"] == saved
        started = run(server, parameters={"steps": LONG_STEPS, "label": marker})
        run_id = running_with_run(server, started["id"])["run_id"]
        server.process.send_signal(signal.SIGKILL)
        server.process.wait()
    assert wait_until_gone(marker) == [], "the watchdog left a project behind"
    with start_lab(real_mlflow, root) as server:
        server.wait_ready()
        _, listed = api(server, "GET", "executions")
        assert listed["executions"][1:] == saved
        interrupted = listed["executions"][0]
        assert interrupted["id"] == started["id"]
        assert interrupted["state"] == "failed"
        assert interrupted["message"] == "Jupyter stopped while it ran"
        assert interrupted["ended"] is not None
        # Its MLflow run, left RUNNING by the killed Jupyter, is ended by the next one.
        deadline = time.monotonic() + 60
        while client.get_run(run_id).info.status == "RUNNING" and time.monotonic() < deadline:
            time.sleep(0.2)
        assert client.get_run(run_id).info.status == "KILLED"


def test_output_is_read_by_byte_offset_within_the_window_and_whole_characters(tmp_path):
    log = tmp_path / "x.log"
    log.write_bytes("abc\nhé€\n".encode() + "😀".encode()[:2])  # an emoji cut in half
    chunk = read_output(log, 0, 1024, complete=False)
    assert (chunk.text, chunk.start) == ("abc\nhé€\n", 0)  # the half emoji is held back
    assert chunk.offset == len("abc\nhé€\n".encode())
    with open(log, "ab") as out:
        out.write("😀".encode()[2:] + b"!")
    later = read_output(log, chunk.offset, 1024, complete=False)
    assert (later.text, later.offset) == ("😀!", log.stat().st_size)
    # Only the last 8 bytes are readable: an older offset starts at the first whole
    # character inside them, and says so with `start`.
    windowed = read_output(log, 0, 8, complete=True)
    size = log.stat().st_size  # 16: the window starts at 8, in the middle of the €
    assert (windowed.text, windowed.start, windowed.offset) == ("\n😀!", 10, size)
    # A finished log gives its trailing bytes even if cut (replacement character).
    log.write_bytes(b"end\xe2\x82")
    assert read_output(log, 0, 1024, complete=True).text == "end\ufffd"
    assert read_output(tmp_path / "missing.log", 5, 1024, complete=False).to_json(False) == {
        "output": "",
        "offset": 5,
        "start": 5,
        "done": False,
    }


def test_an_unreadable_executions_file_is_ignored(tmp_path):
    store = ExecutionStore(tmp_path)
    store.save([{"id": "0123456789abcdef", "state": "finished"}])
    assert [e["id"] for e in store.load()] == ["0123456789abcdef"]
    store.path.write_text("[{half")
    assert store.load() == []
    assert list(tmp_path.iterdir()) == [store.path]  # no temporary file left behind


async def test_remote_uris_pass_validation_only_with_the_trait(real_mlflow, tmp_path):
    uri = "https://127.0.0.1:9/nothing-listens-here.git"  # never fetched: stopped at once

    def manager(allow_remote: bool) -> ProjectsManager:
        options = ProjectsOptions(
            state_dir=tmp_path / f"projects-{allow_remote}",
            root_dir=tmp_path,
            environment=lambda: {"MLFLOW_TRACKING_URI": real_mlflow.url},
            upstream=lambda: upstream_from_uri(real_mlflow.url),
            allow_remote=allow_remote,
        )
        return ProjectsManager(options)

    refusing = manager(False)
    with pytest.raises(ProjectRefusal) as refused:
        await refusing.submit({"path": uri})
    assert refused.value.status == 403 and refusing.list() == []

    allowing = manager(True)
    try:
        started = await allowing.submit({"path": uri, "parameters": {"alpha": "0.1"}})
        assert started.state.value == "running"
        assert started.command == f"mlflow run {uri} -e main -P alpha=0.1 --env-manager local"
        pgid = started.process.pid if started.process else 0
        stopped = await allowing.stop_execution(started.id)
        assert stopped.state.value == "stopped"
        assert process_group.group_members(pgid) == []
    finally:
        await allowing.stop()
