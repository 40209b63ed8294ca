"""Live metrics: every logged point to in-kernel listeners and to the panel's charts.

``feed`` hands points to subscribers (the MLflow hook publishes them); ``comm_stream`` sends
them on the ``trackside.metrics`` comm, encoded by :mod:`trackside.wire` from ``columns``.
"""
