"""Replay server: recorded bytes back for recorded requests, error 1 and a useful log otherwise.

Every expectation about a hit is read from the corpus files on disk (the bodies and
``meta.json``), never from the server's own index; error bodies are checked against the shapes
the reference page gives.
"""

from __future__ import annotations

import json
import logging
import socket
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import pytest

from smsc_formats import (
    MOSCOW,
    ApiError,
    IncomingMessage,
    OperatorInfo,
    Reply,
    ShortLink,
    StatRow,
    emit,
    parse,
)
from smsc_formats.edge.replay import ReplayServer, read_query, start_replay
from smsc_formats.edge.store import Case, FormatMeta, StoreError, make_case, write_case
from smsc_formats.spec import CALLS

LOGIN = "alice-login-7Q"
PSW = "pw-Секрет 42&x"
APIKEY = "key-0123456789abcdef"
LONG_KEY = "long-key-" + "0123456789abcdef" * 6
SECRETS = (LOGIN, PSW, APIKEY, LONG_KEY)
LOGGER = "smsc_formats.edge.replay"

_CONTENT_TYPES = {0: "text/plain", 1: "text/plain", 2: "text/xml", 3: "application/json"}


def _case(call: str, name: str, reply: Reply, params: Mapping[str, str],
          charset: str = "utf-8", source: str = "simulator",
          status: Mapping[int, int] | None = None) -> Case:
    bodies = {f: emit(reply, call=call, fmt=f, charset=charset) for f in range(4)}
    formats = {f: FormatMeta("", http_status=(status or {}).get(f, 200),
                             content_type=f"{_CONTENT_TYPES[f]}; charset={charset}",
                             charset=charset) for f in range(4)}
    return make_case(call, name, bodies, formats, params=dict(params), source=source,
                     source_host="127.0.0.1:1", recorded_at="2026-11-24T16:00:00+00:00")


def write_corpus(root: Path) -> Path:
    """A small corpus in the store layout: five calls, two charsets, an error, a duplicate."""
    at = datetime(2026, 11, 20, 13, 5, 9, tzinfo=MOSCOW)
    stat = [StatRow("redacted-login", 3, Decimal("1.50"), Decimal("0"), "RUB")]
    period = {"start": "01.11.2026", "end": "24.11.2026"}
    cases = [
        _case("get_stat", "default", stat, period),
        _case("get_stat", "mycur", [StatRow("redacted-login", 7, Decimal("2.10"),
                                            Decimal("0.5"), "EUR")], {**period, "mycur": "1"}),
        # The page's example for the same request: shadowed by the recorded default.
        _case("get_stat", "doc-example", [], period, source="documentation"),
        _case("get_answers", "default",
              [IncomingMessage(11, at, "79991234567", "привет, мир & <всем>", "79990000000",
                               at)], {"cnt": "10", "hour": "48"}),
        _case("get_operator", "one",
              OperatorInfo("Россия", "Билайн", "Москва", "250", "99", 3),
              {"phone": "79991234567"}, charset="windows-1251"),
        _case("get_short_link", "by-id",
              ShortLink(5, 10, 4, 1, 2, 3, "https://smsc.ru/a,b"), {"id": "5"}),
        _case("get_short_link", "missing", ApiError(3, "link not found"), {"id": "6"},
              status={0: 400}),
    ]
    for case in cases:
        write_case(root, case)
    return root


@dataclass(frozen=True)
class Recorded:
    """One recorded answer as the files on disk say it."""

    call: str
    case: str
    fmt: int
    params: dict[str, str]
    body: bytes
    status: int
    content_type: str
    charset: str
    source: str


def recorded(root: Path) -> list[Recorded]:
    """Every answer of a corpus, read straight from ``meta.json`` and the body files."""
    out = []
    for meta_path in sorted(root.glob("*/*/meta.json")):
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        for key, info in meta["formats"].items():
            out.append(Recorded(meta["call"], meta["case"], int(key), meta["params"],
                                (meta_path.parent / info["file"]).read_bytes(),
                                info["http_status"], info["content_type"], info["charset"],
                                meta["source"]))
    return out


def served(root: Path) -> list[Recorded]:
    """The answers a request can reach: documentation cases shadowed by a recorded one drop."""
    answers = recorded(root)
    taken = {(a.call, a.fmt, json.dumps(a.params, sort_keys=True)) for a in answers
             if a.source != "documentation"}
    return [a for a in answers if a.source != "documentation"
            or (a.call, a.fmt, json.dumps(a.params, sort_keys=True)) not in taken]


