"""Replay a fixture corpus over HTTP: the recorded answer to a request, byte for byte, offline.

:func:`start_replay` loads a corpus (``fixtures/<call>/<case>/``, see :mod:`.store`) once,
indexes every recorded answer, and serves it from a threaded local HTTP server that speaks the
SMSC paths (``/sys/get.php``, ``/sys/info.php``, ``/sys/tinyurls.php``).

A request is matched on its path, its call (the selector parameter of the spec, e.g.
``get_stat=1``), ``fmt``, ``charset`` and its other non-secret parameters, whether they come in
the query string or in a form-encoded POST body (as in PHP, the body wins over the query, and
the last of repeated parameters wins). ``login``, ``psw`` and ``apikey`` are ignored. An empty
parameter counts as absent. Like the real server, a request without ``fmt`` asks for fmt=0 and
one without ``charset`` asks for windows-1251. The recorder always sends ``charset``, so a
request it made, sent again, gets the stored body with the stored HTTP status and
Content-Type.

A miss is answered with HTTP 404 and an SMSC error 1 body in the requested fmt and charset, and
logged (logger ``smsc_formats.edge.replay``, level WARNING) with the closest recorded case and
how the request differs from it. A request whose parameters cannot be decoded (a ``charset``
that is not a charset name, such as ``%00``; bytes that are not text in the charset asked for)
is answered with HTTP 400 and an error 1 body. Every request gets an answer: an unexpected
failure inside the handler is answered with HTTP 500, never a dropped connection. Hits are
logged at INFO. No log line carries a credential: requests are logged as the parsed
parameters, never as the raw request line, and any parameter name or value (or path, or
header value) that holds the ``login``/``psw``/``apikey`` sent with the request, in plain or
URL-encoded form, is shown whole as ``***``; nothing else of a line is ever masked, so a call
name such as ``get_messages`` stays readable whatever the login.

When two cases answer the same request (say a documentation example and a recorded default),
a recorded one (``live``, then ``simulator``) wins over ``documentation``, then the first by
name; the shadowed ones are listed in :attr:`ReplayIndex.shadowed` and logged at start. Any
case stays reachable with the request header ``X-Smsc-Case: <call>/<case>``, which picks that
case's answer in the requested fmt whatever the other parameters say (the path and the call
selector must still be the case's).
"""

from __future__ import annotations

import logging
import re
import socket
import sys
import threading
import urllib.parse
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any

from ..api import emit
from ..charset import SUPPORTED, canonical_name
from ..errors import SmscFormatsError
from ..model import ApiError
from ..spec import CALLS, CONTENT_TYPES, FORMATS, SECRET_PARAMS, CallSpec
from .store import Case, StoreError, load_corpus

LOG = logging.getLogger(__name__)

DEFAULT_FMT = 0
"""The fmt the server answers in when a request gives none."""
DEFAULT_CHARSET = "windows-1251"
"""The charset the server answers in when a request gives none."""
MISS_DESCRIPTION = "parameters error: no recorded answer for this request"
"""The description of the error 1 body a miss is answered with."""
CASE_HEADER = "X-Smsc-Case"
"""The request header that picks a case by name, e.g. ``get_price/documentation``."""
MAX_FORM_BYTES = 1 << 20
"""The largest POST body read; a longer one is refused with HTTP 413."""
BAD_DESCRIPTION = "parameters error: the request's parameters cannot be decoded"
"""The description of the error 1 body a request with undecodable parameters gets (HTTP 400)."""
_SOURCE_RANK = {"live": 0, "simulator": 1, "documentation": 3}
_BLANK_SELECTOR = ("", "0")
_VALUE_SHOWN = 60

CALLS_BY_PATH: Mapping[str, tuple[CallSpec, ...]] = {
    "/" + path: tuple(s for s in CALLS.values() if s.path == path)
    for path in dict.fromkeys(s.path for s in CALLS.values())
}
"""The calls served under each URL path, in spec order."""

Key = tuple[str, str, int, str, frozenset[tuple[str, str]]]
"""What a request is matched on: path, call, fmt, charset and the non-secret parameters."""


@dataclass(frozen=True, slots=True)
class Answer:
    """One HTTP answer: status, Content-Type and body, and the case it came from (if any)."""

    status: int
    content_type: str
    body: bytes
    case: str = ""
    """``call/case`` of a stored answer; empty for a miss."""


