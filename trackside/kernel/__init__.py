"""Kernel side of Trackside (IPython extension).

``extension`` (``%load_ext``) sets up, per IPython shell, one :class:`.state.TracksideState`;
``mlflow_hook`` is the one place MLflow is hooked; ``magics/``, ``capture/``, ``journal/``
(durable logging) and ``live/`` (metric feed and comm stream) hold the rest; ``notices``
prints the one-line notices.

"Session" means only Jupyter's session (the notebook a kernel belongs to); Trackside's own
per-kernel state is ``TracksideState``, a kernel's journal on disk a *kernel journal*.

Nothing here may import jupyter_server.
"""
