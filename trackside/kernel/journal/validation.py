"""Validation at the call, with MLflow's own validators, before anything is journaled.

Explicit calls keep MLflow's semantics: an invalid key or value raises MLflow's
``MlflowException`` (``INVALID_PARAMETER_VALUE``); a param whose value changes for a run raises
like MLflow's SQL store does; long param and tag values are truncated by MLflow's own
``_validate_param`` / ``_validate_tag`` (``MLFLOW_TRUNCATE_LONG_VALUES``, with its warning).
The difference is that all the valid entries of a call are kept before the error is raised.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from typing import Any

from mlflow.entities import RunStatus
from mlflow.exceptions import MlflowException
from mlflow.protos.databricks_pb2 import INVALID_PARAMETER_VALUE, ErrorCode
from mlflow.tracking.metric_value_conversion_utils import (
    convert_metric_value_to_float_if_possible,
)
from mlflow.utils.validation import (
    _validate_metric,
    _validate_param,
    _validate_run_id,
    _validate_tag,
)

from .records import Metric, Param, RunUpdate, Tag

_I64 = 2**63
_new_tuple = tuple.__new__
_KNOWN_KEYS_MAX = 100_000

# Fetches a run's params from the server (the unhooked original); None if it cannot.
ParamFetcher = Callable[[str], "dict[str, str] | None"]


class CallValidator:
    """Turns MlflowClient call arguments into validated journal entries."""

    def __init__(self, fetch_params: ParamFetcher) -> None:
        self._fetch_params = fetch_params
        self._lock = threading.Lock()
        self._good_keys: set[str] = set()
        self._good_runs: set[str] = set()
        # params per run as MLflow holds them (or will, once the journal is sent)
        self._params: dict[str, dict[str, str]] = {}

    # --- metrics ------------------------------------------------------------------------------

    def metric(
        self,
        run_id: str,
        key: str,
        value: Any,
        timestamp: Any,
        step: Any,
        model_id: str | None = None,
        dataset_name: str | None = None,
        dataset_digest: str | None = None,
    ) -> Metric:
        if type(value) is not float:
            value = convert_metric_value_to_float_if_possible(value)
        # fast path: a key and run already seen, plain float / int arguments
        if not (
            key in self._good_keys
            and run_id in self._good_runs
            and type(value) is float
            and type(timestamp) is int
            and type(step) is int
            and 0 <= timestamp < _I64
            and -_I64 <= step < _I64
        ):
            self.run_id(run_id)
            _validate_metric(key, value, timestamp, step)
            step = _integral(step, "step", key, value)
            timestamp = _integral(timestamp, "timestamp", key, value)
            value = float(value)
            if len(self._good_keys) < _KNOWN_KEYS_MAX:
                self._good_keys.add(key)
        # ``tuple.__new__`` skips the NamedTuple's generated ``__new__`` (~0.15 µs, on every
        # tracked call); every field is given, in order.
        return _new_tuple(
            Metric, (run_id, key, value, timestamp, step, model_id, dataset_name, dataset_digest)
        )

    def run_id(self, run_id: str) -> None:
        if run_id not in self._good_runs:
            if not isinstance(run_id, str):
                raise MlflowException(f"Invalid run ID: {run_id!r}", INVALID_PARAMETER_VALUE)
            _validate_run_id(run_id)
            self._good_runs.add(run_id)

    # --- params and tags ----------------------------------------------------------------------

    def params(
        self, run_id: str, pairs: Iterable[tuple[str, Any]], single: bool = False
    ) -> tuple[list[Param], MlflowException | None]:
        """Valid new params of a call (repeats with the same value dropped) and the first error."""
        self.run_id(run_id)
        accepted: list[Param] = []
        error: MlflowException | None = None
        with self._lock:
            logged = self._run_params(run_id)
            seen: dict[str, str] = {}
            conflicts: list[dict[str, str]] = []
            for key, raw in pairs:
                try:
                    param = _validate_param(key, str(raw))
                except MlflowException as e:
                    error = error or e
                    continue
                if param.key in seen:
                    error = error or MlflowException(
                        f"Duplicate parameter keys have been submitted: ['{param.key}']. Please"
                        " ensure the request contains only one param value per param key.",
                        INVALID_PARAMETER_VALUE,
                    )
                    continue
                seen[param.key] = param.value
                old = logged.get(param.key)
                if old is None:
                    accepted.append(Param(run_id, param.key, param.value))
                elif old != param.value:
                    conflicts.append({"key": param.key, "old_value": old, "new_value": param.value})
            if conflicts and error is None:
                error = _changed_params(run_id, conflicts, single)
        return accepted, error

    def commit_params(self, params: Iterable[Param]) -> None:
        """Record params that reached the journal (or MLflow)."""
        with self._lock:
            for param in params:
                self._params.setdefault(param.run_id, {})[param.key] = param.value

    def tags(
        self, run_id: str, pairs: Iterable[tuple[str, Any]]
    ) -> tuple[list[Tag], MlflowException | None]:
        self.run_id(run_id)
        accepted: list[Tag] = []
        error: MlflowException | None = None
        for key, raw in pairs:
            try:
                tag = _validate_tag(key, str(raw))
            except MlflowException as e:
                error = error or e
                continue
            accepted.append(Tag(run_id, tag.key, tag.value))
        return accepted, error

    # --- runs ---------------------------------------------------------------------------------

    def run_update(
        self, run_id: str, status: str | None, end_time: int | None, name: str | None
    ) -> RunUpdate:
        self.run_id(run_id)
        if status is not None:
            RunStatus.from_string(status)  # raises MLflow's own exception for a bad status
        if name is not None and not isinstance(name, str):
            raise MlflowException(f"Invalid run name: {name!r}", INVALID_PARAMETER_VALUE)
        return RunUpdate(run_id, status, end_time, name)

    def run_created(self, run_id: str, params: dict[str, str] | None = None) -> None:
        """A run this process created (no params yet) or fetched (``params`` from the server)."""
        with self._lock:
            known = self._params.setdefault(run_id, {})
            for key, value in (params or {}).items():
                known.setdefault(key, value)

    def known_params(self, run_id: str) -> set[str] | None:
        """The param keys of a run this process created or fetched; ``None`` for another."""
        with self._lock:
            known = self._params.get(run_id)
            return set(known) if known is not None else None

    def _run_params(self, run_id: str) -> dict[str, str]:
        known = self._params.get(run_id)
        if known is None:
            # A run this process did not create: ask MLflow once (the only network wait here).
            known = dict(self._fetch_params(run_id) or {})
            self._params[run_id] = known
        return known


def _integral(number: Any, name: str, key: str, value: Any) -> int:
    try:
        whole = int(number)
    except (TypeError, ValueError, OverflowError):
        whole = None
    if whole is None or whole != number or not -_I64 <= whole < _I64:
        raise MlflowException(
            f"Invalid value {number!r} for parameter '{name}' supplied: metric '{key}'"
            f" (value={value}). {name.capitalize()} must be a valid long (64-bit integer).",
            INVALID_PARAMETER_VALUE,
        )
    return whole


def _changed_params(run_id: str, conflicts: list[dict[str, str]], single: bool) -> MlflowException:
    # Same wording as MLflow's SQL store (plus the hint its client adds for log_param).
    if single:
        c = conflicts[0]
        message = (
            f"Changing param values is not allowed. Param with key='{c['key']}' was already"
            f" logged with value='{c['old_value']}' for run ID='{run_id}'. Attempted logging"
            f" new value '{c['new_value']}'."
        )
    else:
        message = (
            "Changing param values is not allowed. Params were already"
            f" logged='{conflicts}' for run ID='{run_id}'."
        )
    return MlflowException(message, INVALID_PARAMETER_VALUE)


def with_kept_note(error: MlflowException, kept: int) -> MlflowException:
    """MLflow's exception for the rejected entries, saying the valid rest of the call was kept."""
    if kept == 0:
        return error
    note = f" (trackside: the {kept} valid entries of this call were logged)"
    return MlflowException(error.message + note, ErrorCode.Value(error.error_code))
