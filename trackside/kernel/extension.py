"""``%load_ext trackside`` / ``%unload_ext trackside``.

Loading registers the magics and the cell hooks, installs durable logging for the current
tracking URI, replays journals that a dead kernel left behind, and listens to the metric
tee. Nothing here raises into the user when Trackside's own machinery fails: a one-line
notice says what is missing and plain MLflow keeps working.
"""

from __future__ import annotations

import atexit
import contextlib
import threading
from typing import Any

from .session import Session
from .warn import notice

_sessions: dict[int, _Loaded] = {}
REPLAY_WAIT = 5.0


class _Loaded:
    """Everything :func:`load` set up, so that :func:`unload` can take it down."""

    def __init__(self, shell: Any, session: Session) -> None:
        self.shell = shell
        self.session = session
        self.magics: Any = None
        self.unsubscribe: Any = None
        self.atexit: Any = None


def session_for(shell: Any) -> Session | None:
    loaded = _sessions.get(id(shell))
    return loaded.session if loaded is not None else None


def load(shell: Any) -> Session:
    """Set up Trackside in ``shell``; loading twice is harmless."""
    loaded = _sessions.get(id(shell))
    if loaded is not None:
        return loaded.session
    from .magics import TracksideMagics

    session = Session(shell)
    loaded = _Loaded(shell, session)
    loaded.magics = TracksideMagics(shell, session)
    shell.register_magics(loaded.magics)
    shell.events.register("pre_run_cell", session.pre_run_cell)
    shell.events.register("post_run_cell", session.post_run_cell)
    loaded.unsubscribe = _subscribe_tee(session)
    _quietly(_start_live_stream, "start the live metric stream")
    _install_durable(session)
    _replay_orphans(session)
    loaded.atexit = lambda: _at_exit(session)
    atexit.register(loaded.atexit)
    _sessions[id(shell)] = loaded
    return session


def unload(shell: Any) -> None:
    """Remove hooks and magics, flush within the timeout and restore plain MLflow."""
    loaded = _sessions.pop(id(shell), None)
    if loaded is None:
        return
    session = loaded.session
    for event, callback in (
        ("pre_run_cell", session.pre_run_cell),
        ("post_run_cell", session.post_run_cell),
    ):
        with contextlib.suppress(ValueError):
            shell.events.unregister(event, callback)
    _remove_magics(shell, loaded.magics)
    if loaded.unsubscribe is not None:
        session.recorder.listening = False
        _quietly(loaded.unsubscribe, "stop listening to the metric tee")
    if session.autolog_on:
        _quietly(lambda: session.set_autolog(False), "turn autologging off")
    _quietly(_stop_live_stream, "stop the live metric stream")
    session.tracked = False
    timeout = session.settings.flush_timeout
    session.uploads.wait(timeout)
    session.uploads.close()
    if session.durable is not None and session.owns_durable:
        durable, session.durable = session.durable, None
        try:
            if not durable.uninstall(timeout=timeout):
                notice(
                    f"not everything was sent within {timeout:g}s; the rest stays in"
                    f" {durable.journal_path} and is sent at the next %load_ext trackside"
                )
        except Exception as error:
            notice(f"could not uninstall durable logging cleanly ({error!r})")
    if loaded.atexit is not None:
        atexit.unregister(loaded.atexit)


def _remove_magics(shell: Any, magics: Any) -> None:
    manager = shell.magics_manager
    for kind in ("line", "cell"):
        table = manager.magics.get(kind, {})
        bound = table.get("mlflow")
        if getattr(bound, "__self__", None) is magics:
            del table["mlflow"]
    manager.registry.pop(type(magics).__name__, None)


def _subscribe_tee(session: Session) -> Any:
    try:
        from .tee import subscribe
    except ImportError as error:
        notice(f"metric tee unavailable ({error}); auto-capture asks the server instead")
        return None
    try:
        unsubscribe = subscribe(session.recorder.on_points)
    except Exception as error:
        notice(f"could not listen to the metric tee ({error!r})")
        return None
    session.recorder.listening = True
    return unsubscribe


def _install_durable(session: Session) -> None:
    import mlflow

    try:
        from . import durable
    except ImportError as error:
        notice(f"durable logging unavailable ({error}); MLflow calls go to the server directly")
        return
    try:
        existing = durable.active()
        if existing is not None:
            session.durable, session.owns_durable = existing, False
            return
        logging = durable.DurableLogging(
            tracking_uri=mlflow.get_tracking_uri(), flush_timeout=session.settings.flush_timeout
        )
        logging.install()
        session.durable, session.owns_durable = logging, True
    except Exception as error:
        notice(f"durable logging unavailable ({error!r}); MLflow calls go to the server directly")


def _replay_orphans(session: Session) -> None:
    """Send journals that dead kernels left behind (background; waits a few seconds)."""
    try:
        import mlflow

        from .durable import replay_orphans
    except ImportError:
        return
    uri = mlflow.get_tracking_uri()
    box: list[Any] = []

    def work() -> None:
        try:
            box.append(replay_orphans(tracking_uri=uri))
        except Exception as error:
            notice(f"could not replay orphaned journals ({error!r}); try `trackside sync`")

    thread = threading.Thread(target=work, name="trackside-replay", daemon=True)
    thread.start()
    thread.join(REPLAY_WAIT)
    if thread.is_alive():
        notice("replaying orphaned journals from earlier kernels in the background")
    elif box and getattr(box[0], "sessions", None):
        summary = str(box[0].summary())
        notice(summary.removeprefix("trackside: "))


def _at_exit(session: Session) -> None:
    """Kernel shutdown: bounded flush, never hangs (the rest stays in the journal)."""
    timeout = session.settings.flush_timeout
    try:
        session.uploads.wait(min(timeout, 2.0))
        if session.durable is not None:
            session.durable.flush(timeout)
    except Exception:
        pass


def _start_live_stream() -> None:
    # Metric points go to the panel's charts over the trackside.metrics comm.
    from .stream import start_stream

    start_stream()


def _stop_live_stream() -> None:
    from .stream import stop_stream

    stop_stream()


def _quietly(function: Any, what: str) -> None:
    try:
        function()
    except Exception as error:
        notice(f"could not {what} ({error!r})")