@dataclass(frozen=True, slots=True)
class Query:
    """A request as replay sees it: only what it is matched on, never a credential."""

    path: str
    call: str | None
    fmt: int
    charset: str
    params: Mapping[str, str]
    problem: str | None = None
    """Why the request cannot match any case (unknown path, no selector, bad fmt)."""
    undecodable: str | None = None
    """Why the request's parameters cannot be read at all: answered with HTTP 400."""
    secrets: tuple[str, ...] = field(default=(), repr=False)
    """The credential values the request carried, masked in anything logged about it."""

    def key(self) -> Key:
        return (self.path, self.call or "", self.fmt, self.charset,
                frozenset(self.params.items()))

    def shown(self, value: str) -> str:
        """A value of this request for a log line: ``***`` if it holds a credential, else the
        value shortened."""
        return _show(_masked(value, self.secrets))

    def describe(self) -> str:
        """``get_stat fmt=3 params {start: 01.11.2026}`` (charset only when not utf-8)."""
        shown = ", ".join(f"{self.shown(k)}: {self.shown(v)}"
                          for k, v in sorted(self.params.items()))
        charset = "" if self.charset == "utf-8" else f" charset={self.shown(self.charset)}"
        return f"{self.call or self.shown(self.path)} fmt={self.fmt}{charset} params {{{shown}}}"


def _show(value: str) -> str:
    """A parameter value fit for one log line: printable, and not too long."""
    text = value if value.isprintable() else repr(value)
    return text if len(text) <= _VALUE_SHOWN else text[:_VALUE_SHOWN] + "..."


def _charset_name(value: str) -> str:
    try:
        return canonical_name(value)
    except SmscFormatsError:
        return value.lower()


_CHARSET_LABEL = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:+-]{0,39}")
"""What a charset name looks like (IANA's characters); anything else cannot name one."""


class _Undecodable(Exception):
    """A request parameter that is not text: the request is answered with HTTP 400."""


def _decode_pairs(raw: list[tuple[bytes, bytes]]) -> tuple[dict[str, str], str | None]:
    """Parameters as text (last of repeated names wins), decoded in the charset asked for.

    Raises :class:`_Undecodable` for a ``charset`` that is not a charset name or a name or
    value that is not text in the charset asked for (utf-8, else windows-1251, if none).
    """
    asked = None
    for name, value in raw:
        if name == b"charset" and value:
            label = value.decode("latin-1")
            if not _CHARSET_LABEL.fullmatch(label):
                raise _Undecodable("the charset parameter is not a charset name")
            asked = _charset_name(label)
    encoding = asked if asked in SUPPORTED else None
    out: dict[str, str] = {}
    for name, value in raw:
        out[_decode(name, encoding)] = _decode(value, encoding)
    return out, asked


def _decode(data: bytes, encoding: str | None) -> str:
    try:
        if encoding is not None:
            return data.decode(encoding)
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            return data.decode("windows-1251")
    except UnicodeDecodeError:
        raise _Undecodable(f"a parameter is not text in {encoding or 'utf-8 or windows-1251'}"
                           ) from None


def read_query(target: str, form: bytes | None = None) -> Query:
    """The :class:`Query` of a request target (path and query string) and its form body."""
    split = urllib.parse.urlsplit(target)
    pairs = urllib.parse.parse_qsl(split.query, keep_blank_values=True, encoding="latin-1")
    if form:
        pairs += urllib.parse.parse_qsl(form.decode("latin-1"), keep_blank_values=True,
                                        encoding="latin-1")
    # Latin-1 maps bytes to code points one to one: these are the raw bytes, to be decoded in
    # the charset the request asks for once that is known.
    raw = [(k.encode("latin-1", errors="replace"), v.encode("latin-1", errors="replace"))
           for k, v in pairs]
    try:
        params, asked = _decode_pairs(raw)
    except _Undecodable as exc:
        # Credentials still count as secrets when they decode on their own.
        secrets = tuple(v.decode("utf-8", errors="replace") for k, v in raw
                        if k.decode("latin-1") in SECRET_PARAMS and v)
        return Query(path=split.path, call=None, fmt=DEFAULT_FMT, charset="utf-8", params={},
                     problem=str(exc), undecodable=str(exc), secrets=secrets)
    secrets = tuple(params[n] for n in SECRET_PARAMS if params.get(n))
    path = split.path
    specs = CALLS_BY_PATH.get(path, ())
    fmt_text = params.get("fmt", "")
    problem: str | None = None
    fmt = DEFAULT_FMT
    if fmt_text:
        if fmt_text.isascii() and fmt_text.isdigit() and int(fmt_text) in FORMATS:
            fmt = int(fmt_text)
        else:
            problem = f"fmt {_show(_masked(fmt_text, secrets))} is not one of 0, 1, 2, 3"
    selectors = {s.selector for s in specs}
    chosen = [s.name for s in specs if params.get(s.selector, "") not in _BLANK_SELECTOR]
    call = chosen[0] if len(chosen) == 1 else None
    if not specs:
        problem = f"unknown path {_show(_masked(path, secrets))} (known: " \
                  f"{', '.join(CALLS_BY_PATH)})"
    elif not chosen:
        problem = "no call selector (" + ", ".join(f"{s.selector}=1" for s in specs) + ")"
    elif len(chosen) > 1:
        problem = f"several call selectors: {', '.join(chosen)}"
    rest = {k: v for k, v in params.items()
            if v and k not in SECRET_PARAMS and k not in selectors and k not in ("fmt",
                                                                                  "charset")}
    return Query(path=path, call=call, fmt=fmt, charset=asked or DEFAULT_CHARSET, params=rest,
                 problem=problem, secrets=secrets)


