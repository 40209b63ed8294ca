"""Several requests in flight: per-run order, a contiguous ack, retries, server identity.

A fake transport stands in for MLflow here so that timing can be scripted (which request is
slow, which fails); the real server's side of resending is in test_sender.py.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from trackside.kernel.journal import sender as sender_module
from trackside.kernel.journal.batches import Batch
from trackside.kernel.journal.dead_letters import DeadLetters
from trackside.kernel.journal.records import (
    JournalWriter,
    Metric,
    RunUpdate,
    Tag,
    read_ack,
    read_owner,
)
from trackside.kernel.journal.sender import BacklogSender, SenderThread
from trackside.kernel.journal.transport import RejectedError, TransientError


class FakeTransport:
    """Records each request's start and end; scripted delays, failures, identity."""

    tracking_uri = "http://fake"

    def __init__(self, delay: float = 0.01, identity: str | None = "server-A") -> None:
        self.delay = delay
        self.identity = identity
        self.lock = threading.Lock()
        self.events: list[tuple[str, int, str]] = []  # ("start"/"end", request number, run)
        self.timeline: list[tuple[Batch | RunUpdate, int, int]] = []  # request, start, end tick
        self._tick = 0
        self.delivered: list[Batch | RunUpdate] = []
        self.running = 0
        self.most_running = 0
        self.hold: dict[int, threading.Event] = {}  # request number -> released when set
        self.fail_times: dict[int, int] = {}  # first metric step -> transient failures left
        self.reject_steps: set[int] = set()
        self.rejected: list[Batch | RunUpdate] = []
        self.identity_calls = 0
        self._number = 0

    def server_identity(self) -> str | None:
        self.identity_calls += 1
        return self.identity

    def fetch_params(self, run_id: str) -> dict[str, str] | None:
        return {}

    def log_batch(self, batch: Batch, timeout: float | None = None) -> None:
        self._request(batch)

    def update_run(self, update: RunUpdate, timeout: float | None = None) -> None:
        self._request(update)

    def _request(self, request: Batch | RunUpdate) -> None:
        with self.lock:
            self._number += 1
            number = self._number
            steps = {m.step for m in request.metrics} if isinstance(request, Batch) else set()
            for failing in steps & {s for s, n in self.fail_times.items() if n > 0}:
                self.fail_times[failing] -= 1
                raise TransientError("HTTP 503 from fake")
            if steps & self.reject_steps:
                self.rejected.append(request)
                raise RejectedError("INVALID_PARAMETER_VALUE: no", 400, "INVALID_PARAMETER_VALUE")
            self.running += 1
            self.most_running = max(self.most_running, self.running)
            self.events.append(("start", number, request.run_id))
            self._tick += 1
            started = self._tick
        hold = self.hold.get(number)
        if hold is not None:
            hold.wait(10)
        time.sleep(self.delay)
        with self.lock:
            self.running -= 1
            self.events.append(("end", number, request.run_id))
            self.delivered.append(request)
            self._tick += 1
            self.timeline.append((request, started, self._tick))


def _sender(path: Path, transport: FakeTransport, in_flight: int = 4) -> BacklogSender:
    return BacklogSender(
        path,
        transport,
        DeadLetters(path.parent / "dead.jsonl", path.name, "http://fake"),
        threading.Event(),
        backoff_cap=0.05,
        in_flight=in_flight,
    )


