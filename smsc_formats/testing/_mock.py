"""The in-process SMSC: answers the requests a client sends to an SMSC host, from a corpus.

:class:`SmscMock` is what :func:`smsc_formats.testing.replay` and the ``smsc_mock`` pytest
fixture give. It never opens a socket: the HTTP libraries' transports are patched (see
:mod:`._transports`) to hand it every request whose host is an SMSC host; it answers with

1. a stub set by :meth:`SmscMock.stub` (emitted in the fmt and charset the request asks for);
2. the recorded body of the case the request matches (the matcher of
   :class:`~smsc_formats.edge.replay.ReplayIndex`, shared with the replay server);
3. a case recorded in another fmt or charset, parsed and emitted again in the asked one
   (logged at INFO on logger ``smsc_formats.testing``);
4. a recording, when a recorder is set (pytest's ``--smsc-record-mode``);

and otherwise raises :class:`~smsc_formats.errors.ReplayMiss`, naming the closest case and how
the request differs. A miss is never answered with a believable SMSC error.
"""

from __future__ import annotations

import logging
import threading
import urllib.parse
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ..api import emit, parse
from ..charset import SUPPORTED
from ..errors import ReplayMiss, RequestError
from ..model import ApiError, Reply
from ..spec import CALLS, CONTENT_TYPES

if TYPE_CHECKING:
    from ..edge.replay import Key, Query
    from ..edge.store import Case

LOG = logging.getLogger("smsc_formats.testing")

SMSC_HOSTS: tuple[str, ...] = (
    "smsc.ru", "www.smsc.ru", *(f"www{i}.smsc.ru" for i in range(1, 10)),
    "smscentre.com", "www.smscentre.com", "smsc.kz", "www.smsc.kz", "smsc.ua", "www.smsc.ua",
    "smsc.tech", "www.smsc.tech",
)
"""The hosts of the SMSC API that the in-process replay answers for, by default."""

Recorder = Callable[["Query"], "Case"]
"""Records the answer to a :class:`~smsc_formats.edge.replay.Query` and returns its case."""


@dataclass(frozen=True, slots=True)
class SentRequest:
    """One request the code under test sent to an SMSC host, without its credentials."""

    call: str | None
    """The call (``get_stat``, ...), or None if the request named none."""
    fmt: int
    params: Mapping[str, str]
    """The call's own parameters: no selector, ``fmt``, ``charset``, ``login``, ``psw`` or
    ``apikey``."""
    charset: str
    """The charset asked for (``windows-1251`` when the request gave none, as the server)."""
    method: str
    host: str
    path: str
    served: str = ""
    """Where the answer came from: ``stub``, ``call/case``, ``call/case re-emitted from fmt N
    charset C`` or ``recorded call/case``; empty for a miss."""


@dataclass(frozen=True, slots=True)
class HttpAnswer:
    """An answer of the in-process SMSC: HTTP status, Content-Type and body."""

    status: int
    content_type: str
    body: bytes


@dataclass
class _Stub:
    reply: Reply
    params: Mapping[str, str] = field(default_factory=dict)


def _header(headers: Mapping[str, str] | Iterable[tuple[str, str]], name: str) -> str:
    items = headers.items() if isinstance(headers, Mapping) else headers
    for key, value in items:
        if key.lower() == name.lower():
            return str(value)
    return ""


