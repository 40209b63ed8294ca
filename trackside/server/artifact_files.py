"""Run artifacts and LoggedModel files, read from MLflow and served safely under the Jupyter origin.

- The file is named by a run id or a LoggedModel id and a relative path. The path is
  checked here, in its raw and percent-decoded forms, before any request goes upstream.
- The bytes come from the fixed upstream: ``/get-artifact`` for a run, and
  ``/ajax-api/2.0/mlflow/logged-models/<id>/artifacts/files`` for a LoggedModel (both
  work with proxied ``--artifacts-destination`` artifacts and honour ``Range``).
- Only allow-listed types are answered with their own content type; everything else
  (HTML, SVG, unknown) is ``application/octet-stream`` and an attachment. Every answer
  is ``nosniff``, ``Content-Security-Policy: sandbox`` and ``no-store``.
- The transfer is read from MLflow in ``Range`` chunks and each chunk is flushed to the
  browser before the next is asked for, so a large download never sits in memory.
"""

from __future__ import annotations

import contextlib
import json
import posixpath
import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Protocol
from urllib.parse import quote, unquote, urlencode

from tornado.httpclient import AsyncHTTPClient, HTTPClientError, HTTPRequest
from tornado.httputil import HTTPHeaders, parse_response_start_line

from .gateway import (
    MLFLOW_API_PREFIX,
    GatewayError,
    GatewayResponse,
    call_mlflow,
    mlflow_error,
    no_answer,
    redirected,
    single_value,
    unavailable,
    validate_model_id,
)
from .mlflow_validators import load, mlflow_messages, uri, validation
from .upstream import Upstream

DEFAULT_MAX_PREVIEW_BYTES = 10 * 1024 * 1024
CHUNK_BYTES = 4 * 1024 * 1024
MAX_PATH_LENGTH = 4096
ERROR_BODY_LIMIT = 64 * 1024
FILE_REQUEST_TIMEOUT = 120.0

TEXT = "text/plain; charset=utf-8"
OCTET_STREAM = "application/octet-stream"
# Extension (lower case) -> the content type a preview may be served with.
TEXT_EXTENSIONS = [
    ".txt",
    ".log",
    ".py",
    ".md",
    ".yaml",
    ".yml",
    ".toml",
    ".cfg",
    ".ini",
    ".csv",
    ".tsv",
    ".r",
    ".sql",
    ".sh",
    ".text",
    ".out",
    ".err",
]
CONTENT_TYPES: Mapping[str, str] = {
    **dict.fromkeys(TEXT_EXTENSIONS, TEXT),
    ".json": "application/json",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".ipynb": "application/x-ipynb+json",
    ".parquet": "application/vnd.apache.parquet",
}
# Files MLflow writes without an extension (or with a misleading one) that are text.
TEXT_FILE_NAMES = frozenset({"MLmodel", "requirements.txt", "conda.yaml", "python_env.yaml"})

SECURITY_HEADERS: Mapping[str, str] = {
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "sandbox",
    "Cache-Control": "no-store",
}

_DRIVE = re.compile(r"^[A-Za-z]:")
_BYTES_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")
_CONTENT_RANGE = re.compile(r"^bytes (\d+)-(\d+)/(\d+|\*)$")
_UNSATISFIED_RANGE = re.compile(r"^bytes \*/(\d+)$")


def _invalid(message: str) -> GatewayError:
    return GatewayError(400, "INVALID_PARAMETER_VALUE", message)


# -- what is asked for -----------------------------------------------------------------------