def _drain(backlog: BacklogSender, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        backlog.step(final=True)
        if backlog.reader.exhausted and backlog.idle():
            return
    raise AssertionError("the sender did not finish")


def _metrics(run_id: str, start: int, count: int) -> list[Metric]:
    return [Metric(run_id, "x", float(i), 1000 + i, i) for i in range(start, start + count)]


@pytest.fixture
def small_windows(monkeypatch: pytest.MonkeyPatch) -> None:
    # ~400 records per read: several windows, each of a few requests
    monkeypatch.setattr(sender_module, "READ_BYTES", 32 * 1024)


def test_requests_overlap_and_every_point_arrives_once(tmp_path: Path, small_windows: None) -> None:
    journal = tmp_path / "k"
    journal.mkdir()
    writer = JournalWriter(journal)
    writer.append(_metrics("run-a", 0, 20_000))
    transport = FakeTransport(delay=0.02)
    backlog = _sender(journal, transport, in_flight=4)
    _drain(backlog)
    steps = sorted(m.step for r in transport.delivered if isinstance(r, Batch) for m in r.metrics)
    assert steps == list(range(20_000))
    assert 1 < transport.most_running <= 4
    assert read_ack(journal) == 20_000
    assert backlog.progress.sent == 20_000


def test_one_in_flight_sends_one_at_a_time(tmp_path: Path, small_windows: None) -> None:
    journal = tmp_path / "k"
    journal.mkdir()
    JournalWriter(journal).append(_metrics("run-a", 0, 5_000))
    transport = FakeTransport(delay=0.005)
    _drain(_sender(journal, transport, in_flight=1))
    assert transport.most_running == 1
    steps = [m.step for r in transport.delivered if isinstance(r, Batch) for m in r.metrics]
    assert steps == list(range(5_000))  # journal order


def test_tags_and_run_updates_wait_for_the_runs_earlier_requests(
    tmp_path: Path, small_windows: None
) -> None:
    journal = tmp_path / "k"
    journal.mkdir()
    writer = JournalWriter(journal)
    writer.append(_metrics("a", 0, 3000))
    writer.append(_metrics("b", 0, 3000))
    writer.append([Tag("a", "stage", "1")])
    writer.append(_metrics("a", 3000, 3000))
    writer.append([Tag("a", "stage", "2")])
    writer.append([RunUpdate("a", "FINISHED", 99, None)])
    writer.append(_metrics("b", 3000, 3000))
    writer.append([RunUpdate("b", "FINISHED", 99, None)])
    transport = FakeTransport(delay=0.01)
    _drain(_sender(journal, transport, in_flight=4))

    def rank(r: Batch | RunUpdate) -> float:
        # position in the journal: tag "1" after step 2999, tag "2" after step 5999, update last
        if isinstance(r, RunUpdate):
            return 1e9
        if r.tags:
            return 2999.5 if r.tags[0].value == "1" else 5999.5
        return float(r.metrics[0].step)

    def barrier(r: Batch | RunUpdate) -> bool:
        return isinstance(r, RunUpdate) or bool(r.tags or r.params)

    for run in ("a", "b"):
        mine = [t for t in transport.timeline if t[0].run_id == run]
        for request, start, end in mine:
            if not barrier(request):
                continue
            for other, other_start, other_end in mine:
                if rank(other) < rank(request):
                    assert other_end < start, (run, other, request)
                elif rank(other) > rank(request):
                    assert other_start > end, (run, request, other)
    a_tags = [t.value for r, _, _ in transport.timeline if isinstance(r, Batch) for t in r.tags]
    assert a_tags == ["1", "2"]  # last one wins
    assert transport.most_running > 1
    assert sum(r.count() for r in transport.delivered if isinstance(r, Batch)) == 12_002


def test_ack_never_passes_an_unfinished_request(tmp_path: Path, small_windows: None) -> None:
    journal = tmp_path / "k"
    journal.mkdir()
    JournalWriter(journal).append(_metrics("a", 0, 10_000))
    transport = FakeTransport(delay=0.0)
    release = threading.Event()
    transport.hold[1] = release  # the very first request hangs
    backlog = _sender(journal, transport, in_flight=4)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and len(transport.delivered) < 5:
        backlog.step(final=True)
    assert len(transport.delivered) >= 5  # the others went on meanwhile
    assert read_ack(journal) == 0 and backlog.ack.value == 0
    release.set()
    _drain(backlog)
    assert read_ack(journal) == 10_000


def test_transient_failures_are_retried_and_rejections_dead_lettered(
    tmp_path: Path, small_windows: None
) -> None:
    journal = tmp_path / "k"
    journal.mkdir()
    JournalWriter(journal).append(_metrics("a", 0, 6_000))
    transport = FakeTransport(delay=0.0)
    transport.fail_times[1000] = 3
    transport.reject_steps.add(2000)
    backlog = _sender(journal, transport, in_flight=4)
    with pytest.warns(Warning, match="rejected"):
        _drain(backlog)
    steps = sorted(m.step for r in transport.delivered if isinstance(r, Batch) for m in r.metrics)
    (rejected_batch,) = transport.rejected
    assert isinstance(rejected_batch, Batch)
    rejected = {m.step for m in rejected_batch.metrics}
    assert 2000 in rejected and transport.fail_times[1000] == 0
    assert steps == [s for s in range(6000) if s not in rejected]
    assert backlog.progress.dead == len(rejected) and backlog.progress.sent == 6000 - len(rejected)
    assert read_ack(journal) == 6000
    dead_lines = (tmp_path / "dead.jsonl").read_text().splitlines()
    assert len(dead_lines) == 1 and '"step": 2000' in dead_lines[0]


def test_server_identity_recorded_then_enforced(tmp_path: Path) -> None:
    journal = tmp_path / "k"
    journal.mkdir()
    (journal / "owner.json").write_text('{"pid": 1, "tracking_uri": "http://fake"}')
    writer = JournalWriter(journal)
    writer.append(_metrics("a", 0, 10))
    transport = FakeTransport(identity="server-A")
    _drain(_sender(journal, transport))
    owner = read_owner(journal)
    assert owner["server_id"] == "server-A" and owner["pid"] == 1

    # the same URI now answers as another server: nothing goes there, the journal waits
    writer.close()  # the drain above finished (and dropped) its segment: a new one
    JournalWriter(journal).append(_metrics("a", 10, 10))
    other = FakeTransport(identity="server-B")
    backlog = _sender(journal, other)
    for _ in range(10):
        backlog.step(final=True)
    assert other.delivered == []
    assert backlog.foreign == "server-B"
    assert "belongs to another MLflow server" in (backlog.progress.last_error or "")
    assert read_ack(journal) == 10 and read_owner(journal)["server_id"] == "server-A"
    # its own server back: delivered, exactly once
    other.identity = "server-A"
    _drain(backlog)
    assert [m.step for r in other.delivered if isinstance(r, Batch) for m in r.metrics] == list(
        range(10, 20)
    )
    assert backlog.foreign is None and read_ack(journal) == 20


def test_identity_checked_again_after_the_server_was_away(tmp_path: Path) -> None:
    journal = tmp_path / "k"
    journal.mkdir()
    writer = JournalWriter(journal)
    writer.append(_metrics("a", 0, 10))
    transport = FakeTransport(identity="server-A")
    backlog = _sender(journal, transport)
    deadline = time.monotonic() + 10
    while backlog.ack.value < 10 and time.monotonic() < deadline:
        backlog.step()  # a live journal: the writer goes on in the same segment
    calls = transport.identity_calls
    writer.append(_metrics("a", 10, 10))
    transport.fail_times[10] = 1  # connection lost once; then another server answers
    transport.identity = "server-B"
    deadline = time.monotonic() + 10
    while backlog.foreign is None and time.monotonic() < deadline:
        backlog.step()
    assert transport.identity_calls > calls
    assert backlog.foreign == "server-B"
    assert read_ack(journal) == 10


def test_unknown_identity_does_not_block(tmp_path: Path) -> None:
    journal = tmp_path / "k"
    journal.mkdir()
    JournalWriter(journal).append(_metrics("a", 0, 10))
    transport = FakeTransport(identity=None)  # e.g. no readable experiment "0"
    _drain(_sender(journal, transport))
    assert len(transport.delivered) == 1
    assert "server_id" not in read_owner(journal)


@pytest.mark.parametrize(
    ("setting", "in_flight"),
    [(None, 4), ("1", 1), ("8", 8), ("0", 1), ("-3", 1), ("99", 32), ("2.5", 2), ("many", 4),
     ("nan", 4), ("", 4)],
)  # fmt: skip
def test_requests_in_flight_come_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, setting: str | None, in_flight: int
) -> None:
    if setting is None:
        monkeypatch.delenv("TRACKSIDE_SENDER_IN_FLIGHT", raising=False)
    else:
        monkeypatch.setenv("TRACKSIDE_SENDER_IN_FLIGHT", setting)
    assert sender_module.default_in_flight() == in_flight


