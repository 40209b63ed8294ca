"""``%%mlflow``: run a cell inside an MLflow run, capture it, end the run, show a summary."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from IPython.core.error import UsageError

from ..capture.provenance import provenance_tags
from ..capture.scan import CellScan, scan_cell
from ..capture.values import collect, snapshot
from ..notices import notice
from ..state import TracksideState
from .cell_body import compile_cell, run_compiled
from .summary import RunSummary, summary_bundle

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_RUN_ID = re.compile(r"[0-9A-Za-z_-]{1,256}")


@dataclass
class CellOptions:
    experiment: str | None = None
    run_name: str | None = None
    nested: bool = False
    run_id: str | None = None
    params: list[str] | None = None  # explicit names; None = auto
    metrics: list[str] | None = None
    capture_params: bool = True
    capture_metrics: bool = True
    tags: dict[str, str] = field(default_factory=dict)


def check_experiment_name(name: str) -> str:
    """MLflow accepts any non-empty name up to 500 characters; we also refuse control
    characters (newlines, tabs, ...), which no UI can show or type back."""
    if not name.strip():
        raise UsageError("experiment name must not be empty")
    if len(name) > 500:
        raise UsageError(f"experiment name is {len(name)} characters long (MLflow allows 500)")
    if not name.isprintable():
        raise UsageError(
            f"experiment name {name!r} contains control characters; use printable characters"
        )
    return name


def _names(option: str, text: str) -> list[str]:
    names = [part.strip() for part in text.split(",") if part.strip()]
    if not names:
        raise UsageError(
            f"{option} expects comma-separated variable names, e.g. {option} lr,epochs"
        )
    for name in names:
        if not _IDENTIFIER.fullmatch(name):
            raise UsageError(f"{option}: {name!r} is not a variable name")
    return names


def unquote(text: str | None) -> str | None:
    """IPython's argument splitter keeps quotes (``-n "my run"``): drop one matching pair."""
    if text is not None and len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        return text[1:-1]
    return text


def options_from_args(args: Any) -> CellOptions:
    """Check the parsed ``%%mlflow`` arguments; ``UsageError`` says what was expected."""
    for name in ("experiment", "run_name", "run_id", "params", "metrics"):
        setattr(args, name, unquote(getattr(args, name)))
    options = CellOptions(run_name=args.run_name, nested=args.nested)
    if args.experiment is not None:
        options.experiment = check_experiment_name(args.experiment)
    if args.run_id is not None:
        if not _RUN_ID.fullmatch(args.run_id):
            raise UsageError(f"--run-id {args.run_id!r} is not a run id (32 hex characters)")
        options.run_id = args.run_id
    if args.params is not None and args.no_params:
        raise UsageError("use either --params a,b or --no-params, not both")
    if args.metrics is not None and args.no_metrics:
        raise UsageError("use either --metrics x,y or --no-metrics, not both")
    if args.params is not None:
        options.params = _names("--params", args.params)
    if args.metrics is not None:
        options.metrics = _names("--metrics", args.metrics)
    options.capture_params = not args.no_params
    options.capture_metrics = not args.no_metrics
    for item in args.tag or []:
        key, sep, value = (unquote(item) or "").partition("=")
        if not sep or not key.strip():
            raise UsageError(f"--tag expects KEY=VALUE, got {item!r}")
        options.tags[key.strip()] = unquote(value) or ""
    return options


def run_cell_magic(state: TracksideState, options: CellOptions, line: str, cell: str) -> None:
    """The body of ``%%mlflow``. Exceptions of the cell propagate unchanged."""
    __tracebackhide__ = True
    import mlflow
    from mlflow.exceptions import MlflowException

    shell = state.shell
    state.magic_in_cell = True
    raw = state.cell.raw_cell
    first_line = raw.splitlines()[0] if raw.lstrip().startswith("%%mlflow") else f"%%mlflow {line}"
    try:
        compiled = compile_cell(shell, cell, first_line)
    except SyntaxError:
        shell.showsyntaxerror()
        raise UsageError("%%mlflow: the cell has a syntax error; no run was started") from None

    client = state.client()
    active = mlflow.active_run()
    if active is not None and not options.nested:
        raise UsageError(
            f"run {active.info.run_id} is already active: pass --nested to start a child run,"
            " or end it with %mlflow end"
        )
    experiment_id = _experiment_id(client, options, MlflowException)
    tags = dict(options.tags)
    tags.update(
        provenance_tags(
            state.cell, state.notebook_path(), state.settings.git_timeout,
            with_source=state.settings.log_source,
        )
    )  # fmt: skip
    try:
        run = mlflow.start_run(
            run_id=options.run_id,
            experiment_id=experiment_id if options.run_id is None else None,
            run_name=options.run_name,
            nested=options.nested,
            tags=tags,
        )
    except MlflowException as error:
        raise UsageError(f"%%mlflow: could not start the run: {error.message}") from None
    run_id, experiment_id = run.info.run_id, run.info.experiment_id
    state.last_run = (run_id, experiment_id)

    scan = scan_cell(compiled.transformed, state.settings)
    before = snapshot(scan, shell.user_ns, state.settings)
    outer = active.info.run_id if active is not None else None
    status, error = "FINISHED", None
    scope = _ExperimentScope(experiment_id if (options.experiment or options.run_id) else None)
    try:
        scope.enter()
        run_compiled(shell, compiled)
    except KeyboardInterrupt as interrupt:
        status, error = "KILLED", interrupt
    except BaseException as failure:
        status, error = "FAILED", failure
    finally:
        scope.exit()

    try:
        summary = _finish(state, options, run, scan, before, status)
    finally:
        _end_runs(run_id, outer, status)
    if state.settings.summary and summary is not None:
        _display(summary)
    if error is not None:
        raise error