def validate_artifact_path(path: str, *, required: bool = True) -> str:
    """A relative artifact path that cannot leave its run's or model's artifact root."""
    if not path:
        if required:
            raise _invalid("Missing value for required parameter 'path'.")
        return path
    if len(path) > MAX_PATH_LENGTH:
        raise _invalid(f"The artifact path is longer than {MAX_PATH_LENGTH} characters.")
    # Check the path as given and as every decoding of it could read (%2e%2e, %252e%252e…).
    forms = [path]
    while len(forms) < 4 and unquote(forms[-1]) != forms[-1]:
        forms.append(unquote(forms[-1]))
    for form in forms:
        if any(ord(char) < 32 or ord(char) == 127 for char in form):
            raise _invalid(f"Invalid artifact path {path!r}: it contains a control character.")
        if "\\" in form:
            raise _invalid(f"Invalid artifact path {path!r}: use '/' to separate folders.")
        if form.startswith(("/", "~")) or _DRIVE.match(form) or "://" in form:
            raise _invalid(f"Invalid artifact path {path!r}: it must be relative.")
        if ".." in form.split("/"):
            raise _invalid(f"Invalid artifact path {path!r}: '..' is not allowed.")
    with mlflow_messages():  # and MLflow's own rule, which the server applies too
        uri().validate_path_is_safe(path)
    return path


@dataclass(frozen=True)
class ArtifactSource:
    """Whose artifacts: a run's (``run_id``) or a LoggedModel's (``model_id``)."""

    run_id: str | None = None
    model_id: str | None = None

    def file_url(self, upstream: Upstream, path: str) -> str:
        if self.model_id is not None:
            model = quote(self.model_id, safe="")
            return upstream.url(
                f"ajax-api/2.0/mlflow/logged-models/{model}/artifacts/files?"
                + urlencode({"artifact_file_path": path})
            )
        return upstream.url("get-artifact?" + urlencode({"run_id": self.run_id, "path": path}))


def source_from_query(query: Mapping[str, list[str]]) -> ArtifactSource:
    has_run, has_model = "run_id" in query, "model_id" in query
    if has_run == has_model:
        raise _invalid("Give exactly one of 'run_id' (a run's artifacts) or 'model_id'.")
    if has_model:
        return ArtifactSource(model_id=validate_model_id(single_value(query, "model_id")))
    run_id = single_value(query, "run_id")
    with mlflow_messages():
        validation()._validate_run_id(run_id)
    return ArtifactSource(run_id=run_id)


def optional_value(query: Mapping[str, list[str]], name: str) -> str | None:
    return single_value(query, name) if name in query else None


def content_type_for(path: str) -> tuple[str, bool]:
    """The content type to answer with, and whether it may be shown inline."""
    name = posixpath.basename(path)
    if name in TEXT_FILE_NAMES:
        return TEXT, True
    content_type = CONTENT_TYPES.get(posixpath.splitext(name)[1].lower())
    return (content_type, True) if content_type else (OCTET_STREAM, False)


def attachment_header(path: str) -> str:
    name = posixpath.basename(path) or "artifact"
    fallback = "".join(c if 32 <= ord(c) < 127 and c not in '"\\;' else "_" for c in name)
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"


@dataclass(frozen=True)
class ByteRange:
    """``bytes=start-end`` (end None: to the end of the file) or ``bytes=-suffix``."""

    start: int | None
    end: int | None

    def header(self, chunk: int) -> str:
        if self.start is None:
            return f"bytes=-{self.end}"
        last = self.start + chunk - 1
        return f"bytes={self.start}-{last if self.end is None else min(self.end, last)}"

    def resolve(self, size: int) -> tuple[int, int] | None:
        """First and last byte within a file of ``size`` bytes; None if unsatisfiable."""
        if self.start is None:
            assert self.end is not None
            return (max(size - self.end, 0), size - 1) if self.end > 0 and size > 0 else None
        if self.start >= size:
            return None
        return self.start, size - 1 if self.end is None else min(self.end, size - 1)


def parse_range(header: str | None) -> ByteRange | None:
    if header is None:
        return None
    match = _BYTES_RANGE.match(header.strip())
    if not match or match.groups() == ("", ""):
        raise _invalid(
            f"Unsupported Range {header!r}: Trackside serves one range, 'bytes=first-last', "
            "'bytes=first-' or 'bytes=-count'."
        )
    first, last = (int(g) if g else None for g in match.groups())
    if first is not None and last is not None and last < first:
        raise _invalid(f"Invalid Range {header!r}: the last byte comes before the first.")
    return ByteRange(first, last)


# -- one upstream request ----------------------------------------------------------------------


