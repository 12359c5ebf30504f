"""The pytest plugin (entry point ``pytest11``): replay a fixture corpus in your tests.

Options:

- ``--smsc-corpus DIR`` on the command line, or ``smsc_corpus = DIR`` in the ini file
  (default ``fixtures``; an ini path is relative to the ini file, a command-line one to the
  current directory): the corpus to replay. Write ``--smsc-corpus=DIR`` with ``=``: pytest
  picks its rootdir (and ini file) from the path-like arguments, and a separate ``DIR``
  argument counts as one.
- ``smsc_allow_network = true`` in the ini file: do not block the network during replay.

Fixtures:

- ``smsc_replay_url`` (session): the base URL of a replay server for the corpus, e.g.
  ``http://127.0.0.1:41234``; the server starts once per session and stops at its end.
  ``smsc_replay_server`` gives the :class:`~smsc_formats.edge.replay.ReplayServer` itself.
- ``smsc_corpus`` (session): the loaded cases, by ``"call/case"``.
- ``smsc_case``: the parsed value of a recorded body, chosen by a marker::

      @pytest.mark.smsc_case("get_stat/default", fmt=3)
      def test_balance(smsc_case): ...

  Without ``fmt`` the test runs once per recorded format; the name may be a pattern
  (``"get_stat/*"``, ``"*"``) or a bare call (``"get_stat"``), and the test then runs once per
  matching case and format. ``smsc_case_body`` gives the raw recorded bytes of the same case.

No network during replay: while a test uses any of these fixtures (during its setup, call and
teardown), opening a connection to anything but a loopback address (``127.0.0.0/8``, ``::1``,
``localhost``) raises :class:`NetworkBlockedError`, before any DNS lookup.

The plugin is loaded by every pytest run in an environment where smsc-formats is installed, so
it imports nothing heavy until one of its fixtures or markers is used, and never click.
"""

from __future__ import annotations

import fnmatch
import ipaddress
import socket
from collections.abc import Callable, Generator, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from .edge.replay import ReplayServer
    from .edge.store import Case

MARKER = "smsc_case"
REPLAY_FIXTURES = frozenset({"smsc_replay_url", "smsc_replay_server", "smsc_case",
                             "smsc_case_body"})
"""Fixtures during whose tests the network is blocked."""
_CORPUS_KEY = pytest.StashKey["dict[str, Case]"]()


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


def _corpus(config: pytest.Config) -> dict[str, Case]:
    """The corpus, loaded once per session; a bad corpus fails with one line."""
    cached = config.stash.get(_CORPUS_KEY, None)
    if cached is not None:
        return cached
    from .edge.store import StoreError, load_corpus

    root = corpus_dir(config)
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
        import difflib

        near = difflib.get_close_matches(pattern, list(cases), n=3)
        hint = f"; closest: {', '.join(near)}" if near else f"; known: {', '.join(cases)}"
        wanted = pattern if fmt is None else f"{pattern} fmt={fmt}"
        pytest.fail(f"smsc_case: no recorded {wanted} in {corpus_dir(metafunc.config)}{hint}",
                    pytrace=False)
    metafunc.parametrize("_smsc_case_ref", refs, ids=[r.id for r in refs], indirect=True)


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
# No network during replay


def is_loopback(host: Any) -> bool:
    """Whether ``host`` (an address or ``localhost``) stays on this machine."""
    if isinstance(host, bytes):
        host = host.decode("ascii", errors="replace")
    if not isinstance(host, str):
        return False
    host = host.split("%", 1)[0].strip("[]")
    if host.lower() == "localhost":
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    mapped = getattr(address, "ipv4_mapped", None)
    return address.is_loopback or (mapped is not None and mapped.is_loopback)


def _check(address: Any) -> None:
    if not isinstance(address, tuple) or not address:
        return  # AF_UNIX paths and other non-IP families are not network.
    if is_loopback(address[0]):
        return
    port = address[1] if len(address) > 1 else "?"
    raise NetworkBlockedError(
        f"smsc-formats replay: connection to {address[0]}:{port} blocked (only loopback is "
        f"allowed while replaying; set smsc_allow_network = true to allow)")


@contextmanager
def blocked_network() -> Iterator[None]:
    """Within the block, connections to non-loopback addresses raise NetworkBlockedError."""
    patch = pytest.MonkeyPatch()
    connect: Callable[..., Any] = socket.socket.connect
    connect_ex: Callable[..., Any] = socket.socket.connect_ex
    create_connection: Callable[..., Any] = socket.create_connection

    def guarded_connect(self: socket.socket, address: Any) -> Any:
        if self.family in (socket.AF_INET, socket.AF_INET6):
            _check(address)
        return connect(self, address)

    def guarded_connect_ex(self: socket.socket, address: Any) -> Any:
        if self.family in (socket.AF_INET, socket.AF_INET6):
            _check(address)
        return connect_ex(self, address)

    def guarded_create_connection(address: Any, *args: Any, **kwargs: Any) -> Any:
        _check(address)
        return create_connection(address, *args, **kwargs)

    patch.setattr(socket.socket, "connect", guarded_connect)
    patch.setattr(socket.socket, "connect_ex", guarded_connect_ex)
    patch.setattr(socket, "create_connection", guarded_create_connection)
    try:
        yield
    finally:
        patch.undo()


@contextmanager
def _guard(item: pytest.Item) -> Iterator[None]:
    names = getattr(item, "fixturenames", ())
    if REPLAY_FIXTURES.isdisjoint(names) or item.config.getini("smsc_allow_network"):
        yield
        return
    with blocked_network():
        yield


@pytest.hookimpl(wrapper=True)
def pytest_runtest_setup(item: pytest.Item) -> Generator[None, None, None]:
    with _guard(item):
        return (yield)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, None, None]:
    with _guard(item):
        return (yield)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item: pytest.Item,
                            nextitem: pytest.Item | None) -> Generator[None, None, None]:
    with _guard(item):
        return (yield)
