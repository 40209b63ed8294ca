"""This process's id, kept current across forks: ``os.getpid()`` is a system call, and the hot
logging path (``fast_path``, the journal writer) compares it on every call. Read it as
``process.pid`` (a module attribute, so a fork's update is seen)."""

from __future__ import annotations

import os

pid = os.getpid()


def _after_fork() -> None:
    global pid
    pid = os.getpid()


os.register_at_fork(after_in_child=_after_fork)
