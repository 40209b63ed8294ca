"""A forwarding HTTP proxy in front of a real backend, following a fault script.

    with fault_proxy(backend.url) as proxy:
        proxy.fail("/runs/log-batch", 503, times=3, headers={"Retry-After": "1"})
        proxy.reset_after_commit("/runs/log-batch", times=1)
        proxy.delay("/runs/log-batch", seconds=20, times=1)
        proxy.refuse(); proxy.heal()      # port closed (connection refused) / open again
        proxy.blackhole(); proxy.heal()   # port listening but never accepting

A rule matches when the request path (query left out) ends with its suffix; rules are
tried in the order they were added and each acts ``times`` times. Every request is
recorded on arrival in ``proxy.requests`` (path with query) and ``proxy.exchanges``
(details; ``status`` is filled in when the answer is out).
"""

from __future__ import annotations

import http.client
import http.server
import json
import socket
import struct
import threading
import time
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field

from trackside.server.probe import free_port

# Hop-by-hop headers (RFC 9110 §7.6.1) are the proxy's own business, never forwarded.
HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "host",
        "content-length",
    }
)


@dataclass
class Rule:
    kind: str  # "fail" | "reset_after_commit" | "delay" | "slow_body"
    suffix: str
    times: int
    status: int = 0
    headers: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0


@dataclass
class Exchange:
    method: str
    path: str
    at: float  # time.monotonic() when the request arrived
    fault: str | None  # the rule kind applied, None when forwarded untouched
    status: int | None = None  # status the client got; None: not yet, reset, or client gone


class FaultProxy:
    def __init__(self, upstream: str, port: int) -> None:
        parsed = urllib.parse.urlsplit(upstream)
        self.upstream_host = parsed.hostname or "127.0.0.1"
        self.upstream_port = parsed.port or 80
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.requests: list[str] = []
        self.exchanges: list[Exchange] = []
        self._rules: list[Rule] = []
        self._lock = threading.Lock()
        self._server: http.server.ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._blackhole: socket.socket | None = None
        self._open: set[socket.socket] = set()

    # --- the script -------------------------------------------------------------------

    def fail(
        self, path_suffix: str, status: int, times: int, headers: dict[str, str] | None = None
    ) -> None:
        """Answer ``status`` (MLflow-shaped JSON error) without forwarding."""
        self._add(Rule("fail", path_suffix, times, status=status, headers=dict(headers or {})))

    def reset_after_commit(self, path_suffix: str, times: int) -> None:
        """Forward, let the backend answer (it has committed), then reset the client socket."""
        self._add(Rule("reset_after_commit", path_suffix, times))

    def delay(self, path_suffix: str, seconds: float, times: int) -> None:
        """Wait ``seconds`` before forwarding (a slow server)."""
        self._add(Rule("delay", path_suffix, times, seconds=seconds))

    def slow_body(self, path_suffix: str, seconds: float, times: int) -> None:
        """Forward, then send the answer's body one byte at a time over ``seconds`` (slow-loris)."""
        self._add(Rule("slow_body", path_suffix, times, seconds=seconds))

    def clear(self) -> None:
        with self._lock:
            self._rules.clear()

    def faulted(self, kind: str | None = None) -> list[Exchange]:
        return [e for e in self.exchanges if e.fault is not None and kind in (None, e.fault)]

    def _add(self, rule: Rule) -> None:
        with self._lock:
            self._rules.append(rule)

    def _take(self, path: str) -> Rule | None:
        with self._lock:
            for rule in self._rules:
                if rule.times > 0 and path.endswith(rule.suffix):
                    rule.times -= 1
                    return rule
        return None

    # --- the listening socket --------------------------------------------------------

    def start(self) -> None:
        self._drop_blackhole()
        proxy = self

        class Handler(_ProxyHandler):
            owner = proxy

        server = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        server.daemon_threads = True
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, daemon=True)
        self._thread.start()

    def refuse(self) -> None:
        """Close the port: new connections are refused, open ones are closed."""
        server, self._server = self._server, None
        if server is not None:
            server.shutdown()
            server.server_close()
        with self._lock:
            open_now, self._open = list(self._open), set()
        for connection in open_now:
            with suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)

    def blackhole(self) -> None:
        """A port that listens and never accepts: connections hang until the client gives up."""
        self.refuse()
        hole = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        hole.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        hole.bind(("127.0.0.1", self.port))
        hole.listen(1)
        self._blackhole = hole

    def heal(self) -> None:
        if self._server is None:
            self.refuse()
            self.start()

    def stop(self) -> None:
        self.refuse()
        self._drop_blackhole()

    def _drop_blackhole(self) -> None:
        hole, self._blackhole = self._blackhole, None
        if hole is not None:
            hole.close()


