"""build_request against the documented limits of the reference page, and secret-safe credentials.

Limits from getting-data.md: ``cnt`` at most 1000 for the history and 10000 for incoming
messages, ``hour`` at most 168, dates ``dd.mm.yyyy``, the six-month history window, ``id`` or
``link`` for a short link, ``phone`` for an operator.
"""

from __future__ import annotations

from typing import Any

import pytest

from smsc_formats import RequestError
from smsc_formats.request import Credentials, Request, build_request

SECRET = "s3cr3t-Value"


def _refused(call: str, message: str, **params: Any) -> None:
    with pytest.raises(RequestError) as info:
        build_request(call, fmt=3, **params)
    assert str(info.value) == message


def test_a_request_carries_selector_fmt_and_charset() -> None:
    request = build_request("get_short_link", fmt=2, id=145142)
    assert request == Request(call="get_short_link", path="sys/tinyurls.php",
                              params={"get": "1", "id": "145142", "fmt": "2",
                                      "charset": "utf-8"})
    assert build_request("get_operator", fmt=0, charset=None, phone="79999999999").params == {
        "get_operator": "1", "phone": "79999999999", "fmt": "0"}
    assert build_request("get_stat", fmt=1).path == "sys/get.php"
    assert build_request("get_operator", fmt=1, phone="7").path == "sys/info.php"


@pytest.mark.parametrize(("call", "name", "limit"), [
    ("get_messages", "cnt", 1000), ("get_answers", "cnt", 10000), ("get_answers", "hour", 168),
])
def test_documented_maxima(call: str, name: str, limit: int) -> None:
    within: dict[str, Any] = {name: limit}
    assert build_request(call, fmt=0, **within).params[name] == str(limit)
    _refused(call, f"{name}: at most {limit}, got {limit + 1}", **{name: limit + 1})
    _refused(call, f"{name}: at least 1, got 0", **{name: 0})


@pytest.mark.parametrize("value", ["ten", " 5", "+5", "5.0", "١٠", ""])
def test_integers_are_plain_digits(value: str) -> None:
    _refused("get_answers", f"cnt: expected an integer, got {value!r}", cnt=value)


def test_prev_id_and_after_id_are_not_negative() -> None:
    _refused("get_messages", "prev_id: at least 0, got -1", prev_id=-1)
    _refused("get_answers", "after_id: at least 0, got -5", after_id=-5)


@pytest.mark.parametrize("value", ["2026-01-01", "1.1.2026", "01.01.26", "31.02.2026",
                                   "01.13.2026", "01.01.2026 10:00", "01/01/2026"])
def test_dates_are_dd_mm_yyyy(value: str) -> None:
    _refused("get_stat", f"start: expected a date dd.mm.yyyy, got {value!r}", start=value)


def test_the_six_month_history_window() -> None:
    build_request("get_messages", fmt=0, start="01.01.2026", end="04.07.2026")  # 184 days
    _refused("get_messages", "end: the period is at most 184 days (six months), got 185",
             start="01.01.2026", end="05.07.2026")
    _refused("get_messages", "end: before start", start="02.01.2026", end="01.01.2026")
    _refused("get_messages", "end: given without start", end="01.01.2026")
    # Statistics have no documented window.
    build_request("get_stat", fmt=0, start="01.01.2014", end="01.02.2026")


def test_required_parameters() -> None:
    _refused("get_short_link", "get_short_link needs id or link")
    _refused("get_short_link", "get_short_link needs id or link", link="")
    assert build_request("get_short_link", fmt=3, link="mywebsite.ru").params["link"] == \
        "mywebsite.ru"
    _refused("get_operator", "get_operator needs phone")


def test_unknown_parameters_are_refused() -> None:
    _refused("get_price", "cnt: not a parameter of get_price (known: fmt, charset)", cnt=10)
    _refused("get_stat", "hour: not a parameter of get_stat "
             "(known: start, end, mycur, balance2, fmt, charset)", hour=1)


def test_choices() -> None:
    assert build_request("get_messages", fmt=0, format=8).params["format"] == "8"
    _refused("get_messages", "format: one of 0, 8, got '3'", format=3)
    _refused("get_stat", "mycur: one of 0, 1, got 'yes'", mycur="yes")
    _refused("get_stat", "charset: one of utf-8, windows-1251, koi8-r, got 'latin-1'",
             charset="latin-1")
    with pytest.raises(RequestError, match="fmt: at most 3, got 4"):
        build_request("get_stat", fmt=4)


def test_unknown_call() -> None:
    with pytest.raises(RequestError, match="unknown call 'get_balance'"):
        build_request("get_balance", fmt=0)


@pytest.mark.parametrize("name", ["login", "psw", "apikey"])
def test_credentials_are_not_parameters(name: str) -> None:
    with pytest.raises(RequestError) as info:
        build_request("get_stat", fmt=0, **{name: SECRET})
    assert str(info.value) == f"{name}: pass credentials separately, not as a parameter"
    assert SECRET not in repr(info.value)


def test_credentials_never_show_their_values() -> None:
    for creds in (Credentials(login=SECRET, psw=SECRET + "p"), Credentials(apikey=SECRET)):
        for shown in (repr(creds), str(creds), f"{creds}", f"{creds!r}", repr([creds])):
            assert SECRET not in shown
            assert shown in ("Credentials(***)", "[Credentials(***)]")
    request = build_request("get_stat", fmt=3)
    assert SECRET not in repr(request)
    assert request.query(Credentials(login="alex", psw=SECRET)) == {
        "get_stat": "1", "fmt": "3", "charset": "utf-8", "login": "alex", "psw": SECRET}
    assert request.query(Credentials(apikey=SECRET))["apikey"] == SECRET
    assert "apikey" not in request.params
    assert "psw" not in request.params
    assert request.query(None) == dict(request.params)


@pytest.mark.parametrize("kwargs", [
    {"login": SECRET}, {"psw": SECRET}, {}, {"login": SECRET, "psw": SECRET, "apikey": SECRET},
    {"apikey": SECRET, "login": SECRET},
])
def test_incomplete_credentials_fail_without_echoing(kwargs: dict[str, str]) -> None:
    with pytest.raises(RequestError) as info:
        Credentials(**kwargs)
    assert SECRET not in str(info.value)
    assert Credentials(apikey=SECRET).values() == (SECRET,)
