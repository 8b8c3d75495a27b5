"""A real HTTP/1.1 receiver on 127.0.0.1 for tests (asyncio streams, one request per connection).

It records every request (method, path, lower-cased headers, body) and answers, in order:
a route's fixed answer (`route(method, path, ...)`, for stand-ins of other services), else the next
queued answer (`respond(...)`), else 200. It can be stopped and started again on the same port, to
play an office server that is down for the first attempts. Answers may be large (`body_size`) to
check that a client reads only a bounded part of them.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections import deque
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

HOST = "127.0.0.1"
_REASONS = {200: "OK", 201: "Created", 204: "No Content", 302: "Found", 404: "Not Found", 410: "Gone"}


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass(frozen=True)
class Answer:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    body_size: int = 0  # extra filler bytes streamed after `body`
    delay: float = 0.0  # seconds the server waits before answering (a slow or hung endpoint)

    @classmethod
    def of_json(cls, status: int, document: Any) -> Answer:
        return cls(status, json.dumps(document).encode(), {"content-type": "application/json"})


class WebhookReceiver:
    def __init__(self) -> None:
        self.port = 0
        self.requests: list[RecordedRequest] = []
        self.queue: deque[Answer] = deque()
        self.routes: dict[tuple[str, str], Answer] = {}
        self._server: asyncio.Server | None = None
        self._handlers: set[asyncio.Task[None]] = set()

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def respond(self, *answers: Answer | int) -> None:
        self.queue.extend(a if isinstance(a, Answer) else Answer(a) for a in answers)

    def route(self, method: str, path: str, answer: Answer) -> None:
        self.routes[(method.upper(), path)] = answer

    def to(self, path: str) -> list[RecordedRequest]:
        return [r for r in self.requests if r.path == path]

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, HOST, self.port, reuse_address=True)
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            for task in list(self._handlers):  # a slow answer must not outlive the receiver
                task.cancel()
            await self._server.wait_closed()
            self._server = None

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._handlers.add(task)
            task.add_done_callback(self._handlers.discard)
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            method, path, _ = lines[0].split(" ", 2)
            headers: dict[str, str] = {}
            for line in lines[1:]:
                if ":" in line:
                    name, _, value = line.partition(":")
                    headers[name.strip().lower()] = value.strip()
            body = await reader.readexactly(int(headers.get("content-length", "0")))
            self.requests.append(RecordedRequest(method, path, headers, body))
            answer = self.routes.get((method, path)) or (self.queue.popleft() if self.queue else Answer())
            if answer.delay:
                await asyncio.sleep(answer.delay)
            await self._write(writer, answer)
        except (
            ConnectionError,
            asyncio.IncompleteReadError,
            asyncio.LimitOverrunError,
            asyncio.CancelledError,
        ):
            pass
        finally:
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()

    async def _write(self, writer: asyncio.StreamWriter, answer: Answer) -> None:
        length = len(answer.body) + answer.body_size
        head = [f"HTTP/1.1 {answer.status} {_REASONS.get(answer.status, 'Status')}"]
        head += [f"{k}: {v}" for k, v in answer.headers.items()]
        head += [f"content-length: {length}", "connection: close", "", ""]
        writer.write("\r\n".join(head).encode("latin-1") + answer.body)
        await writer.drain()
        chunk = b"x" * 65536
        remaining = answer.body_size
        while remaining > 0:
            writer.write(chunk[: min(remaining, len(chunk))])
            remaining -= len(chunk)
            await writer.drain()


@asynccontextmanager
async def webhook_receiver() -> AsyncIterator[WebhookReceiver]:
    receiver = WebhookReceiver()
    await receiver.start()
    try:
        yield receiver
    finally:
        await receiver.stop()
