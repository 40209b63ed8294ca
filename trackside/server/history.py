"""Metric history as Apache Arrow, read completely from MLflow and downsampled.

The points come from MLflow's REST API (paged), or straight from the embedded
backend's store when Trackside runs it (:mod:`.history_store`, much faster).

Downsampling is :func:`trackside.wire.bucket_indices`: each bucket of steps keeps
its first, last, minimum and maximum, so spikes survive (MLflow's own UI samples by
step stride and loses them). A series with at most ``max_points`` points is returned
exactly.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlencode

import numpy as np
from tornado.httpclient import AsyncHTTPClient, HTTPRequest

from .. import wire
from .gateway import MLFLOW_API_PREFIX, GatewayError
from .history_store import StoreHistoryReader
from .upstream import Upstream

logger = logging.getLogger("trackside")

ARROW_STREAM_MIMETYPE = "application/vnd.apache.arrow.stream"
PAGE_SIZE = 25_000
DEFAULT_MAX_POINTS = 4_000
MAX_SERIES = 100


@dataclass(frozen=True)
class HistoryRequest:
    run_ids: Sequence[str]
    keys: Sequence[str]
    start_step: float | None = None
    end_step: float | None = None
    max_points: int = DEFAULT_MAX_POINTS


@dataclass
class Series:
    step: np.ndarray
    timestamp: np.ndarray
    value: np.ndarray

    def __len__(self) -> int:
        return len(self.step)


def parse_request(arguments: dict[str, list[bytes]]) -> HistoryRequest:
    """Validate the query of ``GET /trackside/api/metrics/history``."""

    def values(name: str) -> list[str]:
        return [v.decode("utf-8") for v in arguments.get(name, []) if v]

    def number(name: str) -> float | None:
        raw = values(name)
        if not raw:
            return None
        try:
            return float(raw[-1])
        except ValueError as err:
            raise GatewayError(
                400, "INVALID_PARAMETER_VALUE", f"'{name}' must be a number, got {raw[-1]!r}."
            ) from err

    run_ids, keys = values("run_id"), values("key")
    if not run_ids or not keys:
        raise GatewayError(
            400, "INVALID_PARAMETER_VALUE", "Give at least one 'run_id' and one 'key'."
        )
    if len(run_ids) * len(keys) > MAX_SERIES:
        raise GatewayError(
            400,
            "INVALID_PARAMETER_VALUE",
            f"At most {MAX_SERIES} series (runs times keys) at once.",
        )
    max_points = number("max_points")
    if max_points is not None and not 4 <= max_points <= 10_000_000:
        raise GatewayError(
            400, "INVALID_PARAMETER_VALUE", "'max_points' must be between 4 and 10,000,000."
        )
    return HistoryRequest(
        run_ids=list(dict.fromkeys(run_ids)),
        keys=list(dict.fromkeys(keys)),
        start_step=number("start_step"),
        end_step=number("end_step"),
        max_points=int(max_points) if max_points is not None else DEFAULT_MAX_POINTS,
    )


async def fetch_series(upstream: Upstream, run_id: str, key: str) -> Series:
    """Every point of one metric of one run, paging through MLflow's get-history."""
    client = AsyncHTTPClient()
    loop = asyncio.get_running_loop()
    steps: list[np.ndarray] = []
    stamps: list[np.ndarray] = []
    values: list[np.ndarray] = []
    token: str | None = None
    while True:
        query = {"run_id": run_id, "metric_key": key, "max_results": str(PAGE_SIZE)}
        if token:
            query["page_token"] = token
        request = HTTPRequest(
            upstream.url(MLFLOW_API_PREFIX + "metrics/get-history?" + urlencode(query)),
            headers={"Accept": "application/json", **upstream.headers},
            follow_redirects=False,
            connect_timeout=10.0,
            request_timeout=120.0,
        )
        response = await client.fetch(request, raise_error=False)
        if response.code == 599 or response.code >= 300:
            raise _upstream_error(upstream, response.code, response.body, response.error)
        # Parsing a 25k-point page is CPU work: keep it off the event loop.
        page, token = await loop.run_in_executor(None, _parse_page, response.body)
        steps.append(page[0])
        stamps.append(page[1])
        values.append(page[2])
        if not token:
            break
    series = Series(np.concatenate(steps), np.concatenate(stamps), np.concatenate(values))
    order = np.lexsort((series.timestamp, series.step))
    return Series(series.step[order], series.timestamp[order], series.value[order])


