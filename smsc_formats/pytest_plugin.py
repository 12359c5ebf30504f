"""The pytest plugin (entry point ``pytest11``): replay a fixture corpus in your tests.

Options:

- ``--smsc-corpus DIR`` on the command line, or ``smsc_corpus = DIR`` in the ini file
  (default ``fixtures``; an ini path is relative to the ini file, a command-line one to the
  current directory): the corpus to replay. Write ``--smsc-corpus=DIR`` with ``=``: pytest
  picks its rootdir (and ini file) from the path-like arguments, and a separate ``DIR``
  argument counts as one.
- ``smsc_allow_network = true`` in the ini file: do not block the network during replay.
- ``--smsc-record-mode=none|once|new_episodes|all`` (default ``none``: only replay), as
  pytest-recording's ``--record-mode``: ``once`` records the requests of a test that has no
  case of its own in the corpus yet, ``new_episodes`` records every request nothing answers,
  ``all`` records every request again. A recorded request is stored as a case named after the
  test (``test_balance``, then ``test_balance-2``, ...), through the recorder (same limiter,
  ledger, redaction and atomic store as ``smsc-formats record``), with the credentials of
  ``SMSC_LOGIN`` and ``SMSC_PSW``, or ``SMSC_APIKEY``.
- ``--smsc-record-base-url URL`` (default ``https://smsc.ru``): where recordings are made.
- ``--smsc-redact phone,to_phone,message`` (or ``smsc_redact = phone to_phone message`` in the
  ini file, else ``[tool.smsc-formats] redact = [...]``, as for ``smsc-formats record
  --redact``): the fields a recording masks; ``--smsc-before-record MODULE:FUNCTION`` (or
  ``smsc_before_record`` in the ini file, else ``[tool.smsc-formats] before_record``): the
  hook that rewrites anything else. A masked field that is also a request parameter
  (``phone``) is stored as its pseudonym: ``smsc_mock`` matches it by its pseudonym when the
  redaction key is at hand (``$SMSC_FORMATS_REDACT_KEY`` or the corpus's ``.redact-key``),
  else leaves it out of the match.
- ``smsc_match_ignore = start end cnt`` in the ini file: parameters ``smsc_mock`` leaves out of
  the match. ``smsc_hosts = sms.example.org``: more hosts for ``smsc_mock`` to answer.
- ``--smsc-block-network``: guard every test of the session, not only those using the smsc
  fixtures. ``smsc_allowed_hosts = db redis 10.0.0.0/8`` in the ini file: hosts (names,
  addresses or networks) the guard lets through.

Fixtures:

- ``smsc_replay_url`` (session): the base URL of a replay server for the corpus, e.g.
  ``http://127.0.0.1:41234``; the server starts once per session and stops at its end.
  ``smsc_replay_server`` gives the :class:`~smsc_formats.edge.replay.ReplayServer` itself.
- ``smsc_corpus`` (session): the loaded cases, by ``"call/case"``.
- ``smsc_mock``: the SMSC hosts answered in-process, with no socket, for ``requests``,
  ``httpx`` (sync and async) and ``urllib.request`` (a
  :class:`~smsc_formats.testing.SmscMock`: ``smsc_mock.stub(call, reply)``,
  ``smsc_mock.requests``). A request it cannot answer raises
  :class:`~smsc_formats.errors.ReplayMiss` and fails the test, even if the code under test
  catches the exception.
- ``smsc_case``: the parsed value of a recorded body, chosen by a marker::

      @pytest.mark.smsc_case("get_stat/default", fmt=3)
      def test_balance(smsc_case): ...

  Without ``fmt`` the test runs once per recorded format; the name may be a pattern
  (``"get_stat/*"``, ``"*"``) or a bare call (``"get_stat"``), and the test then runs once per
  matching case and format. ``smsc_case_body`` gives the raw recorded bytes of the same case.

No network during replay: while a test uses any of these fixtures (during its setup, call and
teardown; every test with ``--smsc-block-network``), a DNS lookup (``getaddrinfo``,
``gethostbyname``), a TCP or UDP ``connect`` or a UDP ``sendto`` of anything but a loopback
address (``127.0.0.0/8``, ``::1``, ``localhost``) or an allowed host raises
:class:`NetworkBlockedError`, before anything is sent. The addresses an allowed name resolves
to are allowed too. While recording, the record base URL's host is allowed.

The plugin is loaded by every pytest run in an environment where smsc-formats is installed, so
it imports nothing heavy until one of its fixtures or markers is used, and never click.
"""

