"""Find and stop every process of a process group, including reparented grandchildren.

``mlflow server`` starts uvicorn, a job runner and a queue consumer as children;
each ``mlflow server`` we launch gets a process group of its own so that all of
them can be stopped together.
"""

from __future__ import annotations

import os
import signal

import psutil


def group_members(pgid: int, exclude: int | None = None) -> list[psutil.Process]:
    members = []
    for proc in psutil.process_iter():
        if proc.pid == exclude:
            continue
        try:
            if os.getpgid(proc.pid) == pgid:
                members.append(proc)
        except (ProcessLookupError, PermissionError, psutil.Error):
            continue
    return members


def is_alive(pid: int) -> bool:
    try:
        proc = psutil.Process(pid)
        return proc.status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


def cmdline(pid: int) -> str:
    try:
        return " ".join(psutil.Process(pid).cmdline())
    except psutil.Error:
        return ""


def stop_group(pgid: int, grace: float = 5.0, exclude: int | None = None) -> int:
    """SIGTERM every member of ``pgid`` (but ``exclude``), SIGKILL what outlives ``grace``.

    Returns how many processes had to be killed with SIGKILL.
    """
    members = group_members(pgid, exclude=exclude)
    for proc in members:
        try:
            proc.send_signal(signal.SIGTERM)
        except psutil.Error:
            continue
    _, alive = psutil.wait_procs(members, timeout=grace)
    for proc in alive:
        try:
            proc.kill()
        except psutil.Error:
            continue
    psutil.wait_procs(alive, timeout=grace)
    return len(alive)
