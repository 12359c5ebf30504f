"""Hooks into ``requests``, ``httpx`` and ``urllib.request`` that hand SMSC requests to a mock.

While at least one :class:`~._mock.SmscMock` is active, these are patched:

* ``requests.adapters.HTTPAdapter.send`` (every ``requests`` session mounts it, as
  ``responses`` patches it);
* ``httpx.HTTPTransport.handle_request`` and ``httpx.AsyncHTTPTransport.handle_async_request``
  (the default transports of ``httpx.Client`` and ``httpx.AsyncClient``, as ``respx`` mocks
  them);
* ``urllib.request.OpenerDirector.open`` (``urlopen`` and every built opener).

A request to an SMSC host of the innermost active mock is answered by it, with no socket; any
other request goes on to the original method (and so to the network guard). A library that is
not installed is skipped. Inside :func:`passthrough` (the recorder uses it) nothing is
intercepted.
"""

from __future__ import annotations

import contextlib
import contextvars
import email.message
import http.client
import io
import socket
import threading
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

from ._mock import HttpAnswer, SmscMock

_ACTIVE: list[SmscMock] = []
_UNDO: list[Callable[[], None]] = []
_LOCK = threading.Lock()
_BYPASS: contextvars.ContextVar[bool] = contextvars.ContextVar("smsc_bypass", default=False)


def current(url: str) -> SmscMock | None:
    """The active mock that answers ``url``, or None to let the request go on."""
    if _BYPASS.get():
        return None
    for mock in reversed(_ACTIVE):
        if mock.handles(url):
            return mock
        break  # the innermost mock decides alone
    return None


@contextlib.contextmanager
def passthrough() -> Iterator[None]:
    """Within the block, requests to SMSC hosts go to the network (for the recorder)."""
    token = _BYPASS.set(True)
    try:
        yield
    finally:
        _BYPASS.reset(token)


@contextlib.contextmanager
def intercept(mock: SmscMock) -> Iterator[SmscMock]:
    """Within the block, ``mock`` answers the requests to its hosts."""
    with _LOCK:
        if not _ACTIVE:
            _UNDO.extend(f() for f in (_patch_requests, _patch_httpx, _patch_urllib))
        _ACTIVE.append(mock)
    try:
        yield mock
    finally:
        with _LOCK:
            _ACTIVE.remove(mock)
            if not _ACTIVE:
                while _UNDO:
                    _UNDO.pop()()


def _reason(status: int) -> str:
    return http.client.responses.get(status, "")


def _read(body: Any) -> bytes | None:
    """A request body as bytes, whatever form the library keeps it in."""
    if body is None:
        return None
    if isinstance(body, bytes):
        return body
    if isinstance(body, str):
        return body.encode("utf-8")
    if isinstance(body, bytearray | memoryview):
        return bytes(body)
    if hasattr(body, "read"):
        data = body.read()
        return data.encode("utf-8") if isinstance(data, str) else bytes(data)
    return b"".join(c.encode("utf-8") if isinstance(c, str) else bytes(c) for c in body)


def _noop() -> None:
    return None


# ---------------------------------------------------------------------------------------------
# requests


def _patch_requests() -> Callable[[], None]:
    try:
        from requests.adapters import HTTPAdapter
    except ImportError:
        return _noop
    original = HTTPAdapter.send

    def send(self: HTTPAdapter, request: Any, *args: Any, **kwargs: Any) -> Any:
        mock = current(request.url or "")
        if mock is None:
            return original(self, request, *args, **kwargs)
        reply = mock.answer(request.method or "GET", request.url or "",
                            dict(request.headers), _read(request.body))
        return _requests_response(reply, request, self)

    HTTPAdapter.send = send  # type: ignore[method-assign]

    def undo() -> None:
        HTTPAdapter.send = original  # type: ignore[method-assign]

    return undo