def query_of(answer: Recorded, **extra: str) -> dict[str, str]:
    spec = CALLS[answer.call]
    return {spec.selector: "1", "login": LOGIN, "psw": PSW, **answer.params,
            "fmt": str(answer.fmt), "charset": answer.charset, **extra}


def url_of(base: str, answer: Recorded) -> str:
    return f"{base}/{CALLS[answer.call].path}"


@dataclass(frozen=True)
class Got:
    status: int
    content_type: str
    body: bytes


def fetch(url: str, params: Mapping[str, str] | None = None, *, post: bool = False,
          charset: str = "utf-8", headers: Mapping[str, str] | None = None) -> Got:
    encoded = urllib.parse.urlencode(params or {}, encoding=charset)
    if post:
        request = urllib.request.Request(url, data=encoded.encode("ascii"),
                                         headers=dict(headers or {}))
    else:
        request = urllib.request.Request(f"{url}?{encoded}" if encoded else url,
                                         headers=dict(headers or {}))
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return Got(response.status, response.headers["Content-Type"], response.read())
    except urllib.error.HTTPError as exc:
        with exc:
            return Got(exc.code, exc.headers["Content-Type"], exc.read())


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_corpus(tmp_path_factory.mktemp("corpus"))


@pytest.fixture(scope="module")
def server(corpus: Path) -> Iterator[ReplayServer]:
    with start_replay(corpus) as running:
        yield running


# ---------------------------------------------------------------------------------------------
# Hits


@pytest.mark.parametrize("post", [False, True], ids=["GET", "POST"])
def test_every_recorded_request_gets_its_bytes_status_and_content_type(
        corpus: Path, server: ReplayServer, post: bool) -> None:
    answers = served(corpus)
    assert len(answers) == 6 * 4
    for answer in answers:
        got = fetch(url_of(server.base_url, answer), query_of(answer), post=post,
                    charset=answer.charset)
        assert got == Got(answer.status, answer.content_type, answer.body), \
            f"{answer.call}/{answer.case} fmt={answer.fmt}"


def test_recorded_non_200_status_is_replayed(corpus: Path, server: ReplayServer) -> None:
    [answer] = [a for a in recorded(corpus) if a.case == "missing" and a.fmt == 0]
    got = fetch(url_of(server.base_url, answer), query_of(answer))
    assert got.status == 400
    assert parse(got.body, call="get_short_link", fmt=0) == ApiError(3, "link not found")


def test_credentials_are_ignored(corpus: Path, server: ReplayServer) -> None:
    [answer] = [a for a in recorded(corpus) if a.case == "by-id" and a.fmt == 3]
    url = url_of(server.base_url, answer)
    bare = {k: v for k, v in query_of(answer).items() if k not in ("login", "psw")}
    for creds in ({}, {"apikey": APIKEY}, {"login": "someone-else", "psw": "other"}):
        assert fetch(url, {**bare, **creds}).body == answer.body


def test_parameter_order_and_get_post_mix_do_not_matter(corpus: Path,
                                                          server: ReplayServer) -> None:
    [answer] = [a for a in recorded(corpus) if a.case == "mycur" and a.fmt == 2]
    url = url_of(server.base_url, answer)
    params = list(query_of(answer).items())
    assert fetch(url, dict(reversed(params))).body == answer.body
    half = len(params) // 2
    mixed = f"{url}?{urllib.parse.urlencode(params[:half])}"
    assert fetch(mixed, dict(params[half:]), post=True).body == answer.body


def test_charset_aliases_match_and_other_charsets_do_not(corpus: Path,
                                                         server: ReplayServer) -> None:
    [answer] = [a for a in recorded(corpus) if a.call == "get_operator" and a.fmt == 0]
    url = url_of(server.base_url, answer)
    assert fetch(url, query_of(answer, charset="CP1251")).body == answer.body
    other = fetch(url, query_of(answer, charset="utf-8"))
    assert other.status == 404


def test_no_fmt_and_no_charset_mean_fmt0_windows_1251_like_the_server(
        corpus: Path, server: ReplayServer) -> None:
    [answer] = [a for a in recorded(corpus) if a.call == "get_operator" and a.fmt == 0]
    params = {k: v for k, v in query_of(answer).items() if k not in ("fmt", "charset")}
    got = fetch(url_of(server.base_url, answer), params)
    assert got.body == answer.body
    assert parse(got.body, call="get_operator", charset="windows-1251").operator == "Билайн"  # type: ignore[union-attr]


