"""Reading an MLproject file into a typed spec, with the line of anything wrong.

Follows MLflow's ``mlflow/projects/_project_spec.py`` on what a project is (one
environment field at most, entry points with a command and typed parameters, a
parameter given as a bare type or as ``{type, default}``), and is stricter where
MLflow would only fail once running: unknown fields, unknown parameter types,
defaults that fail their type, and commands naming undeclared parameters are
refused here. The YAML is walked as nodes so that every error carries its line.
The frontend's ``src/panels/projects/mlproject.ts`` applies the same rules; the
shared cases are in ``trackside/tests/data/mlproject_cases.json``.
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from .errors import ProjectError
from .values import value_problem

PARAMETER_TYPES = ("string", "int", "float", "path", "uri")
ENVIRONMENT_FIELDS = ("python_env", "conda_env", "docker_env")
TOP_LEVEL_FIELDS = ("name", *ENVIRONMENT_FIELDS, "entry_points")
ENTRY_POINT_FIELDS = ("parameters", "command")
PARAMETER_FIELDS = ("type", "default")
MLPROJECT_MAX_BYTES = 1024 * 1024
# MLflow's defaults when the MLproject names no environment (load_project only).
_DEFAULT_ENVIRONMENT_FILES = (("python_env", "python_env.yaml"), ("conda_env", "conda.yaml"))
_NULL_TAG = "tag:yaml.org,2002:null"


@dataclass(frozen=True)
class Parameter:
    name: str
    type: str
    default: str | None

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "type": self.type, "default": self.default}


@dataclass(frozen=True)
class EntryPoint:
    name: str
    parameters: tuple[Parameter, ...]
    command: str

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "command": self.command,
            "parameters": [parameter.to_json() for parameter in self.parameters],
        }


@dataclass(frozen=True)
class Environment:
    kind: str  # "python_env" | "conda_env" | "docker_env" | "none"
    value: str  # the environment file name, the docker image, or "" for none

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "value": self.value}


@dataclass(frozen=True)
class ProjectSpec:
    name: str
    environment: Environment
    entry_points: dict[str, EntryPoint]

    def entry_point(self, name: str) -> EntryPoint:
        """The named entry point, or a ProjectError listing the ones there are."""
        try:
            return self.entry_points[name]
        except KeyError:
            known = ", ".join(self.entry_points)
            raise ProjectError(
                f"Project '{self.name}' has no entry point '{name}' (it has: {known})",
                field="entry_point",
            ) from None

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "environment": self.environment.to_json(),
            "entry_points": [entry.to_json() for entry in self.entry_points.values()],
        }


def _line(node: yaml.Node) -> int:
    return node.start_mark.line + 1


def _fields(node: yaml.Node, where: str, line: int) -> list[tuple[str, int, yaml.Node]]:
    """A mapping node's ``(key, key line, value node)`` entries; duplicates refused."""
    if not isinstance(node, yaml.MappingNode):
        raise ProjectError(f"{where} must be a mapping", line=line, field=where)
    seen: set[str] = set()
    entries = []
    for key_node, value_node in node.value:
        if not isinstance(key_node, yaml.ScalarNode):
            raise ProjectError(f"{where} has a key that is not a name", line=_line(key_node))
        key = key_node.value
        if key in seen:
            raise ProjectError(
                f"duplicate field '{key}' in {where}", line=_line(key_node), field=key
            )
        seen.add(key)
        entries.append((key, _line(key_node), value_node))
    return entries


def _refuse_unknown(entries: list, allowed: tuple[str, ...], where: str) -> None:
    for key, line, _ in entries:
        if key not in allowed:
            raise ProjectError(
                f"unknown field '{key}' in {where} (allowed: {', '.join(allowed)})",
                line=line,
                field=key if where == "MLproject" else f"{where}.{key}",
            )


def _text(node: yaml.Node, what: str, line: int, field: str) -> str:
    """A scalar's source text (so 1e3 stays "1e3" whatever YAML thinks it is)."""
    if not isinstance(node, yaml.ScalarNode) or node.tag == _NULL_TAG:
        raise ProjectError(f"{what} must be a single value", line=line, field=field)
    return node.value


def _environment(entries: list) -> Environment:
    found = [(key, line, node) for key, line, node in entries if key in ENVIRONMENT_FIELDS]
    if len(found) > 1:
        key, line, _ = found[1]
        raise ProjectError(
            f"a project has at most one environment field; '{key}' comes after '{found[0][0]}'",
            line=line,
            field=key,
        )
    if not found:
        return Environment("none", "")
    key, line, node = found[0]
    if key == "docker_env":
        image = dict((k, n) for k, _, n in _fields(node, key, line)).get("image")
        if image is None:
            raise ProjectError("docker_env needs an 'image'", line=line, field=key)
        return Environment(key, _text(image, "docker_env.image", line, f"{key}.image"))
    value = _text(node, f"{key} (the environment file name)", line, key)
    if not value:
        raise ProjectError(f"{key} names no file", line=line, field=key)
    return Environment(key, value)


