"""``python -m bench.peers.venvs``: the virtual environments of the peers that need their own.

Trackio pins ``pillow<13`` and Aim ``filelock<4``, below what this project's ``.venv`` holds
(matplotlib's pillow, torch's filelock): installing either into ``.venv`` would downgrade a
package the tests use. Each gets ``.venv-peers/<key>`` (gitignored) with ipykernel, built from
the interpreter running this; the harness starts that tool's kernels and store readers with it.
"""

from __future__ import annotations

import argparse
import subprocess
import sys

from .tools import PEER_VENVS, TOOLS

REQUIREMENTS = {
    "trackio": ["trackio>=0.43"],
    "aim": ["aim>=3.29"],
}


def create(key: str) -> None:
    venv = PEER_VENVS / key
    python = venv / "bin" / "python"
    if not python.exists():
        base = getattr(sys, "_base_executable", sys.executable)
        subprocess.run([base, "-m", "venv", str(venv)], check=True)
    subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", "ipykernel>=7", *REQUIREMENTS[key]],
        check=True,
    )
    print(f"{key}: {python}")


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.peers.venvs", description=__doc__)
    parser.add_argument("--tools", default=",".join(REQUIREMENTS))
    for key in parser.parse_args().tools.split(","):
        if key not in REQUIREMENTS or TOOLS[key].venv != key:
            raise SystemExit(f"{key} runs from .venv (the bench extra), not a venv of its own")
        create(key)


if __name__ == "__main__":
    main()
