"""Replaying orphaned journals: sessions whose owner process is gone.

A session is an orphan when its ``lock`` file can be flock'ed: the owner holds that lock for its
whole life and the OS releases it when the process dies, SIGKILL included (the pid and start
time in ``owner.json`` are for people). The replayer keeps the lock while it works, so two
kernels (or a kernel and ``trackside sync``) never replay the same orphan at once.
"""

from __future__ import annotations

import os
import shutil
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from .journal import iter_records, read_owner, try_lock, unlock
from .sender import DeadLetters, Pump, make_transport


def default_journal_dir() -> Path:
    """``$TRACKSIDE_JOURNAL_DIR``, else ``<jupyter data dir>/trackside/journal``."""
    configured = os.environ.get("TRACKSIDE_JOURNAL_DIR")
    if configured:
        return Path(configured).expanduser()
    try:
        from jupyter_core.paths import jupyter_data_dir

        base = Path(jupyter_data_dir())
    except ImportError:
        base = Path.home() / ".local" / "share" / "jupyter"
    return base / "trackside" / "journal"


@dataclass
class SessionReplay:
    session: str
    tracking_uri: str
    owner_pid: int | None
    sent: int = 0
    dead_lettered: int = 0
    remaining: int = 0
    corrupt_bytes: int = 0
    error: str | None = None


@dataclass
class ReplayReport:
    journal_dir: Path
    dead_letter_path: Path
    sessions: list[SessionReplay] = field(default_factory=list)
    busy: int = 0  # sessions locked by a live kernel or another replayer
    other_servers: int = 0  # orphans recorded for another tracking URI (left alone)

    @property
    def sent(self) -> int:
        return sum(s.sent for s in self.sessions)

    @property
    def dead_lettered(self) -> int:
        return sum(s.dead_lettered for s in self.sessions)

    @property
    def remaining(self) -> int:
        return sum(s.remaining for s in self.sessions)

    @property
    def ok(self) -> bool:
        """Every orphan fully delivered: nothing left, nothing dead-lettered, no errors."""
        return all(s.remaining == 0 and s.dead_lettered == 0 and not s.error for s in self.sessions)

    def summary(self) -> str:
        elsewhere = (
            f"; {self.other_servers} for other tracking URIs left alone"
            if self.other_servers
            else ""
        )
        if not self.sessions:
            return (
                f"trackside: no orphaned journals in {self.journal_dir}"
                f" ({self.busy} in use{elsewhere})"
            )
        lines = [
            f"trackside: {len(self.sessions)} orphaned journal(s) in {self.journal_dir}:"
            f" {self.sent} entries sent, {self.remaining} left, {self.dead_lettered}"
            f" dead-lettered ({self.busy} in use by running kernels{elsewhere})"
        ]
        for s in self.sessions:
            line = (
                f"  {s.session} (pid {s.owner_pid}) -> {s.tracking_uri}: sent {s.sent},"
                f" left {s.remaining}, dead-lettered {s.dead_lettered}"
            )
            if s.corrupt_bytes:
                line += f", {s.corrupt_bytes} torn bytes skipped"
            if s.error:
                line += f"; last error: {s.error}"
            lines.append(line)
        if self.dead_lettered:
            lines.append(f"  rejected entries are in {self.dead_letter_path}")
        return "\n".join(lines)


def replay_orphans(
    tracking_uri: str | None = None,
    journal_dir: Path | None = None,
    timeout: float = 10.0,
    redirect: bool = False,
) -> ReplayReport:
    """Send what dead processes journaled and MLflow did not acknowledge.

    Each journal goes to the tracking URI recorded in it. With ``tracking_uri``, only journals
    recorded for that URI are replayed (a kernel replays what belongs to its server); with
    ``redirect=True`` too, every orphan is sent to ``tracking_uri`` (a server that moved).
    Gives up after ``timeout`` seconds overall (transient failures are retried until then);
    what is left stays for the next replay.
    """
    journal_dir = Path(journal_dir) if journal_dir else default_journal_dir()
    report = ReplayReport(journal_dir, journal_dir / "dead-letter.jsonl")
    deadline = time.monotonic() + timeout
    try:
        names = sorted(os.listdir(journal_dir))
    except FileNotFoundError:
        return report
    for name in names:
        session_dir = journal_dir / name
        if name.startswith(".") or not session_dir.is_dir():
            continue
        lock_fd = try_lock(session_dir)
        if lock_fd is None:
            report.busy += 1
            continue
        try:
            recorded = read_owner(session_dir).get("tracking_uri")
            if tracking_uri and not redirect and recorded and recorded != tracking_uri:
                report.other_servers += 1
                continue
            target = tracking_uri if redirect else None
            report.sessions.append(
                _replay_session(session_dir, target, report.dead_letter_path, deadline)
            )
        finally:
            unlock(lock_fd)
    return report


def _replay_session(
    session_dir: Path, tracking_uri: str | None, dead_letter_path: Path, deadline: float
) -> SessionReplay:
    owner = read_owner(session_dir)
    uri = tracking_uri or str(owner.get("tracking_uri") or "")
    pid = owner.get("pid")
    result = SessionReplay(session_dir.name, uri, pid if isinstance(pid, int) else None)
    if not uri:
        result.error = "no tracking URI recorded in owner.json; pass one"
    else:
        try:
            pump = Pump(
                session_dir,
                make_transport(uri),
                DeadLetters(dead_letter_path, session_dir.name, uri),
                threading.Event(),
                backoff_cap=5.0,
            )
        except Exception as error:
            result.error = repr(error)
        else:
            try:
                while time.monotonic() < deadline:
                    pump.step(final=True, deadline=deadline)
                    if pump.reader.exhausted and pump.idle():
                        break
            except Exception as error:
                result.error = repr(error)
            finally:
                pump.close()
            result.sent = pump.progress.sent
            result.dead_lettered = pump.progress.dead
            result.corrupt_bytes = pump.progress.corrupt_bytes
            if pump.progress.last_error and not (pump.reader.exhausted and pump.idle()):
                result.error = pump.progress.last_error
    from .journal import read_ack

    result.remaining = sum(1 for _ in iter_records(session_dir, read_ack(session_dir)))
    if result.remaining == 0 and not result.error:
        shutil.rmtree(session_dir, ignore_errors=True)
    return result
