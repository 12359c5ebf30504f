"""The simulator over real HTTP on 127.0.0.1: calls, formats, auth, params, limits, charsets."""

from __future__ import annotations

import threading
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, cast

import pytest

from smsc_formats import ApiError, OperatorInfo, PhoneOperatorInfo, ShortLink, parse
from smsc_formats.canonical import to_canonical
from smsc_formats.edge.simulator import (
    Simulator,
    SimulatorConfig,
    SimulatorServer,
    start_simulator,
)
from smsc_formats.model import MODELS
from smsc_formats.sim.dataset import ANSWERS, APIKEY_ACCOUNT, Dataset
from smsc_formats.spec import CALLS, ListBody, OneOrListBody, RecordBody, SectionsBody

LOGIN, PSW, APIKEY = "tester", "s3cret-pass", "key-0123456789"
DEFAULTS: dict[str, dict[str, str]] = {
    "get_operator": {"phone": "79999999999"},
    "get_short_link": {"id": "145142"},
}
"""Each call's default request: the page's own examples where a parameter is required."""
CALL_NAMES = sorted(CALLS)
FORMATS = (0, 1, 2, 3)


@dataclass
class FakeClock:
    """A clock the tests move by hand."""

    now: float = 1000.0

    def __call__(self) -> float:
        return self.now


@dataclass(frozen=True)
class Response:
    status: int
    content_type: str
    body: bytes


def request(server: SimulatorServer, call: str, fmt: int = 0,
            params: Mapping[str, str] | None = None, *, post: bool = False,
            credentials: Mapping[str, str] | None = None, **extra: str) -> Response:
    """One request of ``call`` as a client would send it (``login``/``psw`` by default)."""
    spec = CALLS[call]
    creds = {"login": LOGIN, "psw": PSW} if credentials is None else credentials
    query = urllib.parse.urlencode({spec.selector: "1", **creds, "fmt": str(fmt),
                                    **(params or {}), **extra})
    url = f"{server.base_url}/{spec.path}"
    req = (urllib.request.Request(url, data=query.encode("ascii"), method="POST") if post
           else urllib.request.Request(f"{url}?{query}"))
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return Response(resp.status, resp.headers["Content-Type"], resp.read())
    except urllib.error.HTTPError as exc:
        try:
            return Response(exc.code, exc.headers["Content-Type"], exc.read())
        finally:
            exc.close()


def value(server: SimulatorServer, call: str, fmt: int = 0,
          params: Mapping[str, str] | None = None, **extra: str) -> Any:
    """The parsed answer to one request."""
    resp = request(server, call, fmt, {**(params or {}), **extra})
    assert resp.status == 200
    return parse(resp.body, call=call, fmt=fmt)


@pytest.fixture(scope="module")
def server() -> Iterator[SimulatorServer]:
    logs: list[str] = []
    srv = start_simulator(SimulatorConfig(seed=1, login=LOGIN, psw=PSW, apikey=APIKEY,
                                          limits=False), access_log=logs.append)
    srv.logs = logs  # type: ignore[attr-defined]
    yield srv
    srv.shutdown()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def limited(clock: FakeClock) -> Iterator[SimulatorServer]:
    srv = start_simulator(SimulatorConfig(login=LOGIN, psw=PSW, apikey=APIKEY, clock=clock))
    yield srv
    srv.shutdown()


def _expected_type(call: str) -> tuple[type[Any], type[Any] | None]:
    """The reply type the spec promises for the default request, and its item type."""
    body = CALLS[call].body
    if isinstance(body, ListBody):
        return list, MODELS[body.record.name]
    if isinstance(body, RecordBody):
        return MODELS[body.record.name], None
    if isinstance(body, OneOrListBody):
        return MODELS[body.one.name], None
    assert isinstance(body, SectionsBody)
    return MODELS[body.model], None


def test_base_url_has_no_trailing_slash(server: SimulatorServer) -> None:
    assert server.base_url.startswith("http://127.0.0.1:")
    assert not server.base_url.endswith("/")
    assert int(server.base_url.rsplit(":", 1)[1]) > 0


