"""``%load_ext trackside`` / ``%unload_ext trackside``.

Loading registers the magics and the cell hooks, installs durable logging for the current
tracking URI, replays journals that a dead kernel left behind, and listens to the metric
feed. Nothing here raises into the user when Trackside's own machinery fails: a one-line
notice says what is missing and plain MLflow keeps working.
"""

from __future__ import annotations

import atexit
import contextlib
import threading
from typing import Any

from .notices import notice
from .state import TracksideState

_states: dict[int, _Loaded] = {}
REPLAY_WAIT = 5.0


class _Loaded:
    """Everything :func:`load` set up, so that :func:`unload` can take it down."""

    def __init__(self, shell: Any, state: TracksideState) -> None:
        self.shell = shell
        self.state = state
        self.magics: Any = None
        self.unsubscribe: Any = None
        self.atexit: Any = None


def state_for(shell: Any) -> TracksideState | None:
    loaded = _states.get(id(shell))
    return loaded.state if loaded is not None else None


def load(shell: Any) -> TracksideState:
    """Set up Trackside in ``shell``; loading twice is harmless."""
    loaded = _states.get(id(shell))
    if loaded is not None:
        return loaded.state
    from .magics.commands import TracksideMagics

    state = TracksideState(shell)
    loaded = _Loaded(shell, state)
    loaded.magics = TracksideMagics(shell, state)
    shell.register_magics(loaded.magics)
    shell.events.register("pre_run_cell", state.pre_run_cell)
    shell.events.register("post_run_cell", state.post_run_cell)
    loaded.unsubscribe = _listen_to_metrics(state)
    _quietly(_start_live_stream, "start the live metric stream")
    _install_durable(state)
    _replay_orphans(state)
    loaded.atexit = lambda: _at_exit(state)
    atexit.register(loaded.atexit)
    _states[id(shell)] = loaded
    return state


def unload(shell: Any) -> None:
    """Remove hooks and magics, flush within the timeout and restore plain MLflow."""
    loaded = _states.pop(id(shell), None)
    if loaded is None:
        return
    state = loaded.state
    for event, callback in (
        ("pre_run_cell", state.pre_run_cell),
        ("post_run_cell", state.post_run_cell),
    ):
        with contextlib.suppress(ValueError):
            shell.events.unregister(event, callback)
    _remove_magics(shell, loaded.magics)
    if loaded.unsubscribe is not None:
        state.capture_logger.listening = False
        _quietly(loaded.unsubscribe, "stop listening to the metric feed")
    if state.autolog_on:
        _quietly(lambda: state.set_autolog(False), "turn autologging off")
    _quietly(_stop_live_stream, "stop the live metric stream")
    state.tracked = False
    timeout = state.settings.flush_timeout
    state.uploads.wait(timeout)
    state.uploads.close()
    if state.durable is not None and state.owns_durable:
        durable, state.durable = state.durable, None
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


def _listen_to_metrics(state: TracksideState) -> Any:
    try:
        from .mlflow_hook import listen
    except ImportError as error:
        notice(f"metric feed unavailable ({error}); auto-capture asks the server instead")
        return None
    try:
        unsubscribe = listen(state.capture_logger.on_points)
    except Exception as error:
        notice(f"could not listen to the metric feed ({error!r})")
        return None
    state.capture_logger.listening = True
    return unsubscribe


def _install_durable(state: TracksideState) -> None:
    import mlflow

    try:
        from .journal import durable
    except ImportError as error:
        notice(f"durable logging unavailable ({error}); MLflow calls go to the server directly")
        return
    try:
        existing = durable.active()
        if existing is not None:
            state.durable, state.owns_durable = existing, False
            return
        logging = durable.DurableLogging(
            tracking_uri=mlflow.get_tracking_uri(), flush_timeout=state.settings.flush_timeout
        )
        logging.install()
        state.durable, state.owns_durable = logging, True
    except Exception as error:
        notice(f"durable logging unavailable ({error!r}); MLflow calls go to the server directly")


def _replay_orphans(state: TracksideState) -> None:
    """Send journals that dead kernels left behind (background; waits a few seconds)."""
    try:
        import mlflow

        from .journal.durable import replay_orphans
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
    elif box and getattr(box[0], "journals", None):
        summary = str(box[0].summary())
        notice(summary.removeprefix("trackside: "))


def _at_exit(state: TracksideState) -> None:
    """Kernel shutdown: bounded flush, never hangs (the rest stays in the journal)."""
    timeout = state.settings.flush_timeout
    try:
        state.uploads.wait(min(timeout, 2.0))
        if state.durable is not None:
            state.durable.flush(timeout)
    except Exception:
        pass


def _start_live_stream() -> None:
    # Metric points go to the panel's charts over the trackside.metrics comm.
    from .live.comm_stream import start_stream

    start_stream()


def _stop_live_stream() -> None:
    from .live.comm_stream import stop_stream

    stop_stream()


def _quietly(function: Any, what: str) -> None:
    try:
        function()
    except Exception as error:
        notice(f"could not {what} ({error!r})")