@dataclass
class _Part:
    """One answer from MLflow: its status, headers, and where its bytes start in the file."""

    status: int = 0
    headers: HTTPHeaders = field(default_factory=HTTPHeaders)
    error_body: bytearray = field(default_factory=bytearray)

    def content_range(self) -> tuple[int, int, int | None]:
        match = _CONTENT_RANGE.match(self.headers.get("Content-Range", ""))
        if not match:
            raise _bad_upstream("MLflow answered 206 without a valid Content-Range.")
        first, last, total = match.groups()
        return int(first), int(last), None if total == "*" else int(total)

    def unsatisfied_size(self) -> int | None:
        match = _UNSATISFIED_RANGE.match(self.headers.get("Content-Range", ""))
        return int(match.group(1)) if match else None

    def content_length(self) -> int | None:
        value = self.headers.get("Content-Length")
        return int(value) if value and value.isdigit() else None


def _bad_upstream(message: str) -> GatewayError:
    return GatewayError(502, "TRACKSIDE_BAD_UPSTREAM", message)


class _Stop(Exception):
    """Raised inside a streaming callback to end a transfer early."""


async def _fetch(
    upstream: Upstream,
    url: str,
    range_header: str | None,
    on_start: Callable[[_Part], bool],
    on_chunk: Callable[[bytes], None],
) -> _Part:
    """One GET to MLflow. ``on_start`` sees the status and headers before any byte and
    says whether the body goes to ``on_chunk``; otherwise its start is kept as an error."""
    part = _Part()
    started = passing = False
    stopped: list[_Stop] = []

    def header_line(line: str) -> None:
        if part.status == 0 and line.startswith("HTTP/"):
            part.status = parse_response_start_line(line.strip()).code
        elif line.strip():
            part.headers.parse_line(line)

    def start() -> None:
        nonlocal started, passing
        started = True
        passing = on_start(part)

    def chunk(data: bytes) -> None:
        try:
            if not started:
                start()
            if passing:
                on_chunk(data)
        except _Stop as stop:
            stopped.append(stop)
            raise
        if not passing and len(part.error_body) < ERROR_BODY_LIMIT:
            part.error_body.extend(data[: ERROR_BODY_LIMIT - len(part.error_body)])

    request = HTTPRequest(
        url,
        method="GET",
        headers={**upstream.headers, **({"Range": range_header} if range_header else {})},
        header_callback=header_line,
        streaming_callback=chunk,
        follow_redirects=False,
        decompress_response=False,
        connect_timeout=10.0,
        request_timeout=FILE_REQUEST_TIMEOUT,
    )
    try:
        response = await AsyncHTTPClient().fetch(request, raise_error=False)
    except Exception as err:
        if stopped:  # our own early end, whatever tornado reports for the cut connection
            raise stopped[0] from None
        if isinstance(err, (OSError, TimeoutError, HTTPClientError)):
            raise unavailable(upstream, err) from err
        raise
    if stopped:
        raise stopped[0]
    if response.code == 599:
        raise no_answer(upstream, response.error)
    if not started:
        start()
    return part


def _upstream_error(part: _Part) -> GatewayError:
    if 300 <= part.status < 400:
        return redirected()
    try:
        payload = json.loads(bytes(part.error_body) or b"{}")
    except (UnicodeDecodeError, ValueError):
        payload = {}
    if not isinstance(payload, dict):
        payload = {}
    if part.status < 400:
        return _bad_upstream(f"MLflow answered a file request with HTTP {part.status}.")
    error = mlflow_error(payload, part.status)
    return GatewayError(part.status, str(error["error_code"]), str(error["message"]))


# -- serving a file ---------------------------------------------------------------------------


class ResponseSink(Protocol):
    """What a tornado RequestHandler offers to answer a request."""

    def set_status(self, status_code: int) -> None: ...
    def set_header(self, name: str, value: str) -> None: ...
    def write(self, chunk: bytes) -> None: ...
    def flush(self) -> Awaitable[None]: ...


@dataclass(frozen=True)
class FileRequest:
    source: ArtifactSource
    path: str
    byte_range: ByteRange | None = None
    download: bool = False
    max_preview_bytes: int = DEFAULT_MAX_PREVIEW_BYTES


