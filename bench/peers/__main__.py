"""``python -m bench.peers [--only per_call,see,…] [--tools trackside,wandb,…] [--quick]``.

Runs the measures (each writes ``.bench/peers/<measure>.json``) for the selected tools on this
machine, then regenerates the tables (bench/README.md, README.md) and ``docs/peers.svg``.
Installs nothing: the peers come from the ``bench`` extra and ``.venv-peers/`` (see
bench/README.md, "Side by side with other trackers").
"""

from __future__ import annotations

import argparse
import importlib
import shutil
import subprocess
import sys
import time
import traceback

from . import report
from .tools import REPO, TOOLS, backends

MEASURES = ("per_call", "end_to_end", "durability", "see", "fidelity")


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.peers", description=__doc__)
    parser.add_argument("--only", help="comma-separated measures: " + ",".join(MEASURES))
    parser.add_argument("--tools", help="comma-separated tools: " + ",".join(TOOLS))
    parser.add_argument("--quick", action="store_true", help="fewer calls and points")
    parser.add_argument(
        "--points", type=int, default=None, help="end_to_end: points per tool (1,000,000)"
    )
    parser.add_argument("--no-report", action="store_true", help="leave the READMEs alone")
    args = parser.parse_args(argv)
    args.measures = args.only.split(",") if args.only else list(MEASURES)
    unknown = [m for m in args.measures if m not in MEASURES]
    if unknown:
        parser.error(f"unknown measure(s) {', '.join(unknown)}; known: {', '.join(MEASURES)}")
    return args


def run_see(args: argparse.Namespace) -> None:
    """``node bench/peers/see.mjs`` (H3's measure: a browser), same flags."""
    node = shutil.which("node")
    if node is None:
        raise RuntimeError("node is not on PATH: the time-to-see measure needs it")
    command = [node, str(REPO / "bench" / "peers" / "see.mjs")]
    if args.tools:
        command += ["--tools", args.tools]
    if args.quick:
        command.append("--quick")
    subprocess.run(command, check=True, cwd=REPO)


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    failed = []
    with backends():  # one pair of mlflow servers for every measure of the run
        failed = run_measures(args)
    if not args.no_report:
        report.main()
    if failed:
        print(f"measures that did not run to the end: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


def run_measures(args: argparse.Namespace) -> list[str]:
    failed = []
    for measure in args.measures:
        started = time.monotonic()
        print(f"== {measure}", flush=True)
        try:
            if measure == "see":
                run_see(args)
            else:
                module = importlib.import_module(f"bench.peers.{measure}")
                module.run(args)
        except Exception:
            traceback.print_exc()
            failed.append(measure)
        print(f"== {measure}: {time.monotonic() - started:.0f} s", flush=True)
    return failed


if __name__ == "__main__":
    sys.exit(main())
