"""Every row of the reliability checklist: a short title and its pass criterion, in our words."""

from __future__ import annotations

from typing import NamedTuple


class Row(NamedTuple):
    title: str
    criterion: str


ROWS: dict[str, Row] = {
    # A: faults — nothing lost, nothing duplicated, cells never blocked
    "A1": Row(
        "No server listening when logging starts",
        "log calls fast (p99 under 50 ms), no cell error; every point arrives once it starts",
    ),
    "A2": Row(
        "Server killed with SIGKILL while a run logs, started again later",
        "stored history equals what was logged; a single warning reaches the user",
    ),
    "A3": Row(
        "Server answers 429 with Retry-After, or 500/502/503/504, for a while",
        "retries back off with jitter and wait at least Retry-After; all points arrive once",
    ),
    "A4": Row(
        "Server refuses one batch with 400/401/403/404/409",
        "no retry loop; the batch is dead-lettered and reported; later batches still arrive",
    ),
    "A5": Row(
        "Server commits a batch, then the connection drops before the answer",
        "the retried batch leaves no extra point, NaN values included",
    ),
    "A6": Row(
        "Server too slow to answer (past the timeout, or a trickled body)",
        "requests give up at the configured timeout; cells not blocked; no leaked threads",
    ),
    "A7": Row(
        "Network partition: the port accepts nothing, then heals",
        "log calls stay fast; delivery resumes within one backoff cap; no burst of retries",
    ),
    "A8": Row(
        "Kernel killed with SIGKILL while points are still queued",
        "the next kernel or `trackside sync` sends the rest exactly once",
    ),
    "A9": Row(
        "Kernel shut down while the server is down",
        "shutdown ends within the flush timeout; unsent points stay in the journal",
    ),
    "A10": Row(
        "Journal cut short or with a flipped byte",
        "intact records recovered; the damaged one named by its sequence number; no crash",
    ),
    "A11": Row(
        "Journal disk full",
        "one visible warning; the documented policy holds; nothing dropped silently",
    ),
    "A12": Row(
        "Three or more kernels logging fast into one server",
        "history equals the union of what each kernel logged (SQLite locks only retried)",
    ),
    "A13": Row(
        "Replay into a deleted run, and into a finished run",
        "deleted: dead-lettered without a retry loop; finished: the replay is accepted",
    ),
    "A14": Row(
        "Steps out of order, or the same step twice",
        "behaves as documented; nothing dropped silently; charts ordered by step",
    ),
    "A15": Row(
        "Flood of live points through the comm",
        "no IOPub rate-limit message; the final chart equals the stored history",
    ),
    "A16": Row(
        "Kernel restarted or switched, or page reloaded, while a run streams",
        "live updates resume and no series appears twice",
    ),
    "A17": Row(
        "Embedded server lifecycle faults (port taken, mlflow missing, crash loop, Jupyter killed)",
        "a clear error, capped backoff, no orphan process, stale state cleaned up",
    ),
    "A18": Row(
        "Orphaned journal replayed when another MLflow server took the same address",
        "nothing sent to the other server: replay follows the server's identity, not its URI",
    ),
    # B: bad inputs — a defined outcome, valid data kept
    "B1": Row(
        "Invalid metric keys (`a?b`, `a//b`, `../a`, empty, None …)",
        "MLflow's own validation message at the call; valid entries of that call kept",
    ),
    "B2": Row(
        "Keys, params and tags at and one past MLflow's length limits",
        "at the limit stored unchanged; past it refused or cut as documented, with a warning",
    ),
    "B3": Row(
        "One call with thousands of metrics, hundreds of params and tags, a 2 MB param",
        "split into batches MLflow accepts; everything stored",
    ),
    "B4": Row(
        "Odd values: NaN, infinities, numpy and 0-d tensors, bool, Decimal, None, strings",
        "each one has its documented outcome",
    ),
    "B5": Row(
        "A cell run again with a different param value",
        "the documented outcome, without a 400 retry loop",
    ),
    "B6": Row("The same param key twice in one call", "sent once"),
    "B7": Row(
        "Negative timestamp, huge, fractional or negative step",
        "converted or refused by policy; never an invalid request sent",
    ),
    "B8": Row(
        "A retried batch holding a NaN and a new point",
        "exactly one NaN row and one new row stored",
    ),
    "B9": Row(
        "Malformed MLproject, model payloads, registry names, huge or binary artifacts",
        "a clear error in the UI; the server keeps working",
    ),
    # C: security probes
    "C1": Row("Trackside endpoints without a token or cookie", "403, and nothing reaches MLflow"),
    "C2": Row(
        "Cookie-authenticated POST without XSRF, as text/plain, or from a foreign Origin",
        "refused",
    ),
    "C3": Row("Origin that only ends like a trusted one", "refused: origins must match in full"),
    "C4": Row(
        "Request forgery toward other hosts (absolute URLs, encodings, Host header, redirects)",
        "refused or not followed; only the configured MLflow is ever contacted",
    ),
    "C5": Row(
        "MLflow operations outside Trackside's allow-list",
        "403/404 from Trackside; nothing reaches MLflow",
    ),
    "C6": Row(
        "Script reflected through paths and error messages",
        "JSON with nosniff, nothing reflected unescaped, no dialog in the browser",
    ),
    "C7": Row("Websocket upgrade to a Trackside endpoint without auth", "refused"),
    "C8": Row(
        "Script stored in run names, keys, tags, params, model names, descriptions, MLproject",
        "shown as text in the panel and charts; nothing runs; no injected ids or names",
    ),
    "C9": Row(
        "Artifacts with active content (HTML, SVG, script in YAML)",
        "never active under Jupyter's origin; served as attachment, sandboxed, nosniff",
    ),
    "C10": Row(
        "Secrets in answers, panel state, comm messages and logs",
        "no credentials, tokens or passworded URIs anywhere, errors included",
    ),
    "C11": Row(
        "Rebinding or cross-origin calls to the embedded server",
        "foreign Host and Origin refused",
    ),
    "C12": Row(
        "Another local process talks to the embedded server without credentials",
        "refused or unreachable, as documented",
    ),
    "C13": Row(
        "Read-only Jupyter authorizer",
        "reads allowed; every write (registry, serving, projects) answers 403",
    ),
    "C14": Row(
        "Dependency floors in CI",
        "mlflow and jupyter_server above their last fixed advisories, enforced",
    ),
    "C15": Row(
        "Project runs and serving with outside paths, shell metacharacters, remote URIs",
        "refused unless configured; arguments passed as argv, never through a shell",
    ),
}