def _case_params(case: Case, ignore: Iterable[str] = ()) -> dict[str, str]:
    """A case's parameters normalised as a request's are (no selector, fmt, charset, secret,
    nor any of ``ignore``)."""
    ignored = {CALLS[case.call].selector, "fmt", "charset", *SECRET_PARAMS, *ignore}
    return {k: v for k, v in case.params.items() if v and k not in ignored}


def _label(case: Case) -> str:
    return f"{case.call}/{case.name}"


class ReplayIndex:
    """Every answer of a corpus by :data:`Key`, built once; lookups are dict lookups.

    This is the one matcher of the package: the replay server and the in-process replay of
    :mod:`smsc_formats.testing` both ask it. ``ignore`` names parameters left out of the match
    on both sides (say ``start end`` for a client that computes its dates from today).
    """

    def __init__(self, cases: Iterable[Case], ignore: Iterable[str] = (),
                 any_format: bool = False) -> None:
        self.cases: tuple[Case, ...] = tuple(cases)
        self.ignore: frozenset[str] = frozenset(ignore)
        self.any_format = any_format
        """Whether the asker serves a case in any fmt and charset (see :meth:`other_format`),
        so that :meth:`explain` does not count them as differences."""
        self.by_request: dict[tuple[str, str, frozenset[tuple[str, str]]], list[Case]] = {}
        """The cases of each path, call and parameters (fmt and charset aside), best first."""
        self.answers: dict[Key, Answer] = {}
        self.by_case: dict[tuple[str, int], Answer] = {}
        """Every answer by ``(call/case, fmt)``, for the ``X-Smsc-Case`` header."""
        self.shadowed: dict[str, str] = {}
        """Each case with an answer hidden by another case's: the case that answers instead."""
        owners: dict[Key, Case] = {}
        ranked = sorted(self.cases, key=lambda c: (_SOURCE_RANK.get(c.source, 2), c.call,
                                                    c.name))
        for case in ranked:
            params = frozenset(_case_params(case, self.ignore).items())
            path = "/" + CALLS[case.call].path
            self.by_request.setdefault((path, case.call, params), []).append(case)
            for fmt, meta in sorted(case.formats.items()):
                charset = _charset_name(meta.charset)
                key: Key = (path, case.call, fmt, charset, params)
                content_type = meta.content_type or f"{CONTENT_TYPES[fmt]}; charset={charset}"
                answer = Answer(meta.http_status, content_type, case.bodies[fmt], _label(case))
                self.by_case[(_label(case), fmt)] = answer
                if key in owners:
                    self.shadowed[_label(case)] = _label(owners[key])
                    continue
                owners[key] = case
                self.answers[key] = answer

    def lookup(self, query: Query, case: str | None = None) -> Answer | None:
        """The stored answer to ``query`` (of ``case``, given as ``call/case``), or None."""
        if query.problem is not None:
            return None
        if case is not None:
            if case.partition("/")[0] != query.call:
                return None
            return self.by_case.get((case, query.fmt))
        return self.answers.get(self.key(query))

    def key(self, query: Query) -> Key:
        """The :data:`Key` of ``query`` once the ignored parameters are left out."""
        if not self.ignore:
            return query.key()
        params = frozenset((k, v) for k, v in query.params.items() if k not in self.ignore)
        return (query.path, query.call or "", query.fmt, query.charset, params)

    def other_format(self, query: Query) -> tuple[Case, int] | None:
        """A case that answers ``query`` in another fmt or charset than asked, and that fmt.

        Its body, parsed and emitted again in the asked fmt and charset, is the answer (the
        byte-exact ``emit`` makes this safe). The asked fmt is preferred, then the lowest.
        """
        if query.problem is not None:
            return None
        _, call, _, _, params = self.key(query)
        found = self.by_request.get((query.path, call, params))
        if not found:
            return None
        for case in found:
            if query.fmt in case.formats:
                return case, query.fmt
        return found[0], min(found[0].formats)

    def miss(self, query: Query) -> Answer:
        """The 404 answer to a request nothing matches: SMSC error 1 in the fmt it asked.

        A request with undecodable parameters gets the same body with HTTP 400.
        """
        charset = query.charset if query.charset in SUPPORTED else "utf-8"
        call = query.call or next((s.name for s in CALLS_BY_PATH.get(query.path, ())),
                                  "get_messages")
        bad = query.undecodable is not None
        body = emit(ApiError(1, BAD_DESCRIPTION if bad else MISS_DESCRIPTION), call=call,
                    fmt=query.fmt, charset=charset)
        return Answer(400 if bad else 404, f"{CONTENT_TYPES[query.fmt]}; charset={charset}",
                      body)

    def explain(self, query: Query, case: str | None = None) -> str:
        """Why ``query`` missed: the closest recorded case and how the request differs."""
        if query.undecodable is not None:
            return f"bad request {query.shown(query.path)}: {query.undecodable}"
        head = f"miss {query.describe()}"
        if query.problem is not None:
            return f"{head}: {query.problem}"
        if case is not None:
            known = sorted({c for c, _ in self.by_case if c.startswith(f"{query.call}/")})
            if case not in known:
                return (f"{head}: {CASE_HEADER} {query.shown(case)} is not a recorded case of "
                        f"{query.call} (known: {', '.join(known) or 'none'})")
            has = ", ".join(str(f) for c, f in sorted(self.by_case) if c == case)
            return f"{head}: {CASE_HEADER} {case} has no fmt {query.fmt} (has {has})"
        same_call = [c for c in self.cases if c.call == query.call]
        pool = same_call or [c for c in self.cases if "/" + CALLS[c.call].path == query.path]
        if not pool:
            return f"{head} — no recorded case of {query.call}"
        scored = [(len(d), i, c, d) for i, c in enumerate(pool)
                  for d in [_differences(query, c, self.ignore, self.any_format)]]
        _, _, closest, diffs = min(scored, key=lambda t: (t[0], t[1]))
        if not same_call:
            diffs = [f"call {query.call} != {closest.call}", *diffs]
        return f"{head} — closest {_label(closest)} differs: {'; '.join(diffs)}"