class _ProxyHandler(http.server.BaseHTTPRequestHandler):
    owner: FaultProxy
    protocol_version = "HTTP/1.1"  # keep-alive like a real server, so resets hit pooled sockets

    def setup(self) -> None:
        super().setup()
        with self.owner._lock:
            self.owner._open.add(self.connection)

    def finish(self) -> None:
        with self.owner._lock:
            self.owner._open.discard(self.connection)
        with suppress(OSError):
            super().finish()

    def _handle(self) -> None:
        owner = self.owner
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        path = self.path.split("?")[0]
        arrived = time.monotonic()
        owner.requests.append(self.path)
        rule = owner._take(path)
        exchange = Exchange(self.command, self.path, arrived, rule.kind if rule else None)
        owner.exchanges.append(exchange)
        if rule is not None and rule.kind == "fail":
            self._answer_error(rule)
            exchange.status = rule.status
            return
        if rule is not None and rule.kind == "delay":
            time.sleep(rule.seconds)
        status, headers, answer = self._forward(body)
        if rule is not None and rule.kind == "reset_after_commit":
            self._reset()
            return
        try:
            self.send_response(status)
            for name, value in headers:
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            if rule is not None and rule.kind == "slow_body" and answer:
                pause = rule.seconds / len(answer)
                for i in range(len(answer)):
                    self.wfile.write(answer[i : i + 1])
                    time.sleep(pause)
            else:
                self.wfile.write(answer)
        except OSError:  # the client gave up (its timeout) before the answer
            self.close_connection = True
            return
        exchange.status = status

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _handle

    def _forward(self, body: bytes) -> tuple[int, list[tuple[str, str]], bytes]:
        owner = self.owner
        connection = http.client.HTTPConnection(
            owner.upstream_host, owner.upstream_port, timeout=300
        )
        try:
            headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
            headers["Host"] = f"{owner.upstream_host}:{owner.upstream_port}"
            connection.request(self.command, self.path, body=body or None, headers=headers)
            response = connection.getresponse()
            answer = response.read()
            kept = [(k, v) for k, v in response.getheaders() if k.lower() not in HOP_BY_HOP]
            return response.status, kept, answer
        except OSError as error:
            message = json.dumps({"error_code": "BAD_GATEWAY", "message": f"proxy: {error}"})
            return 502, [("Content-Type", "application/json")], message.encode()
        finally:
            connection.close()

    def _answer_error(self, rule: Rule) -> None:
        codes = {400: "INVALID_PARAMETER_VALUE", 401: "UNAUTHENTICATED", 403: "PERMISSION_DENIED",
                 404: "RESOURCE_DOES_NOT_EXIST", 409: "RESOURCE_ALREADY_EXISTS",
                 429: "REQUEST_LIMIT_EXCEEDED"}  # fmt: skip
        payload = {
            "error_code": codes.get(rule.status, "INTERNAL_ERROR"),
            "message": f"fault proxy: scripted HTTP {rule.status}",
        }
        answer = json.dumps(payload).encode()
        self.send_response(rule.status)
        self.send_header("Content-Type", "application/json")
        for name, value in rule.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def _reset(self) -> None:
        # linger 0: close() sends RST instead of FIN, as when a middlebox drops the connection
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.close_connection = True
        self.connection.close()

    def log_message(self, format: str, *args: object) -> None:
        return


@contextmanager
def fault_proxy(upstream: str, port: int | None = None) -> Iterator[FaultProxy]:
    proxy = FaultProxy(upstream.rstrip("/"), port or free_port("127.0.0.1"))
    proxy.start()
    try:
        yield proxy
    finally:
        proxy.stop()