from __future__ import annotations

import fnmatch
import ipaddress
import os
import re
import socket
from collections.abc import Callable, Generator, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from .edge.replay import Query, ReplayServer
    from .edge.store import Case
    from .testing import SmscMock

MARKER = "smsc_case"
REPLAY_FIXTURES = frozenset({"smsc_replay_url", "smsc_replay_server", "smsc_case",
                             "smsc_case_body", "smsc_mock"})
"""Fixtures during whose tests the network is blocked."""
RECORD_MODES = ("none", "once", "new_episodes", "all")
"""The values of ``--smsc-record-mode``, as pytest-recording's ``--record-mode``."""
DEFAULT_RECORD_BASE_URL = "https://smsc.ru"
_CORPUS_KEY = pytest.StashKey["dict[str, Case]"]()
_MOCK_KEY = pytest.StashKey["SmscMock"]()
_MASKED_KEY = pytest.StashKey["list[str]"]()


class NetworkBlockedError(RuntimeError):
    """A test using the replay fixtures tried to reach a non-loopback address.

    A RuntimeError, not an OSError, so that HTTP clients do not wrap it into a retry or a
    "connection failed" that hides the cause.
    """


@dataclass(frozen=True, slots=True)
class CaseRef:
    """One format of one recorded case, as the ``smsc_case`` fixture receives it."""

    name: str
    """``call/case``."""
    fmt: int

    @property
    def id(self) -> str:
        return f"{self.name}-fmt{self.fmt}"


@dataclass(frozen=True, slots=True)
class NoCase:
    """What a ``smsc_case`` marker that matches no recorded case parametrizes its test with:
    the test fails with this message in its setup, and no other test is affected."""

    message: str


# ---------------------------------------------------------------------------------------------
# Options and the marker


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("smsc-formats", "smsc-formats fixture replay")
    group.addoption("--smsc-corpus", dest="smsc_corpus", default=None, metavar="DIR",
                    help="fixture corpus to replay (default: the smsc_corpus ini value, "
                         "else fixtures)")
    parser.addini("smsc_corpus", "fixture corpus to replay, relative to the ini file",
                  default="fixtures")
    parser.addini("smsc_allow_network", "allow non-loopback connections during replay",
                  type="bool", default=False)
    group.addoption("--smsc-record-mode", dest="smsc_record_mode", default="none",
                    choices=RECORD_MODES,
                    help="record what smsc_mock cannot answer: none (default: only replay), "
                         "once, new_episodes or all")
    group.addoption("--smsc-record-base-url", dest="smsc_record_base_url",
                    default=DEFAULT_RECORD_BASE_URL, metavar="URL",
                    help="the server recordings are made from (default https://smsc.ru)")
    group.addoption("--smsc-redact", dest="smsc_redact", action="append", default=None,
                    metavar="FIELD,...",
                    help="fields a recording masks, e.g. phone,to_phone,message (default: the "
                         "smsc_redact ini value, else [tool.smsc-formats] redact)")
    group.addoption("--smsc-before-record", dest="smsc_before_record", default=None,
                    metavar="MODULE:FUNCTION",
                    help="hook a recording passes every reply through (default: the "
                         "smsc_before_record ini value, else [tool.smsc-formats] before_record)")
    parser.addini("smsc_redact", "fields a recording masks (as smsc-formats record --redact)",
                  type="args", default=[])
    parser.addini("smsc_before_record", "module:function a recording passes every reply "
                  "through (as smsc-formats record --before-record)", default="")
    group.addoption("--smsc-block-network", dest="smsc_block_network", action="store_true",
                    default=False,
                    help="block non-loopback network access in every test of the session")
    parser.addini("smsc_match_ignore", "parameters smsc_mock leaves out of the match",
                  type="args", default=[])
    parser.addini("smsc_allowed_hosts", "hosts, addresses or networks the network guard "
                  "lets through", type="args", default=[])
    parser.addini("smsc_hosts", "more hosts for smsc_mock to answer besides the SMSC ones",
                  type="args", default=[])


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "smsc_case(name, fmt=None): the recorded case (call/case, a pattern or a "
                   "call) whose parsed value the smsc_case fixture gives; without fmt, every "
                   "recorded format")


