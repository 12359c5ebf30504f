"""What the in-process SMSC answers: matching, ignore lists, re-emission, stubs, strict misses.

Expected bodies come from the committed corpus files or from the error shapes of the reference
page (/work/shared/api/getting-data.md), never from the code under test.
"""

from __future__ import annotations

import json
import logging
import re
import shutil
import urllib.parse
from collections.abc import Mapping
from pathlib import Path

import httpx
import pytest
import requests

from smsc_formats import ApiError, ShortLink, parse
from smsc_formats.edge.replay import Query
from smsc_formats.edge.store import Case
from smsc_formats.errors import ReplayMiss, RequestError, SmscFormatsError
from smsc_formats.testing import SmscMock, load, replay

CORPUS = Path(__file__).resolve().parents[2] / "fixtures"
FILES = {0: "fmt0.txt", 1: "fmt1.csv", 2: "fmt2.xml", 3: "fmt3.json"}
LOGIN, PSW, APIKEY = "alice-login-7Q", "pw-Секрет 42&x", "key-0123456789abcdef"


def meta(call: str, case: str) -> dict[str, object]:
    data: dict[str, object] = json.loads(
        (CORPUS / call / case / "meta.json").read_text(encoding="utf-8"))
    return data


PERIOD: dict[str, str] = meta("get_stat", "default")["params"]  # type: ignore[assignment]
URL = "https://smsc.ru/sys/get.php"


def body(call: str, case: str, fmt: int) -> bytes:
    return (CORPUS / call / case / FILES[fmt]).read_bytes()


def test_a_request_without_charset_gets_the_recorded_body_in_windows_1251() -> None:
    # The server answers windows-1251 when no charset is asked; the case is utf-8.
    expected = body("get_operator", "default", 0).decode("utf-8").encode("windows-1251")
    with replay(CORPUS) as smsc:
        got = requests.get("https://smsc.ru/sys/info.php",
                           params={"get_operator": "1", "phone": "79999999999", "login": LOGIN,
                                   "psw": PSW}, timeout=5)
    assert got.content == expected
    assert got.headers["Content-Type"] == "text/plain; charset=windows-1251"
    assert "Приморский край" in got.text
    assert "re-emitted" in smsc.requests[0].served


@pytest.mark.parametrize("asked", [0, 1, 2])
def test_a_case_recorded_in_one_fmt_is_served_in_the_others(
        tmp_path: Path, asked: int, caplog: pytest.LogCaptureFixture) -> None:
    # Only the fmt=3 body is kept; the other formats must come out as the server wrote them.
    case = tmp_path / "get_stat" / "default"
    case.mkdir(parents=True)
    shutil.copy(CORPUS / "get_stat" / "default" / "fmt3.json", case / "fmt3.json")
    data = meta("get_stat", "default")
    data["formats"] = {"3": data["formats"]["3"]}  # type: ignore[index]
    (case / "meta.json").write_text(json.dumps(data), encoding="utf-8")
    caplog.set_level(logging.INFO, logger="smsc_formats.testing")
    with replay(tmp_path):
        got = httpx.post(URL, data={"get_stat": 1, **PERIOD, "fmt": asked, "charset": "utf-8"})
    assert got.content == body("get_stat", "default", asked)
    assert "get_stat/default re-emitted from fmt 3 charset utf-8" in caplog.text


def test_the_log_of_requests_holds_no_secret() -> None:
    with replay(CORPUS) as smsc:
        httpx.post(URL, data={"get_stat": 1, **PERIOD, "fmt": 3, "login": LOGIN, "psw": PSW})
        httpx.get(URL, params={"get_stat": 1, **PERIOD, "fmt": 0, "apikey": APIKEY})
    assert [(r.call, r.fmt, dict(r.params)) for r in smsc.requests] == [
        ("get_stat", 3, PERIOD), ("get_stat", 0, PERIOD)]
    assert all(s not in repr(smsc.requests) for s in (LOGIN, PSW, APIKEY))
    assert smsc.calls("get_stat") == smsc.requests


