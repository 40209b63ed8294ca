"""What is displayed under a ``%%mlflow`` cell, and the ``%mlflow open`` message.

Every value from a run is passed through :func:`html.escape`; the frontend finds the
"Open in Trackside" button by its ``data-trackside-*`` attributes.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from html import escape
from typing import Any

OPEN_MIMETYPE = "application/vnd.trackside.open+json"
RUN_MIMETYPE = "application/vnd.trackside.run+json"
MAX_ROWS = 20


@dataclass
class RunSummary:
    run_id: str
    experiment_id: str
    run_name: str
    status: str
    params: dict[str, str] = field(default_factory=dict)
    metrics: dict[str, float] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def format_number(value: float) -> str:
    if math.isnan(value):
        return "nan"
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    if value == int(value) and abs(value) < 1e15:
        return str(int(value))
    return f"{value:.6g}"


def _rows(items: Mapping[str, str]) -> tuple[list[tuple[str, str]], int]:
    pairs = list(items.items())
    return pairs[:MAX_ROWS], max(0, len(pairs) - MAX_ROWS)


def _text_block(title: str, items: Mapping[str, str]) -> list[str]:
    if not items:
        return []
    rows, more = _rows(items)
    lines = [f"  {title}: " + ", ".join(f"{k}={v}" for k, v in rows)]
    if more:
        lines[-1] += f", … and {more} more"
    return lines


def _html_block(title: str, items: Mapping[str, str]) -> str:
    if not items:
        return ""
    rows, more = _rows(items)
    cells = "".join(
        f'<tr><th scope="row">{escape(k)}</th><td>{escape(v)}</td></tr>' for k, v in rows
    )
    if more:
        cells += f'<tr><td colspan="2">… and {more} more</td></tr>'
    return (
        f'<table class="jp-Trackside-SummaryTable"><caption>{escape(title)}</caption>'
        f"<tbody>{cells}</tbody></table>"
    )


def summary_bundle(summary: RunSummary) -> dict[str, Any]:
    """A mimebundle: escaped HTML, text/plain and a JSON form for the frontend."""
    metrics = {k: format_number(v) for k, v in summary.metrics.items()}
    name = summary.run_name or summary.run_id
    text = [f"MLflow run {name} ({summary.run_id}) {summary.status}"]
    text += _text_block("params", summary.params)
    text += _text_block("metrics", metrics)
    run_id = escape(summary.run_id, quote=True)
    experiment_id = escape(summary.experiment_id, quote=True)
    data = f'data-trackside-run-id="{run_id}" data-trackside-experiment-id="{experiment_id}"'
    html = (
        f'<div class="jp-Trackside-RunSummary" {data}>'
        f'<div class="jp-Trackside-RunSummary-header"><strong>{escape(name)}</strong> '
        f'<span class="jp-Trackside-RunSummary-status">{escape(summary.status)}</span> '
        f"<code>{escape(summary.run_id)}</code> "
        f'<button type="button" class="jp-Trackside-OpenRun" {data}>Open in Trackside</button>'
        "</div>"
        f"{_html_block('Params', summary.params)}{_html_block('Metrics', metrics)}"
        "</div>"
    )
    return {
        "text/plain": "\n".join(text),
        "text/html": html,
        RUN_MIMETYPE: {
            "run_id": summary.run_id,
            "experiment_id": summary.experiment_id,
            "run_name": summary.run_name,
            "status": summary.status,
            "params": dict(_rows(summary.params)[0]),
            "metrics": dict(_rows(metrics)[0]),
        },
    }


def open_bundle(run_id: str, experiment_id: str) -> dict[str, Any]:
    """The ``%mlflow open`` message: the frontend opens the run in its panel."""
    return {
        OPEN_MIMETYPE: {"run_id": run_id, "experiment_id": experiment_id},
        "text/plain": f"Open MLflow run {run_id} (experiment {experiment_id}) in Trackside",
    }
