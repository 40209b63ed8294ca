"""The one backoff policy of every retry loop in Trackside.

The journal sender (and the replay of orphaned journals, through it), the live stream's
comm reopening and the embedded backend's restarts all wait ``Backoff.delay(attempt)``
between tries: exponential growth from ``first`` by ``factor``, capped, times a random
factor in ``[1 - jitter, 1 + jitter]`` so that many clients do not retry in step. Each loop
keeps its own decisions: what is worth retrying, when to stop (a shutdown event, a
deadline, a failure count) and when to start counting again.

No imports beyond the standard library: both the kernel and the server side use it.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

# Past this many doublings every cap has long been reached; it also keeps the power finite.
_MAX_EXPONENT = 64


@dataclass(frozen=True)
class Backoff:
    """A jittered exponential backoff: ``min(cap, first * factor**attempt)``, jittered."""

    first: float
    cap: float
    factor: float = 2.0
    jitter: float = 0.0

    def delay(self, attempt: int, cap: float | None = None) -> float:
        """Seconds to wait before retry number ``attempt`` (0 for the first retry);
        ``cap`` overrides the policy's cap for this wait."""
        limit = self.cap if cap is None else cap
        growth = self.factor ** min(max(attempt, 0), _MAX_EXPONENT)
        seconds = min(limit, self.first * growth)
        if self.jitter:
            seconds *= random.uniform(1.0 - self.jitter, 1.0 + self.jitter)
        return seconds
