"""``%mlflow status``: backend and its health, runs, mode, journal."""

from __future__ import annotations

import contextlib
import urllib.request
from pathlib import Path
from typing import Any

from ..state import TracksideState


def backend_health(uri: str, timeout: float = 2.0) -> str:
    """``healthy`` / ``unreachable (...)`` for an HTTP tracking server; else the store kind."""
    if not uri.startswith(("http://", "https://")):
        return "local store" if uri.startswith(("file:", "sqlite:", "/")) else "not checked"
    try:
        with urllib.request.urlopen(uri.rstrip("/") + "/health", timeout=timeout) as response:
            body = response.read(64).strip()
    except Exception as error:
        return f"unreachable ({type(error).__name__}: {str(error)[:120]})"
    return "healthy" if body == b"OK" else f"answers, but not like MLflow ({body[:32]!r})"


def _count_lines(path: Path) -> int:
    try:
        with path.open("rb") as handle:
            return sum(1 for _ in handle)
    except OSError:
        return 0


def sync_line(details: dict[str, Any]) -> str:
    """The journal's backlog as the panel shows it, with a text progress figure."""
    backlog = int(details.get("backlog") or 0)
    sent = int(details.get("sent") or 0)
    dead = int(details.get("dead_lettered") or 0)
    if backlog == 0:
        return f"sync: nothing waiting; {sent} sent, {dead} dead-lettered"
    done = sent + dead
    share = done / (done + backlog)
    width = 20
    filled = int(share * width)
    bar = "#" * filled + "-" * (width - filled)
    line = (
        f"sync: {backlog} points waiting to sync; {sent} sent, {dead} dead-lettered;"
        f" [{bar}] {share:.0%} (of what this kernel logged)"
    )
    if details.get("in_flight"):
        line += f"; {details['in_flight']} requests in flight"
    return line


def status_lines(state: TracksideState) -> list[str]:
    import mlflow

    uri = mlflow.get_tracking_uri()
    lines = [f"backend: {uri} ({backend_health(uri)})"]
    active = mlflow.active_run()
    if active is not None:
        lines.append(
            f"active run: {active.info.run_id} ({active.info.run_name})"
            f" in experiment {active.info.experiment_id}"
        )
    else:
        lines.append("active run: none")
    if state.last_run is not None:
        lines.append(f"last run: {state.last_run[0]}")
    lines.append(
        f"tracked notebook: {'on' if state.tracked else 'off'};"
        f" autolog: {'on' if state.autolog_on else 'off'}"
    )
    durable: Any = state.durable
    if durable is None:
        lines.append("durable logging: off (MLflow calls go to the server directly)")
    else:
        dead = _count_lines(Path(durable.dead_letter_path))
        details: dict[str, Any] = {}
        with contextlib.suppress(Exception):
            details = dict(durable.status())
        line = (
            f"durable logging: on; backlog {durable.backlog()} entries;"
            f" sent {details.get('sent', '?')}; journal {durable.journal_path};"
            f" dead letters {dead}" + (f" in {durable.dead_letter_path}" if dead else "")
        )
        if details.get("last_error"):
            line += f"; last error: {details['last_error']}"
        if details.get("synchronous_fallback"):
            line += "; journal not writable: sending synchronously"
        lines.append(line)
        if details:
            lines.append(sync_line(details))
    return lines