def corpus_dir(config: pytest.Config) -> Path:
    """The corpus folder the options name."""
    given = config.getoption("smsc_corpus")
    if given:
        return Path(config.invocation_params.dir, given)
    value = config.getini("smsc_corpus")
    base = config.inipath.parent if config.inipath is not None else config.rootpath
    return Path(base, str(value))


def _corpus(config: pytest.Config, missing_ok: bool = False) -> dict[str, Case]:
    """The corpus, loaded once per session; a bad corpus fails with one line (a missing one,
    with ``missing_ok`` when recording, is empty)."""
    cached = config.stash.get(_CORPUS_KEY, None)
    if cached is not None:
        return cached
    from .edge.store import StoreError, load_corpus

    root = corpus_dir(config)
    if missing_ok and not root.exists():
        config.stash[_CORPUS_KEY] = {}
        return config.stash[_CORPUS_KEY]
    try:
        cases = {f"{c.call}/{c.name}": c for c in load_corpus(root)}
    except StoreError as exc:
        pytest.fail(f"smsc-formats: {exc} (set --smsc-corpus or the smsc_corpus ini value)",
                    pytrace=False)
    config.stash[_CORPUS_KEY] = cases
    return cases


def select(cases: Mapping[str, Case], pattern: str, fmt: int | None) -> list[CaseRef]:
    """The (case, format) pairs a marker names, in corpus order."""
    if "/" not in pattern:
        pattern += "/*"
    return [CaseRef(name, f) for name, case in cases.items()
            if fnmatch.fnmatchcase(name, pattern)
            for f in sorted(case.bodies) if fmt is None or f == fmt]


def _marker_args(marker: pytest.Mark) -> tuple[str, int | None]:
    pattern = marker.args[0] if marker.args else marker.kwargs.get("name", "*")
    fmt = marker.kwargs.get("fmt", marker.args[1] if len(marker.args) > 1 else None)
    if not isinstance(pattern, str):
        pytest.fail(f"smsc_case marker: the name must be a string, got {pattern!r}",
                    pytrace=False)
    if fmt is not None and fmt not in (0, 1, 2, 3):
        pytest.fail(f"smsc_case marker: fmt must be 0, 1, 2 or 3, got {fmt!r}", pytrace=False)
    return pattern, fmt


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "_smsc_case_ref" not in metafunc.fixturenames:
        return
    marker = metafunc.definition.get_closest_marker(MARKER)
    if marker is None:
        return
    pattern, fmt = _marker_args(marker)
    cases = _corpus(metafunc.config)
    refs = select(cases, pattern, fmt)
    if not refs:
        # Only this test fails (in its setup); the rest of its file is still collected and run.
        wanted = pattern if fmt is None else f"{pattern} fmt={fmt}"
        message = (f"smsc_case: no recorded {wanted} in {corpus_dir(metafunc.config)}"
                   f"{_known(pattern, list(cases))}")
        metafunc.parametrize("_smsc_case_ref", [NoCase(message)], ids=["no-case"],
                             indirect=True)
        return
    metafunc.parametrize("_smsc_case_ref", refs, ids=[r.id for r in refs], indirect=True)


_KNOWN_SHOWN = 20


def _known(pattern: str, names: list[str]) -> str:
    """The closest case names to a pattern that matched nothing, then the known ones."""
    import difflib

    near = difflib.get_close_matches(pattern, names, n=3)
    closest = f"; closest: {', '.join(near)}" if near else ""
    if not names:
        return f"{closest}; known: none (the corpus is empty)"
    shown = ", ".join(names[:_KNOWN_SHOWN])
    more = f" and {len(names) - _KNOWN_SHOWN} more" if len(names) > _KNOWN_SHOWN else ""
    return f"{closest}; known: {shown}{more}"


# ---------------------------------------------------------------------------------------------
# Fixtures


@pytest.fixture(scope="session")
def smsc_corpus(pytestconfig: pytest.Config) -> dict[str, Case]:
    """Every recorded case of the corpus, by ``call/case``."""
    return _corpus(pytestconfig)


