"""Reading an execution's output log from a byte offset, within the readable window.

The log keeps growing on disk; only its last ``limit`` bytes are readable, so a chatty
project cannot make the browser (or this server) hold more than that. Offsets are byte
offsets into the log; a chunk never ends inside a UTF-8 character unless the output is
complete, and never starts inside one.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class OutputChunk:
    text: str
    offset: int  # where the next read starts
    start: int  # the first offset still readable (> the asked offset: output was dropped)

    def to_json(self, done: bool) -> dict[str, object]:
        return {"output": self.text, "offset": self.offset, "start": self.start, "done": done}


def log_size(path: Path) -> int:
    try:
        return os.stat(path).st_size
    except OSError:
        return 0


def _is_continuation(byte: int) -> bool:
    return byte & 0xC0 == 0x80


def _complete_prefix(data: bytes) -> int:
    """Length of ``data`` without a UTF-8 character cut at its end."""
    for back in range(1, min(4, len(data)) + 1):
        byte = data[-back]
        if not _is_continuation(byte):
            if byte < 0x80:
                return len(data)
            needed = 2 if byte >= 0xC0 else 1
            needed = 3 if byte >= 0xE0 else needed
            needed = 4 if byte >= 0xF0 else needed
            return len(data) if back >= needed else len(data) - back
    return len(data)


def read_output(path: Path, offset: int, limit: int, *, complete: bool) -> OutputChunk:
    """The output after ``offset`` (within the last ``limit`` bytes of the log).

    ``complete``: the log will not grow any more, so a trailing partial character is
    returned as it is (decoded with a replacement character) instead of held back.
    """
    try:
        with open(path, "rb") as handle:
            size = handle.seek(0, os.SEEK_END)
            start = max(size - limit, 0)
            begin = min(max(offset, start), size)
            handle.seek(begin)
            data = handle.read(size - begin)
    except OSError:
        return OutputChunk("", max(offset, 0), max(offset, 0))
    if begin == start and start > 0:
        # Dropped output may end mid-character: start at the next whole one.
        skip = 0
        while skip < min(3, len(data)) and _is_continuation(data[skip]):
            skip += 1
        data, begin, start = data[skip:], begin + skip, start + skip
    if not complete:
        data = data[: _complete_prefix(data)]
    return OutputChunk(data.decode("utf-8", "replace"), begin + len(data), start)