def test_a_trickle_goes_in_a_few_full_requests_not_one_per_answer(tmp_path: Path) -> None:
    # 2 points every 5 ms, as a paced training loop logs them; the server answers in 5 ms.
    # Read again after every answer, that was one tiny request per answer (182 in 1 s here).
    journal = tmp_path / "k"
    journal.mkdir()
    writer = JournalWriter(journal)
    transport = FakeTransport(delay=0.005)
    backlog = _sender(journal, transport)
    thread = SenderThread(backlog)
    thread.start()
    began = time.monotonic()
    for tick in range(200):
        writer.append(_metrics("run-a", 2 * tick, 2))
        time.sleep(0.005)
    elapsed = time.monotonic() - began
    backlog.stop.set()
    thread.wake.set()
    thread.join(5)
    backlog.stop.clear()  # the rest, sent as a replay would
    _drain(backlog)
    steps = sorted(m.step for r in transport.delivered if isinstance(r, Batch) for m in r.metrics)
    assert steps == list(range(400))
    # One read per LINGER at most while the trickle lasts, one more to finish.
    assert len(transport.delivered) <= elapsed / sender_module.LINGER + 2, len(transport.delivered)


def test_a_caller_in_a_hurry_gets_the_trickle_read_at_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sender_module, "LINGER", 3600.0)
    journal = tmp_path / "k"
    journal.mkdir()
    writer = JournalWriter(journal)
    writer.append(_metrics("run-a", 0, 1))
    backlog = _sender(journal, FakeTransport(delay=0.0))
    deadline = time.monotonic() + 10
    while read_ack(journal) < 1 and time.monotonic() < deadline:
        backlog.step()
    writer.append(_metrics("run-a", 1, 1))
    for _ in range(3):
        backlog.step()
    assert read_ack(journal) == 1  # a trickle: it waits for the linger
    backlog.hurry.set()
    while read_ack(journal) < 2 and time.monotonic() < deadline:
        backlog.step()
    assert read_ack(journal) == 2
    assert not backlog.hurry.is_set()  # one read at once, then lingering again