def test_documentation_case_with_the_same_request_is_shadowed(
        corpus: Path, server: ReplayServer) -> None:
    [default] = [a for a in recorded(corpus) if a.case == "default" and a.call == "get_stat"
                 and a.fmt == 3]
    [doc] = [a for a in recorded(corpus) if a.case == "doc-example" and a.fmt == 3]
    assert default.body != doc.body
    assert fetch(url_of(server.base_url, default), query_of(default)).body == default.body
    assert server.index.shadowed == {"get_stat/doc-example": "get_stat/default"}


def test_case_header_reaches_a_shadowed_case(corpus: Path, server: ReplayServer,
                                             caplog: pytest.LogCaptureFixture) -> None:
    [doc] = [a for a in recorded(corpus) if a.case == "doc-example" and a.fmt == 2]
    url = url_of(server.base_url, doc)
    header = {"X-Smsc-Case": "get_stat/doc-example"}
    assert fetch(url, query_of(doc), headers=header).body == doc.body
    assert fetch(url, query_of(doc), headers=header, post=True).body == doc.body
    caplog.set_level(logging.WARNING, logger=LOGGER)
    assert fetch(url, query_of(doc), headers={"X-Smsc-Case": "get_stat/nope"}).status == 404
    other_call = {**query_of(doc), "get_stat": "0", "get_price": "1"}
    assert fetch(url, other_call, headers=header).status == 404
    lines = [r.getMessage() for r in caplog.records if r.name == LOGGER]
    assert lines[0].endswith("X-Smsc-Case get_stat/nope is not a recorded case of get_stat "
                             "(known: get_stat/default, get_stat/doc-example, get_stat/mycur)")
    assert lines[1].endswith("X-Smsc-Case get_stat/doc-example is not a recorded case of "
                             "get_price (known: none)")


# ---------------------------------------------------------------------------------------------
# Misses

MISS_SHAPES = {
    0: rb"ERROR = 1 \(.+\)",
    1: rb"0,-1",
    2: rb"<result>\n<error>.+</error>\n<error_code>1</error_code>\n</result>",
    3: rb'\{\n"error": ".+",\n"error_code": 1\n\}',
}
"""The error shapes of the reference page, per fmt (no trailing newline, decisions.md)."""


@pytest.mark.parametrize("fmt", [0, 1, 2, 3])
def test_miss_is_404_with_error_1_in_the_requested_fmt(
        server: ReplayServer, fmt: int, caplog: pytest.LogCaptureFixture) -> None:
    import re

    caplog.set_level(logging.WARNING, logger=LOGGER)
    got = fetch(f"{server.base_url}/sys/get.php",
                {"get_stat": "1", "login": LOGIN, "psw": PSW, "fmt": str(fmt),
                 "charset": "utf-8", "start": "02.11.2026", "end": "24.11.2026"})
    assert got.status == 404
    assert re.fullmatch(MISS_SHAPES[fmt], got.body), got.body
    assert got.content_type.endswith("charset=utf-8")
    reply = parse(got.body, call="get_stat", fmt=fmt, charset="utf-8")
    assert isinstance(reply, ApiError)
    assert reply.code == 1
    [line] = [r.getMessage() for r in caplog.records if r.name == LOGGER]
    assert line.startswith(f"miss get_stat fmt={fmt} params {{end: 24.11.2026, start: "
                           "02.11.2026}")
    assert line.endswith("closest get_stat/default differs: start 02.11.2026 != 01.11.2026")


def test_miss_log_names_extra_missing_params_fmt_and_charset(
        corpus: Path, server: ReplayServer, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger=LOGGER)
    url = f"{server.base_url}/sys/get.php"
    fetch(url, {"get_answers": "1", "cnt": "5", "after_id": "9", "fmt": "3"}, post=True)
    fetch(f"{server.base_url}/sys/info.php",
          {"get_operator": "1", "phone": "79991234567", "fmt": "1", "charset": "koi8-r"})
    lines = [r.getMessage() for r in caplog.records if r.name == LOGGER]
    assert lines == [
        "miss get_answers fmt=3 charset=windows-1251 params {after_id: 9, cnt: 5} — closest "
        "get_answers/default differs: after_id 9 not recorded; cnt 5 != 10; "
        "hour missing (recorded 48); charset windows-1251 != utf-8",
        "miss get_operator fmt=1 charset=koi8-r params {phone: 79991234567} — closest "
        "get_operator/one differs: charset koi8-r != windows-1251",
    ]