class _ExperimentScope:
    """``-e``: runs the cell's own code starts (nested trials) go to the same experiment,
    as after ``mlflow.set_experiment``; the previous active experiment comes back after
    the cell, unless the cell chose another one itself."""

    def __init__(self, experiment_id: str | None) -> None:
        self.experiment_id = experiment_id
        self.saved: tuple[Any, str | None] | None = None

    def enter(self) -> None:
        if self.experiment_id is None:
            return
        import os

        import mlflow
        from mlflow.tracking import fluent

        self.saved = (fluent._active_experiment_id, os.environ.get("MLFLOW_EXPERIMENT_ID"))
        mlflow.set_experiment(experiment_id=self.experiment_id)

    def exit(self) -> None:
        if self.saved is None:
            return
        import os

        from mlflow.tracking import fluent

        if fluent._active_experiment_id != self.experiment_id:
            return  # the cell called mlflow.set_experiment: its choice stays
        fluent._active_experiment_id, previous = self.saved
        if previous is None:
            os.environ.pop("MLFLOW_EXPERIMENT_ID", None)
        else:
            os.environ["MLFLOW_EXPERIMENT_ID"] = previous


def _experiment_id(client: Any, options: CellOptions, mlflow_exception: type) -> str | None:
    if options.run_id is not None:
        try:
            existing = client.get_run(options.run_id)
        except mlflow_exception as error:
            raise UsageError(f"--run-id {options.run_id}: no such run ({error.message})") from None
        if existing.info.lifecycle_stage == "deleted":
            raise UsageError(f"--run-id {options.run_id}: the run is deleted")
        if options.experiment is not None:
            experiment = client.get_experiment_by_name(options.experiment)
            if experiment is None or experiment.experiment_id != existing.info.experiment_id:
                raise UsageError(
                    f"--run-id {options.run_id} belongs to experiment"
                    f" {existing.info.experiment_id}, not {options.experiment!r}"
                )
        return existing.info.experiment_id
    if options.experiment is None:
        return None
    try:
        experiment = client.get_experiment_by_name(options.experiment)
        if experiment is None:
            return client.create_experiment(options.experiment)
    except mlflow_exception as error:
        raise UsageError(f"--experiment {options.experiment!r}: {error.message}") from None
    if experiment.lifecycle_stage == "deleted":
        raise UsageError(
            f"experiment {options.experiment!r} is deleted: restore it or choose another name"
        )
    return experiment.experiment_id


def _finish(
    state: TracksideState,
    options: CellOptions,
    run: Any,
    scan: CellScan,
    before: dict[str, Any],
    status: str,
) -> RunSummary | None:
    """Capture into the run (never raises into the user)."""
    run_id = run.info.run_id
    try:
        captured = collect(
            scan,
            state.shell.user_ns,
            state.settings,
            before=before,
            succeeded=status == "FINISHED",
            params=options.params,
            metrics=options.metrics,
            capture_params=options.capture_params,
            capture_metrics=options.capture_metrics,
        )
        outcome = state.record(run_id, captured, tracked=False, fresh=options.run_id is None)
    except Exception as failure:
        notice(f"auto-capture failed for run {run_id} ({failure!r})")
        return None
    if outcome.notes:
        notice("; ".join(outcome.notes))
    metrics = state.capture_logger.latest_metrics(run_id)
    return RunSummary(
        run_id=run_id,
        experiment_id=run.info.experiment_id,
        run_name=run.info.run_name or "",
        status=status,
        params=outcome.params,
        metrics=metrics,
    )


def _end_runs(run_id: str, outer: str | None, status: str) -> None:
    """End the magic's run, and runs the cell started inside it and left open."""
    import mlflow

    for _ in range(1000):
        current = mlflow.active_run()
        if current is None or current.info.run_id == outer:
            return  # the cell ended the magic's run itself: the user's call wins
        try:
            mlflow.end_run(status)
        except Exception as failure:
            notice(f"could not end run {current.info.run_id} ({failure!r})")
            return
        if current.info.run_id == run_id:
            return


def _display(summary: RunSummary) -> None:
    try:
        from IPython.display import display

        display(summary_bundle(summary), raw=True)
    except Exception as failure:
        notice(f"could not display the run summary ({failure!r})")
