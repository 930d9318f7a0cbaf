"""The network as a fuzz target's input: a server's answers made of the fuzzed bytes.

Per input, a round trip through a real socket would cost more than the code under test, so
the targets stop at the last line the SDK does not own: :class:`ScriptedChannel` answers
:meth:`~nrdp.channels.http.Channel.request` with :func:`nrdp.channels.http.answer` (what the
channel makes of the bytes it read: the response or the typed ``ServiceError`` of its error
body), signed with the session key as the backend signs; :class:`ScriptedTransport` answers
the segment path (``stream``, read chunk by chunk by the downloader) with
:class:`nrdp.testing.MemoryResponse`. Everything after that is the player's own code."""

from __future__ import annotations

import asyncio
import contextlib
import functools
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from mediacore.signed_message import SignedHeaders, read_headers, sign_response
from nrdp.channels.http import HttpResponse, answer
from nrdp.config import PlaybackChannelConfig
from nrdp.testing import FakeClock, MemoryResponse, MemoryTransport

STATUSES = (200, 200, 200, 200, 200, 200, 206, 204, 400, 401, 403, 404, 408, 410, 429, 500)
"""What the first byte of an input picks (mostly a success: the body is parsed then)."""


@functools.cache
def _loop() -> asyncio.AbstractEventLoop:
    return asyncio.new_event_loop()  # one for the process: a new loop per input costs more


def drive(coro: Any) -> Any:
    """Run ``coro`` to its end on this thread (the budget counts this thread's CPU)."""
    return _loop().run_until_complete(coro)


def status_of(data: bytes) -> int:
    return STATUSES[data[0] % len(STATUSES)] if data else 200


@dataclass(frozen=True)
class Reply:
    """One scripted answer."""

    body: bytes
    status: int = 200
    headers: Mapping[str, str] = field(default_factory=dict)


Script = Callable[[str, str], Reply]
"""``(method, url) -> Reply``: the server's answer to one request."""


class ScriptedChannel:
    """The part of :class:`~nrdp.channels.http.Channel` the API clients use; answers signed
    with ``key`` when the request was (as the backend does, so the body reaches the
    parser instead of failing the signature check)."""

    def __init__(self, script: Script, key: bytes | None = None) -> None:
        self.config = PlaybackChannelConfig()
        self.script = script
        self.key = key
        self.requests: list[tuple[str, str]] = []

    async def request(
        self,
        method: str,
        url: str,
        *,
        headers: Mapping[str, str] | None = None,
        prepare: Callable[[], Mapping[str, str]] | None = None,
        **ignored: Any,
    ) -> HttpResponse:
        """One answer from the script (the request's body and retry flag do not matter)."""
        sent = {**(headers or {}), **(dict(prepare()) if prepare is not None else {})}
        self.requests.append((method, url))
        reply = self.script(method, url)
        out = dict(reply.headers)
        signed = read_headers(sent)
        if self.key is not None and isinstance(signed, SignedHeaders):
            path = url.split("://", 1)[-1].partition("/")[2]
            h = sign_response(
                self.key,
                reply.status,
                "/" + path,
                reply.body,
                timestamp=signed.timestamp,
                nonce=signed.nonce,
            )
            out.update(h.as_dict())
        return answer(reply.status, url, out, reply.body)


class ScriptedTransport(MemoryTransport):
    """The segment transport of :class:`nrdp.testing.MemoryTransport`, but every request is
    answered by the script (any status, headers and body)."""

    def __init__(self, answers: Script, clock: FakeClock | None = None) -> None:
        super().__init__({}, clock=clock)
        self.answers = answers

    @contextlib.asynccontextmanager
    async def stream(
        self, method: str, url: str, *, headers: Mapping[str, str] | None = None
    ) -> AsyncIterator[MemoryResponse]:
        self.requests.append((url, dict(headers or {})))
        reply = self.answers(method, url)
        yield MemoryResponse(self, url, reply.status, reply.headers, reply.body, None)