@pytest.fixture(scope="session")
def smsc_replay_server(pytestconfig: pytest.Config) -> Iterator[ReplayServer]:
    """A replay server for the corpus, started once per session."""
    from .edge.replay import start_replay
    from .edge.store import StoreError

    try:
        server = start_replay(corpus_dir(pytestconfig))
    except StoreError as exc:
        pytest.fail(f"smsc-formats: {exc} (set --smsc-corpus or the smsc_corpus ini value)",
                    pytrace=False)
    with server:
        yield server


@pytest.fixture(scope="session")
def smsc_replay_url(smsc_replay_server: ReplayServer) -> str:
    """The replay server's base URL, e.g. ``http://127.0.0.1:41234`` (no trailing slash)."""
    return smsc_replay_server.base_url


@pytest.fixture
def _smsc_case_ref(request: pytest.FixtureRequest) -> CaseRef:
    ref = getattr(request, "param", None)
    if isinstance(ref, NoCase):
        pytest.fail(ref.message, pytrace=False)
    if not isinstance(ref, CaseRef):
        pytest.fail("smsc_case needs a marker, e.g. "
                    "@pytest.mark.smsc_case(\"get_stat/default\", fmt=3)", pytrace=False)
    return ref


@pytest.fixture
def smsc_case_body(_smsc_case_ref: CaseRef, smsc_corpus: dict[str, Case]) -> bytes:
    """The raw recorded body of the case the ``smsc_case`` marker names."""
    return smsc_corpus[_smsc_case_ref.name].bodies[_smsc_case_ref.fmt]


@pytest.fixture
def smsc_case(_smsc_case_ref: CaseRef, smsc_corpus: dict[str, Case]) -> Any:
    """The parsed value of the case the ``smsc_case`` marker names."""
    from .api import parse

    case = smsc_corpus[_smsc_case_ref.name]
    fmt = _smsc_case_ref.fmt
    meta = case.formats[fmt]
    return parse(case.bodies[fmt], call=case.call, fmt=fmt, charset=meta.charset or None,
                 content_type=meta.content_type or None)


# ---------------------------------------------------------------------------------------------
# In-process replay and recording


def _case_name(node_name: str) -> str:
    """A case folder name for a test: ``test_x[a b]`` becomes ``test_x-a-b``."""
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", node_name).strip("-.") or "test"


def _credentials() -> Any:
    """The recording account from the environment, as ``smsc-formats record`` takes it."""
    from .errors import ReplayMiss, RequestError
    from .request import Credentials

    login, psw, apikey = (os.environ.get(v) or None
                          for v in ("SMSC_LOGIN", "SMSC_PSW", "SMSC_APIKEY"))
    if not (apikey or login or psw):
        raise ReplayMiss("smsc-formats: recording needs credentials: set SMSC_LOGIN and "
                         "SMSC_PSW, or SMSC_APIKEY")
    try:
        return Credentials(login=login, psw=psw, apikey=apikey)
    except RequestError as exc:
        raise ReplayMiss(f"smsc-formats: recording needs credentials: {exc} (SMSC_LOGIN, "
                         "SMSC_PSW, SMSC_APIKEY)") from None