@pytest.mark.parametrize("call", CALL_NAMES)
@pytest.mark.parametrize("fmt", FORMATS)
def test_every_call_and_format_answers_with_data(server: SimulatorServer, call: str,
                                                 fmt: int) -> None:
    resp = request(server, call, fmt, DEFAULTS.get(call))
    assert resp.status == 200
    kind, item = _expected_type(call)
    reply: Any = parse(resp.body, call=call, fmt=fmt, charset="utf-8")
    assert isinstance(reply, kind)
    if item is not None:
        assert reply, "a default request gets data"
        assert all(isinstance(r, item) for r in reply)


@pytest.mark.parametrize("call", CALL_NAMES)
def test_four_formats_describe_the_same_data(server: SimulatorServer, call: str) -> None:
    values = [value(server, call, fmt, DEFAULTS.get(call)) for fmt in FORMATS]
    assert all(v == values[0] for v in values[1:])


@pytest.mark.parametrize("fmt", FORMATS)
def test_content_type_names_format_and_charset(server: SimulatorServer, fmt: int) -> None:
    resp = request(server, "get_price", fmt)
    media = {0: "text/plain", 1: "text/plain", 2: "text/xml", 3: "application/json"}[fmt]
    assert resp.content_type == f"{media}; charset=utf-8"


def test_post_form_equals_get(server: SimulatorServer) -> None:
    for call in CALL_NAMES:
        params = DEFAULTS.get(call, {})
        assert request(server, call, 3, params, post=True).body == \
            request(server, call, 3, params).body


def test_repeated_requests_give_identical_bytes(server: SimulatorServer) -> None:
    bodies = {request(server, "get_messages", 2).body for _ in range(3)}
    assert len(bodies) == 1


def test_same_seed_same_bytes_on_another_server(server: SimulatorServer) -> None:
    with start_simulator(SimulatorConfig(seed=1, login=LOGIN, psw=PSW, limits=False)) as twin:
        for call in CALL_NAMES:
            params = DEFAULTS.get(call, {})
            assert request(twin, call, 0, params).body == request(server, call, 0, params).body


def _shape(reply: Any) -> Any:
    """The structure of a canonical value: keys, list lengths and which values are null."""
    if isinstance(reply, dict):
        return {k: _shape(v) for k, v in reply.items()}
    if isinstance(reply, list):
        return [_shape(v) for v in reply]
    return None if reply is None else type(reply).__name__


def test_another_seed_same_shape_other_values(server: SimulatorServer) -> None:
    with start_simulator(SimulatorConfig(seed=2, login=LOGIN, psw=PSW, limits=False)) as other:
        for call in CALL_NAMES:
            params = DEFAULTS.get(call, {})
            for fmt in FORMATS:
                mine = to_canonical(value(server, call, fmt, params))
                theirs = to_canonical(value(other, call, fmt, params))
                assert _shape(theirs) == _shape(mine), (call, fmt)
                assert theirs != mine, (call, fmt)


def test_another_seed_same_separators_on_the_wire(server: SimulatorServer) -> None:
    """Lines and commas per line match, so even a naive column count sees no drift."""
    with start_simulator(SimulatorConfig(seed=5, login=LOGIN, psw=PSW, limits=False)) as other:
        for call in CALL_NAMES:
            for fmt in FORMATS:
                mine = request(server, call, fmt, DEFAULTS.get(call)).body
                theirs = request(other, call, fmt, DEFAULTS.get(call)).body
                assert [line.count(b",") for line in theirs.split(b"\n")] == \
                    [line.count(b",") for line in mine.split(b"\n")], (call, fmt)


# -- credentials ---------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("credentials", [
    {"login": LOGIN, "psw": "wrong"},
    {"login": "nobody", "psw": PSW},
    {"login": LOGIN},
    {},
    {"apikey": "wrong-key"},
])
def test_bad_credentials_are_error_two(server: SimulatorServer, fmt: int,
                                       credentials: dict[str, str]) -> None:
    resp = request(server, "get_price", fmt, credentials=credentials)
    assert resp.status == 200
    reply = parse(resp.body, call="get_price", fmt=fmt)
    assert isinstance(reply, ApiError)
    assert reply.code == 2


def test_apikey_works_and_get_stat_echoes_the_account(server: SimulatorServer) -> None:
    rows: Any = parse(request(server, "get_stat", 3, credentials={"apikey": APIKEY}).body,
                      call="get_stat", fmt=3)
    assert [r.login for r in rows] == [APIKEY_ACCOUNT]