def _parse_page(body: bytes) -> tuple[tuple[np.ndarray, np.ndarray, np.ndarray], str | None]:
    payload = json.loads(body or b"{}")
    metrics = payload.get("metrics") or []
    count = len(metrics)
    step = np.empty(count, dtype=np.float64)
    stamp = np.empty(count, dtype=np.float64)
    value = np.empty(count, dtype=np.float64)
    for i, metric in enumerate(metrics):
        step[i] = float(metric.get("step", 0))
        stamp[i] = float(metric.get("timestamp", 0))
        # MLflow's JSON carries NaN and infinities as the strings "NaN", "Infinity".
        value[i] = float(metric.get("value", "NaN"))
    # MLflow's SQL store saves ±inf as ±DBL_MAX; give the infinities back.
    largest = np.finfo(np.float64).max
    value[value == largest] = np.inf
    value[value == -largest] = -np.inf
    return (step, stamp, value), payload.get("next_page_token") or None


def _upstream_error(
    upstream: Upstream, code: int, body: bytes | None, error: BaseException | None
) -> GatewayError:
    if code == 599:
        return GatewayError(
            502,
            "TRACKSIDE_BACKEND_UNAVAILABLE",
            f"The MLflow server at {upstream.public_uri} cannot be reached: {error}",
        )
    try:
        payload = json.loads(body or b"{}")
        return GatewayError(
            code if code >= 400 else 502,
            str(payload.get("error_code") or "INTERNAL_ERROR"),
            str(payload.get("message") or f"MLflow answered HTTP {code}"),
        )
    except (ValueError, AttributeError):
        return GatewayError(502, "TRACKSIDE_BAD_UPSTREAM", f"MLflow answered HTTP {code}.")


def select_range(series: Series, start: float | None, end: float | None) -> Series:
    if start is None and end is None:
        return series
    lo = 0 if start is None else int(np.searchsorted(series.step, start, side="left"))
    hi = len(series) if end is None else int(np.searchsorted(series.step, end, side="right"))
    return Series(series.step[lo:hi], series.timestamp[lo:hi], series.value[lo:hi])


def shape(series: Series, request: HistoryRequest) -> Series:
    window = select_range(series, request.start_step, request.end_step)
    keep = wire.bucket_indices(window.step, window.value, request.max_points)
    return Series(window.step[keep], window.timestamp[keep], window.value[keep])


async def read_series(
    upstream: Upstream, store: StoreHistoryReader | None, run_id: str, key: str
) -> Series:
    """Every point of one metric of one run: from the store if there is one and it
    has the series, else (and on any store failure) from MLflow's REST API, which
    also gives MLflow's own errors for unknown runs."""
    if store is not None:
        loop = asyncio.get_running_loop()
        try:
            step, stamp, value = await loop.run_in_executor(None, store.read, run_id, key)
        except Exception as err:  # any store trouble: the REST path
            logger.warning("Trackside: reading %s/%s from the store failed: %s", run_id, key, err)
        else:
            if len(step):
                return Series(step, stamp, value)
    return await fetch_series(upstream, run_id, key)


async def history_arrow(
    upstream: Upstream, request: HistoryRequest, store: StoreHistoryReader | None = None
) -> bytes:
    pairs = [(run, key) for run in request.run_ids for key in request.keys]
    fetched = await asyncio.gather(*(read_series(upstream, store, run, key) for run, key in pairs))
    loop = asyncio.get_running_loop()

    def build() -> bytes:
        shaped = (shape(s, request) for s in fetched)
        columns = wire.columns_of_series(
            {pair: (s.step, s.timestamp, s.value) for pair, s in zip(pairs, shaped, strict=True)}
        )
        return wire.encode(columns).to_pybytes()

    return await loop.run_in_executor(None, build)