class _Recording:
    """Records a request nothing answers as a case named after the test."""

    def __init__(self, config: pytest.Config, test_name: str, mode: str) -> None:
        self.config = config
        self.base_url = str(config.getoption("smsc_record_base_url"))
        self.prefix = _case_name(test_name)
        self.mode = mode
        self.mine: set[tuple[str, str]] = set()
        self.limiter: Any = None
        self.redactor: Any = None
        self.redactor_known = False

    def _name(self, call: str) -> str:
        cases = _corpus(self.config, missing_ok=True)
        number = 1
        while True:
            name = self.prefix if number == 1 else f"{self.prefix}-{number}"
            taken = (call, name) in self.mine or (
                self.mode != "all" and f"{call}/{name}" in cases)
            if not taken:
                return name
            number += 1

    def __call__(self, query: Query) -> Case:
        from .edge.http import host_of
        from .edge.ledger import Ledger, Limiter
        from .edge.recorder import RecordError, rerecord_all
        from .edge.store import BODY_FILES, Case, FormatMeta
        from .errors import ReplayMiss
        from .redact import RedactError
        from .testing._transports import passthrough

        assert query.call is not None
        credentials = _credentials()
        name = self._name(query.call)
        plan = Case(query.call, name, bodies={},
                    formats={query.fmt: FormatMeta(BODY_FILES[query.fmt],
                                                   charset=query.charset)},
                    params=dict(query.params))
        if self.limiter is None:
            self.limiter = Limiter(Ledger.default())
        if not self.redactor_known:
            try:
                self.redactor = _redactor(self.config)
            except RedactError as exc:
                raise ReplayMiss(f"smsc-formats: recording {query.describe()}: {exc}") from None
            self.redactor_known = True
        try:
            host = host_of(self.base_url).rsplit(":", 1)[0]
        except ValueError:
            host = ""
        source = "simulator" if is_loopback(host) else "live"
        root = corpus_dir(self.config)
        with passthrough():
            try:
                root.mkdir(parents=True, exist_ok=True)
                case = rerecord_all([plan], self.base_url, credentials, self.limiter,
                                    out_dir=root, source=source,
                                    redactor=self.redactor)[0]
            except (RecordError, OSError) as exc:
                raise ReplayMiss(f"smsc-formats: recording {query.describe()} from "
                                 f"{self.base_url} failed: {exc}") from None
        self.mine.add((case.call, case.name))
        _corpus(self.config, missing_ok=True)[f"{case.call}/{case.name}"] = case
        return case


def _redaction_options(config: pytest.Config) -> tuple[list[str], str | None]:
    """The fields to mask and the ``before_record`` hook the command line or the ini file
    name (empty: the ``[tool.smsc-formats]`` configuration decides)."""
    given = config.getoption("smsc_redact") or config.getini("smsc_redact")
    fields = [f for item in given for f in str(item).split(",") if f.strip()]
    hook = config.getoption("smsc_before_record") or config.getini("smsc_before_record")
    return fields, str(hook) if hook else None


def _redactor(config: pytest.Config) -> Any:
    """The recording's :class:`~smsc_formats.redact.Redactor` (None: nothing to mask), as
    ``smsc-formats record`` builds it for the corpus folder."""
    from .edge.redact import redactor_for

    fields, hook = _redaction_options(config)
    return redactor_for(corpus_dir(config), fields, hook)


def _masked_params(config: pytest.Config) -> list[str]:
    """The masked fields, which ``smsc_mock`` leaves out of the match (a recorded case holds
    their pseudonyms); one line and a failed test if the configuration is bad."""
    from .edge.redact import configured
    from .redact import RedactError

    cached = config.stash.get(_MASKED_KEY, None)
    if cached is not None:
        return cached
    fields, _ = _redaction_options(config)
    if not fields:
        problem = None
        try:
            fields = configured(corpus_dir(config))[0]
        except RedactError as exc:
            problem = str(exc)
        if problem is not None:
            pytest.fail(f"smsc-formats: {problem}", pytrace=False)
    config.stash[_MASKED_KEY] = [f.strip() for item in fields for f in item.split(",")
                                 if f.strip()]
    return config.stash[_MASKED_KEY]


def _matching(config: pytest.Config, recording: bool) -> tuple[list[str], Any]:
    """How ``smsc_mock`` matches the masked request parameters (``phone``) a redacted corpus
    stores as pseudonyms: through the same pseudonyms when the redaction key is at hand
    (``$SMSC_FORMATS_REDACT_KEY``, the corpus's ``.redact-key``, or a recording, which creates
    it), as ``([], mask)``; else left out of the match, as ``(fields, None)``."""
    from .edge.redact import KEY_ENV, KEY_FILE, corpus_key
    from .redact import RedactError, Redactor

    fields = _masked_params(config)
    root = corpus_dir(config)
    if not fields or not (recording or os.environ.get(KEY_ENV) or (root / KEY_FILE).is_file()):
        return fields, None
    try:
        redactor = Redactor.of(fields, corpus_key(root))
    except RedactError as exc:
        problem = str(exc)
    else:
        return [], redactor.params
    pytest.fail(f"smsc-formats: {problem}", pytrace=False)


def _has_own_cases(cases: Mapping[str, Case], test_name: str) -> bool:
    prefix = _case_name(test_name)
    own = re.compile(re.escape(prefix) + r"(-[0-9]+)?")
    return any(own.fullmatch(key.partition("/")[2]) for key in cases)


