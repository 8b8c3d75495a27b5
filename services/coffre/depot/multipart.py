"""Streaming `multipart/form-data` reader for the acte deposit (RFC 7578).

The request body is fed chunk by chunk to `python-multipart`'s push parser; its callbacks only queue
small events (part start, header, data slice, part end), which `parts()` turns into `Part`s whose
`chunks()` pull the body forward as they are consumed. Nothing is buffered beyond one network chunk:
a part's content goes straight to its consumer (the blob store hashes and writes it), so a 50 MB
document never sits in memory. Small text parts (the JSON metadata) are read with `read_small`, which
has its own bound.

Threat model: the body is hostile. The boundary must be declared; header count and size are bounded
by the parser; a part must be fully consumed (or explicitly drained) before the next one is
reached; a truncated body (no closing boundary) is an error, never a silently shorter document.
"""

from __future__ import annotations

from collections import deque
from collections.abc import AsyncIterable, AsyncIterator
from dataclasses import dataclass, field

from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header

from services.coffre.errors import MultipartInvalide
from shared.errors import TropVolumineux, TypeNonSupporte

_BEGIN, _HEADER, _DATA, _END, _DONE = range(5)


@dataclass
class Part:
    name: str
    filename: str | None
    content_type: str
    _reader: MultipartReader = field(repr=False)
    _finished: bool = False

    async def chunks(self) -> AsyncIterator[bytes]:
        """The part's content, chunk by chunk, as it arrives."""
        while not self._finished:
            kind, data = await self._reader._next_event()
            if kind == _DATA:
                yield data
            elif kind == _END:
                self._finished = True
            else:  # pragma: no cover - the parser always ends a part before starting another
                raise MultipartInvalide("Corps multipart mal formé.")

    async def read_small(self, limit: int) -> bytes:
        out = bytearray()
        async for chunk in self.chunks():
            out += chunk
            if len(out) > limit:
                raise TropVolumineux(f"La partie « {self.name} » dépasse {limit} octets.")
        return bytes(out)

    async def drain(self) -> None:
        async for _ in self.chunks():
            pass


def boundary_of(content_type: str | None) -> bytes:
    mime, options = parse_options_header(content_type or "")
    if mime != b"multipart/form-data":
        raise TypeNonSupporte("Le dépôt d'un acte attend un corps multipart/form-data.")
    boundary = options.get(b"boundary")
    if not boundary:
        raise MultipartInvalide("Le corps multipart ne déclare pas de frontière (boundary).")
    return boundary


class MultipartReader:
    """Pull-style view of a pushed parser: `async for part in reader.parts()`."""

    def __init__(self, body: AsyncIterable[bytes], boundary: bytes) -> None:
        self._body = body.__aiter__()
        self._events: list[tuple[int, bytes]] = []
        self._pos = 0
        self._eof = False
        self._field = b""
        self._value = b""
        self._headers: dict[bytes, bytes] = {}
        self._header_sets: deque[dict[bytes, bytes]] = deque()
        self._parser = MultipartParser(
            boundary,
            {
                "on_part_begin": lambda: self._events.append((_BEGIN, b"")),
                "on_part_data": lambda d, s, e: self._events.append((_DATA, bytes(d[s:e]))),
                "on_part_end": lambda: self._events.append((_END, b"")),
                "on_header_field": self._on_field,
                "on_header_value": self._on_value,
                "on_header_end": self._on_header_end,
                "on_headers_finished": self._on_headers_finished,
                "on_end": lambda: self._events.append((_DONE, b"")),
            },
        )

    def _on_field(self, data: bytes, start: int, end: int) -> None:
        self._field += data[start:end]

    def _on_value(self, data: bytes, start: int, end: int) -> None:
        self._value += data[start:end]

    def _on_header_end(self) -> None:
        self._headers[self._field.lower()] = self._value
        self._field, self._value = b"", b""

    def _on_headers_finished(self) -> None:
        self._header_sets.append(self._headers)
        self._headers = {}
        self._events.append((_HEADER, b""))

    async def _next_event(self) -> tuple[int, bytes]:
        while self._pos >= len(self._events):
            self._events.clear()
            self._pos = 0
            if self._eof:
                raise MultipartInvalide("Le corps multipart est tronqué (frontière finale absente).")
            try:
                chunk = await self._body.__anext__()
            except StopAsyncIteration:
                self._eof = True
                self._parser.finalize()
                continue
            try:
                self._parser.write(chunk)
            except MultipartParseError as exc:
                raise MultipartInvalide("Corps multipart mal formé.") from exc
        event = self._events[self._pos]
        self._pos += 1
        return event

    async def parts(self) -> AsyncIterator[Part]:
        previous: Part | None = None
        while True:
            if previous is not None and not previous._finished:
                await previous.drain()
            kind, _ = await self._next_event()
            if kind == _DONE:
                return
            if kind != _BEGIN:
                raise MultipartInvalide("Corps multipart mal formé.")
            kind, _ = await self._next_event()
            if kind != _HEADER:  # pragma: no cover - the parser always reports headers first
                raise MultipartInvalide("Corps multipart mal formé.")
            previous = self._part(self._header_sets.popleft())
            yield previous

    def _part(self, headers: dict[bytes, bytes]) -> Part:
        disposition = headers.get(b"content-disposition", b"")
        kind, options = parse_options_header(disposition)
        if kind != b"form-data" or b"name" not in options:
            raise MultipartInvalide("Chaque partie doit porter Content-Disposition: form-data; name=...")
        filename = options.get(b"filename")
        return Part(
            name=options[b"name"].decode("utf-8", "replace"),
            filename=filename.decode("utf-8", "replace") if filename is not None else None,
            content_type=headers.get(b"content-type", b"application/octet-stream").decode("latin-1"),
            _reader=self,
        )
