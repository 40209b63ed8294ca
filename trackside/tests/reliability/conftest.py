from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from .kernels import Kernel, kernel_env


@pytest.fixture
def start_kernel(tmp_path: Path) -> Iterator[Callable[..., Kernel]]:
    """``start_kernel(url, **env)``: a real kernel logging to ``url``, journal under tmp_path."""
    started: list[Kernel] = []

    def start(url: str, journal: Path | None = None, **extra: str) -> Kernel:
        kernel = Kernel(kernel_env(url, journal or tmp_path / "journal", **extra))
        started.append(kernel)
        return kernel

    yield start
    for kernel in started:
        kernel.stop()
