"""Run a command and take its whole process group down with it.

Started by the backend manager as ``python -m trackside.server.watchdog --parent PID
-- mlflow server ...`` in a new session. It exits, after stopping every process of
its group, when the command exits, when it is asked to stop (SIGTERM/SIGINT), or
when its parent (the Jupyter server) dies, even by SIGKILL. So no ``mlflow server``
outlives the Jupyter server that started it.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from types import FrameType

from .process_group import stop_group

POLL_SECONDS = 0.25


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m trackside.server.watchdog")
    parser.add_argument("--parent", type=int, required=True, help="pid to watch")
    parser.add_argument("--grace", type=float, default=5.0)
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("no command given")

    stopping = False

    def request_stop(signum: int, frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)

    child = subprocess.Popen(command)
    while child.poll() is None and not stopping and os.getppid() == args.parent:
        time.sleep(POLL_SECONDS)

    stop_group(os.getpgrp(), grace=args.grace, exclude=os.getpid())
    code = child.wait()
    return code if not stopping else 0


if __name__ == "__main__":
    sys.exit(main())
