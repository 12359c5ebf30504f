"""The recorder against the simulator on 127.0.0.1: corpus, secrets, atomicity, limits, stops."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from smsc_formats.api import parse
from smsc_formats.canonical import to_canonical
from smsc_formats.edge import store
from smsc_formats.edge.cases import UserCase
from smsc_formats.edge.ledger import Ledger, Limiter, account_id, server_id
from smsc_formats.edge.recorder import (
    DEFAULT_CASES,
    RETRY_BACKOFF,
    Event,
    PlanError,
    RecordError,
    cross_format,
    plan_cases,
    record,
    rerecord,
    rerecord_all,
)
from smsc_formats.edge.secrets import scan
from smsc_formats.edge.simulator import SimulatorConfig, SimulatorServer, start_simulator
from smsc_formats.edge.store import BODY_FILES, FormatMeta, load_case, load_corpus
from smsc_formats.model import ApiError, SentMessage, StatRow
from smsc_formats.request import Credentials
from tests.loopback import RESET, Answer, Seen, loopback

LOGIN, PSW = "demo-login-42", "demo-Password/+1"
CREDS = Credentials(login=LOGIN, psw=PSW)
SECRETS = {"login": LOGIN, "psw": PSW}
CASES = {(c.call, c.name) for c in DEFAULT_CASES}


class FakeTime:
    """One clock for the simulator and the limiter; it moves only when the limiter sleeps."""

    def __init__(self) -> None:
        self.now = 1_000_000.0
        self.slept = 0.0

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept += seconds
        self.now += seconds


def _server(log: list[str] | None = None, **config: Any) -> SimulatorServer:
    settings: dict[str, Any] = {"login": LOGIN, "psw": PSW, "limits": False, **config}
    return start_simulator(SimulatorConfig(**settings),
                           access_log=None if log is None else log.append)


@pytest.fixture
def sim() -> Iterator[SimulatorServer]:
    server = _server()
    yield server
    server.shutdown()


def _free_limiter() -> Limiter:
    return Limiter(Ledger(None), enabled=False)


def _record(server: SimulatorServer, out: Path, **kw: Any) -> list[store.Case]:
    kw.setdefault("limiter", _free_limiter())
    return record(server.base_url, out, CREDS, source="simulator",
                  as_of=server.dataset.now.date(), **kw)


def _snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file()}


def test_records_six_calls_in_four_formats_that_agree(sim: SimulatorServer,
                                                      tmp_path: Path) -> None:
    events: list[Event] = []
    _record(sim, tmp_path, progress=events.append)
    corpus = load_corpus(tmp_path)
    assert {(c.call, c.name) for c in corpus} == CASES
    for case in corpus:
        assert sorted(case.bodies) == [0, 1, 2, 3]
        assert case.source == "simulator"
        assert case.source_host == sim.base_url.removeprefix("http://")
        assert case.recorded_at.endswith("+00:00")
        assert case.cross_format == "ok"
        values = [to_canonical(parse(case.bodies[f], call=case.call, fmt=f, charset="utf-8"))
                  for f in range(4)]
        assert all(v == values[0] for v in values), case.name
        assert not isinstance(values[0], dict) or "error" not in values[0], case.call
        for fmt, meta in case.formats.items():
            assert meta.http_status == 200
            assert meta.charset == "utf-8"
            assert meta.file == BODY_FILES[fmt]
            assert "charset=utf-8" in meta.content_type
    assert sum(e.kind == "answer" for e in events) == 28


def test_pinned_window_is_the_week_before_the_anchor_day(sim: SimulatorServer,
                                                         tmp_path: Path) -> None:
    _record(sim, tmp_path, calls=["get_messages", "get_stat"], fmts=[3])
    messages = load_case(tmp_path / "get_messages" / "default")
    assert sim.dataset.now.date() == date(2026, 11, 24)
    assert dict(messages.params) == {"start": "17.11.2026", "end": "23.11.2026", "cnt": "5"}
    sent = parse(messages.bodies[3], call="get_messages", fmt=3)
    assert isinstance(sent, list)
    assert len(sent) == 5
    # The simulator's messages of that window, newest first (its dataset is the reference).
    anchor = sim.dataset.now.date()
    expected = [m.id for m in sim.dataset.messages
                if 1 <= (anchor - m.send_date.date()).days <= 7][:5]
    assert [m.id for m in sent if isinstance(m, SentMessage)] == expected


def test_get_stat_login_is_the_placeholder_and_no_secret_is_anywhere(
        sim: SimulatorServer, tmp_path: Path) -> None:
    events: list[Event] = []
    _record(sim, tmp_path, progress=events.append)
    stat = load_case(tmp_path / "get_stat" / "default")
    for fmt in range(4):
        reply = parse(stat.bodies[fmt], call="get_stat", fmt=fmt)
        assert isinstance(reply, list)
        assert isinstance(reply[0], StatRow)
        assert reply[0].login == "redacted-login"
    assert scan([tmp_path], SECRETS) == []
    shown = "\n".join(e.message for e in events)
    assert LOGIN.lower() not in shown.lower()
    assert PSW not in shown


def test_once_skips_existing_cases_without_a_request(tmp_path: Path) -> None:
    log: list[str] = []
    server = _server(log)
    try:
        _record(server, tmp_path)
        assert len(log) == 28
        before = _snapshot(tmp_path)
        assert _record(server, tmp_path) == []
        assert len(log) == 28
        assert _snapshot(tmp_path) == before
    finally:
        server.shutdown()


def test_new_records_only_missing_formats_and_keeps_existing_bytes(tmp_path: Path) -> None:
    log: list[str] = []
    server = _server(log)
    try:
        _record(server, tmp_path, calls=["get_price"], fmts=[0, 1])
        before = _snapshot(tmp_path)
        _record(server, tmp_path, calls=["get_price"], mode="new")
        assert len(log) == 4
        assert [line.split()[3] for line in log[2:]] == ["fmt=2", "fmt=3"]
        case = load_case(tmp_path / "get_price" / "default")
        assert sorted(case.bodies) == [0, 1, 2, 3]
        assert case.cross_format == "ok"
        after = _snapshot(tmp_path)
        for name in ("get_price/default/fmt0.txt", "get_price/default/fmt1.csv"):
            assert after[name] == before[name]
        assert _record(server, tmp_path, calls=["get_price"], mode="new") == []
        assert len(log) == 4
    finally:
        server.shutdown()


def test_all_rerecords_and_keeps_unselected_formats_of_the_same_request(
        tmp_path: Path) -> None:
    first = _server(seed=1)
    try:
        _record(first, tmp_path, calls=["get_price"])
    finally:
        first.shutdown()
    old = load_case(tmp_path / "get_price" / "default")
    second = _server(seed=2)
    try:
        _record(second, tmp_path, calls=["get_price"], fmts=[3], mode="all")
    finally:
        second.shutdown()
    new = load_case(tmp_path / "get_price" / "default")
    assert new.bodies[0] == old.bodies[0]
    assert new.bodies[3] != old.bodies[3]
    # Another seed, other prices: the kept and the new formats no longer agree, and say so.
    assert new.cross_format.startswith("fmt 3 differs from fmt 0 at $.zones[0].")


def test_killed_mid_way_leaves_the_old_corpus_intact(tmp_path: Path) -> None:
    first = _server(seed=1)
    try:
        _record(first, tmp_path)
    finally:
        first.shutdown()
    before = _snapshot(tmp_path)

    stored: list[str] = []

    def killer(event: Event) -> None:
        if event.kind == "stored":
            stored.append(event.case)
            if len(stored) == 2:
                raise KeyboardInterrupt

    second = _server(seed=2)
    try:
        with pytest.raises(KeyboardInterrupt):
            _record(second, tmp_path, mode="all", progress=killer)
    finally:
        second.shutdown()
    corpus = load_corpus(tmp_path)
    assert {(c.call, c.name) for c in corpus} == CASES
    after = _snapshot(tmp_path)
    changed = {name.split("/")[0] for name in after if after[name] != before.get(name)}
    # Only the two cases finished before the kill were replaced, each one whole.
    assert changed == {"get_messages", "get_answers"}
    for case in corpus:
        assert case.cross_format == "ok"


def test_killed_inside_the_swap_leaves_the_old_case_loadable(
        sim: SimulatorServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _record(sim, tmp_path, calls=["get_price"])
    old = load_case(tmp_path / "get_price" / "default")
    real_replace = os.replace
    calls: list[str] = []

    def dying_replace(src: Any, dst: Any) -> None:
        calls.append(str(dst))
        if len(calls) == 2:  # the old case is aside, the new one not yet in place
            raise KeyboardInterrupt
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", dying_replace)
    with pytest.raises(KeyboardInterrupt):
        _record(sim, tmp_path, calls=["get_price"], mode="all")
    monkeypatch.undo()
    assert load_case(tmp_path / "get_price" / "default").bodies == old.bodies


def test_limits_on_two_full_runs_trigger_no_error_9(tmp_path: Path) -> None:
    fake = FakeTime()
    server = _server(limits=True, clock=fake.clock)
    ledger = Ledger(tmp_path / "ledger.json")
    try:
        for _ in range(2):
            limiter = Limiter(ledger, clock=fake.clock, sleep=fake.sleep)
            cases = _record(server, tmp_path / "corpus", mode="all", limiter=limiter)
            assert len(cases) == len(CASES)
    finally:
        server.shutdown()
    # The four formats of get_stat alone need more than a minute: the limiter did wait.
    assert fake.slept >= 60
    assert LOGIN not in (tmp_path / "ledger.json").read_text()


def test_error_9_is_never_stored_and_stops(tmp_path: Path) -> None:
    server = _server(limits=True)
    try:
        with pytest.raises(RecordError, match="error 9") as info:
            _record(server, tmp_path, calls=["get_stat", "get_price"])
    finally:
        server.shutdown()
    # The limiter was off, so get_stat's fourth format in a minute was refused; the
    # recording stopped there, before get_price's last format: nothing was written.
    assert "get_stat fmt 3" in str(info.value)
    assert not (tmp_path / "get_stat").exists()
    assert not (tmp_path / "get_price").exists()
    for case in load_corpus(tmp_path):
        for fmt, body in case.bodies.items():
            reply = parse(body, call=case.call, fmt=fmt)
            assert not (isinstance(reply, ApiError) and reply.code == 9)


def test_error_2_stops_with_the_reason_and_writes_nothing(sim: SimulatorServer,
                                                          tmp_path: Path) -> None:
    wrong = Credentials(login=LOGIN, psw="not-the-password")
    with pytest.raises(RecordError) as info:
        record(sim.base_url, tmp_path, wrong, limiter=_free_limiter())
    message = str(info.value)
    assert "error 2" in message
    assert "refused the credentials" in message
    assert "not-the-password" not in message
    assert LOGIN not in message
    assert list(tmp_path.iterdir()) == []


def test_unreachable_server_stops(tmp_path: Path) -> None:
    server = _server()
    url = server.base_url
    server.shutdown()
    with pytest.raises(RecordError, match=r"cannot reach 127\.0\.0\.1:"):
        record(url, tmp_path, CREDS, limiter=_free_limiter())


def test_unparseable_answers_are_stored_but_marked(tmp_path: Path) -> None:
    server = _server(drift="unparseable")
    events: list[Event] = []
    try:
        _record(server, tmp_path, calls=["get_price"], progress=events.append)
    finally:
        server.shutdown()
    case = load_case(tmp_path / "get_price" / "default")
    assert case.cross_format.startswith("fmt 0 does not parse")
    assert any(e.kind == "note" and "formats disagree" in e.message for e in events)


def test_cross_format_names_the_first_difference() -> None:
    meta = {f: FormatMeta(BODY_FILES[f]) for f in (0, 1)}
    assert cross_format("get_stat", {0: b"", 1: b""}, meta) == "ok"
    price0 = b"zone = 1, name = A, api = 1.00, mass = 1.00, mms = 1.00, hlr = 1.00, call = 1.00"
    price1 = b"1,A,1.00,1.00,1.00,1.00,2.00"
    assert cross_format("get_price", {0: price0, 1: price1}, meta) == \
        "fmt 1 differs from fmt 0 at $.zones[0].call"
    # An error without its description (fmt=1) agrees with the same code described.
    errors = {0: b"ERROR = 3 (link not found)", 1: b"0,-3"}
    assert cross_format("get_short_link", errors, meta) == "ok"
    assert cross_format("get_short_link", {0: b"ERROR = 3 (link not found)", 1: b"0,-1"},
                        meta) == "fmt 1 differs from fmt 0 at $.error_code"


def test_rerecord_gives_the_same_case_again(sim: SimulatorServer, tmp_path: Path) -> None:
    _record(sim, tmp_path / "corpus", calls=["get_operator"])
    old = load_case(tmp_path / "corpus" / "get_operator" / "several-phones")
    new = rerecord(old, sim.base_url, CREDS, _free_limiter(), out_dir=tmp_path / "again",
                   source="simulator")
    assert new.bodies == old.bodies
    assert dict(new.params) == dict(old.params)
    assert new.cross_format == "ok"
    assert load_case(tmp_path / "again" / "get_operator" / "several-phones").bodies == \
        old.bodies


_LOOPING_RECORDER = """
import sys
from pathlib import Path
from smsc_formats.edge.ledger import Ledger, Limiter
from smsc_formats.edge.recorder import record
from smsc_formats.edge.simulator import SimulatorConfig, start_simulator
from smsc_formats.request import Credentials

