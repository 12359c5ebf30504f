"""In-process replay through each HTTP library: requests, httpx (sync and async), urllib.

Every expected body is read from the committed corpus files; the clients use hard-coded SMSC
hosts, as the official ``smsc_api.py`` does, and no socket is opened for them.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import requests
from requests.adapters import HTTPAdapter

from smsc_formats.testing import SMSC_HOSTS, SmscMock, replay

CORPUS = Path(__file__).resolve().parents[2] / "fixtures"
STAT = CORPUS / "get_stat" / "default"
PERIOD = json.loads((STAT / "meta.json").read_text(encoding="utf-8"))["params"]
CREDS = {"login": "alice-login-7Q", "psw": "pw-Секрет 42&x"}
FILES = {0: "fmt0.txt", 1: "fmt1.csv", 2: "fmt2.xml", 3: "fmt3.json"}


def stat_params(fmt: int) -> dict[str, Any]:
    return {"get_stat": 1, **PERIOD, "fmt": fmt, "charset": "utf-8", **CREDS}


def recorded(fmt: int) -> bytes:
    return (STAT / FILES[fmt]).read_bytes()


@pytest.fixture
def smsc() -> Iterator[SmscMock]:
    with replay(CORPUS) as mock:
        yield mock


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


HOSTS = ["smsc.ru", "www.smsc.ru", "www1.smsc.ru", "www5.smsc.ru", "www9.smsc.ru",
         "smscentre.com", "smsc.kz", "smsc.ua", "smsc.tech"]


def test_every_documented_host_is_covered() -> None:
    assert set(HOSTS) <= set(SMSC_HOSTS)


@pytest.mark.parametrize("host", HOSTS)
@pytest.mark.parametrize("scheme", ["http", "https"])
def test_requests_get_on_every_host(smsc: SmscMock, scheme: str, host: str) -> None:
    response = requests.get(f"{scheme}://{host}/sys/get.php", params=stat_params(3), timeout=5)
    assert response.status_code == 200
    assert response.content == recorded(3)
    assert response.headers["Content-Type"] == "application/json; charset=utf-8"
    assert response.json()[0]["currency"] == "RUB"
    assert smsc.requests[-1].host == host


def test_requests_post_form_in_a_session(smsc: SmscMock) -> None:
    with requests.Session() as session:
        response = session.post("https://smsc.ru/sys/get.php", data=stat_params(0), timeout=5)
    assert response.content == recorded(0)
    assert response.text == recorded(0).decode("utf-8")
    assert smsc.requests[-1].method == "POST"


def test_requests_stream_reads_the_body(smsc: SmscMock) -> None:
    response = requests.get("https://smsc.ru/sys/get.php", params=stat_params(2), stream=True,
                            timeout=5)
    assert b"".join(response.iter_content(7)) == recorded(2)


@pytest.mark.parametrize("fmt", [0, 1, 2, 3])
def test_httpx_client_get_and_post(smsc: SmscMock, fmt: int) -> None:
    with httpx.Client(base_url="https://smsc.ru") as client:
        got = client.get("/sys/get.php", params=stat_params(fmt))
        posted = client.post("/sys/get.php", data=stat_params(fmt))
    assert got.status_code == posted.status_code == 200
    assert got.content == posted.content == recorded(fmt)
    assert [r.method for r in smsc.requests] == ["GET", "POST"]


def test_httpx_module_functions(smsc: SmscMock) -> None:
    assert httpx.get("https://www2.smsc.ru/sys/get.php",
                     params=stat_params(1)).content == recorded(1)


@pytest.mark.anyio
async def test_httpx_async_client_get_and_post(smsc: SmscMock) -> None:
    async with httpx.AsyncClient() as client:
        got = await client.get("https://smsc.ru/sys/get.php", params=stat_params(3))
        posted = await client.post("https://smsc.kz/sys/get.php", data=stat_params(2))
    assert got.content == recorded(3)
    assert posted.content == recorded(2)
    assert posted.headers["content-type"] == "text/xml; charset=utf-8"


def test_urllib_get_and_post(smsc: SmscMock) -> None:
    query = urllib.parse.urlencode(stat_params(0))
    with urllib.request.urlopen(f"https://smsc.ru/sys/get.php?{query}", timeout=5) as answer:
        assert answer.status == 200
        assert answer.read() == recorded(0)
    form = urllib.parse.urlencode(stat_params(1)).encode("ascii")
    request = urllib.request.Request("http://www.smsc.ru/sys/get.php", data=form)
    with urllib.request.urlopen(request, timeout=5) as answer:
        assert answer.headers["Content-Type"] == "text/plain; charset=utf-8"
        assert answer.read() == recorded(1)
    assert [r.method for r in smsc.requests] == ["GET", "POST"]


def test_urllib_built_opener(smsc: SmscMock) -> None:
    opener = urllib.request.build_opener()
    form = urllib.parse.urlencode(stat_params(3)).encode("ascii")
    with opener.open("https://smsc.ru/sys/get.php", data=form, timeout=5) as answer:
        assert answer.read() == recorded(3)


def test_urllib_http_error_status_raises_http_error(tmp_path: Path) -> None:
    from tests.edge.test_replay import write_corpus

    corpus = write_corpus(tmp_path)
    body = (corpus / "get_short_link" / "missing" / "fmt0.txt").read_bytes()
    with replay(corpus), pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen("https://smsc.ru/sys/tinyurls.php?get=1&id=6"
                               "&fmt=0&charset=utf-8", timeout=5)
    assert caught.value.code == 400
    assert caught.value.read() == body


@pytest.fixture
def fake_network(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The libraries' own senders, replaced by fakes that record the URL they got."""
    sent: list[str] = []

    def requests_send(self: Any, request: Any, *args: Any, **kwargs: Any) -> Any:
        sent.append(request.url)
        raise requests.ConnectionError("fake network")

    def httpx_send(self: Any, request: httpx.Request) -> httpx.Response:
        sent.append(str(request.url))
        return httpx.Response(204, request=request)

    def urllib_open(self: Any, fullurl: Any, data: Any = None, timeout: Any = None) -> Any:
        sent.append(fullurl if isinstance(fullurl, str) else fullurl.full_url)
        raise urllib.error.URLError("fake network")

    monkeypatch.setattr(HTTPAdapter, "send", requests_send)
    monkeypatch.setattr(httpx.HTTPTransport, "handle_request", httpx_send)
    monkeypatch.setattr(urllib.request.OpenerDirector, "open", urllib_open)
    return sent


