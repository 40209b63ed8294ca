"""Trackside side by side with other trackers: ``python -m bench.peers`` (see bench/README.md)."""
