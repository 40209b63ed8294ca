"""The one backoff policy (``trackside.retry``) that every retry loop waits with."""

from __future__ import annotations

import pytest

from trackside.kernel.journal.sender import RETRY
from trackside.retry import Backoff


def test_delays_double_from_first_up_to_the_cap():
    policy = Backoff(first=1.0, cap=60.0)
    assert [policy.delay(n) for n in range(8)] == [1, 2, 4, 8, 16, 32, 60, 60]


def test_a_cap_given_for_one_wait_replaces_the_policy_cap():
    assert Backoff(first=0.25, cap=30.0).delay(20, cap=120.0) == 120.0


def test_jitter_stays_within_its_band():
    policy = Backoff(first=1.0, cap=8.0, jitter=0.2)
    delays = [policy.delay(10) for _ in range(500)]
    assert all(8.0 * 0.8 <= d <= 8.0 * 1.2 for d in delays)
    assert len(set(delays)) > 1


def test_hours_of_retries_never_overflow():
    # A server down for a day: the attempt count grows past what 2.0**n can hold.
    assert Backoff(first=0.25, cap=30.0).delay(100_000) == 30.0
    assert RETRY.delay(5_000, cap=5.0) == pytest.approx(5.0, rel=0.5)