def _differences(query: Query, case: Case, ignore: Iterable[str] = (),
                 any_format: bool = False) -> list[str]:
    """How ``query`` differs from what ``case`` recorded, one phrase per difference."""
    out: list[str] = []
    skip = set(ignore)
    recorded = _case_params(case, skip)
    for name in sorted((set(query.params) | set(recorded)) - skip):
        asked, had = query.params.get(name), recorded.get(name)
        if asked == had:
            continue
        shown = query.shown(name)
        if had is None:
            out.append(f"{shown} {query.shown(asked or '')} not recorded")
        elif asked is None:
            out.append(f"{shown} missing (recorded {query.shown(had)})")
        else:
            out.append(f"{shown} {query.shown(asked)} != {query.shown(had)}")
    meta = case.formats.get(query.fmt)
    if any_format:
        pass
    elif meta is None:
        has = ", ".join(str(f) for f in sorted(case.formats))
        out.append(f"fmt {query.fmt} not recorded (has {has})")
    elif _charset_name(meta.charset) != query.charset:
        out.append(f"charset {query.shown(query.charset)} != {_charset_name(meta.charset)}")
    return out


def _masked(value: str, secrets: Iterable[str]) -> str:
    """``***`` for a value (a parameter name or value, a path, a header value) that holds a
    credential, plain or URL-encoded, anywhere in it; else the value unchanged.

    The whole value goes, never a part: replacing parts would leave a line unreadable
    (``get_***ssages`` with login ``me``) and show where the credential sat.
    """
    for secret in secrets:
        for form in {secret, urllib.parse.quote(secret, safe=""),
                     urllib.parse.quote_plus(secret, safe="")}:
            if form and form in value:
                return "***"
    return value