class SmscMock:
    """The SMSC hosts, answered inside the process from a corpus and per-test stubs."""

    def __init__(self, cases: Iterable[Case] = (), *, hosts: Iterable[str] | None = None,
                 extra_hosts: Iterable[str] = (), ignore: Iterable[str] = (),
                 recorder: Recorder | None = None, record_all: bool = False,
                 mask: Callable[[Mapping[str, str]], dict[str, str]] | None = None) -> None:
        from ..edge.replay import ReplayIndex

        self.hosts: frozenset[str] = frozenset(
            h.lower() for h in (*(SMSC_HOSTS if hosts is None else hosts), *extra_hosts))
        self.ignore: frozenset[str] = frozenset(ignore)
        self.index = ReplayIndex(cases, self.ignore, any_format=True)
        self.recorder = recorder
        self.record_all = record_all
        self.mask = mask
        """Rewrites the parameters of a request before it is matched (a redacted corpus
        stores the pseudonyms of its phones; the recorder and the stubs see the request)."""
        self.requests: list[SentRequest] = []
        """Every request the code under test sent to an SMSC host, in order."""
        self.misses: list[str] = []
        """The message of every request that had no answer."""
        self._stubs: dict[str, list[_Stub]] = {}
        self._recorded: set[Key] = set()
        self._lock = threading.RLock()

    # -- what tests call -----------------------------------------------------------------

    def stub(self, call: str, reply: Reply, **params: str | int) -> None:
        """Answer every request of ``call`` (with these ``params``, if given) with ``reply``.

        ``reply`` is any :data:`~smsc_formats.Reply` or an :class:`~smsc_formats.ApiError`; it
        is emitted in the fmt and charset each request asks for. A later stub of the same call
        and parameters wins over an earlier one.
        """
        if call not in CALLS:
            raise RequestError(f"unknown call {call!r}; known: {', '.join(CALLS)}")
        with self._lock:
            self._stubs.setdefault(call, []).insert(
                0, _Stub(reply, {k: str(v) for k, v in params.items()}))

    def clear_stubs(self) -> None:
        """Forget every stub."""
        with self._lock:
            self._stubs.clear()

    def add_cases(self, cases: Iterable[Case]) -> None:
        """Serve these cases too (a newly recorded case, say); a case of the same name is
        replaced."""
        from ..edge.replay import ReplayIndex

        with self._lock:
            new = list(cases)
            names = {(c.call, c.name) for c in new}
            kept = [c for c in self.index.cases if (c.call, c.name) not in names]
            self.index = ReplayIndex([*new, *kept], self.ignore, any_format=True)

    def calls(self, call: str) -> list[SentRequest]:
        """The requests of one call."""
        return [r for r in self.requests if r.call == call]

    # -- what the transports call --------------------------------------------------------

    def handles(self, url: str) -> bool:
        """Whether ``url`` goes to one of the SMSC hosts over http or https."""
        try:
            parts = urllib.parse.urlsplit(url)
            host = (parts.hostname or "").lower().rstrip(".")
        except ValueError:
            return False
        return parts.scheme.lower() in ("http", "https") and host in self.hosts

    def answer(self, method: str, url: str,
               headers: Mapping[str, str] | Iterable[tuple[str, str]] = (),
               body: bytes | None = None) -> HttpAnswer:
        """The answer to one request; raises :class:`ReplayMiss` when there is none."""
        from ..edge.replay import _masked, read_query

        parts = urllib.parse.urlsplit(url)
        target = urllib.parse.urlunsplit(("", "", parts.path or "/", parts.query, ""))
        kind = _header(headers, "content-type").split(";")[0].strip().lower()
        problem = None
        form = None
        if body:
            if kind in ("", "application/x-www-form-urlencoded"):
                form = body
            else:
                problem = f"unsupported POST body {kind} (send form-encoded parameters)"
        query = read_query(target, form)
        if problem is not None:
            query = _replace_problem(query, problem)
        with self._lock:
            try:
                served, reply = self._serve(query, _header(headers, "x-smsc-case") or None)
            except ReplayMiss as exc:
                message = _masked(str(exc), query.secrets)
                self.misses.append(message)
                self._log(query, method, parts, "")
                raise ReplayMiss(message) from None
            self._log(query, method, parts, served)
        return reply

    # -- inside --------------------------------------------------------------------------

    def _log(self, query: Query, method: str, parts: urllib.parse.SplitResult,
             served: str) -> None:
        self.requests.append(SentRequest(query.call, query.fmt, dict(query.params),
                                         query.charset, method.upper(),
                                         (parts.hostname or "").lower(), parts.path, served))

    def _charset(self, query: Query) -> str:
        return query.charset if query.charset in SUPPORTED else "utf-8"

    def _emitted(self, reply: Reply, call: str, query: Query,
                 status: int = 200) -> HttpAnswer:
        charset = self._charset(query)
        if isinstance(reply, ApiError) and query.fmt == 1:
            reply = ApiError(reply.code)  # fmt=1 carries no description
        body = emit(reply, call=call, fmt=query.fmt, charset=charset)
        return HttpAnswer(status, f"{CONTENT_TYPES[query.fmt]}; charset={charset}", body)

    def _stubbed(self, query: Query) -> HttpAnswer | None:
        if query.problem is not None or query.call is None:
            return None
        for stub in self._stubs.get(query.call, ()):
            if all(query.params.get(k) == v for k, v in stub.params.items()):
                return self._emitted(stub.reply, query.call, query)
        return None

    def _serve(self, query: Query, case: str | None) -> tuple[str, HttpAnswer]:
        stubbed = self._stubbed(query)
        if stubbed is not None:
            return "stub", stubbed
        looked = self._matched(query)
        key = self.index.key(looked)
        if (self.recorder is not None and self.record_all and query.problem is None
                and key not in self._recorded):
            return self._record(query, key)
        found = self._from_corpus(looked, case)
        if found is not None:
            return found
        if self.recorder is not None and query.problem is None and key not in self._recorded:
            return self._record(query, key)
        raise ReplayMiss(f"smsc-formats: {self.index.explain(looked, case)}")

    def _matched(self, query: Query) -> Query:
        """The query as the corpus is searched for it (through :attr:`mask`)."""
        if self.mask is None:
            return query
        from dataclasses import replace

        return replace(query, params=self.mask(query.params))

    def _from_corpus(self, query: Query, case: str | None) -> tuple[str, HttpAnswer] | None:
        answer = self.index.lookup(query, case)
        if answer is not None:
            LOG.info("hit %s -> %s", query.describe(), answer.case)
            return answer.case, HttpAnswer(answer.status, answer.content_type, answer.body)
        if case is not None:
            return None
        other = self.index.other_format(query)
        if other is None:
            return None
        found, fmt = other
        meta = found.formats[fmt]
        reply = parse(found.bodies[fmt], call=found.call, fmt=fmt, charset=meta.charset or None)
        served = (f"{found.call}/{found.name} re-emitted from fmt {fmt} charset "
                  f"{meta.charset}")
        LOG.info("%s: %s (asked fmt %d charset %s)", query.describe(), served, query.fmt,
                 self._charset(query))
        return served, self._emitted(reply, found.call, query, meta.http_status)

    def _record(self, query: Query, key: Key) -> tuple[str, HttpAnswer]:
        assert self.recorder is not None
        recorded = self.recorder(query)
        self._recorded.add(key)
        self.add_cases([recorded])
        found = self._from_corpus(self._matched(query), None)
        if found is None:  # pragma: no cover - the recorder stores what it was asked
            raise ReplayMiss(f"smsc-formats: recorded {recorded.call}/{recorded.name} but it "
                             f"does not answer {query.describe()}")
        LOG.info("recorded %s/%s for %s", recorded.call, recorded.name, query.describe())
        return f"recorded {recorded.call}/{recorded.name}", found[1]


def _replace_problem(query: Query, problem: str) -> Query:
    from dataclasses import replace

    return replace(query, problem=problem)
