"""``%%mlflow`` (cell) and ``%mlflow SUBCOMMAND`` (line) magics."""

from __future__ import annotations

import json
import shlex
from collections.abc import Callable
from typing import Any

from IPython.core.error import UsageError
from IPython.core.magic import Magics, cell_magic, line_magic, magics_class
from IPython.core.magic_arguments import argument, magic_arguments, parse_argstring

from ..state import TracksideState
from .cell import check_experiment_name, options_from_args, run_cell_magic
from .project_run import run_project
from .summary import open_bundle

LINE_USAGE = """\
%mlflow experiment [NAME]     set the active experiment (created if needed); no NAME: show it
%mlflow status                backend and its health, active run, journal backlog
%mlflow autolog on|off        MLflow framework autologging (mlflow.autolog)
%mlflow track on|off          track this notebook: capture every cell that uses a run
%mlflow end [STATUS]          end the active run (FINISHED, FAILED or KILLED)
%mlflow open [RUN_ID]         open the active (or last) run in the Trackside panel
%mlflow notebook [PATH]       the notebook path recorded in runs (set after a rename)
%mlflow sync                  send the journal to MLflow now and report
%mlflow config [KEY [VALUE]]  show or change capture settings
%mlflow run PATH [-e ENTRY] [-P key=value]... [--experiment NAME] [--env-manager M]
                              run an MLflow Project; its value is the run id
%mlflow help                  this text

%%mlflow [-e NAME] [-n RUN_NAME] [--nested] [--run-id ID] [--params a,b | --no-params]
         [--metrics x,y | --no-metrics] [--tag KEY=VALUE]...
                              run the cell inside an MLflow run"""

_STATUSES = ("FINISHED", "FAILED", "KILLED")


def _on_off(subcommand: str, rest: str) -> bool:
    word = rest.strip().lower()
    if word not in ("on", "off"):
        raise UsageError(f"expected: %mlflow {subcommand} on|off (got {rest.strip()!r})")
    return word == "on"