out, marker = Path(sys.argv[1]), Path(sys.argv[2])
creds = Credentials(login="loop-login", psw="loop-password")
servers = [start_simulator(SimulatorConfig(seed=s, login="loop-login", psw="loop-password",
                                           limits=False)) for s in (1, 2)]
for i in range(400):
    server = servers[i % 2]
    record(server.base_url, out, creds, mode="all", source="simulator",
           as_of=server.dataset.now.date(), limiter=Limiter(Ledger(None), enabled=False))
    marker.write_text(str(i))
"""


def test_sigkill_at_any_moment_leaves_every_case_whole(tmp_path: Path) -> None:
    out, marker = tmp_path / "corpus", tmp_path / "marker"
    child = subprocess.Popen([sys.executable, "-c", _LOOPING_RECORDER, str(out), str(marker)],
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        for _ in range(600):  # bounded: at most 60 s for two full recordings
            if marker.exists() and int(marker.read_text() or "0") >= 2:
                break
            if child.poll() is not None:
                break
            time.sleep(0.1)
        time.sleep(0.13)  # somewhere inside the next recording, in no particular step
        assert child.poll() is None, child.stderr.read() if child.stderr else ""
        child.send_signal(signal.SIGKILL)
    finally:
        child.kill()
        child.wait()
        if child.stderr:
            child.stderr.close()
    corpus = load_corpus(out)
    assert {(c.call, c.name) for c in corpus} == CASES
    for case in corpus:
        assert sorted(case.bodies) == [0, 1, 2, 3]
        values = [to_canonical(parse(case.bodies[f], call=case.call, fmt=f)) for f in range(4)]
        # Seeds 1 and 2 give other values: equal values mean no case mixes two recordings.
        assert all(v == values[0] for v in values), case.name


def test_a_login_that_spells_part_of_the_layout_is_refused(tmp_path: Path) -> None:
    # The login "sms" is also a key of get_stat's fmt=0 body (``sms = 7``): replacing it would
    # break the body, and storing it would leak it. The recorder stops instead.
    server = _server(login="sms", psw="sms-password")
    try:
        with pytest.raises(RecordError, match="cannot be replaced safely"):
            record(server.base_url, tmp_path, Credentials(login="sms", psw="sms-password"),
                   calls=["get_stat"], fmts=[0], as_of=server.dataset.now.date(),
                   limiter=_free_limiter())
    finally:
        server.shutdown()
    assert not (tmp_path / "get_stat").exists()


def test_the_committed_corpus_holds_every_default_case() -> None:
    root = Path(__file__).resolve().parents[2] / "fixtures"
    corpus = {(c.call, c.name): c for c in load_corpus(root)}
    anchor = date(2026, 11, 24)  # the simulator's day (tools/record_corpus.py)
    for default in DEFAULT_CASES:
        case = corpus[(default.call, default.name)]
        assert case.source == "simulator"
        assert dict(case.params) == default.resolve(anchor)
        assert sorted(case.bodies) == [0, 1, 2, 3]
        assert case.cross_format == "ok"
    stat = parse(corpus[("get_stat", "default")].bodies[0], call="get_stat", fmt=0)
    assert isinstance(stat, list)
    assert isinstance(stat[0], StatRow)
    assert stat[0].login == "redacted-login"
    documented = [c for c in corpus.values() if c.source == "documentation"]
    assert {c.call for c in documented} == {c.call for c in DEFAULT_CASES}


# -- planning, retries, formats counted apart -------------------------------------------------

GET_STAT_JSON = (b'[{\n"login": "someone",\n"sms": "3",\n"credit": "1.50",\n"debit": "0.00",\n'
                 b'"currency": "RUB"\n}]')


def _flaky(failures: int, status: int) -> list[Answer]:
    """Answers get_stat fmt=3; the first ``failures`` requests are reset (or get ``status``)."""
    failed = RESET if not status else Answer(status, content_type=None)
    return [failed] * failures + [Answer(200, GET_STAT_JSON, "application/json; charset=utf-8")]


def _counting_limiter(fake: FakeTime) -> tuple[Limiter, Ledger]:
    ledger = Ledger(None)
    return Limiter(ledger, clock=fake.clock, sleep=fake.sleep), ledger


def _sent(ledger: Ledger, base_url: str) -> int:
    return len(ledger.history(server_id(base_url), account_id(LOGIN)))


@pytest.mark.parametrize("status", [0, 502, 503])
def test_a_reset_or_5xx_is_retried_once_and_counted(tmp_path: Path, status: int) -> None:
    fake = FakeTime()
    limiter, ledger = _counting_limiter(fake)
    events: list[Event] = []
    with loopback(_flaky(1, status)) as server:
        cases = record(server.url, tmp_path, CREDS, calls=["get_stat"], fmts=[3],
                       limiter=limiter, as_of=date(2026, 11, 24), progress=events.append)
    assert [c.name for c in cases] == ["default"]
    assert load_case(tmp_path / "get_stat" / "default").bodies[3] == GET_STAT_JSON
    assert len(server.seen) == 2
    assert _sent(ledger, server.url) == 2  # both tries count against the limits
    assert fake.slept == RETRY_BACKOFF[0]
    retries = [e for e in events if e.kind == "retry"]
    assert len(retries) == 1
    assert ("connection reset" if not status else f"HTTP {status}") in retries[0].message


def test_retries_are_bounded(tmp_path: Path) -> None:
    fake = FakeTime()
    limiter, ledger = _counting_limiter(fake)
    with (loopback(_flaky(99, 0)) as server,
          pytest.raises(RecordError, match=r"connection reset \(tried 3 times\)")):
        record(server.url, tmp_path, CREDS, calls=["get_stat"], fmts=[3], limiter=limiter,
               as_of=date(2026, 11, 24))
    assert len(server.seen) == 3
    assert _sent(ledger, server.url) == 3
    assert not (tmp_path / "get_stat").exists()


def test_the_run_is_planned_and_its_duration_stated(sim: SimulatorServer,
                                                    tmp_path: Path) -> None:
    fake = FakeTime()
    limiter, _ = _counting_limiter(fake)
    events: list[Event] = []
    _record(sim, tmp_path, calls=["get_price"], limiter=limiter, progress=events.append)
    start = next(e for e in events if e.kind == "start")
    # Three identical requests a minute, played as 3 per 65 s: the fourth format waits 65 s.
    assert start.total == 4
    assert start.wait == 65
    assert "about 65 s" in start.message
    assert fake.slept == 65
    wait = next(e for e in events if e.kind == "wait")
    assert "at most 3 identical requests a minute" in wait.message


def test_a_planned_wait_over_max_wait_stops_before_any_request(tmp_path: Path) -> None:
    log: list[str] = []
    server = _server(log)
    fake = FakeTime()
    limiter = Limiter(Ledger(None), clock=fake.clock, sleep=fake.sleep, max_wait=10)
    try:
        with pytest.raises(RecordError, match="before request 4 of 4") as info:
            _record(server, tmp_path, calls=["get_price"], limiter=limiter)
    finally:
        server.shutdown()
    assert "more than --max-wait 10 s" in str(info.value)
    assert log == []
    assert fake.slept == 0


def test_formats_counted_apart_need_no_wait(sim: SimulatorServer, tmp_path: Path) -> None:
    fake = FakeTime()
    limiter, _ = _counting_limiter(fake)
    events: list[Event] = []
    _record(sim, tmp_path, calls=["get_price"], limiter=limiter, progress=events.append,
            formats_apart=True)
    assert next(e for e in events if e.kind == "start").wait == 0
    assert fake.slept == 0


@pytest.mark.parametrize(("base_url", "source"), [
    ("http://127.0.0.1:8123", "simulator"),
    ("http://127.8.9.10/", "simulator"),
    ("http://[::1]:9000", "simulator"),
    ("http://LOCALHOST:1", "simulator"),
    ("https://smsc.ru", "live"),
    ("https://smscentre.com/", "live"),
    ("http://10.0.0.1", "live"),
    ("http://127.0.0.1.example.com", "live"),
])
def test_a_loopback_server_is_recorded_as_a_simulator(base_url: str, source: str) -> None:
    """Without --source, a recording of a server on this machine is not labelled live."""
    from smsc_formats.edge.recorder import source_of

    assert source_of(base_url) == source


# -- a hostile server echoing the credentials where the body check does not look -------------

EYE_LOGIN, EYE_PSW = "eyeslogin", "Сек-ret_pw9"
EYE_CREDS = Credentials(login=EYE_LOGIN, psw=EYE_PSW)


def hostile_script(header: str = "", split: bool = False) -> Callable[[Seen], Answer]:
    """Answers get_stat with the login in the body; ``header`` is added to the Content-Type
    as UTF-8 bytes (as a hostile server sends it); with ``split`` the fmt=2 body splits the
    login by a comment and the password over two CDATA sections."""

    def answer(seen: Seen) -> Answer:
        fmt = seen.form.get("fmt", "0")
        login, currency = EYE_LOGIN, "RUB"
        if fmt == "2" and split:
            login = f"{EYE_LOGIN[:3]}<!-- -->{EYE_LOGIN[3:]}"
            currency = f"<![CDATA[{EYE_PSW[:3]}]]><![CDATA[{EYE_PSW[3:]}]]>"
        body = {
            "0": f"login = {login}, sms = 3, credit = 1.50, debit = 0.00, currency = RUB",
            "2": (f"<list>\n<stat>\n<login>{login}</login>\n<sms>3</sms>\n"
                  f"<credit>1.50</credit>\n<debit>0.00</debit>\n"
                  f"<currency>{currency}</currency>\n</stat>\n</list>"),
            "3": (f'[{{\n"login": "{login}",\n"sms": "3",\n"credit": "1.50",\n'
                  f'"debit": "0.00",\n"currency": "RUB"\n}}]'),
        }[fmt].encode()
        # http.server sends a header as latin-1: these are the UTF-8 bytes of the text.
        content_type = f"text/plain; charset=utf-8{header}".encode().decode("latin-1")
        return Answer(200, body, content_type)

    return answer


def _record_hostile(base_url: str, out: Path, **kw: Any) -> list[store.Case]:
    return record(base_url, out, EYE_CREDS, calls=["get_stat"], fmts=[0, 2, 3],
                  limiter=_free_limiter(), as_of=date(2026, 11, 24), **kw)


def test_a_password_in_the_content_type_header_is_never_stored(tmp_path: Path) -> None:
    with loopback(hostile_script(header=f"; x={EYE_PSW}")) as hostile:
        _record_hostile(hostile.url, tmp_path)
    case = load_case(tmp_path / "get_stat" / "default")  # what check and serve read
    assert sorted(case.formats) == [0, 2, 3]
    for meta in case.formats.values():
        assert meta.content_type == "text/plain; charset=utf-8; x=redacted-psw"
    assert scan([tmp_path], {"login": EYE_LOGIN, "psw": EYE_PSW}) == []
    stored = b"".join(p.read_bytes() for p in tmp_path.rglob("*") if p.is_file())
    assert EYE_PSW.encode() not in stored
    assert EYE_PSW.encode().decode("latin-1").encode() not in stored


def test_a_header_parameter_that_is_not_ascii_is_left_out_never_refused_later(
        tmp_path: Path) -> None:
    events: list[Event] = []
    with loopback(hostile_script(header="; note=Привет; q=1")) as hostile:
        _record_hostile(hostile.url, tmp_path, progress=events.append)
    case = load_case(tmp_path / "get_stat" / "default")
    assert {m.content_type for m in case.formats.values()} == {"text/plain; charset=utf-8; q=1"}
    notes = [e.message for e in events if e.kind == "note"]
    assert sum("not printable ASCII" in n for n in notes) == 3


def test_a_credential_split_in_the_xml_is_refused_without_its_value(tmp_path: Path) -> None:
    with loopback(hostile_script(split=True)) as hostile, pytest.raises(RecordError) as info:
        _record_hostile(hostile.url, tmp_path)
    message = str(info.value)
    assert "get_stat/default fmt 2" in message
    assert "only once the XML is parsed" in message
    for part in (EYE_LOGIN, EYE_LOGIN[3:], EYE_PSW, EYE_PSW[3:]):
        assert part not in message
    assert not (tmp_path / "get_stat").exists()


def test_a_case_whose_meta_json_could_not_be_loaded_is_never_written(tmp_path: Path) -> None:
    case = store.make_case("get_stat", "default", {3: GET_STAT_JSON},
                           {3: FormatMeta("fmt3.json", content_type="text/plain; x=\u00e9")})
    with pytest.raises(store.StoreError, match="'content_type' must be printable ASCII"):
        store.write_case(tmp_path, case)
    assert not (tmp_path / "get_stat").exists()


# ---------------------------------------------------------------------------------------------
# Named cases


def _named(call: str, name: str, **params: str) -> UserCase:
    return UserCase(call, name, params, "pyproject.toml:7")


def test_named_cases_come_after_the_defaults_and_use_their_own_params(tmp_path: Path) -> None:
    named = [_named("get_messages", "three-days", start="20.11.2026", end="22.11.2026",
                    cnt="50"),
             _named("get_operator", "moscow", phone="79161234567")]
    plans = plan_cases(tmp_path, fmts=[3], as_of=date(2026, 11, 24), cases=named)
    assert [(p.call, p.name) for p in plans] == [
        *((c.call, c.name) for c in DEFAULT_CASES),
        ("get_messages", "three-days"), ("get_operator", "moscow")]
    assert plans[-1].params == {"phone": "79161234567"}
    # --call narrows named cases too; --param changes only the defaults.
    plans = plan_cases(tmp_path, calls=["get_operator"], fmts=[3], cases=named,
                       overrides={"get_operator": {"phone": "79031112233"}})
    assert [(p.name, dict(p.params)) for p in plans] == [
        ("default", {"phone": "79031112233"}), ("several-phones", {"phone": "79031112233"}),
        ("moscow", {"phone": "79161234567"})]


def test_a_named_case_window_is_recorded_as_the_dataset_has_it(sim: SimulatorServer,
                                                               tmp_path: Path) -> None:
    named = [_named("get_messages", "three-days", start="20.11.2026", end="22.11.2026",
                    cnt="50")]
    _record(sim, tmp_path, calls=["get_messages"], fmts=[0, 3], cases=named)
    case = load_case(tmp_path / "get_messages" / "three-days")
    assert dict(case.params) == {"start": "20.11.2026", "end": "22.11.2026", "cnt": "50"}
    assert case.cross_format == "ok"
    sent = parse(case.bodies[3], call="get_messages", fmt=3)
    assert isinstance(sent, list)
    expected = [m.id for m in sim.dataset.messages
                if date(2026, 11, 20) <= m.send_date.date() <= date(2026, 11, 22)][:50]
    assert expected
    assert [m.id for m in sent if isinstance(m, SentMessage)] == expected


def test_named_cases_follow_the_modes(tmp_path: Path) -> None:
    log: list[str] = []
    server = _server(log)
    named = [_named("get_operator", "moscow", phone="79161234567")]
    try:
        _record(server, tmp_path, calls=["get_operator"], fmts=[0], cases=named)
        assert len(log) == 3
        _record(server, tmp_path, calls=["get_operator"], fmts=[0, 1], mode="new",
                cases=named)
        assert len(log) == 6
        assert sorted(load_case(tmp_path / "get_operator" / "moscow").bodies) == [0, 1]
        events: list[Event] = []
        changed = [_named("get_operator", "moscow", phone="79031112233")]
        _record(server, tmp_path, calls=["get_operator"], fmts=[3], mode="all", cases=changed,
                progress=events.append)
        case = load_case(tmp_path / "get_operator" / "moscow")
        assert dict(case.params) == {"phone": "79031112233"}
        assert sorted(case.bodies) == [3]
        assert "get_operator/moscow: fmt 0 dropped (recorded with other parameters or " \
               "charset)" in [e.message for e in events]
    finally:
        server.shutdown()


def test_a_named_case_holding_a_credential_is_refused_before_any_request(
        tmp_path: Path) -> None:
    with loopback([]) as server:
        with pytest.raises(PlanError) as err:
            record(server.url, tmp_path, CREDS, cases=[_named("get_short_link", "x", id=PSW)])
        assert server.seen == []
    assert str(err.value).startswith("pyproject.toml:7: case 'get_short_link/x': id: the value "
                                     "holds a credential")
    assert PSW not in str(err.value)


def test_rerecord_all_repeats_a_named_case(sim: SimulatorServer, tmp_path: Path) -> None:
    named = [_named("get_operator", "moscow", phone="79161234567")]
    [case] = [c for c in _record(sim, tmp_path, calls=["get_operator"], fmts=[2], cases=named)
              if c.name == "moscow"]
    [again] = rerecord_all([case], sim.base_url, CREDS, _free_limiter(), source="simulator")
    assert (again.name, dict(again.params)) == ("moscow", {"phone": "79161234567"})
    assert again.bodies == case.bodies