def file_request(
    query: Mapping[str, list[str]], range_header: str | None, max_preview_bytes: int
) -> FileRequest:
    source = source_from_query(query)
    path = validate_artifact_path(single_value(query, "path"))
    download = optional_value(query, "download") in ("1", "true")
    return FileRequest(source, path, parse_range(range_header), download, max_preview_bytes)


class FileRefusal(GatewayError):
    """A refused file request whose answer carries headers too (the file's size…)."""

    def __init__(
        self, status: int, error_code: str, message: str, headers: Mapping[str, str]
    ) -> None:
        super().__init__(status, error_code, message)
        self.headers = dict(headers)


def too_large(path: str, size: int | None, cap: int, why: str) -> FileRefusal:
    name = repr(posixpath.basename(path))
    what = f"{name} is {size} bytes, more than" if size is not None else f"{name} exceeds"
    return FileRefusal(
        413,
        "RESOURCE_EXHAUSTED",
        f"{what} the {cap}-byte preview limit: {why}.",
        {} if size is None else {"X-Trackside-File-Size": str(size)},
    )


def range_not_satisfiable(byte_range: ByteRange, size: int) -> FileRefusal:
    return FileRefusal(
        416,
        "INVALID_PARAMETER_VALUE",
        f"The range {byte_range.header(2**62)} is outside the file, which has {size} bytes.",
        {"Content-Range": f"bytes */{size}", "X-Trackside-File-Size": str(size)},
    )


class TransferCut(Exception):
    """The answer had started when MLflow failed: it can only be cut short."""


@dataclass
class _Transfer:
    """The answer being sent: the bytes ``first..last`` of a file of ``size`` bytes."""

    request: FileRequest
    sink: ResponseSink
    first: int = 0
    last: int = -1
    size: int | None = None
    position: int = 0  # offset in the file of the next upstream byte
    refusal: GatewayError | None = None
    failed: _Part | None = None  # an error answer: its body is read before it is judged

    def start(self, part: _Part) -> bool:
        """Decide the answer from MLflow's first response; False if it is a refusal."""
        request = self.request
        if part.status == 206:
            part_first, _, self.size = part.content_range()
            self.position = part_first
        elif part.status == 200:
            self.size, self.position = part.content_length(), 0
        elif part.status == 416 and (size := part.unsatisfied_size()) is not None:
            if request.byte_range is not None:
                self.refusal = range_not_satisfiable(request.byte_range, size)
                return False
            self.size = 0  # an empty file: MLflow cannot satisfy bytes=0-…
        else:
            self.failed = part
            return False
        size = self.size
        if request.byte_range is not None:
            if size is None:
                self.refusal = _bad_upstream("MLflow did not say how large the file is.")
                return False
            window = request.byte_range.resolve(size)
            if window is None:
                self.refusal = range_not_satisfiable(request.byte_range, size)
                return False
            self.first, self.last = window
        else:
            if size is not None and size > request.max_preview_bytes and not request.download:
                self.refusal = too_large(
                    request.path,
                    size,
                    request.max_preview_bytes,
                    "download it (download=1) or ask for a byte range",
                )
                return False
            self.first, self.last = 0, (size - 1 if size is not None else -1)
        self._commit()
        return True

    def _commit(self) -> None:
        request, sink = self.request, self.sink
        content_type, inline = content_type_for(request.path)
        sink.set_header("Content-Type", content_type)
        if not inline or request.download:
            sink.set_header("Content-Disposition", attachment_header(request.path))
        sink.set_header("Accept-Ranges", "bytes")
        if self.size is not None:
            sink.set_header("X-Trackside-File-Size", str(self.size))
            sink.set_header("Content-Length", str(max(self.last - self.first + 1, 0)))
        if request.byte_range is not None:
            sink.set_status(206)
            sink.set_header("Content-Range", f"bytes {self.first}-{self.last}/{self.size}")
        else:
            sink.set_status(200)

    def write(self, data: bytes) -> None:
        """Pass on the part of ``data`` (starting at ``position``) inside first..last."""
        start, self.position = self.position, self.position + len(data)
        if self.size is None:  # a length MLflow did not announce: enforce the cap as it comes
            if self.position > self.request.max_preview_bytes and not self.request.download:
                raise _Stop("over the preview limit")
            self.sink.write(data)
            return
        low, high = max(self.first - start, 0), min(self.last + 1 - start, len(data))
        if low < high:
            self.sink.write(data[low:high])

    def remaining(self) -> ByteRange | None:
        if self.size is None or self.position > self.last:
            return None
        return ByteRange(self.position, self.last)