def _requests_response(reply: HttpAnswer, request: Any, adapter: Any) -> Any:
    from requests.models import Response
    from requests.structures import CaseInsensitiveDict
    from requests.utils import get_encoding_from_headers

    response = Response()
    response.status_code = reply.status
    response.reason = _reason(reply.status)
    response.headers = CaseInsensitiveDict({"Content-Type": reply.content_type,
                                            "Content-Length": str(len(reply.body))})
    response.encoding = get_encoding_from_headers(response.headers)
    response.raw = io.BytesIO(reply.body)
    response._content = reply.body
    response._content_consumed = True  # type: ignore[attr-defined]
    response.url = request.url or ""
    response.request = request
    response.connection = adapter
    response.elapsed = timedelta(0)
    return response


# ---------------------------------------------------------------------------------------------
# httpx


def _patch_httpx() -> Callable[[], None]:
    try:
        import httpx
    except ImportError:
        return _noop
    sync_original = httpx.HTTPTransport.handle_request
    async_original = httpx.AsyncHTTPTransport.handle_async_request

    def response(reply: HttpAnswer, request: httpx.Request) -> httpx.Response:
        return httpx.Response(reply.status, headers={"Content-Type": reply.content_type},
                              content=reply.body, request=request)

    def handle_request(self: httpx.HTTPTransport, request: httpx.Request) -> httpx.Response:
        mock = current(str(request.url))
        if mock is None:
            return sync_original(self, request)
        body = request.read()
        return response(mock.answer(request.method, str(request.url),
                                    request.headers.multi_items(), body), request)

    async def handle_async_request(self: httpx.AsyncHTTPTransport,
                                   request: httpx.Request) -> httpx.Response:
        mock = current(str(request.url))
        if mock is None:
            return await async_original(self, request)
        body = await request.aread()
        return response(mock.answer(request.method, str(request.url),
                                    request.headers.multi_items(), body), request)

    httpx.HTTPTransport.handle_request = handle_request  # type: ignore[method-assign]
    httpx.AsyncHTTPTransport.handle_async_request = (  # type: ignore[method-assign]
        handle_async_request)

    def undo() -> None:
        httpx.HTTPTransport.handle_request = sync_original  # type: ignore[method-assign]
        httpx.AsyncHTTPTransport.handle_async_request = (  # type: ignore[method-assign]
            async_original)

    return undo


# ---------------------------------------------------------------------------------------------
# urllib.request


def _patch_urllib() -> Callable[[], None]:
    import urllib.error
    import urllib.request
    import urllib.response

    original = urllib.request.OpenerDirector.open
    default_timeout: Any = socket._GLOBAL_DEFAULT_TIMEOUT  # type: ignore[attr-defined]

    def open_(self: urllib.request.OpenerDirector, fullurl: Any, data: Any = None,
              timeout: Any = default_timeout) -> Any:
        url = fullurl.full_url if isinstance(fullurl, urllib.request.Request) else str(fullurl)
        mock = current(url)
        if mock is None:
            return original(self, fullurl, data, timeout)
        if isinstance(fullurl, urllib.request.Request):
            request = fullurl
            if data is not None:
                request.data = data
        else:
            request = urllib.request.Request(fullurl, data)
        reply = mock.answer(request.get_method(), request.full_url, request.header_items(),
                            _read(request.data))
        headers = email.message.Message()
        headers["Content-Type"] = reply.content_type
        headers["Content-Length"] = str(len(reply.body))
        if not 200 <= reply.status < 300:
            raise urllib.error.HTTPError(request.full_url, reply.status, _reason(reply.status),
                                         headers, io.BytesIO(reply.body))
        answer = urllib.response.addinfourl(io.BytesIO(reply.body), headers, request.full_url,
                                            reply.status)
        answer.msg = _reason(reply.status)  # type: ignore[attr-defined]
        return answer

    urllib.request.OpenerDirector.open = open_  # type: ignore[method-assign]

    def undo() -> None:
        urllib.request.OpenerDirector.open = original  # type: ignore[method-assign]

    return undo