def _parameter(name: str, line: int, node: yaml.Node, where: str) -> Parameter:
    field = f"{where}.{name}"
    type_node, type_line, default = node, line, None
    if isinstance(node, yaml.MappingNode):
        entries = _fields(node, field, line)
        _refuse_unknown(entries, PARAMETER_FIELDS, field)
        by_key = {key: (key_line, value) for key, key_line, value in entries}
        type_line, type_node = by_key.get("type", (line, None))
        if "default" in by_key:
            default_line, default_node = by_key["default"]
            if not (isinstance(default_node, yaml.ScalarNode) and default_node.tag == _NULL_TAG):
                default = _text(default_node, f"the default of '{name}'", default_line, field)
    type_ = "string" if type_node is None else _text(type_node, "a type", type_line, field)
    if type_ not in PARAMETER_TYPES:
        raise ProjectError(
            f"parameter '{name}' has unknown type '{type_}' (known: {', '.join(PARAMETER_TYPES)})",
            line=type_line,
            field=field,
        )
    if default is not None and (problem := value_problem(type_, default)):
        raise ProjectError(
            f"the default of parameter '{name}' ({type_}) {problem}",
            line=default_line,
            field=field,
        )
    return Parameter(name, type_, default)


def _check_placeholders(command: str, names: set[str], line: int, field: str) -> None:
    """MLflow fills the command with str.format: every {field} must be a parameter."""
    try:
        parsed = list(string.Formatter().parse(command))
    except ValueError as err:
        raise ProjectError(
            f"command has unbalanced braces ({err})", line=line, field=field
        ) from None
    for _, placeholder, _, _ in parsed:
        if placeholder is None:
            continue
        root = re.match(r"[^.\[]*", placeholder).group()  # type: ignore[union-attr]
        if root not in names:
            raise ProjectError(
                f"command uses {{{placeholder}}} but the entry point declares no parameter "
                f"'{root}' (write {{{{ and }}}} for literal braces)",
                line=line,
                field=field,
            )


def _entry_point(name: str, line: int, node: yaml.Node) -> EntryPoint:
    where = f"entry_points.{name}"
    entries = _fields(node, where, line)
    _refuse_unknown(entries, ENTRY_POINT_FIELDS, where)
    by_key = {key: (key_line, value) for key, key_line, value in entries}
    parameters: list[Parameter] = []
    if "parameters" in by_key:
        params_line, params_node = by_key["parameters"]
        if not (isinstance(params_node, yaml.ScalarNode) and params_node.tag == _NULL_TAG):
            for param_name, param_line, param_node in _fields(
                params_node, f"{where}.parameters", params_line
            ):
                parameters.append(
                    _parameter(param_name, param_line, param_node, f"{where}.parameters")
                )
    if "command" not in by_key:
        raise ProjectError(
            f"entry point '{name}' has no command", line=line, field=f"{where}.command"
        )
    command_line, command_node = by_key["command"]
    command = _text(command_node, f"the command of '{name}'", command_line, f"{where}.command")
    if not command.strip():
        raise ProjectError(
            f"entry point '{name}' has an empty command",
            line=command_line,
            field=f"{where}.command",
        )
    _check_placeholders(command, {p.name for p in parameters}, command_line, f"{where}.command")
    return EntryPoint(name, tuple(parameters), command)


def parse_mlproject(text: str, *, default_name: str) -> ProjectSpec:
    """The spec in ``text`` (an MLproject file's content), or a ProjectError with its line."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        problem = err.problem or err.context or "invalid YAML"
        raise ProjectError(
            f"invalid YAML: {problem}", line=mark.line + 1 if mark else None
        ) from None
    except yaml.YAMLError as err:
        raise ProjectError(f"invalid YAML: {err}") from None
    if root is None or (isinstance(root, yaml.ScalarNode) and root.tag == _NULL_TAG):
        raise ProjectError("the MLproject file is empty")
    entries = _fields(root, "MLproject", _line(root))
    _refuse_unknown(entries, TOP_LEVEL_FIELDS, "MLproject")
    by_key = {key: (line, node) for key, line, node in entries}
    name = default_name
    if "name" in by_key:
        name = _text(by_key["name"][1], "name", by_key["name"][0], "name") or default_name
    environment = _environment(entries)
    if "entry_points" not in by_key:
        raise ProjectError("the MLproject has no entry_points", field="entry_points")
    entry_line, entry_node = by_key["entry_points"]
    entry_points = {
        ep_name: _entry_point(ep_name, ep_line, ep_node)
        for ep_name, ep_line, ep_node in _fields(entry_node, "entry_points", entry_line)
    }
    if not entry_points:
        raise ProjectError(
            "entry_points declares no entry point", line=entry_line, field="entry_points"
        )
    return ProjectSpec(name, environment, entry_points)


def find_mlproject(directory: Path) -> Path | None:
    """The directory's MLproject file; like MLflow, the name's case does not matter."""
    exact = directory / "MLproject"
    if exact.is_file():
        return exact
    try:
        return next(
            (p for p in directory.iterdir() if p.name.lower() == "mlproject" and p.is_file()),
            None,
        )
    except OSError:
        return None


def load_project(directory: Path) -> ProjectSpec:
    """The spec of the project in ``directory`` (its MLproject file)."""
    path = find_mlproject(directory)
    if path is None:
        raise ProjectError(f"no MLproject file in {directory.name or directory}", field="path")
    if path.stat().st_size > MLPROJECT_MAX_BYTES:
        raise ProjectError("the MLproject file is larger than 1 MiB", field="path")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ProjectError("the MLproject file is not UTF-8 text", field="path") from None
    spec = parse_mlproject(text, default_name=directory.resolve().name)
    if spec.environment.kind == "none":
        for kind, file_name in _DEFAULT_ENVIRONMENT_FILES:
            if (directory / file_name).is_file():
                return ProjectSpec(spec.name, Environment(kind, file_name), spec.entry_points)
    return spec