def test_a_miss_is_an_exception_naming_the_closest_case_and_the_difference() -> None:
    with replay(CORPUS) as smsc, pytest.raises(ReplayMiss) as caught:
        requests.get(URL, params={"get_stat": "1", "start": "01.12.2026", "end": PERIOD["end"],
                                  "fmt": "3", "login": LOGIN, "psw": PSW}, timeout=5)
    message = str(caught.value)
    assert isinstance(caught.value, SmscFormatsError)
    # Only the start differs: the charset and fmt do not count, they are served re-emitted.
    assert message.endswith("closest get_stat/default differs: start 01.12.2026 != 17.11.2026")
    assert LOGIN not in message
    assert PSW not in message
    assert smsc.misses == [message]
    assert smsc.requests[0].served == ""


def test_an_unknown_path_on_an_smsc_host_is_a_miss() -> None:
    with replay(CORPUS), pytest.raises(ReplayMiss, match=r"unknown path /sys/send\.php"):
        httpx.get("https://smsc.ru/sys/send.php", params={"phones": "79990000000"})


def test_a_multipart_post_is_a_miss() -> None:
    with replay(CORPUS), pytest.raises(ReplayMiss, match="unsupported POST body"):
        httpx.post(URL, files={"f": b"x"}, data={"get_stat": "1"})


@pytest.mark.parametrize("ignore", ["start end", ["start", "end"]])
def test_ignored_parameters_are_left_out_of_the_match(ignore: str | list[str]) -> None:
    today = {"get_stat": "1", "start": "03.12.2026", "end": "03.12.2026", "fmt": "3",
             "charset": "utf-8"}
    with replay(CORPUS, ignore=ignore) as smsc:
        assert httpx.get(URL, params=today).content == body("get_stat", "default", 3)
        # The other parameters still count: mycur=1 is the documentation example's request.
        assert httpx.get(URL, params={**today, "mycur": "1"}).content == body(
            "get_stat", "documentation", 3)
        with pytest.raises(ReplayMiss,
                           match=r"closest get_stat/default differs: mycur 2 not recorded$"):
            httpx.get(URL, params={**today, "mycur": "2"})
    assert smsc.requests[0].params == {"start": "03.12.2026", "end": "03.12.2026"}


ERROR_9 = {
    0: rb"ERROR = 9 \(.+\)",
    1: rb"0,-9",
    2: rb"<result>\n<error>.+</error>\n<error_code>9</error_code>\n</result>",
    3: rb'\{\n"error": ".+",\n"error_code": 9\n\}',
}


@pytest.mark.parametrize("fmt", [0, 1, 2, 3])
def test_a_stubbed_error_9_reaches_the_client_in_the_fmt_it_asked(fmt: int) -> None:
    with replay(CORPUS) as smsc:
        smsc.stub("get_stat", ApiError(9, "too many requests"))
        got = requests.get(URL, params={"get_stat": "1", **PERIOD, "fmt": str(fmt),
                                        "charset": "utf-8"}, timeout=5)
    assert re.fullmatch(ERROR_9[fmt], got.content), got.content
    assert parse(got.content, call="get_stat", fmt=fmt).code == 9  # type: ignore[union-attr]
    assert smsc.requests[0].served == "stub"


def test_a_stub_is_emitted_in_the_asked_charset() -> None:
    with replay(CORPUS) as smsc:
        smsc.stub("get_stat", ApiError(9, "слишком много запросов"))
        got = httpx.get(URL, params={"get_stat": 1, "fmt": 0, "charset": "koi8-r"})
        plain = httpx.get(URL, params={"get_stat": 1, "fmt": 0})
    assert got.content == "ERROR = 9 (слишком много запросов)".encode("koi8-r")
    assert plain.content == "ERROR = 9 (слишком много запросов)".encode("windows-1251")