def test_get_stat_echoes_the_login(server: SimulatorServer) -> None:
    for fmt in FORMATS:
        rows = value(server, "get_stat", fmt)
        assert [r.login for r in rows] == [LOGIN]


def test_no_apikey_configured_refuses_every_key() -> None:
    with start_simulator(SimulatorConfig(limits=False)) as srv:
        resp = request(srv, "get_price", 0, credentials={"apikey": ""})
        assert parse(resp.body, call="get_price", fmt=0) == ApiError(2, "authorise error")
        ok = request(srv, "get_price", 0, credentials={"login": "demo", "psw": "demo-password"})
        assert not isinstance(parse(ok.body, call="get_price", fmt=0), ApiError)


# -- parameters ----------------------------------------------------------------------------


@pytest.mark.parametrize(("call", "params"), [
    ("get_messages", {"cnt": "1001"}),
    ("get_messages", {"cnt": "0"}),
    ("get_messages", {"start": "2026-11-01"}),
    ("get_messages", {"start": "01.01.2026", "end": "01.09.2026"}),
    ("get_answers", {"cnt": "10001"}),
    ("get_answers", {"hour": "169"}),
    ("get_stat", {"mycur": "2"}),
    ("get_price", {"bogus": "1"}),
    ("get_operator", {}),
    ("get_short_link", {}),
    ("get_short_link", {"id": "abc"}),
    ("get_price", {"charset": "latin-1"}),
])
@pytest.mark.parametrize("fmt", FORMATS)
def test_bad_parameters_are_error_one(server: SimulatorServer, call: str,
                                      params: dict[str, str], fmt: int) -> None:
    reply = value(server, call, fmt, params)
    assert isinstance(reply, ApiError)
    assert reply.code == 1


def test_unknown_fmt_is_error_one_as_text(server: SimulatorServer) -> None:
    resp = request(server, "get_price", 7)
    assert resp.body == b"ERROR = 1 (parameters error)"


def test_no_selector_or_two_selectors_are_error_one(server: SimulatorServer) -> None:
    url = f"{server.base_url}/sys/get.php?login={LOGIN}&psw={PSW}&fmt=3"
    for extra in ("", "&get_price=1&get_stat=1", "&get_operator=1"):
        with urllib.request.urlopen(url + extra, timeout=10) as resp:
            reply = parse(resp.read(), call="get_price", fmt=3)
        assert isinstance(reply, ApiError)
        assert reply.code == 1


def test_unknown_path_is_404(server: SimulatorServer) -> None:
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(f"{server.base_url}/sys/send.php?login=a&psw=b", timeout=10)
    err.value.close()
    assert err.value.code == 404


# -- the parameters the calls honour ---------------------------------------------------------


def test_cnt_cuts_the_list(server: SimulatorServer) -> None:
    assert len(value(server, "get_messages", 1, cnt="3")) == 3
    assert len(value(server, "get_answers", 1, cnt="2", hour="168")) == 2


def test_phone_filters_the_history(server: SimulatorServer) -> None:
    found = value(server, "get_messages", 0, phone="79999999999,380501234567")
    assert found
    assert {m.phone for m in found} == {"79999999999", "380501234567"}
    assert value(server, "get_messages", 0, phone="70000000000") == \
        ApiError(3, "message not found")


def test_prev_id_pages_backwards(server: SimulatorServer) -> None:
    first = value(server, "get_messages", 3, cnt="4")
    rest = value(server, "get_messages", 3, prev_id=str(first[-1].int_id))
    assert rest
    assert all(m.int_id < first[-1].int_id for m in rest)
    assert [m.int_id for m in first + rest] == [m.int_id for m in value(server, "get_messages")]


def test_start_end_select_whole_days(server: SimulatorServer) -> None:
    everything = value(server, "get_messages", 0)
    day = everything[3].send_date.date()
    found = value(server, "get_messages", 0, start=f"{day:%d.%m.%Y}", end=f"{day:%d.%m.%Y}")
    assert found == [m for m in everything if m.send_date.date() == day]
    stat = value(server, "get_stat", 0, start=f"{day:%d.%m.%Y}", end=f"{day:%d.%m.%Y}")
    assert stat[0].sms == sum(m.sms_cnt for m in found)


