"""The ``trackside`` command.

``trackside sync [--journal-dir D] [--tracking-uri U [--redirect]] [--timeout S]`` sends what
dead kernels journaled and MLflow never acknowledged: each journal to the tracking URI recorded in
it; with ``--tracking-uri`` only the journals recorded for U; with ``--redirect`` every orphan to U
(a server that moved). A journal that reached a server records that server's identity and is
sent only to it: if another MLflow server now answers at the URI (a fresh store on the same
port), the journal is reported ("belongs to another MLflow server") and kept; ``--any-server``
sends it there anyway. Exit status 0 when every orphaned journal was fully delivered (or there
was none), 1 otherwise.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="trackside", description="Trackside utilities.")
    commands = parser.add_subparsers(dest="command", required=True)
    sync = commands.add_parser(
        "sync",
        help="send orphaned journals (of dead kernels) to MLflow",
        description="Replay the journals of kernels that died before MLflow acknowledged"
        " everything they logged. Journals of running kernels are left alone.",
    )
    sync.add_argument(
        "--journal-dir",
        type=Path,
        default=None,
        help="journal directory (default: $TRACKSIDE_JOURNAL_DIR or the"
        " Jupyter data dir's trackside/journal)",
    )
    sync.add_argument(
        "--tracking-uri",
        default=None,
        help="only replay journals recorded for this tracking URI (see --redirect)",
    )
    sync.add_argument(
        "--redirect",
        action="store_true",
        help="send every orphaned journal to --tracking-uri instead of its recorded URI",
    )
    sync.add_argument(
        "--any-server",
        action="store_true",
        help="send journals even to a server other than the one they were first sent to",
    )
    sync.add_argument(
        "--timeout", type=float, default=300.0, help="give up after this many seconds (default 300)"
    )
    args = parser.parse_args(argv)

    from trackside.kernel.journal.replay import default_journal_dir, replay_orphans

    journal_dir = args.journal_dir or default_journal_dir()
    if args.redirect and not args.tracking_uri:
        parser.error("--redirect needs --tracking-uri")
    report = replay_orphans(
        args.tracking_uri,
        journal_dir,
        timeout=args.timeout,
        redirect=args.redirect,
        check_server=not args.any_server,
    )
    print(report.summary())
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