def test_a_stub_with_parameters_answers_only_them() -> None:
    link = ShortLink(5, 10, 4, 1, 2, 3, "https://smsc.ru/a")
    with replay(CORPUS) as smsc:
        smsc.stub("get_short_link", link, id=5)
        got = httpx.get("https://smsc.ru/sys/tinyurls.php",
                        params={"get": 1, "id": 5, "fmt": 3, "charset": "utf-8"})
        recorded = httpx.get("https://smsc.ru/sys/tinyurls.php",
                             params={"get": 1, "id": 145142, "fmt": 3, "charset": "utf-8"})
        smsc.clear_stubs()
        with pytest.raises(ReplayMiss):
            httpx.get("https://smsc.ru/sys/tinyurls.php", params={"get": 1, "id": 5, "fmt": 3})
    # The server writes every value of fmt=3 as a string (see the recorded default case).
    assert got.json() == {"id": "5", "cnt": "10", "cnt_mon": "4", "cnt_day": "1",
                          "cnt_yes": "2", "cnt_pmon": "3", "link": "https://smsc.ru/a"}
    assert recorded.content == body("get_short_link", "default", 3)


def test_a_stub_of_an_unknown_call_is_refused() -> None:
    with pytest.raises(RequestError, match="unknown call 'get_balance'"):
        SmscMock().stub("get_balance", ApiError(9))


def test_an_unreadable_corpus_is_a_replay_error(tmp_path: Path) -> None:
    with pytest.raises(ReplayMiss, match="not a corpus folder"):
        load(tmp_path / "nowhere")


def test_a_recorder_answers_a_miss_and_its_case_is_served_after() -> None:
    cases = [c for c in load(CORPUS) if (c.call, c.name) == ("get_stat", "default")]
    asked: list[str] = []

    def recorder(query: Query) -> Case:
        asked.append(query.describe())
        return cases[0]

    mock = SmscMock(recorder=recorder)
    target = "/sys/get.php?" + urllib.parse.urlencode({"get_stat": 1, **PERIOD, "fmt": 2,
                                                      "charset": "utf-8"})
    first = mock.answer("GET", "https://smsc.ru" + target)
    again = mock.answer("GET", "https://smsc.ru" + target)
    assert first.body == again.body == body("get_stat", "default", 2)
    assert len(asked) == 1
    assert [r.served for r in mock.requests] == ["recorded get_stat/default", "get_stat/default"]


def test_a_mask_rewrites_the_parameters_matched_but_not_the_ones_logged() -> None:
    # A redacted corpus stores the pseudonym of the phone it was asked about.
    [case] = [c for c in load(CORPUS) if (c.call, c.name) == ("get_operator", "default")]
    assert case.params == {"phone": "79999999999"}
    stored = Case(case.call, case.name, case.bodies, case.formats, {"phone": "70000000042"})
    pseudonyms = {"79999999999": "70000000042", "79161234567": "70000000777"}

    def mask(params: Mapping[str, str]) -> dict[str, str]:
        return {k: pseudonyms.get(v, v) if k == "phone" else v for k, v in params.items()}

    mock = SmscMock([stored], mask=mask)
    url = "https://smsc.ru/sys/info.php?get_operator=1&fmt=0&charset=utf-8&phone="
    assert mock.answer("GET", url + "79999999999").body == body("get_operator", "default", 0)
    with pytest.raises(ReplayMiss, match=r"phone 70000000777 != 70000000042$") as miss:
        mock.answer("GET", url + "79161234567")
    assert "79161234567" not in str(miss.value)
    assert [r.params for r in mock.requests] == [{"phone": "79999999999"},
                                                {"phone": "79161234567"}]
    with pytest.raises(ReplayMiss):  # without the mask, the real number matches nothing
        SmscMock([stored]).answer("GET", url + "79999999999")
