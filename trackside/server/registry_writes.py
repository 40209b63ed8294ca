"""Model Registry writes: each an allow-listed MLflow operation with one method and a validator.

A write is looked up by its whole operation name and its HTTP method (``registered-models/
alias`` is set with POST and deleted with DELETE). Its body is checked with MLflow's own
validators (``mlflow.utils.validation``, imported lazily: mlflow is heavy) before anything
reaches MLflow, and only the validated fields are forwarded: never a generic pass-through.
A refused body is a 400 ``INVALID_PARAMETER_VALUE`` carrying MLflow's message.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from .gateway import (
    MLFLOW_API_PREFIX,
    GatewayError,
    GatewayResponse,
    call_mlflow,
    validate_model_id,
)
from .mlflow_validators import load, mlflow_messages, validation
from .upstream import Upstream

# MLflow's registry tables store descriptions in String(5000) columns; it has no validator
# of its own for them, so a longer one would fail in the database (PostgreSQL, MySQL).
MAX_DESCRIPTION_LENGTH = 5000
# What the UI registers: a LoggedModel (models:/m-…) or an old-style model in a run's
# artifacts (runs:/<run_id>/<path>). Anything else (file:, s3:, …) is refused.
MODEL_VERSION_SOURCE_SCHEMES = ("models:/", "runs:/")

Body = dict[str, Any]


@dataclass(frozen=True)
class WriteOperation:
    """One allow-listed write: MLflow's path (under ``api/2.0/mlflow/``) and its validator,
    which returns the body to forward."""

    path: str
    validate: Callable[[Body], Body]


class _Fields:
    """Reads a request body field by field; fields it was not told about are refused."""

    def __init__(self, body: Body, allowed: tuple[str, ...]) -> None:
        unknown = sorted(set(body) - set(allowed))
        if unknown:
            raise _invalid(
                f"Unknown field '{unknown[0]}': this operation accepts {', '.join(allowed)}."
            )
        self.body = body

    def text(self, name: str, *, required: bool = True) -> str | None:
        value = self.body.get(name)
        if value is None:
            if required:
                raise _invalid(f"Missing value for required parameter '{name}'.")
            return None
        if not isinstance(value, str):
            raise _invalid(f"Invalid value {value!r} for parameter '{name}': expected a string.")
        return value

    def required(self, name: str) -> str:
        value = self.text(name)
        assert value is not None
        return value


def _invalid(message: str) -> GatewayError:
    return GatewayError(400, "INVALID_PARAMETER_VALUE", message)


def _name(fields: _Fields) -> str:
    name = fields.required("name")
    validation()._validate_model_name(name)
    return name


def _version(fields: _Fields) -> str:
    value = fields.body.get("version")
    if value is None:
        raise _invalid("Missing value for required parameter 'version'.")
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise _invalid(f"Parameter 'version' must be an integer, got {value!r}.")
    number = validation()._validate_model_version(value)
    if number < 1:
        raise _invalid(f"Parameter 'version' must be a positive integer, got {value!r}.")
    return str(number)


def _description(fields: _Fields, *, required: bool) -> str | None:
    description = fields.text("description", required=required)
    validation()._validate_length_limit("description", MAX_DESCRIPTION_LENGTH, description)
    return description


def _alias(fields: _Fields, *, setting: bool) -> str:
    alias = fields.required("alias")
    checks = validation()
    checks._validate_model_alias_name(alias)
    if setting:
        checks._validate_model_alias_name_reserved(alias)
    return alias


def _tag_key(fields: _Fields) -> str:
    key = fields.required("key")
    checks = validation()
    checks._validate_tag_name(key)
    checks._validate_length_limit("key", checks.MAX_MODEL_REGISTRY_TAG_KEY_LENGTH, key)
    return key


def _tags(fields: _Fields, check: Callable[[str, str], None]) -> list[dict[str, str]] | None:
    tags = fields.body.get("tags")
    if tags is None:
        return None
    if not isinstance(tags, list):
        raise _invalid("Parameter 'tags' must be a list of {key, value} objects.")
    checks = validation()
    checks._validate_batch_limit("tags", checks.MAX_PARAMS_TAGS_PER_BATCH, len(tags))
    checked = []
    for tag in tags:
        if not isinstance(tag, dict):
            raise _invalid(f"Invalid tag {tag!r}: expected an object with 'key' and 'value'.")
        tag_fields = _Fields(tag, ("key", "value"))
        key, value = tag_fields.required("key"), tag_fields.required("value")
        check(key, value)
        checked.append({"key": key, "value": value})
    return checked


def _without_none(body: Body) -> Body:
    return {key: value for key, value in body.items() if value is not None}


# -- one validator per operation ----------------------------------------------------------


def _create_registered_model(body: Body) -> Body:
    fields = _Fields(body, ("name", "description", "tags"))
    tags = _tags(fields, validation()._validate_registered_model_tag)
    return _without_none(
        {"name": _name(fields), "description": _description(fields, required=False), "tags": tags}
    )


def _update_registered_model(body: Body) -> Body:
    fields = _Fields(body, ("name", "description"))
    return {"name": _name(fields), "description": _description(fields, required=True)}


def _set_registered_model_tag(body: Body) -> Body:
    fields = _Fields(body, ("name", "key", "value"))
    name, key, value = _name(fields), fields.required("key"), fields.required("value")
    validation()._validate_registered_model_tag(key, value)
    return {"name": name, "key": key, "value": value}


def _delete_registered_model_tag(body: Body) -> Body:
    fields = _Fields(body, ("name", "key"))
    return {"name": _name(fields), "key": _tag_key(fields)}


def _set_alias(body: Body) -> Body:
    fields = _Fields(body, ("name", "alias", "version"))
    return {
        "name": _name(fields),
        "alias": _alias(fields, setting=True),
        "version": _version(fields),
    }


def _delete_alias(body: Body) -> Body:
    fields = _Fields(body, ("name", "alias"))
    return {"name": _name(fields), "alias": _alias(fields, setting=False)}


def _create_model_version(body: Body) -> Body:
    fields = _Fields(body, ("name", "source", "run_id", "model_id", "description", "tags"))
    name = _name(fields)
    source = fields.required("source")
    if not source.startswith(MODEL_VERSION_SOURCE_SCHEMES) or len(source) <= len("runs:/"):
        raise _invalid(
            f"Invalid model version source {source!r}: expected models:/<model_id> for a "
            "logged model or runs:/<run_id>/<path> for a model in a run's artifacts."
        )
    run_id = fields.text("run_id", required=False)
    if run_id is not None:
        validation()._validate_run_id(run_id)
    model_id = fields.text("model_id", required=False)
    if model_id is not None:
        validate_model_id(model_id)
    tags = _tags(fields, validation()._validate_model_version_tag)
    return _without_none(
        {
            "name": name,
            "source": source,
            "run_id": run_id,
            "model_id": model_id,
            "description": _description(fields, required=False),
            "tags": tags,
        }
    )


def _update_model_version(body: Body) -> Body:
    fields = _Fields(body, ("name", "version", "description"))
    return {
        "name": _name(fields),
        "version": _version(fields),
        "description": _description(fields, required=True),
    }


def _set_model_version_tag(body: Body) -> Body:
    fields = _Fields(body, ("name", "version", "key", "value"))
    name, version = _name(fields), _version(fields)
    key, value = fields.required("key"), fields.required("value")
    validation()._validate_model_version_tag(key, value)
    return {"name": name, "version": version, "key": key, "value": value}


def _delete_model_version_tag(body: Body) -> Body:
    fields = _Fields(body, ("name", "version", "key"))
    return {"name": _name(fields), "version": _version(fields), "key": _tag_key(fields)}


def _delete_model_version(body: Body) -> Body:
    fields = _Fields(body, ("name", "version"))
    return {"name": _name(fields), "version": _version(fields)}


# operation -> HTTP method -> the write. The operation names are MLflow's own.
WRITE_OPERATIONS: Mapping[str, Mapping[str, WriteOperation]] = {
    "registered-models/create": {
        "POST": WriteOperation("registered-models/create", _create_registered_model)
    },
    "registered-models/update": {
        "PATCH": WriteOperation("registered-models/update", _update_registered_model)
    },
    "registered-models/set-tag": {
        "POST": WriteOperation("registered-models/set-tag", _set_registered_model_tag)
    },
    "registered-models/delete-tag": {
        "DELETE": WriteOperation("registered-models/delete-tag", _delete_registered_model_tag)
    },
    "registered-models/alias": {
        "POST": WriteOperation("registered-models/alias", _set_alias),
        "DELETE": WriteOperation("registered-models/alias", _delete_alias),
    },
    "model-versions/create": {
        "POST": WriteOperation("model-versions/create", _create_model_version)
    },
    "model-versions/update": {
        "PATCH": WriteOperation("model-versions/update", _update_model_version)
    },
    "model-versions/set-tag": {
        "POST": WriteOperation("model-versions/set-tag", _set_model_version_tag)
    },
    "model-versions/delete-tag": {
        "DELETE": WriteOperation("model-versions/delete-tag", _delete_model_version_tag)
    },
    "model-versions/delete": {
        "DELETE": WriteOperation("model-versions/delete", _delete_model_version)
    },
}


def check_write(operation: str, method: str) -> WriteOperation:
    methods = WRITE_OPERATIONS.get(operation)
    if methods is None:
        raise GatewayError(
            404,
            "ENDPOINT_NOT_FOUND",
            f"'{operation}' is not a registry operation Trackside forwards.",
        )
    write = methods.get(method)
    if write is None:
        raise GatewayError(
            405,
            "METHOD_NOT_ALLOWED",
            f"'{operation}' accepts {', '.join(sorted(methods))}, not {method}.",
        )
    return write


def validate_write(operation: str, method: str, body: Body) -> tuple[str, Body]:
    """MLflow's path and the body to send it, or a GatewayError saying what is wrong."""
    write = check_write(operation, method)
    with mlflow_messages():
        return MLFLOW_API_PREFIX + write.path, write.validate(body)


async def forward_write(
    upstream: Upstream, operation: str, method: str, body: Body
) -> GatewayResponse:
    """Validate one registry write and send it to MLflow through the gateway's one path."""
    check_write(operation, method)
    await load()
    path, forwarded = validate_write(operation, method, body)
    return await call_mlflow(upstream, path, method, {}, forwarded)
