"""The file browser's listing of the Jupyter root while the embedded backend writes.

SQLite creates and deletes ``mlflow.db-journal`` beside its database on every write.
Jupyter's directory listing stats each name and then reads it, so a journal in the
root that vanishes in between fails the whole listing with a 404. The embedded
backend's files therefore live in the root's hidden ``.trackside/`` folder.
"""

from __future__ import annotations

import os
import threading
import time
import urllib.error
from pathlib import Path

from mlflow import MlflowClient

from trackside.server.embedded_auth import auth_dir, load_credentials
from trackside.server.probe import free_port

from .jupyter_process import jupyter_server

LISTING_SECONDS = 10.0


def log_until(stop: threading.Event, tracking_uri: str, written: list[int]) -> None:
    client = MlflowClient(tracking_uri=tracking_uri)
    experiment_id = client.create_experiment("listing-under-writes")
    run_id = client.create_run(experiment_id).info.run_id
    step = 0
    while not stop.is_set():
        client.log_metric(run_id, "loss", 1.0 / (step + 1), step=step)
        step += 1
        written.append(step)


def test_root_listing_never_fails_while_the_backend_writes(tmp_path: Path):
    root = tmp_path / "notebooks"
    root.mkdir()
    for index in range(20):  # a folder with some files, as a user's would be
        (root / f"notes-{index}.txt").write_text("hello\n")
    with jupyter_server(root, free_port("127.0.0.1")) as server:
        status = server.wait_ready()
        # The embedded server wants its login, as a user's script in a terminal gets it
        # (os.environ is restored after each test).
        port = int(status["tracking_uri"].rsplit(":", 1)[1])
        credentials = load_credentials(auth_dir(root / ".trackside", port))
        assert credentials is not None
        os.environ.update(credentials.client_environment())
        stop, written = threading.Event(), []
        writer = threading.Thread(
            target=log_until, args=(stop, status["tracking_uri"], written), daemon=True
        )
        writer.start()
        failures: list[str] = []
        listed: set[str] = set()
        listings = 0
        deadline = time.monotonic() + LISTING_SECONDS
        try:
            while time.monotonic() < deadline and writer.is_alive():
                try:
                    content = server.call("api/contents/")["content"]
                    listed.update(item["name"] for item in content)
                except urllib.error.HTTPError as error:
                    failures.append(f"{error.code}: {error.read().decode()[:200]}")
                listings += 1
        finally:
            stop.set()
            writer.join(timeout=30)
        assert len(written) >= 20, "the backend was hardly written to; the test proves nothing"
        assert failures == [], f"{len(failures)} of {listings} listings failed: {failures[:3]}"
        assert {name for name in listed if name.startswith(("mlflow.db", "mlartifacts"))} == set()
        assert (root / ".trackside" / "backend" / "mlflow.db").is_file()
