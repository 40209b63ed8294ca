"""Which model version to serve: checked with MLflow's own validators before anything starts."""

from __future__ import annotations

from dataclasses import dataclass

from ..gateway import GatewayError
from ..mlflow_validators import mlflow_messages, validation

INVALID = "INVALID_PARAMETER_VALUE"


@dataclass(frozen=True)
class ModelVersionRef:
    name: str
    version: str

    @property
    def model_uri(self) -> str:
        return f"models:/{self.name}/{self.version}"


def model_version_ref(name: object, version: object) -> ModelVersionRef:
    """The registered model version named by a request body, or a 400 ``GatewayError``.

    Call it once ``mlflow_validators.load()`` has imported MLflow (off the event loop).
    """
    if not isinstance(name, str):
        raise GatewayError(400, INVALID, "'name' must be the registered model's name (a string).")
    if isinstance(version, bool) or not isinstance(version, int | str):
        raise GatewayError(400, INVALID, "'version' must be a model version number, e.g. 1.")
    with mlflow_messages():
        validation()._validate_model_name(name)
        number = int(validation()._validate_model_version(version))
    if number < 1:
        raise GatewayError(
            400, INVALID, f"Model versions start at 1; got version {version!r} for {name!r}."
        )
    return ModelVersionRef(name=name, version=str(number))
