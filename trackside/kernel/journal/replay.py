"""Replaying orphaned kernel journals: those whose owner process is gone.

A kernel journal is an orphan when its ``lock`` file can be flock'ed: the owner holds that lock
for its whole life and the OS releases it when the process dies, SIGKILL included (the pid and
start time in ``owner.json`` are for people). The replayer keeps the lock while it works, so two
kernels (or a kernel and ``trackside sync``) never replay the same orphan at once.

A journal whose ``owner.json`` records the identity of the server it was sent to
(``server_id``) is replayed only into that server: if another MLflow server now answers at the
URI (a fresh store on the same port), the journal is left alone, reported and kept, never
dead-lettered. A journal that never reached a server has no identity and is replayed as is.
"""

from __future__ import annotations

import os
import shutil
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from .dead_letters import DeadLetters
from .records import iter_records, read_owner, try_lock, unlock
from .sender import BacklogSender
from .transport import make_transport


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
class JournalReplay:
    journal: str
    tracking_uri: str
    owner_pid: int | None
    sent: int = 0
    dead_lettered: int = 0
    remaining: int = 0
    corrupt_bytes: int = 0
    damaged: list[int] = field(default_factory=list)  # seqs of records lost to damaged bytes
    error: str | None = None
    other_server: bool = False  # the server at the URI is not the one the journal belongs to


@dataclass
class ReplayReport:
    journal_dir: Path
    dead_letter_path: Path
    journals: list[JournalReplay] = field(default_factory=list)
    busy: int = 0  # kernel journals locked by a live kernel or another replayer
    other_servers: int = 0  # orphans recorded for another tracking URI (left alone)

    @property
    def sent(self) -> int:
        return sum(s.sent for s in self.journals)

    @property
    def dead_lettered(self) -> int:
        return sum(s.dead_lettered for s in self.journals)

    @property
    def remaining(self) -> int:
        return sum(s.remaining for s in self.journals)

    @property
    def ok(self) -> bool:
        """Every orphan fully delivered: nothing left, nothing dead-lettered, no errors."""
        return all(s.remaining == 0 and s.dead_lettered == 0 and not s.error for s in self.journals)

    @property
    def left_for_other_server(self) -> int:
        return sum(1 for s in self.journals if s.other_server)

    def summary(self) -> str:
        elsewhere = (
            f"; {self.other_servers} for other tracking URIs left alone"
            if self.other_servers
            else ""
        )
        if not self.journals:
            return (
                f"trackside: no orphaned journals in {self.journal_dir}"
                f" ({self.busy} in use{elsewhere})"
            )
        lines = [
            f"trackside: {len(self.journals)} orphaned journal(s) in {self.journal_dir}:"
            f" {self.sent} entries sent, {self.remaining} left, {self.dead_lettered}"
            f" dead-lettered ({self.busy} in use by running kernels{elsewhere})"
        ]
        for s in self.journals:
            line = (
                f"  {s.journal} (pid {s.owner_pid}) -> {s.tracking_uri}: sent {s.sent},"
                f" left {s.remaining}, dead-lettered {s.dead_lettered}"
            )
            if s.corrupt_bytes:
                line += f", {s.corrupt_bytes} torn bytes skipped"
            if s.damaged:
                shown = ", ".join(str(seq) for seq in s.damaged[:10])
                more = f" and {len(s.damaged) - 10} more" if len(s.damaged) > 10 else ""
                line += f", damaged record {shown}{more} lost"
            if s.other_server:
                line = (
                    f"  {s.journal} (pid {s.owner_pid}) -> {s.tracking_uri}: {s.error};"
                    f" its {s.remaining} entries are kept"
                )
            elif s.error:
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
    check_server: bool = True,
) -> ReplayReport:
    """Send what dead processes journaled and MLflow did not acknowledge.

    Each journal goes to the tracking URI recorded in it. With ``tracking_uri``, only journals
    recorded for that URI are replayed (a kernel replays what belongs to its server); with
    ``redirect=True`` too, every orphan is sent to ``tracking_uri`` (a server that moved).
    Gives up after ``timeout`` seconds overall (transient failures are retried until then);
    what is left stays for the next replay. ``check_server=False`` sends even to a server whose
    identity differs from the one recorded in the journal.
    """
    journal_dir = Path(journal_dir) if journal_dir else default_journal_dir()
    report = ReplayReport(journal_dir, journal_dir / "dead-letter.jsonl")
    deadline = time.monotonic() + timeout
    try:
        names = sorted(os.listdir(journal_dir))
    except FileNotFoundError:
        return report
    for name in names:
        kernel_journal = journal_dir / name
        if name.startswith(".") or not kernel_journal.is_dir():
            continue
        lock_fd = try_lock(kernel_journal)
        if lock_fd is None:
            report.busy += 1
            continue
        try:
            recorded = read_owner(kernel_journal).get("tracking_uri")
            if tracking_uri and not redirect and recorded and recorded != tracking_uri:
                report.other_servers += 1
                continue
            target = tracking_uri if redirect else None
            report.journals.append(
                _replay_journal(
                    kernel_journal, target, report.dead_letter_path, deadline, check_server
                )
            )
        finally:
            unlock(lock_fd)
    return report


def _replay_journal(
    kernel_journal: Path,
    tracking_uri: str | None,
    dead_letter_path: Path,
    deadline: float,
    check_server: bool = True,
) -> JournalReplay:
    owner = read_owner(kernel_journal)
    uri = tracking_uri or str(owner.get("tracking_uri") or "")
    pid = owner.get("pid")
    result = JournalReplay(kernel_journal.name, uri, pid if isinstance(pid, int) else None)
    if not uri:
        result.error = "no tracking URI recorded in owner.json; pass one"
    else:
        try:
            backlog = BacklogSender(
                kernel_journal,
                make_transport(uri),
                DeadLetters(dead_letter_path, kernel_journal.name, uri),
                threading.Event(),
                backoff_cap=5.0,
                wait_for_own_server=False,
                check_server=check_server,
            )
        except Exception as error:
            result.error = repr(error)
        else:
            try:
                while time.monotonic() < deadline and backlog.foreign is None:
                    backlog.step(final=True, deadline=deadline)
                    if backlog.reader.exhausted and backlog.idle():
                        break
                backlog.wait_in_flight(max(1.0, deadline - time.monotonic()))
            except Exception as error:
                result.error = repr(error)
            finally:
                backlog.close()
            result.sent = backlog.progress.sent
            result.dead_lettered = backlog.progress.dead
            result.corrupt_bytes = backlog.progress.corrupt_bytes
            result.damaged = list(backlog.reader.damaged)
            if backlog.progress.last_error and not (backlog.reader.exhausted and backlog.idle()):
                result.error = backlog.progress.last_error
            result.other_server = backlog.foreign is not None
    from .records import read_ack

    result.remaining = sum(1 for _ in iter_records(kernel_journal, read_ack(kernel_journal)))
    if result.remaining == 0 and not result.error:
        shutil.rmtree(kernel_journal, ignore_errors=True)
    return result