@magics_class
class TracksideMagics(Magics):
    """Magics bound to one :class:`~trackside.kernel.state.TracksideState`."""

    def __init__(self, shell: Any, state: TracksideState) -> None:
        super().__init__(shell)
        self.state = state
        self._subcommands: dict[str, Callable[[str], Any]] = {
            "experiment": self._experiment,
            "status": self._status,
            "autolog": self._autolog,
            "track": self._track,
            "end": self._end,
            "open": self._open,
            "notebook": self._notebook,
            "sync": self._sync,
            "config": self._config,
            "run": lambda rest: run_project(self.state, rest),
            "help": self._help,
        }

    # ------------------------------------------------------------------ %%mlflow

    @magic_arguments()
    @argument("-e", "--experiment", metavar="NAME", help="experiment (created if needed)")
    @argument("-n", "--run-name", metavar="NAME", help="name of the new run")
    @argument("--nested", action="store_true", help="start a child of the active run")
    @argument("--run-id", metavar="ID", help="continue this existing run")
    @argument("--params", metavar="a,b", help="log only these variables as params")
    @argument("--no-params", action="store_true", help="do not capture params")
    @argument("--metrics", metavar="x,y", help="log only these variables as metrics")
    @argument("--no-metrics", action="store_true", help="do not capture metrics")
    @argument("--tag", action="append", metavar="KEY=VALUE", help="set a tag (repeatable)")
    @cell_magic("mlflow")
    def mlflow_cell(self, line: str, cell: str) -> None:
        """Run the cell inside an MLflow run: auto-captures params and metrics, records
        the notebook, cell and git commit, and ends the run FINISHED, FAILED or KILLED."""
        __tracebackhide__ = True
        args = parse_argstring(self.mlflow_cell, line)
        run_cell_magic(self.state, options_from_args(args), line, cell)

    # ------------------------------------------------------------------ %mlflow

    @line_magic("mlflow")
    def mlflow_line(self, line: str) -> Any:
        """%mlflow SUBCOMMAND: experiment, status, autolog, track, end, open, notebook, sync,
        config, help."""
        word, _, rest = line.strip().partition(" ")
        if not word:
            self._help("")
            return
        handler = self._subcommands.get(word)
        if handler is None:
            raise UsageError(
                f"unknown subcommand {word!r}; expected one of: {', '.join(self._subcommands)}"
                " (see %mlflow help)"
            )
        return handler(rest.strip())

    def _help(self, rest: str) -> None:
        if rest:
            raise UsageError("expected: %mlflow help")
        print(LINE_USAGE)

    def _experiment(self, rest: str) -> None:
        import mlflow
        from mlflow.exceptions import MlflowException

        try:
            words = shlex.split(rest)
        except ValueError as error:
            raise UsageError(f"expected: %mlflow experiment NAME ({error})") from None
        if not words:
            experiment_id = _current_experiment_id()
            print(f"active experiment id: {experiment_id or 'MLflow default'}")
            return
        if len(words) > 1:
            raise UsageError(
                "expected: %mlflow experiment NAME (quote a name that contains spaces)"
            )
        name = check_experiment_name(words[0])
        try:
            experiment = mlflow.set_experiment(name)
        except MlflowException as error:
            raise UsageError(f"experiment {name!r}: {error.message}") from None
        print(f"active experiment: {experiment.name} (id {experiment.experiment_id})")

    def _status(self, rest: str) -> None:
        if rest:
            raise UsageError("expected: %mlflow status")
        from .status import status_lines

        print("\n".join(status_lines(self.state)))

    def _autolog(self, rest: str) -> None:
        on = _on_off("autolog", rest)
        self.state.set_autolog(on)
        self.state.settings.autolog = on
        print(f"MLflow autologging {'on' if on else 'off'}")

    def _track(self, rest: str) -> None:
        on = _on_off("track", rest)
        state = self.state
        state.tracked = on
        if on and state.settings.autolog and not state.autolog_on:
            try:
                state.set_autolog(True)
            except Exception as error:
                print(f"trackside: mlflow.autolog() failed ({error!r}); capture still on")
        elif not on and state.autolog_on:
            state.set_autolog(False)
        autolog = "on" if state.autolog_on else "off"
        print(f"tracking this notebook: {'on' if on else 'off'} (autolog {autolog})")

    def _end(self, rest: str) -> None:
        import mlflow

        status = rest.upper() or "FINISHED"
        if status not in _STATUSES:
            raise UsageError(f"expected: %mlflow end [{'|'.join(_STATUSES)}] (got {rest!r})")
        run = mlflow.active_run()
        if run is None:
            print("no active run")
            return
        mlflow.end_run(status)
        self.state.last_run = (run.info.run_id, run.info.experiment_id)
        print(f"ended run {run.info.run_id} ({status})")

    def _open(self, rest: str) -> None:
        import mlflow
        from IPython.display import display
        from mlflow.exceptions import MlflowException

        words = rest.split()
        if len(words) > 1:
            raise UsageError("expected: %mlflow open [RUN_ID]")
        if words:
            try:
                run = self.state.client().get_run(words[0])
            except MlflowException as error:
                raise UsageError(
                    f"%mlflow open {words[0]}: no such run ({error.message})"
                ) from None
            target = (run.info.run_id, run.info.experiment_id)
        else:
            active = mlflow.active_run()
            if active is not None:
                target = (active.info.run_id, active.info.experiment_id)
            elif self.state.last_run is not None:
                target = self.state.last_run
            else:
                raise UsageError("%mlflow open: no active run and no earlier run in this kernel")
        display(open_bundle(*target), raw=True)

    def _notebook(self, rest: str) -> None:
        try:
            words = shlex.split(rest)
        except ValueError as error:
            raise UsageError(f"expected: %mlflow notebook [PATH] ({error})") from None
        if len(words) > 1:
            raise UsageError(
                "expected: %mlflow notebook [PATH] (quote a path that contains spaces)"
            )
        if words:
            if not words[0].strip():
                raise UsageError("%mlflow notebook: the path is empty")
            self.state.notebook = words[0]
        print(f"notebook: {self.state.notebook_path() or 'unknown'}")

    def _sync(self, rest: str) -> None:
        if rest:
            raise UsageError("expected: %mlflow sync")
        state = self.state
        timeout = state.settings.sync_timeout
        lines = []
        if state.durable is None:
            lines.append("durable logging is off: MLflow calls went to the server directly")
        else:
            before = state.durable.backlog()
            done = state.durable.flush(timeout)
            after = state.durable.backlog()
            sent = max(before - after, 0)
            if done:
                lines.append(f"synced: {sent} journal entries sent, nothing waiting")
            else:
                lines.append(
                    f"trackside: sync incomplete after {timeout:g}s: {sent} entries sent,"
                    f" {after} still waiting in {state.durable.journal_path}"
                )
        if not state.uploads.wait(timeout):
            lines.append(f"{state.uploads.pending} cell-source uploads still running")
        print("\n".join(lines))

    def _config(self, rest: str) -> None:
        settings = self.state.settings
        key, _, value = rest.partition(" ")
        values = settings.as_dict()
        if not key:
            print("\n".join(f"{k} = {_show(v)}" for k, v in values.items()))
            return
        if key not in values:
            raise UsageError(f"unknown setting {key!r}; expected one of: {', '.join(values)}")
        if not value.strip():
            print(f"{key} = {_show(values[key])}")
            return
        try:
            new = settings.set(key, value)
        except ValueError as error:
            raise UsageError(f"%mlflow config {key}: {error}") from None
        if key == "autolog" and self.state.tracked and new != self.state.autolog_on:
            self.state.set_autolog(new)
        print(f"{key} = {_show(new)}")


def _show(value: Any) -> str:
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, list):
        return json.dumps(value)
    return str(value)


def _current_experiment_id() -> str | None:
    try:
        from mlflow.tracking import fluent

        return fluent._get_experiment_id()
    except Exception:
        return None
