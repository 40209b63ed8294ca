"""trackside.projects on its own: MLproject parsing, parameter types, argv, paths.

The spec and value cases come from ``data/mlproject_cases.json``, which the frontend's
jest tests read too, so both parsers are held to the same answers.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from trackside.projects import (
    ENV_MANAGERS,
    RUN_ID,
    ProjectError,
    check_parameters,
    display_command,
    env_manager_available,
    load_project,
    mlflow_run_argv,
    mlflow_run_environment,
    parse_mlproject,
    resolve_project,
    value_problem,
)

CASES = json.loads((Path(__file__).parent / "data" / "mlproject_cases.json").read_text())
SPEC_CASES = CASES["specs"]
VALUE_CASES = CASES["values"]
NASTY = "; rm -rf / $(x) 'a b'"


def _spec(text: str):
    return parse_mlproject(text, default_name="fallback")


def test_the_shared_cases_cover_what_the_issue_asks():
    names = " ".join(case["name"] for case in SPEC_CASES)
    for needed in (
        "invalid YAML",
        "unknown top-level",
        "unknown parameter type",
        "without command",
        "missing entry_points",
    ):
        assert needed in names
    assert {case["type"] for case in VALUE_CASES} == {"int", "float", "string", "path", "uri"}
    assert any(case["ok"] for case in SPEC_CASES) and not all(case["ok"] for case in SPEC_CASES)


@pytest.mark.parametrize("case", SPEC_CASES, ids=[case["name"] for case in SPEC_CASES])
@pytest.mark.reliability("B9")
def test_spec_case(case):
    if case["ok"]:
        spec = _spec(case["text"])
        assert spec.entry_points
        return
    with pytest.raises(ProjectError) as caught:
        _spec(case["text"])
    err = caught.value
    if "line" in case:
        assert err.line == case["line"], str(err)
        assert str(err).startswith(f"MLproject line {case['line']}: ")
    if "contains" in case:
        assert case["contains"] in str(err)
    body = err.to_json()
    assert body["error_code"] == "INVALID_PARAMETER_VALUE"
    assert body["message"] == str(err) and body["line"] == err.line


@pytest.mark.parametrize(
    "case", VALUE_CASES, ids=[f"{case['type']}:{case['value']!r}" for case in VALUE_CASES]
)
def test_value_case(case):
    problem = value_problem(case["type"], case["value"])
    assert (problem is None) == case["ok"], problem


def test_full_project_spec_to_json():
    text = next(case["text"] for case in SPEC_CASES if case["name"] == "valid full project")
    spec = _spec(text)
    body = spec.to_json()
    assert body["name"] == "house-prices"
    assert body["environment"] == {"kind": "python_env", "value": "python_env.yaml"}
    assert [entry["name"] for entry in body["entry_points"]] == ["main", "search"]
    main = body["entry_points"][0]
    assert main["command"].startswith("python train.py --n-estimators {n_estimators}")
    by_name = {p["name"]: p for p in main["parameters"]}
    assert by_name["n_estimators"] == {"name": "n_estimators", "type": "int", "default": "100"}
    assert by_name["min_samples_split"]["default"] == "0.01"  # source text, not float repr
    assert by_name["label"] == {"name": "label", "type": "string", "default": "baseline run"}
    assert by_name["seed"] == {"name": "seed", "type": "int", "default": None}
    json.dumps(body)  # plain JSON


def test_name_defaults_and_unknown_entry_point():
    spec = _spec("entry_points:\n  main:\n    command: python a.py\n")
    assert spec.name == "fallback"
    assert spec.environment.kind == "none"
    with pytest.raises(ProjectError, match=r"no entry point 'train' .*main"):
        spec.entry_point("train")


def test_load_project_reads_the_file_and_mlflow_default_environment(tmp_path):
    (tmp_path / "MLproject").write_text("entry_points:\n  main:\n    command: python a.py\n")
    (tmp_path / "python_env.yaml").write_text("python: '3.11'\n")
    spec = load_project(tmp_path)
    assert spec.name == tmp_path.name
    assert spec.environment.to_json() == {"kind": "python_env", "value": "python_env.yaml"}
    with pytest.raises(ProjectError, match="no MLproject"):
        load_project(tmp_path / "nowhere")


ENTRY = _spec(
    "entry_points:\n  main:\n    parameters:\n"
    "      n: {type: int, default: 3}\n      alpha: float\n      note: {type: string, default: x}\n"
    "    command: python t.py {n} {alpha} {note}\n"
).entry_point("main")


def test_check_parameters_fills_defaults_and_keeps_strings():
    assert check_parameters(ENTRY, {"alpha": "0.5"}) == {"n": "3", "alpha": "0.5", "note": "x"}
    assert check_parameters(ENTRY, {"alpha": "1e3", "note": NASTY})["note"] == NASTY


@pytest.mark.reliability("B9")
def test_check_parameters_lists_every_bad_parameter():
    with pytest.raises(ProjectError) as caught:
        check_parameters(ENTRY, {"n": "3.0", "beta": "1"})
    message = str(caught.value)
    assert "'beta' unknown parameter" in message
    assert "'n' (int) must be an integer, got '3.0'" in message
    assert "'alpha' is required" in message
    assert caught.value.field == "beta"
    assert caught.value.line is None


@pytest.mark.reliability("C15")
def test_argv_is_a_list_with_metacharacters_as_one_element(tmp_path):
    argv = mlflow_run_argv(tmp_path, "main", {"note": NASTY, "n": "3"}, experiment_name="exp one")
    assert argv[:5] == [sys.executable, "-m", "mlflow", "run", str(tmp_path)]
    assert argv[5:] == [
        "-e",
        "main",
        "-P",
        f"note={NASTY}",
        "-P",
        "n=3",
        "--env-manager",
        "local",
        "--experiment-name",
        "exp one",
    ]
    assert argv.count(f"note={NASTY}") == 1
    shown = display_command(argv)
    assert shown.startswith(f"mlflow run {tmp_path} -e main -P ")
    assert "'note=; rm -rf / $(x) '\"'\"'a b'\"'\"''" in shown
    no_experiment = mlflow_run_argv(tmp_path, "main", {}, experiment_name=None, env_manager="uv")
    assert no_experiment[-2:] == ["--env-manager", "uv"]
    with pytest.raises(ProjectError, match="unknown environment manager 'pip'"):
        mlflow_run_argv(tmp_path, "main", {}, experiment_name=None, env_manager="pip")


@pytest.mark.reliability("C15")
def test_argv_value_arrives_verbatim_in_a_child(tmp_path):
    # A real child: the -P element reaches argv untouched (no shell ever sees it).
    argv = mlflow_run_argv(tmp_path, "main", {"note": NASTY}, experiment_name=None)
    echo = [sys.executable, "-c", "import sys, json; print(json.dumps(sys.argv[1:]))", *argv[4:]]
    out = subprocess.run(echo, capture_output=True, text=True, check=True).stdout
    assert json.loads(out)[4] == f"note={NASTY}"


def test_env_managers():
    assert ENV_MANAGERS == ("local", "virtualenv", "uv", "conda")
    assert env_manager_available("local")
    assert not env_manager_available("pip")


def test_run_id_pattern_matches_mlflow_local_backend_line():
    line = (
        "2026/12/03 INFO mlflow.projects.backend.local: === Running command 'python a.py' "
        "in run with ID '0123456789abcdef0123456789abcdef' === "
    )
    assert RUN_ID.search(line).group(1) == "0123456789abcdef0123456789abcdef"


@pytest.fixture
def root(tmp_path: Path) -> Path:
    root = tmp_path / "root"
    project = root / "proj"
    project.mkdir(parents=True)
    (project / "MLproject").write_text("entry_points:\n  main:\n    command: python a.py\n")
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "MLproject").write_text("entry_points:\n  main:\n    command: python a.py\n")
    (root / "escape").symlink_to(outside, target_is_directory=True)
    (root / "empty").mkdir()
    return root


def test_resolve_project_inside_root(root):
    assert resolve_project(root, "proj", allow_remote=False) == (root / "proj").resolve()
    assert resolve_project(root, "./proj/", allow_remote=False) == (root / "proj").resolve()
    absolute_inside = str((root / "proj").resolve())
    assert resolve_project(root, absolute_inside, allow_remote=False) == Path(absolute_inside)


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("../outside", "outside the root"),
        ("proj/../../outside", "outside the root"),
        ("%2e%2e/outside", "percent-encoded"),
        ("%2E%2E%2Foutside", "percent-encoded"),
        ("escape", "outside the root"),
        ("proj\x00", "NUL"),
        ("empty", "no MLproject"),
        ("missing", "not a directory"),
        ("", "no project path"),
    ],
)
@pytest.mark.reliability("C15")
def test_resolve_project_refuses(root, path, message):
    with pytest.raises(ProjectError, match=message) as caught:
        resolve_project(root, path, allow_remote=False)
    assert caught.value.field == "path"


@pytest.mark.reliability("C15")
def test_resolve_project_refuses_absolute_outside(root):
    outside = root.parent / "outside"
    with pytest.raises(ProjectError, match="outside the root"):
        resolve_project(root, str(outside), allow_remote=False)
    with pytest.raises(ProjectError, match="outside the root"):
        resolve_project(root, os.sep + "etc", allow_remote=False)


@pytest.mark.parametrize(
    "uri",
    [
        "https://github.com/mlflow/mlflow-example",
        "git+https://github.com/mlflow/mlflow-example.git",
        "git@github.com:mlflow/mlflow-example.git",
        "s3://bucket/project",
        "file:///tmp/project",
    ],
)
@pytest.mark.reliability("C15")
def test_remote_uris_refused_unless_allowed(root, uri):
    with pytest.raises(ProjectError, match=r"remote project URIs are disabled \(c\.Trackside"):
        resolve_project(root, uri, allow_remote=False)
    assert resolve_project(root, uri, allow_remote=True) == uri


def test_mlflow_run_environment_drops_the_callers_run_and_experiment() -> None:
    base = {
        "MLFLOW_RUN_ID": "0" * 32,
        "MLFLOW_EXPERIMENT_ID": "7",
        "MLFLOW_EXPERIMENT_NAME": "elsewhere",
        "MLFLOW_TRACKING_URI": "http://old:1",
        "PATH": "/usr/bin",
        "KEEP": "me",
    }
    env = mlflow_run_environment(base, "http://127.0.0.1:5000")
    assert not set(env) & {"MLFLOW_RUN_ID", "MLFLOW_EXPERIMENT_ID", "MLFLOW_EXPERIMENT_NAME"}
    assert env["MLFLOW_TRACKING_URI"] == "http://127.0.0.1:5000"
    assert env["PYTHONUNBUFFERED"] == "1" and env["KEEP"] == "me"
    assert env["PATH"].split(os.pathsep) == [os.path.dirname(sys.executable), "/usr/bin"]
    assert base["MLFLOW_RUN_ID"] == "0" * 32  # the caller's mapping is left alone