def test_other_hosts_are_left_alone(fake_network: list[str]) -> None:
    with replay(CORPUS) as smsc:
        with pytest.raises(requests.ConnectionError):
            requests.get("https://example.org/sys/get.php?get_stat=1", timeout=5)
        assert httpx.get("https://smsc.ru.example.org/sys/get.php").status_code == 204
        with pytest.raises(urllib.error.URLError):
            urllib.request.urlopen("ftp://smsc.ru/sys/get.php", timeout=5)
        assert httpx.get("https://smsc.ru/sys/get.php", params=stat_params(3)).content == \
            recorded(3)
    assert fake_network == ["https://example.org/sys/get.php?get_stat=1",
                            "https://smsc.ru.example.org/sys/get.php", "ftp://smsc.ru/sys/get.php"]
    assert [r.host for r in smsc.requests] == ["smsc.ru"]


def test_nothing_is_intercepted_after_the_block(fake_network: list[str]) -> None:
    with replay(CORPUS):
        pass
    with pytest.raises(requests.ConnectionError):
        requests.get("https://smsc.ru/sys/get.php", params=stat_params(3), timeout=5)
    httpx.get("https://smsc.ru/sys/get.php")
    assert len(fake_network) == 2


def test_hosts_are_configurable(fake_network: list[str]) -> None:
    with replay(CORPUS, hosts=["sms.example.org"]):
        got = requests.get("https://sms.example.org/sys/get.php", params=stat_params(3),
                           timeout=5)
        assert got.content == recorded(3)
        assert httpx.get("https://smsc.ru/sys/get.php").status_code == 204
    with replay(CORPUS, extra_hosts=["sms.example.org"]):
        assert httpx.get("https://sms.example.org/sys/get.php",
                         params=stat_params(3)).content == recorded(3)
        assert httpx.get("https://smsc.ru/sys/get.php",
                         params=stat_params(3)).content == recorded(3)
    assert fake_network == ["https://smsc.ru/sys/get.php"]


def test_the_innermost_replay_answers(tmp_path: Path) -> None:
    from tests.edge.test_replay import write_corpus

    other = write_corpus(tmp_path)
    with replay(CORPUS) as outer, replay(other) as inner:
        httpx.get("https://smsc.ru/sys/get.php",
                  params={"get_stat": 1, "start": "01.11.2026", "end": "24.11.2026",
                          "fmt": 3, "charset": "utf-8"})
    assert len(inner.requests) == 1
    assert outer.requests == []