def test_hour_after_id_and_to_phone_filter_answers(server: SimulatorServer) -> None:
    week = value(server, "get_answers", 0, hour="168")
    day = value(server, "get_answers", 0)
    six = value(server, "get_answers", 0, hour="6")
    assert len(week) > len(day) > len(six) > 0
    assert day == week[:len(day)]
    newer = value(server, "get_answers", 0, hour="168", after_id=str(week[3].id))
    assert newer == week[:3]
    to = week[0].to_phone
    mine = value(server, "get_answers", 0, hour="168", to_phone=to)
    assert mine == [a for a in week if a.to_phone == to]


def test_operator_of_one_phone_and_of_several(server: SimulatorServer) -> None:
    for fmt in FORMATS:
        one = value(server, "get_operator", fmt, phone="79999999999")
        assert isinstance(one, OperatorInfo)
        several = value(server, "get_operator", fmt, phone="79999999999,375291234567")
        assert [type(r) for r in several] == [PhoneOperatorInfo, PhoneOperatorInfo]
        assert [r.phone for r in several] == ["79999999999", "375291234567"]
        assert several[0].operator == one.operator
    assert value(server, "get_operator", 0, phone="999123") == ApiError(3, "operator not found")


def test_short_link_by_id_or_by_link(server: SimulatorServer) -> None:
    by_id = value(server, "get_short_link", 2, id="145142")
    assert isinstance(by_id, ShortLink)
    assert by_id.id == 145142
    assert value(server, "get_short_link", 2, link="mywebsite.ru") == by_id
    for params in ({"id": "1"}, {"link": "nowhere.example"}, {"id": "145142", "link": "x.ru"}):
        assert value(server, "get_short_link", 1, params) == ApiError(3, None)


def test_charsets_are_served_as_asked(server: SimulatorServer) -> None:
    utf8 = request(server, "get_messages", 0)
    for charset in ("windows-1251", "koi8-r"):
        resp = request(server, "get_messages", 0, charset=charset)
        assert resp.content_type == f"text/plain; charset={charset}"
        assert resp.body.decode(charset) == utf8.body.decode("utf-8")
        assert resp.body != utf8.body
        assert parse(resp.body, call="get_messages", fmt=0, charset=charset) == \
            parse(utf8.body, call="get_messages", fmt=0)
    cp1251 = request(server, "get_messages", 0, charset="windows-1251").body
    assert "Россия".encode("windows-1251") in cp1251


def test_parameters_decode_in_the_asked_charset(server: SimulatorServer) -> None:
    spec = CALLS["get_short_link"]
    for charset in ("windows-1251", "utf-8"):
        query = urllib.parse.urlencode({spec.selector: "1", "login": LOGIN, "psw": PSW,
                                        "link": "пример.рф", "charset": charset},
                                       encoding=charset)
        with urllib.request.urlopen(f"{server.base_url}/{spec.path}?{query}",
                                    timeout=10) as resp:
            assert resp.read() == "ERROR = 3 (link not found)".encode(charset)


def test_access_log_names_no_credential(server: SimulatorServer) -> None:
    request(server, "get_stat", 3)
    request(server, "get_price", 3, credentials={"apikey": APIKEY})
    request(server, "get_price", 1, credentials={"login": LOGIN, "psw": "wrong-psw"})
    logs: list[str] = server.logs  # type: ignore[attr-defined]
    assert "GET /sys/get.php get_stat fmt=3 200" in logs
    assert "GET /sys/get.php get_price fmt=1 200 error=2" in logs
    for line in logs:
        for secret in (LOGIN, PSW, APIKEY, "wrong-psw"):
            assert secret not in line


# -- rate limits ---------------------------------------------------------------------------


def _code(resp: Response, call: str, fmt: int) -> int | None:
    reply = parse(resp.body, call=call, fmt=fmt)
    return reply.code if isinstance(reply, ApiError) else None


