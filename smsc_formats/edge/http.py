"""A small HTTP client for the SMSC API (stdlib ``urllib.request``), safe with credentials.

:func:`fetch` sends one :class:`~smsc_formats.request.Request` as a form-encoded POST, so the
credentials travel in the request body and never in a URL that a proxy, a server log or an
error message could show. It returns every HTTP answer (2xx, 4xx, 5xx alike) as a
:class:`Response`; only a failure to get an answer at all (connection refused, timeout, DNS,
TLS) raises :class:`FetchError`, whose message names the host and the reason and never holds a
secret. Redirects are not followed: a 3xx is returned as it is.
"""

from __future__ import annotations

import http.client
import socket
import ssl
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from email.message import Message

from ..request import Credentials, Request

USER_AGENT = "smsc-formats recorder"
DEFAULT_TIMEOUT = 30.0


class FetchError(Exception):
    """No HTTP answer came back; the message names the host and why, never a secret.

    ``transient`` is true for failures worth one more try: a connection reset, a timeout or a
    broken HTTP answer (not a refused connection, an unknown host or a TLS error).
    """

    def __init__(self, message: str, *, transient: bool = False) -> None:
        super().__init__(message)
        self.transient = transient


TRANSIENT_REASONS = frozenset({"timed out", "connection reset", "broken HTTP answer"})
"""The :func:`_reason` texts of failures that a retry may get past."""


@dataclass(frozen=True, slots=True)
class Response:
    """One HTTP answer: status, Content-Type, the raw body, and the URL without credentials."""

    status: int
    content_type: str
    body: bytes
    url: str
    """The endpoint with the non-secret parameters as a query, for messages and logs."""


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """Return 3xx answers as they are: a redirect would resend the form elsewhere."""

    def redirect_request(self, req: urllib.request.Request, fp: object, code: int, msg: str,
                         headers: Message, newurl: str) -> None:
        return None


_OPENER = urllib.request.build_opener(_NoRedirect())


def endpoint(base_url: str, request: Request) -> str:
    """The URL a request is posted to: the base URL joined with the call's script path."""
    return base_url.rstrip("/") + "/" + request.path.lstrip("/")


def host_of(base_url: str) -> str:
    """``host:port`` of a base URL (the default port filled in), with no user info."""
    parts = urllib.parse.urlsplit(base_url)
    host = parts.hostname or ""
    try:
        port = parts.port
    except ValueError:
        port = None
    if port is None:
        port = 443 if parts.scheme == "https" else 80
    if ":" in host:
        host = f"[{host}]"
    return f"{host}:{port}"


def public_url(base_url: str, request: Request) -> str:
    """The endpoint with the request's non-secret parameters, safe to print."""
    parts = urllib.parse.urlsplit(endpoint(base_url, request))
    netloc = host_of(base_url)
    query = urllib.parse.urlencode(dict(request.params))
    return urllib.parse.urlunsplit((parts.scheme, netloc, parts.path, query, ""))


def _reason(exc: BaseException) -> str:
    """A short, secret-free description of why no answer came (never ``str`` of a URL)."""
    inner: object = exc.reason if isinstance(exc, urllib.error.URLError) else exc
    if isinstance(inner, TimeoutError | socket.timeout):
        return "timed out"
    if isinstance(inner, ConnectionRefusedError):
        return "connection refused"
    if isinstance(inner, ConnectionResetError | ConnectionAbortedError | BrokenPipeError):
        return "connection reset"
    if isinstance(inner, socket.gaierror):
        return "host name not found"
    if isinstance(inner, ssl.SSLError):
        return "TLS error"
    if isinstance(inner, http.client.HTTPException):
        return "broken HTTP answer"
    if isinstance(inner, OSError) and inner.strerror:
        return inner.strerror.lower()
    return type(inner).__name__


def check_base_url(base_url: str) -> None:
    """Raise :class:`FetchError` unless ``base_url`` is ``http(s)://host[:port][/prefix]``.

    The message never echoes the URL's user info or anything that is not a host name.
    """
    parts = urllib.parse.urlsplit(base_url)
    try:
        parts.port  # noqa: B018 - raises ValueError on a malformed port
    except ValueError:
        raise FetchError("the base URL is malformed (its port is not a number)") from None
    if not parts.hostname:
        raise FetchError("not an http(s) base URL: expected http(s)://host[:port], "
                         "e.g. https://smsc.ru")
    if parts.scheme not in ("http", "https"):
        raise FetchError(f"not an http(s) base URL: {parts.scheme or '?'}://{host_of(base_url)}")
    if parts.username or parts.password:
        raise FetchError("the base URL must not hold user info; credentials come from the "
                         "environment")


def fetch(base_url: str, request: Request, credentials: Credentials | None,
          timeout: float = DEFAULT_TIMEOUT) -> Response:
    """POST ``request`` (with ``credentials`` in the form body) and return the answer.

    Raises :class:`FetchError` when no HTTP answer arrives; its message is
    ``"cannot reach host:port: <reason>"`` and holds no parameter value.
    """
    check_base_url(base_url)
    data = urllib.parse.urlencode(request.query(credentials)).encode("ascii")
    req = urllib.request.Request(
        endpoint(base_url, request), data=data, method="POST",
        headers={"Content-Type": "application/x-www-form-urlencoded", "User-Agent": USER_AGENT})
    url = public_url(base_url, request)
    try:
        with _OPENER.open(req, timeout=timeout) as answer:
            body = answer.read()
            return Response(answer.status, answer.headers.get("Content-Type", ""), body, url)
    except urllib.error.HTTPError as exc:
        try:
            body = exc.read()
        except OSError:
            body = b""
        headers = exc.headers
        content_type = headers.get("Content-Type", "") if headers is not None else ""
        return Response(exc.code, content_type, body, url)
    except (urllib.error.URLError, http.client.HTTPException, OSError, ValueError) as exc:
        reason = _reason(exc)
        raise FetchError(f"cannot reach {host_of(base_url)}: {reason}",
                         transient=reason in TRANSIENT_REASONS) from None