@pytest.fixture
def smsc_mock(request: pytest.FixtureRequest) -> Iterator[SmscMock]:
    """The SMSC hosts answered in-process from the corpus, for this test.

    Stub an answer with ``smsc_mock.stub(call, reply)``; ``smsc_mock.requests`` lists what the
    code under test sent. A request with no answer fails the test, naming the closest case.
    """
    from .testing import SmscMock
    from .testing._transports import intercept

    config = request.config
    mode = str(config.getoption("smsc_record_mode"))
    cases = _corpus(config, missing_ok=mode != "none")
    recorder: _Recording | None = None
    if mode in ("new_episodes", "all") or (mode == "once"
                                           and not _has_own_cases(cases, request.node.name)):
        recorder = _Recording(config, request.node.name, mode)
    unmatched, mask = _matching(config, recording=mode != "none")
    mock = SmscMock(list(cases.values()), extra_hosts=config.getini("smsc_hosts"),
                    ignore=[*config.getini("smsc_match_ignore"), *unmatched],
                    recorder=recorder, mask=mask,
                    record_all=mode == "all")
    request.node.stash[_MOCK_KEY] = mock
    with intercept(mock):
        yield mock


# ---------------------------------------------------------------------------------------------
# No network during replay


def is_loopback(host: Any) -> bool:
    """Whether ``host`` (an address or ``localhost``) stays on this machine."""
    if isinstance(host, bytes):
        host = host.decode("ascii", errors="replace")
    if not isinstance(host, str):
        return False
    host = host.split("%", 1)[0].strip("[]")
    if host.lower() in ("localhost", "localhost."):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    mapped = getattr(address, "ipv4_mapped", None)
    return address.is_loopback or (mapped is not None and mapped.is_loopback)


class Allowed:
    """The hosts the guard lets through: loopback, and the allow-list's names, addresses and
    networks, plus every address an allowed name was resolved to."""

    def __init__(self, entries: Iterable[str] = ()) -> None:
        self.names: set[str] = set()
        self.networks: list[ipaddress.IPv4Network | ipaddress.IPv6Network] = []
        for entry in entries:
            try:
                self.networks.append(ipaddress.ip_network(entry.strip("[]"), strict=False))
            except ValueError:
                self.names.add(entry.lower().rstrip("."))

    def __contains__(self, host: Any) -> bool:
        if isinstance(host, bytes):
            host = host.decode("ascii", errors="replace")
        if not isinstance(host, str):
            return False
        if is_loopback(host):
            return True
        bare = host.split("%", 1)[0].strip("[]")
        try:
            address = ipaddress.ip_address(bare)
        except ValueError:
            return bare.lower().rstrip(".") in self.names
        return any(address.version == n.version and address in n for n in self.networks)

    def learn(self, infos: Any) -> None:
        """Allow the addresses a lookup of an allowed name gave."""
        for info in infos:
            address = info[4][0] if len(info) > 4 and info[4] else None
            if isinstance(address, str):
                bare = address.split("%", 1)[0]
                self.networks.append(ipaddress.ip_network(bare))


_HINT = "only loopback and smsc_allowed_hosts are allowed; set smsc_allow_network = true to " \
        "allow everything"


def _check(address: Any, allowed: Allowed | None = None) -> None:
    if not isinstance(address, tuple) or not address:
        return  # AF_UNIX paths and other non-IP families are not network.
    if address[0] in (allowed if allowed is not None else Allowed()):
        return
    port = address[1] if len(address) > 1 else "?"
    raise NetworkBlockedError(
        f"smsc-formats replay: connection to {address[0]}:{port} blocked ({_HINT})")


