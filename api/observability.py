"""Request ids, structured JSON logs, Prometheus metrics and a request body limit."""

from __future__ import annotations

import asyncio
import json
import logging
import re
import time
import uuid
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.problems import RETRYABLE_HEADER

log = logging.getLogger("werkmatch.access")


def hide_sql_parameters(text: str) -> str:
    """Database errors quote the statement's parameters (free text, names): logs keep the statement only."""
    return re.sub(r"\[parameters: [^\n]*", "[parameters: hidden]", text)


class JsonFormatter(logging.Formatter):
    """One JSON object per log line."""

    def format(self, record: logging.LogRecord) -> str:
        """Format a record as JSON."""
        out: dict[str, Any] = {
            "ts": self.formatTime(record),
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        out.update(getattr(record, "extra_fields", {}))
        if record.exc_info:
            out["exc"] = hide_sql_parameters(self.formatException(record.exc_info))
        return json.dumps(out, ensure_ascii=False)


def setup_logging() -> None:
    """JSON logs on stderr for the werkmatch loggers."""
    root = logging.getLogger("werkmatch")
    if not any(isinstance(h.formatter, JsonFormatter) for h in root.handlers):
        handler = logging.StreamHandler()
        handler.setFormatter(JsonFormatter())
        root.addHandler(handler)
        root.setLevel(logging.INFO)
        root.propagate = False


class Metrics:
    """The app's Prometheus metrics (own registry, so several apps can live in one process)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "werkmatch_http_requests_total", "HTTP requests", ["method", "route", "status"], registry=self.registry
        )
        self.latency = Histogram(
            "werkmatch_http_request_seconds",
            "HTTP request latency",
            ["method", "route"],
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
            registry=self.registry,
        )
        self.index_size = Gauge("werkmatch_index_size", "Profiles in the index", ["kind"], registry=self.registry)
        self.model = Gauge("werkmatch_model_info", "Embedding model in use", ["version"], registry=self.registry)
        self.retries = Counter(
            "werkmatch_read_retries_total", "Reads run again after the database was away", registry=self.registry
        )
        self.in_flight: dict[int, float] = {}
        """Requests being handled now: id → start (``time.monotonic``); ``/ready`` looks for stuck ones."""

    def oldest_request_seconds(self, *, besides: int | None = None) -> float:
        """How long the longest-running request (other than ``besides``) has been running, 0 when none."""
        now = time.monotonic()
        return max((now - t for key, t in list(self.in_flight.items()) if key != besides), default=0.0)


def security_headers(*, form_targets: tuple[str, ...] = ()) -> list[tuple[bytes, bytes]]:
    """Headers on every answer; ``form_targets``: origins a form may lead to besides this one (the OpenID
    provider, where signing out ends its session too: browsers apply ``form-action`` to the redirect)."""
    form_action = " ".join(("'self'", *form_targets))
    return [
        (b"x-content-type-options", b"nosniff"),
        (b"referrer-policy", b"no-referrer"),
        (b"x-frame-options", b"DENY"),
        (
            b"content-security-policy",
            b"default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
            b"script-src 'self' 'unsafe-inline'; frame-ancestors 'none'; form-action "
            + form_action.encode()
            + b"; base-uri 'none'",
        ),
    ]


SECURITY_HEADERS = security_headers()
PERSONAL_PATHS = ("/ui", "/v1/")
"""Answers that may carry personal data are never stored by browsers or proxies."""
READ_RETRY_DELAYS = (0.25, 0.5, 1.0, 2.0)
"""A read that met an unavailable database (a restart, a full pool) runs again after these pauses (3.75 s in
all, longer than a PostgreSQL fast restart) before its 503 goes out; writes are never run twice."""
RETRYABLE = RETRYABLE_HEADER.encode()


class RequestMiddleware:
    """Adds a request id, limits the body size, logs and measures every request (pure ASGI)."""

    def __init__(
        self, app: ASGIApp, *, metrics: Metrics, max_body: int, headers: list[tuple[bytes, bytes]] | None = None
    ) -> None:
        self.app = app
        self.metrics = metrics
        self.max_body = max_body
        self.headers = SECURITY_HEADERS if headers is None else headers

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        rid = headers.get(b"x-request-id", b"").decode()[:64] or uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = rid
        query = scope.get("query_string", b"").lower()
        if b"%00" in query or b"\x00" in query or "\x00" in scope["path"]:
            await _problem(send, 422, "Unprocessable Content", "the query holds a NUL character", rid)
            return
        length = headers.get(b"content-length")
        if length and length.isdigit() and int(length) > self.max_body:
            await _problem(send, 413, "Content Too Large", f"request body over {self.max_body} bytes", rid)
            return
        received = 0

        async def read_limited() -> Message:
            nonlocal received
            msg = await receive()
            if msg["type"] == "http.request":
                received += len(msg.get("body", b""))
                if received > self.max_body:
                    raise _TooLarge()
            return msg

        limited_receive: Receive
        if headers.get(b"content-type", b"").startswith(b"application/x-www-form-urlencoded"):
            # A web form is small: read it here, and refuse a field with a NUL (PostgreSQL cannot store one; the
            # JSON API's schemas refuse it too) before any page sees it.
            try:
                form = await _whole_body(read_limited)
            except _TooLarge:
                await _problem(send, 413, "Content Too Large", f"request body over {self.max_body} bytes", rid)
                return
            if b"%00" in form:
                await _problem(send, 422, "Unprocessable Content", "a form field holds a NUL character", rid)
                return
            limited_receive = _replay(receive, form)
        else:
            limited_receive = read_limited

        status = 500
        start = time.perf_counter()
        key = id(scope)
        self.metrics.in_flight[key] = time.monotonic()
        retry = scope["method"] in ("GET", "HEAD") and scope["path"] not in ("/health", "/ready")
        attempts = len(READ_RETRY_DELAYS) + 1 if retry else 1
        try:
            for attempt in range(attempts):
                swallowed = False

                async def send_wrapper(message: Message, last: bool = attempt == attempts - 1) -> None:
                    nonlocal status, swallowed
                    if message["type"] == "http.response.start":
                        out = [(k, v) for k, v in message.get("headers", []) if k.lower() != RETRYABLE]
                        if len(out) != len(message.get("headers", [])) and not last:
                            swallowed = True  # a read the database was away for: run it again
                            return
                        status = message["status"]
                        out.append((b"x-request-id", rid.encode()))
                        out.extend(self.headers)
                        if scope["path"].startswith(PERSONAL_PATHS):
                            out.append((b"cache-control", b"no-store"))
                        message["headers"] = out
                    elif swallowed:
                        return
                    await send(message)

                await self.app(scope, limited_receive if attempt == 0 else _replay(receive), send_wrapper)
                if not swallowed:
                    break
                self.metrics.retries.inc()
                await asyncio.sleep(READ_RETRY_DELAYS[attempt])
        except _TooLarge:
            status = 413
            await _problem(send, 413, "Content Too Large", f"request body over {self.max_body} bytes", rid)

        finally:
            self.metrics.in_flight.pop(key, None)
            elapsed = time.perf_counter() - start
            route = scope.get("route")
            path = getattr(route, "path", "unmatched")
            self.metrics.requests.labels(scope["method"], path, str(status)).inc()
            self.metrics.latency.labels(scope["method"], path).observe(elapsed)
            state = scope.get("state", {})
            log.info(
                "request",
                extra={
                    "extra_fields": {
                        "request_id": rid,
                        "method": scope["method"],
                        "path": scope["path"],
                        "route": path,
                        "status": status,
                        "ms": round(elapsed * 1000, 1),
                        "user_id": state.get("user_id"),
                    }
                },
            )


class _TooLarge(Exception):
    pass


async def _whole_body(receive: Receive) -> bytes:
    chunks: list[bytes] = []
    while True:
        msg = await receive()
        if msg["type"] != "http.request":
            break
        chunks.append(msg.get("body", b""))
        if not msg.get("more_body", False):
            break
    return b"".join(chunks)


def _replay(receive: Receive, body: bytes = b"") -> Receive:
    """A body read already (empty for a read that runs again) once more, then the client's own messages."""
    sent = False

    async def again() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return again


async def _problem(send: Send, status: int, title: str, detail: str, rid: str) -> None:
    body = json.dumps({"type": "about:blank", "title": title, "status": status, "detail": detail}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/problem+json"),
                (b"x-request-id", rid.encode()),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
