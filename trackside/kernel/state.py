"""The extension's state in one kernel, and the IPython event hooks of tracked notebooks."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .capture.logger import CaptureLogger, Outcome
from .capture.provenance import (
    TAG_TRACKED,
    CellInfo,
    notebook_path,
    provenance_tags,
    source_artifact_path,
)
from .capture.scan import CellScan, scan_cell
from .capture.settings import CaptureSettings
from .capture.uploads import Uploads
from .capture.values import Captured, collect, snapshot
from .notices import notice


@dataclass
class _Before:
    """What a tracked cell looked like before it ran."""

    scan: CellScan
    snapshot: dict[str, Any]
    active_run_id: str | None
    last_run_id: str | None


class TracksideState:
    """Settings, run-key knowledge and mode of the extension in one IPython shell."""

    def __init__(self, shell: Any) -> None:
        self.shell = shell
        self.settings = CaptureSettings()
        self.capture_logger = CaptureLogger()
        self.uploads = Uploads()
        self.durable: Any = None  # trackside.kernel.journal.durable.DurableLogging when installed
        self.owns_durable = False
        self.tracked = False
        self.autolog_on = False
        self.cell = CellInfo()
        self.magic_in_cell = False
        self.last_run: tuple[str, str] | None = None  # (run_id, experiment_id)
        # The notebook's path as the frontend last told it (``%mlflow notebook``): the
        # kernel's environment keeps the path the notebook had when the kernel started.
        self.notebook: str | None = None
        self._before: _Before | None = None

    # ------------------------------------------------------------------ helpers

    def notebook_path(self) -> str | None:
        """The notebook's current path, if known."""
        return self.notebook or notebook_path(self.shell.user_ns)

    def client(self) -> Any:
        from mlflow import MlflowClient

        return MlflowClient()

    def flush(self, timeout: float) -> bool:
        if self.durable is None:
            return True
        return bool(self.durable.flush(timeout))

    def set_autolog(self, on: bool) -> None:
        import mlflow

        mlflow.autolog(disable=not on)
        self.autolog_on = on

    def record(
        self,
        run_id: str,
        captured: Captured,
        *,
        tracked: bool,
        fresh: bool = False,
    ) -> Outcome:
        """Log captured values and provenance into ``run_id``; upload the cell's source."""
        tags = provenance_tags(
            self.cell,
            self.notebook_path(),
            self.settings.git_timeout,
            with_source=self.settings.log_source,
        )
        if tracked:
            tags[TAG_TRACKED] = "true"
        client = self.client()
        outcome = self.capture_logger.record(
            run_id,
            captured.params,
            captured.metrics,
            tags,
            client=client,
            flush=self.flush if self.durable is not None else None,
            timeout=self.settings.server_timeout,
            fresh=fresh,
        )
        outcome.notes[:0] = captured.notes
        if self.settings.log_source and self.cell.raw_cell:
            self.uploads.submit(client, run_id, self.cell.raw_cell, source_artifact_path(self.cell))
        return outcome

    # ------------------------------------------------------------------ IPython events

    def pre_run_cell(self, info: Any) -> None:
        try:
            self._pre_run_cell(info)
        except Exception as error:
            self._before = None
            notice(f"auto-capture skipped for this cell ({error!r})", once="pre-cell")

    def _pre_run_cell(self, info: Any) -> None:
        raw = getattr(info, "raw_cell", "") or ""
        count = getattr(self.shell, "execution_count", None)
        if getattr(info, "store_history", False) and isinstance(count, int):
            count -= 1  # IPython has already counted the cell it is about to run
        self.cell = CellInfo(
            raw_cell=raw, cell_id=getattr(info, "cell_id", None), execution_count=count
        )
        self.magic_in_cell = False
        self._before = None
        if not self.tracked or raw.lstrip().startswith("%%mlflow"):
            return
        import mlflow

        transformed = getattr(info, "transformed_cell", None)
        if transformed is None:
            transformed = self.shell.transform_cell(raw)
        scan = scan_cell(transformed, self.settings)
        active = mlflow.active_run()
        self.capture_logger.take_used_runs()
        self._before = _Before(
            scan=scan,
            snapshot=snapshot(scan, self.shell.user_ns, self.settings),
            active_run_id=active.info.run_id if active else None,
            last_run_id=_last_active_run_id(),
        )

    def post_run_cell(self, result: Any) -> None:
        before, self._before = self._before, None
        if before is None or self.magic_in_cell or not self.tracked:
            return
        try:
            self._capture_tracked(before, result)
        except Exception as error:
            notice(f"auto-capture failed for this cell ({error!r})")

    def _capture_tracked(self, before: _Before, result: Any) -> None:
        import mlflow

        active = mlflow.active_run()
        used = self.capture_logger.take_used_runs()
        last = _last_active_run_id()
        if active is not None:
            run_id = active.info.run_id
        elif last is not None and last != before.last_run_id:
            run_id = last  # the cell started and ended a run (``with mlflow.start_run():``)
        elif used:
            run_id = used[-1]  # the cell logged to a run by id (``MlflowClient``)
        else:
            return
        captured = collect(
            before.scan,
            self.shell.user_ns,
            self.settings,
            before=before.snapshot,
            succeeded=bool(getattr(result, "success", True)),
        )
        outcome = self.record(run_id, captured, tracked=True)
        if outcome.notes:
            notice("; ".join(outcome.notes))


def _last_active_run_id() -> str | None:
    """The id ``mlflow.last_active_run()`` would fetch, without a call to the server."""
    try:
        from mlflow.tracking import fluent

        value = fluent._last_active_run_id.get()
    except Exception:
        return None
    return value if isinstance(value, str) else None