@contextmanager
def blocked_network(allowed: Iterable[str] = ()) -> Iterator[None]:
    """Within the block, DNS lookups, TCP and UDP to non-loopback hosts not in ``allowed``
    raise NetworkBlockedError before anything is sent."""
    allow = Allowed(allowed)
    patch = pytest.MonkeyPatch()
    connect: Callable[..., Any] = socket.socket.connect
    connect_ex: Callable[..., Any] = socket.socket.connect_ex
    sendto: Callable[..., Any] = socket.socket.sendto
    create_connection: Callable[..., Any] = socket.create_connection
    getaddrinfo: Callable[..., Any] = socket.getaddrinfo
    gethostbyname: Callable[..., Any] = socket.gethostbyname
    gethostbyname_ex: Callable[..., Any] = socket.gethostbyname_ex

    def lookup_allowed(host: Any, port: Any) -> None:
        if host is None or host in allow:
            return
        shown = host.decode("ascii", "replace") if isinstance(host, bytes) else host
        raise NetworkBlockedError(
            f"smsc-formats replay: DNS lookup of {shown}:{port} blocked ({_HINT})")

    def guarded_getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        lookup_allowed(host, port)
        infos = getaddrinfo(host, port, *args, **kwargs)
        if host is not None and not is_loopback(host):
            allow.learn(infos)
        return infos

    def guarded_gethostbyname(host: Any) -> Any:
        lookup_allowed(host, "?")
        return gethostbyname(host)

    def guarded_gethostbyname_ex(host: Any) -> Any:
        lookup_allowed(host, "?")
        return gethostbyname_ex(host)

    def guarded_connect(self: socket.socket, address: Any) -> Any:
        if self.family in (socket.AF_INET, socket.AF_INET6):
            _check(address, allow)
        return connect(self, address)

    def guarded_connect_ex(self: socket.socket, address: Any) -> Any:
        if self.family in (socket.AF_INET, socket.AF_INET6):
            _check(address, allow)
        return connect_ex(self, address)

    def guarded_sendto(self: socket.socket, data: Any, *args: Any) -> Any:
        if self.family in (socket.AF_INET, socket.AF_INET6) and args:
            _check(args[-1], allow)
        return sendto(self, data, *args)

    def guarded_create_connection(address: Any, *args: Any, **kwargs: Any) -> Any:
        _check(address, allow)
        return create_connection(address, *args, **kwargs)

    patch.setattr(socket.socket, "connect", guarded_connect)
    patch.setattr(socket.socket, "connect_ex", guarded_connect_ex)
    patch.setattr(socket.socket, "sendto", guarded_sendto)
    patch.setattr(socket, "create_connection", guarded_create_connection)
    patch.setattr(socket, "getaddrinfo", guarded_getaddrinfo)
    patch.setattr(socket, "gethostbyname", guarded_gethostbyname)
    patch.setattr(socket, "gethostbyname_ex", guarded_gethostbyname_ex)
    try:
        yield
    finally:
        patch.undo()


def _allowed_hosts(config: pytest.Config) -> list[str]:
    hosts = [str(h) for h in config.getini("smsc_allowed_hosts")]
    if config.getoption("smsc_record_mode") != "none":
        import urllib.parse

        host = urllib.parse.urlsplit(str(config.getoption("smsc_record_base_url"))).hostname
        if host:
            hosts.append(host)
    return hosts


@contextmanager
def _guard(item: pytest.Item) -> Iterator[None]:
    names = getattr(item, "fixturenames", ())
    config = item.config
    wanted = config.getoption("smsc_block_network") or not REPLAY_FIXTURES.isdisjoint(names)
    if not wanted or config.getini("smsc_allow_network"):
        yield
        return
    with blocked_network(_allowed_hosts(config)):
        yield


@pytest.hookimpl(wrapper=True)
def pytest_runtest_setup(item: pytest.Item) -> Generator[None, None, None]:
    with _guard(item):
        return (yield)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, None, None]:
    from .errors import ReplayMiss

    missed: str | None = None
    try:
        with _guard(item):
            result = yield
    except ReplayMiss as exc:
        missed = str(exc)
    if missed is not None:
        # One line, no traceback: the frames of the HTTP library would show the request's
        # arguments, credentials included.
        pytest.fail(missed, pytrace=False)
    # A test that passed although smsc_mock missed (the code under test caught the
    # ReplayMiss) fails all the same.
    mock = item.stash.get(_MOCK_KEY, None)
    if mock is not None and mock.misses:
        pytest.fail(f"{mock.misses[0]} (the code under test caught the ReplayMiss)",
                    pytrace=False)
    return result


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item: pytest.Item,
                            nextitem: pytest.Item | None) -> Generator[None, None, None]:
    with _guard(item):
        return (yield)