def test_fmt_not_recorded_is_named(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    body = emit([], call="get_stat", fmt=3)
    write_case(tmp_path, make_case("get_stat", "json-only", {3: body},
                                   {3: FormatMeta("", charset="utf-8")}))
    caplog.set_level(logging.WARNING, logger=LOGGER)
    with start_replay(tmp_path) as running:
        got = fetch(f"{running.base_url}/sys/get.php", {"get_stat": "1", "fmt": "2",
                                                        "charset": "utf-8"})
        assert fetch(f"{running.base_url}/sys/get.php",
                     {"get_stat": "1", "fmt": "3", "charset": "utf-8"}).body == body
    assert got.status == 404
    [line] = [r.getMessage() for r in caplog.records if r.name == LOGGER]
    assert line.endswith("closest get_stat/json-only differs: fmt 2 not recorded (has 3)")


@pytest.mark.parametrize(("target", "reason"), [
    ("/sys/send.php?send=1&fmt=3", "unknown path /sys/send.php"),
    ("/sys/get.php?fmt=3&cnt=5", "no call selector (get_messages=1, get_answers=1"),
    ("/sys/get.php?get_stat=1&get_price=1&fmt=3", "several call selectors: get_stat, get_price"),
    ("/sys/get.php?get_stat=1&fmt=9", "fmt 9 is not one of 0, 1, 2, 3"),
])
def test_requests_that_cannot_match_say_why(server: ReplayServer, target: str, reason: str,
                                            caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger=LOGGER)
    got = fetch(server.base_url + target)
    assert got.status == 404
    assert isinstance(parse(got.body, call="get_stat"), ApiError)
    [line] = [r.getMessage() for r in caplog.records if r.name == LOGGER]
    assert reason in line


def test_no_credential_in_any_log_line(corpus: Path, server: ReplayServer,
                                       caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger=LOGGER)
    [answer] = [a for a in recorded(corpus) if a.case == "default" and a.call == "get_stat"
                and a.fmt == 0]
    url = url_of(server.base_url, answer)
    fetch(url, query_of(answer, apikey=APIKEY))                              # a hit
    fetch(url, query_of(answer, start="03.11.2026", mycur=PSW), post=True)   # a miss
    fetch(url, {"get_stat": "1", "fmt": LOGIN, "login": LOGIN})              # a bad fmt
    fetch(url, query_of(answer, apikey=LONG_KEY, mycur=LONG_KEY))            # shortened value
    with socket.create_connection((server.host, server.port), timeout=30) as raw:
        raw.sendall(f"GARBAGE /sys/get.php?psw={APIKEY} HTTP/1.1\r\n\r\n".encode())
        raw.recv(4096)                                                        # a bad request
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert "hit get_stat fmt=0" in text
    assert "miss get_stat fmt=0" in text
    assert "bad request" in text
    for secret in SECRETS:
        for form in (secret, urllib.parse.quote(secret), urllib.parse.quote_plus(secret)):
            assert form not in text
    assert "mycur ***" in text
    assert all(LONG_KEY[i:i + 12] not in text for i in range(len(LONG_KEY) - 12))


def _raw(server: ReplayServer, request: bytes) -> bytes:
    """Send raw bytes and read the whole answer (the server closes after ``Connection:
    close``); a dropped connection reads as b""."""
    with socket.create_connection((server.host, server.port), timeout=30) as raw:
        raw.sendall(request)
        chunks = []
        while chunk := raw.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


@pytest.mark.parametrize("query", [
    "get_stat=1&charset=%00",
    "get_stat=1&charset=%00utf-8&fmt=3",
    "get_stat=1&charset=%FF",
    "get_stat=1&charset=utf-8&start=%FF%FE",
    "get_stat=1&charset=utf-8&%C3=1",
])
@pytest.mark.parametrize("post", [False, True], ids=["GET", "POST"])
def test_undecodable_parameters_get_400_and_error_1(server: ReplayServer, query: str,
                                                    post: bool,
                                                    caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger=LOGGER)
    if post:
        request = (f"POST /sys/get.php HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                   f"Content-Type: application/x-www-form-urlencoded\r\n"
                   f"Content-Length: {len(query)}\r\n\r\n{query}").encode()
    else:
        request = f"GET /sys/get.php?{query} HTTP/1.1\r\nHost: x\r\nConnection: close" \
                  f"\r\n\r\n".encode()
    answer = _raw(server, request)
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 400 "), answer[:200]
    # The page's error shape: "ERROR = 1 (parameters error)" in fmt=0.
    reply = parse(body, call="get_stat", fmt=0)
    assert isinstance(reply, ApiError)
    assert reply.code == 1
    lines = [r.getMessage() for r in caplog.records if r.name == LOGGER]
    assert any("bad request /sys/get.php" in line for line in lines)
    assert not any(r.levelno >= logging.ERROR for r in caplog.records)


def test_a_failure_inside_the_handler_is_answered_500(
        corpus: Path, monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger=LOGGER)
    with start_replay(corpus) as running:
        def broken(*args: object) -> None:
            raise RuntimeError("boom " + PSW)

        monkeypatch.setattr(running.index, "lookup", broken)
        got = fetch(running.base_url + "/sys/get.php", {"get_stat": "1", "psw": PSW})
    assert got.status == 500
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert "RuntimeError" in text
    assert PSW not in text


def test_log_masks_whole_values_only(corpus: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger=LOGGER)
    with start_replay(corpus) as running:
        base = running.base_url
        # Login "me" and password "y": a short credential that appears inside call names.
        fetch(base + "/sys/get.php", {"get_messages": "1", "login": "me", "psw": "y",
                                      "cnt": "5", "start": "bytes-y", "phone": "me"})
        fetch(base + "/sys/get.php", {"get_stat": "1", "login": "me", "psw": "y",
                                      "fmt": "y"})
    lines = [r.getMessage() for r in caplog.records if r.name == LOGGER and
             r.getMessage().startswith("miss")]
    assert len(lines) == 2
    first, second = lines
    assert first.startswith("miss get_messages fmt=0 charset=windows-1251 params {")
    assert "cnt: 5" in first
    assert "start: ***" in first  # holds the password: the whole value goes
    assert "phone: ***" in first
    assert "bytes" not in first
    assert "fmt *** is not one of 0, 1, 2, 3" in second
    assert "***ssages" not in first + second
    assert "get_***" not in first + second


def test_a_line_break_in_a_header_value_is_a_store_error(tmp_path: Path) -> None:
    root = write_corpus(tmp_path / "corpus")
    meta_path = root / "get_stat" / "default" / "meta.json"
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    for value, reason in [("text/plain\r\nSet-Cookie: x=1", "line break"),
                          ("text/plain\nX-Injected: 1", "line break"),
                          ("text/plain; charset=\x00", "printable ASCII")]:
        meta["formats"]["0"]["content_type"] = value
        meta_path.write_text(json.dumps(meta), encoding="utf-8")
        with pytest.raises(StoreError, match=reason) as info:
            start_replay(root)
        assert str(meta_path) in str(info.value)
        assert "content_type" in str(info.value)
    meta["formats"]["0"]["content_type"] = "text/plain; charset=utf-8"
    meta["formats"]["1"]["charset"] = "utf-8\r\nX-Injected: 1"
    meta_path.write_text(json.dumps(meta), encoding="utf-8")
    with pytest.raises(StoreError, match="'charset' holds a line break"):
        start_replay(root)


# ---------------------------------------------------------------------------------------------
# Request reading, corpus errors, lifecycle


def test_read_query_drops_secrets_selector_and_empty_values() -> None:
    query = read_query("/sys/get.php?get_messages=1&login=a&psw=b&apikey=c&cnt=5&phone=&"
                       "fmt=1&charset=utf-8&cnt=7")
    assert (query.call, query.fmt, query.charset) == ("get_messages", 1, "utf-8")
    assert dict(query.params) == {"cnt": "7"}
    assert query.problem is None
    assert "b" not in repr(query.params)


def test_form_values_are_read_in_the_requested_charset() -> None:
    form = urllib.parse.urlencode({"get_short_link": "1", "get": "1", "link": "ссылка",
                                   "charset": "koi8-r"}, encoding="koi8-r").encode()
    query = read_query("/sys/tinyurls.php", form)
    assert query.params["link"] == "ссылка"
    assert query.charset == "koi8-r"


def test_missing_or_empty_corpus_is_a_store_error(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="not a corpus folder"):
        start_replay(tmp_path / "nope")
    with pytest.raises(StoreError, match="no recorded cases"):
        start_replay(tmp_path)


def test_shutdown_closes_the_port(corpus: Path) -> None:
    with start_replay(corpus) as running:
        address = (running.host, running.port)
        with socket.create_connection(address, timeout=30):
            pass
    running.shutdown()  # a second shutdown does nothing
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(address, timeout=30)


def test_ipv6_loopback(corpus: Path) -> None:
    if not socket.has_ipv6:
        pytest.skip("no IPv6 on this machine")
    try:
        running = start_replay(corpus, host="::1")
    except OSError:
        pytest.skip("::1 cannot be bound here")
    with running:
        assert running.base_url.startswith("http://[::1]:")
        [answer] = [a for a in recorded(corpus) if a.case == "by-id" and a.fmt == 1]
        assert fetch(url_of(running.base_url, answer), query_of(answer)).body == answer.body


# ---------------------------------------------------------------------------------------------
# Load

LOAD_REQUESTS = 2000
LOAD_THREADS = 16


def test_load_2000_requests_from_16_threads_all_byte_identical(
        corpus: Path, server: ReplayServer) -> None:
    answers = served(corpus)

    def one(i: int) -> tuple[int, bool]:
        answer = answers[i % len(answers)]
        got = fetch(url_of(server.base_url, answer), query_of(answer), post=i % 2 == 1,
                    charset=answer.charset)
        return i, got == Got(answer.status, answer.content_type, answer.body)

    with ThreadPoolExecutor(max_workers=LOAD_THREADS) as pool:
        results = list(pool.map(one, range(LOAD_REQUESTS)))
    assert len(results) == LOAD_REQUESTS
    assert [i for i, same in results if not same] == []


# ---------------------------------------------------------------------------------------------
# Simulator -> recorder -> replay


def test_a_recording_of_the_simulator_replays_what_the_simulator_said(tmp_path: Path) -> None:
    from smsc_formats.edge.ledger import Ledger, Limiter
    from smsc_formats.edge.recorder import record
    from smsc_formats.edge.simulator import SimulatorConfig, start_simulator
    from smsc_formats.request import Credentials, build_request

    creds = Credentials(login="e2e-login-5x", psw="e2e-psw-Z9")
    sim = start_simulator(SimulatorConfig(login=creds.login, psw=creds.psw, limits=False))
    try:
        cases = record(sim.base_url, tmp_path, creds, source="simulator",
                       as_of=sim.dataset.now.date(), limiter=Limiter(Ledger(None),
                                                                     enabled=False))
        assert {c.call for c in cases} == set(CALLS)
        assert all(sorted(c.formats) == [0, 1, 2, 3] for c in cases)
        login = (creds.login or "").encode()
        echoed = 0
        with start_replay(tmp_path) as replay:
            for case in cases:
                path = CALLS[case.call].path
                for fmt, meta in sorted(case.formats.items()):
                    request = build_request(case.call, fmt=fmt, charset=meta.charset,
                                            **case.params)
                    params = request.query(creds)
                    live = fetch(f"{sim.base_url}/{path}", params, post=True)
                    again = fetch(f"{replay.base_url}/{path}", params)
                    on_disk = (tmp_path / case.call / case.name / meta.file).read_bytes()
                    where = f"{case.call}/{case.name} fmt={fmt}"
                    echoed += login in live.body
                    assert again.body == on_disk, where
                    assert again.body == live.body.replace(login, b"redacted-login"), where
                    assert (again.status, again.content_type) == (live.status,
                                                                  live.content_type), where
        assert echoed >= 4  # get_stat echoes the login in every format; replay has the placeholder
    finally:
        sim.shutdown()


# ---------------------------------------------------------------------------------------------
# The committed corpus, once the recorder has filled it

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"


@pytest.mark.skipif(not any(FIXTURES.glob("*/*/meta.json")), reason="fixtures/ is empty")
def test_committed_corpus_replays_byte_for_byte() -> None:
    reachable = served(FIXTURES)
    with start_replay(FIXTURES) as running:
        for answer in recorded(FIXTURES):
            header = {} if answer in reachable else {"X-Smsc-Case": f"{answer.call}/{answer.case}"}
            for post in (False, True):
                got = fetch(url_of(running.base_url, answer), query_of(answer), post=post,
                            charset=answer.charset, headers=header)
                assert got.body == answer.body, f"{answer.call}/{answer.case} fmt={answer.fmt}"
                assert got.status == answer.status
                if answer.content_type:
                    assert got.content_type == answer.content_type
