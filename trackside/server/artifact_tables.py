"""The first rows of a CSV, TSV or Parquet artifact as JSON, read with pyarrow.

Only the first ``max_preview_bytes`` of a file are read from MLflow. A CSV larger than
that is cut at its last complete line (``total_rows`` is then unknown); a Parquet file
keeps its row count in a footer at the end, so it must fit under the limit whole.
Parsing runs in an executor: it must not stall the Jupyter server's event loop.
"""

from __future__ import annotations

import asyncio
import datetime
import decimal
import io
import math
import posixpath
from collections.abc import Mapping
from typing import Any

from .artifact_files import (
    ArtifactSource,
    optional_value,
    read_head,
    source_from_query,
    too_large,
    validate_artifact_path,
)
from .gateway import GatewayError, single_value
from .mlflow_validators import load
from .upstream import Upstream

DEFAULT_ROW_LIMIT = 50
MAX_ROW_LIMIT = 1000
DELIMITERS: Mapping[str, str] = {".csv": ",", ".tsv": "\t"}
PARQUET = ".parquet"


def _invalid(message: str) -> GatewayError:
    return GatewayError(400, "INVALID_PARAMETER_VALUE", message)


def table_kind(path: str) -> str:
    extension = posixpath.splitext(path)[1].lower()
    if extension not in DELIMITERS and extension != PARQUET:
        raise _invalid(
            f"{posixpath.basename(path)!r} is not a table: expected .csv, .tsv or .parquet."
        )
    return extension


def row_limit(value: str | None) -> int:
    if value is None:
        return DEFAULT_ROW_LIMIT
    if not value.isdigit() or not 1 <= int(value) <= MAX_ROW_LIMIT:
        raise _invalid(
            f"Parameter 'limit' must be an integer from 1 to {MAX_ROW_LIMIT}, got {value!r}."
        )
    return int(value)


def json_value(value: Any) -> Any:
    """A cell as JSON: numbers that JSON cannot hold (NaN, ±inf) and other objects as text."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, (datetime.date, datetime.time)):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    if isinstance(value, (list, tuple)):
        return [json_value(item) for item in value]
    if isinstance(value, dict):
        return {str(key): json_value(item) for key, item in value.items()}
    return str(value)


def table_preview(data: bytes, complete: bool, kind: str, limit: int, name: str) -> dict[str, Any]:
    """Columns and the first ``limit`` rows of ``data`` (the whole file when ``complete``)."""
    import pyarrow as pa

    try:
        if kind == PARQUET:
            import pyarrow.parquet as pq

            parquet = pq.ParquetFile(pa.BufferReader(data))
            total: int | None = parquet.metadata.num_rows
            batches = parquet.iter_batches(batch_size=limit)
            first = next(batches, None)
            table = (
                pa.Table.from_batches([first])
                if first is not None
                else parquet.schema_arrow.empty_table()
            )
        else:
            import pyarrow.csv as csv

            if not complete:  # cut the partial last line
                data = data[: data.rfind(b"\n") + 1] or data
            table = csv.read_csv(
                io.BytesIO(data), parse_options=csv.ParseOptions(delimiter=DELIMITERS[kind])
            )
            total = table.num_rows if complete else None
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, OSError) as err:
        raise _invalid(f"{name!r} could not be read as a {kind[1:]} table: {err}") from err
    head = table.slice(0, limit)
    columns = [{"name": f.name, "type": str(f.type)} for f in head.schema]
    cells = [column.to_pylist() for column in head.columns]  # by column: names may repeat
    rows = [[json_value(cell) for cell in row] for row in zip(*cells, strict=True)]
    truncated = total is None or total > len(rows)
    return {"columns": columns, "rows": rows, "total_rows": total, "truncated": truncated}


async def read_table(
    upstream: Upstream, query: Mapping[str, list[str]], max_preview_bytes: int
) -> dict[str, Any]:
    await load()
    source: ArtifactSource = source_from_query(query)
    path = validate_artifact_path(single_value(query, "path"))
    kind = table_kind(path)
    limit = row_limit(optional_value(query, "limit"))
    head = await read_head(upstream, source, path, max_preview_bytes)
    if kind == PARQUET and not head.complete:
        raise too_large(path, head.size, max_preview_bytes, "a Parquet table is read whole")
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(
        None, table_preview, bytes(head.data), head.complete, kind, limit, posixpath.basename(path)
    )