class _Handler(BaseHTTPRequestHandler):
    """Answers GET and POST from the server's index; logs only parsed, masked queries."""

    server: _Server
    protocol_version = "HTTP/1.1"
    timeout = 30

    def do_GET(self) -> None:
        self._answer(None)

    def do_POST(self) -> None:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            self.send_error(411, "send the form with a Content-Length")
            return
        length_text = self.headers.get("Content-Length", "0")
        length = int(length_text) if length_text.isdigit() else -1
        if not 0 <= length <= MAX_FORM_BYTES:
            self.send_error(413 if length > 0 else 411)
            return
        form = self.rfile.read(length)
        kind = self.headers.get_content_type()
        if form and kind != "application/x-www-form-urlencoded":
            self._answer(None, unsupported=kind)
            return
        self._answer(form)

    def _answer(self, form: bytes | None, unsupported: str | None = None) -> None:
        """Answer the request; whatever fails while doing so is answered with HTTP 500."""
        try:
            answer = self._lookup(form, unsupported)
        except Exception as exc:
            LOG.error("error while answering %s: %s (answered with HTTP 500)",
                      self.client_address[0], type(exc).__name__)
            answer = Answer(500, "text/plain; charset=utf-8", b"internal error\n")
        self._send(answer)

    def _lookup(self, form: bytes | None, unsupported: str | None) -> Answer:
        """The answer to this request, logged before it is sent (so a client that got its
        answer finds the line written)."""
        query = read_query(self.path, form)
        if unsupported is not None and query.undecodable is None:
            query = replace(query, problem=f"unsupported POST body "
                            f"{query.shown(unsupported)} (send form-encoded parameters)")
        index = self.server.index
        case = self.headers.get(CASE_HEADER)
        answer = None if unsupported is not None else index.lookup(query, case)
        if answer is None:
            LOG.warning("%s", index.explain(query, case))
            return index.miss(query)
        if LOG.isEnabledFor(logging.INFO):
            LOG.info("%s", f"hit {query.describe()} -> {answer.case} "
                           f"({answer.status}, {len(answer.body)} bytes)")
        return answer

    def _send(self, answer: Answer) -> None:
        self.send_response(answer.status)
        self.send_header("Content-Type", answer.content_type)
        self.send_header("Content-Length", str(len(answer.body)))
        self.end_headers()
        self.wfile.write(answer.body)

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        """Silenced: the default access log prints the query string, credentials included."""

    def log_error(self, format: str, *args: Any) -> None:
        """Only the client's address: the default message repeats the raw request line."""
        LOG.warning("bad request from %s (not logged: it may carry credentials)",
                    self.client_address[0])

    def log_message(self, format: str, *args: Any) -> None:
        """Silenced, for the same reason as :meth:`log_request`."""


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], index: ReplayIndex) -> None:
        self.index = index
        super().__init__(address, _Handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """One line, no traceback: a traceback could quote a request's credentials."""
        kind = sys.exc_info()[0]
        LOG.error("error while answering %s: %s", client_address[0],
                  kind.__name__ if kind else "unknown")


class _Server6(_Server):
    address_family = socket.AF_INET6


class ReplayServer:
    """A running replay server; stop it with :meth:`shutdown` or by leaving a ``with`` block."""

    def __init__(self, httpd: _Server, corpus_dir: Path) -> None:
        self._httpd = httpd
        self.corpus_dir = corpus_dir
        self.index = httpd.index
        address = httpd.server_address
        self.host: str = address[0] if isinstance(address[0], str) else address[0].decode()
        self.port: int = address[1]
        host = f"[{self.host}]" if ":" in self.host else self.host
        self.base_url = f"http://{host}:{self.port}"
        """Where the SMSC paths are served, without a trailing slash."""
        self._thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval":
                                                                            0.1},
                                        name=f"smsc-replay-{self.port}", daemon=True)
        self._stopped = False
        self._thread.start()

    def shutdown(self) -> None:
        """Stop serving and close the socket; calling it again does nothing."""
        if self._stopped:
            return
        self._stopped = True
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join()

    def __enter__(self) -> ReplayServer:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.shutdown()


def start_replay(corpus_dir: Path, host: str = "127.0.0.1", port: int = 0) -> ReplayServer:
    """Load the corpus under ``corpus_dir`` and serve it on ``host:port`` (0: any free port).

    Raises :class:`StoreError` for a missing, unreadable or empty corpus and :class:`OSError`
    when the address cannot be bound.
    """
    corpus_dir = Path(corpus_dir)
    cases = load_corpus(corpus_dir)
    if not cases:
        raise StoreError(f"{corpus_dir}: no recorded cases (expected <call>/<case>/meta.json)")
    index = ReplayIndex(cases)
    server_class = _Server6 if ":" in host else _Server
    httpd = server_class((host, port), index)
    server = ReplayServer(httpd, corpus_dir)
    LOG.info("replaying %d cases (%d answers) from %s on %s", len(index.cases),
             len(index.answers), corpus_dir, server.base_url)
    for hidden, winner in index.shadowed.items():
        LOG.info("%s answers the same requests as %s, which is served; ask for it with the "
                 "header %s: %s", hidden, winner, CASE_HEADER, hidden)
    return server
