"""Metric history read straight from the embedded backend's SQLite store.

MLflow's REST ``metrics/get-history`` builds one JSON object per point: a
1,000,000-point series takes the embedded server ~50 s to page through, which no
chart can wait for. When Trackside runs the backend itself it knows its store (the
``mlflow.db`` in its backend folder), so the history endpoint reads the points from
it directly: a read-only SQLite connection, the query built from MLflow's own table
model (``SqlMetric``) so the schema stays MLflow's, ~1 s for a million points.

Values are given back as MLflow's API gives them: NaN for rows stored with
``is_nan``, ±inf for the ±DBL_MAX the SQL store saves infinities as. Any failure
(schema, lock, file) makes the caller fall back to the REST path.
"""

from __future__ import annotations

import logging
import sqlite3
from contextlib import closing
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

logger = logging.getLogger("trackside")

# Waits this long for a writer's lock (the server commits a batch in ~0.1 s).
BUSY_TIMEOUT_SECONDS = 10.0

_ROW = np.dtype([("step", "f8"), ("timestamp", "f8"), ("value", "f8"), ("is_nan", "f8")])


class StoreHistoryReader:
    """Reads ``(step, timestamp, value)`` of one metric of one run from ``db_path``."""

    def __init__(self, db_path: Path) -> None:
        self.db_path = db_path

    def read(self, run_id: str, key: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Every point, sorted by step then timestamp (as the REST path sorts them)."""
        uri = f"{self.db_path.resolve().as_uri()}?mode=ro"
        with closing(sqlite3.connect(uri, uri=True, timeout=BUSY_TIMEOUT_SECONDS)) as db:
            # Straight from the cursor into one array: no list of a million tuples.
            rows = np.fromiter(db.execute(_history_query(), (run_id, key)), dtype=_ROW)
        step, stamp, value = rows["step"], rows["timestamp"], rows["value"].copy()
        value[rows["is_nan"] != 0] = np.nan
        largest = np.finfo(np.float64).max
        value[value == largest] = np.inf
        value[value == -largest] = -np.inf
        order = np.lexsort((stamp, step))
        return step[order].copy(), stamp[order].copy(), value[order]


def prepare_history_query() -> None:
    """Build the query ahead of the first request (imports MLflow's table model)."""
    try:
        _history_query()
    except Exception as err:  # the request will fall back to REST and say why
        logger.warning("Trackside: cannot prepare direct history reads: %s", err)


@lru_cache(maxsize=1)
def _history_query() -> str:
    """``SELECT step, timestamp, value, is_nan FROM metrics WHERE run_uuid = ? AND key = ?``,
    from MLflow's model of its metrics table, compiled for SQLite."""
    from mlflow.store.tracking.dbmodels.models import SqlMetric
    from sqlalchemy import select
    from sqlalchemy.dialects import sqlite

    table: Any = SqlMetric.__table__
    query = select(table.c.step, table.c.timestamp, table.c.value, table.c.is_nan).where(
        table.c.run_uuid == "run", table.c.key == "key"
    )
    # The default "?" placeholders, positional in the order of the where clause.
    return str(query.compile(dialect=sqlite.dialect()))