async def send_file(upstream: Upstream, request: FileRequest, sink: ResponseSink) -> None:
    """Answer ``request`` on ``sink`` with the file's bytes, or raise a GatewayError
    (only before anything was sent: afterwards a failure can only cut the answer short)."""
    url = request.source.file_url(upstream, request.path)
    transfer = _Transfer(request, sink)
    first = request.byte_range or ByteRange(0, None)
    chunk = CHUNK_BYTES
    if request.byte_range is None and not request.download:
        chunk = min(CHUNK_BYTES, request.max_preview_bytes + 1)
    await _fetch(upstream, url, first.header(chunk), transfer.start, transfer.write)
    if transfer.failed is not None:
        raise _upstream_error(transfer.failed)
    if transfer.refusal is not None:
        raise transfer.refusal
    await sink.flush()
    while (rest := transfer.remaining()) is not None:
        expected = rest.start

        def next_part(part: _Part, expected: int = expected) -> bool:
            if part.status != 206 or part.content_range()[0] != expected:
                raise _Stop(f"MLflow answered HTTP {part.status} for bytes {expected}-")
            return True

        try:
            await _fetch(upstream, url, rest.header(CHUNK_BYTES), next_part, transfer.write)
        except (GatewayError, _Stop) as err:
            raise TransferCut(f"{request.path!r} cut short at byte {expected}: {err}") from err
        await sink.flush()


@dataclass
class _Head:
    data: bytearray
    size: int | None = None
    failed: _Part | None = None

    @property
    def complete(self) -> bool:
        return self.size is not None and self.size <= len(self.data)


async def read_head(upstream: Upstream, source: ArtifactSource, path: str, limit: int) -> _Head:
    """At most the first ``limit`` bytes of a file, and its size when MLflow says it."""
    data = bytearray()
    head = _Head(data=data)

    def start(part: _Part) -> bool:
        if part.status == 206:
            head.size = part.content_range()[2]
        elif part.status == 200:
            head.size = part.content_length()
        elif part.status == 416 and part.unsatisfied_size() == 0:
            head.size = 0
        else:
            head.failed = part
            return False
        return True

    def collect(chunk: bytes) -> None:
        data.extend(chunk[: limit - len(data)])
        if len(data) >= limit and head.size != len(data):
            raise _Stop("enough bytes")

    with contextlib.suppress(_Stop):
        url = source.file_url(upstream, path)
        await _fetch(upstream, url, f"bytes=0-{limit - 1}", start, collect)
    if head.failed is not None:
        raise _upstream_error(head.failed)
    return head


# -- listings -----------------------------------------------------------------------------


async def list_files(upstream: Upstream, query: Mapping[str, list[str]]) -> GatewayResponse:
    """The files under ``path`` of a run (MLflow's artifacts/list) or of a LoggedModel."""
    await load()
    source = source_from_query(query)
    path = validate_artifact_path(optional_value(query, "path") or "", required=False)
    if source.model_id is not None:
        model = quote(source.model_id, safe="")
        answer = await call_mlflow(
            upstream,
            f"{MLFLOW_API_PREFIX}logged-models/{model}/artifacts/directories",
            "GET",
            {"artifact_directory_path": [path]} if path else {},
            None,
        )
    else:
        assert source.run_id is not None
        arguments = {"run_id": [source.run_id], **({"path": [path]} if path else {})}
        answer = await call_mlflow(
            upstream, MLFLOW_API_PREFIX + "artifacts/list", "GET", arguments, None
        )
    if answer.status >= 400:
        return answer
    return GatewayResponse(answer.status, {"files": answer.body.get("files", [])})