@pytest.mark.parametrize("fmt", FORMATS)
def test_fourth_identical_request_in_a_minute_is_error_nine(
        limited: SimulatorServer, clock: FakeClock, fmt: int) -> None:
    codes = [_code(request(limited, "get_price", fmt), "get_price", fmt) for _ in range(4)]
    assert codes == [None, None, None, 9]
    assert _code(request(limited, "get_price", fmt, charset="koi8-r"), "get_price", fmt) is None
    clock.now += 59
    assert _code(request(limited, "get_price", fmt), "get_price", fmt) == 9
    clock.now += 1
    assert _code(request(limited, "get_price", fmt), "get_price", fmt) is None


def test_limits_are_per_account(limited: SimulatorServer) -> None:
    for _ in range(3):
        request(limited, "get_price")
    assert _code(request(limited, "get_price"), "get_price", 0) == 9
    assert _code(request(limited, "get_price", credentials={"apikey": APIKEY}), "get_price",
                 0) is None


def test_limits_off_never_answer_nine(server: SimulatorServer) -> None:
    assert all(_code(request(server, "get_price", 1), "get_price", 1) is None
               for _ in range(6))


def test_get_stat_allows_three_requests_a_minute(limited: SimulatorServer,
                                                 clock: FakeClock) -> None:
    codes = [_code(request(limited, "get_stat", fmt), "get_stat", fmt) for fmt in FORMATS]
    assert codes == [None, None, None, 9]


def _handle(sim: Simulator, call: str, **params: str) -> int | None:
    spec = CALLS[call]
    answer = sim.handle("/" + spec.path, {spec.selector: "1", "login": LOGIN, "psw": PSW,
                                          "fmt": "3", **params})
    return _code(Response(answer.status, answer.content_type, answer.body), call, 3)


def test_thirty_first_history_request_in_an_hour(clock: FakeClock) -> None:
    sim = Simulator(SimulatorConfig(login=LOGIN, psw=PSW, clock=clock))
    for cnt in range(1, 31):
        assert _handle(sim, "get_messages", cnt=str(cnt)) is None
        clock.now += 100
    assert _handle(sim, "get_messages", cnt="31") == 9
    clock.now += 3600 - 30 * 100 + 100
    assert _handle(sim, "get_messages", cnt="31") is None


def test_hundred_and_first_operator_request_in_a_minute(clock: FakeClock) -> None:
    sim = Simulator(SimulatorConfig(login=LOGIN, psw=PSW, clock=clock))
    for i in range(100):
        assert _handle(sim, "get_operator", phone=f"7999{i:07d}") is None
    assert _handle(sim, "get_operator", phone="79990000999") == 9
    clock.now += 60
    assert _handle(sim, "get_operator", phone="79990000999") is None


def test_fifteenth_concurrent_request_is_error_nine(limited: SimulatorServer,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """Fourteen requests of one login held open inside the server; the fifteenth is refused."""
    gate, inside = threading.Event(), threading.Semaphore(0)
    original = ANSWERS["get_operator"]

    def held(data: Dataset, params: Mapping[str, str], account: str) -> Any:
        inside.release()
        gate.wait(10)
        return original(data, params, account)

    monkeypatch.setitem(cast(dict[str, Any], ANSWERS), "get_operator", held)
    results: list[int | None] = []
    clients = [threading.Thread(target=lambda i=i: results.append(
        _code(request(limited, "get_operator", 0, {"phone": f"7999000{i:04d}"}),
              "get_operator", 0))) for i in range(14)]
    for client in clients:
        client.start()
    try:
        assert all(inside.acquire(timeout=10) for _ in clients), "requests did not arrive"
        crowded = request(limited, "get_operator", 0, {"phone": "79990009999"})
        assert crowded.body == b"ERROR = 9 (too many concurrent requests)"
        other = request(limited, "get_price", 0, credentials={"apikey": APIKEY})
        assert _code(other, "get_price", 0) is None, "another account is not crowded out"
    finally:
        gate.set()
        for client in clients:
            client.join(10)
    assert results == [None] * 14
    assert _code(request(limited, "get_operator", 0, {"phone": "79990009999"}),
                 "get_operator", 0) is None


def test_config_repr_hides_credentials() -> None:
    shown = repr(SimulatorConfig(login=LOGIN, psw=PSW, apikey=APIKEY, drift="xml-root"))
    assert "xml-root" in shown
    for secret in (LOGIN, PSW, APIKEY):
        assert secret not in shown
