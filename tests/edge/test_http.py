"""The HTTP client: form-encoded POST, every answer returned, secret-free failures."""

from __future__ import annotations

import re
import socket
from collections.abc import Iterator
from urllib.parse import parse_qs

import pytest

from smsc_formats.edge.http import FetchError, check_base_url, fetch, host_of, public_url
from smsc_formats.request import Credentials, build_request
from tests.loopback import Answer, Loopback, Seen, loopback

LOGIN, PSW = "alice-login", "s3cr3t/pass word"
CREDS = Credentials(login=LOGIN, psw=PSW)


def _by_path(seen: Seen) -> Answer:
    """Answers by path: /sys/get.php 200, /missing 404, /moved 302, /slow after 2 s."""
    if seen.path.startswith("/moved"):
        return Answer(302, content_type=None,
                      headers=(("Location", "http://127.0.0.1:9/elsewhere"),))
    status = 404 if seen.path.startswith("/missing") else 200
    return Answer(status, b"ERROR = 1 (parameters error)",
                  delay=2.0 if seen.path.startswith("/slow") else 0.0)


@pytest.fixture
def server() -> Iterator[Loopback]:
    with loopback(_by_path) as running:
        yield running


@pytest.fixture
def stub(server: Loopback) -> str:
    return server.url


def test_posts_form_encoded_with_credentials_only_in_the_body(stub: str,
                                                              server: Loopback) -> None:
    request = build_request("get_stat", fmt=3, start="01.11.2026")
    response = fetch(stub, request, CREDS, timeout=5)
    assert response.status == 200
    assert response.content_type == "text/plain; charset=utf-8"
    assert response.body == b"ERROR = 1 (parameters error)"
    ((seen),) = server.seen
    method, path, body = seen.method, seen.path, seen.body
    assert method == "POST"
    assert path == "/sys/get.php"
    form = {k: v[0] for k, v in parse_qs(body.decode("ascii")).items()}
    assert form == {"get_stat": "1", "start": "01.11.2026", "fmt": "3", "charset": "utf-8",
                    "login": LOGIN, "psw": PSW}
    assert LOGIN not in response.url
    assert "psw" not in response.url
    assert response.url.startswith(stub + "/sys/get.php?get_stat=1")


def test_base_url_with_a_trailing_slash_and_a_prefix(stub: str, server: Loopback) -> None:
    request = build_request("get_operator", fmt=0, phone="79999999999")
    fetch(stub + "/api/", request, CREDS, timeout=5)
    assert server.seen[0].path == "/api/sys/info.php"


def test_http_errors_are_returned_not_raised(stub: str) -> None:
    request = build_request("get_price", fmt=0)
    response = fetch(stub + "/missing", request, CREDS, timeout=5)
    assert response.status == 404
    assert response.body.startswith(b"ERROR = 1")


def test_redirects_are_not_followed(stub: str, server: Loopback) -> None:
    response = fetch(stub + "/moved", build_request("get_price", fmt=0), CREDS, timeout=5)
    assert response.status == 302
    assert len(server.seen) == 1


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def test_connection_refused_is_a_fetch_error_without_secrets() -> None:
    port = _free_port()
    with pytest.raises(FetchError) as info:
        fetch(f"http://127.0.0.1:{port}", build_request("get_price", fmt=0), CREDS, timeout=5)
    message = str(info.value)
    assert message == f"cannot reach 127.0.0.1:{port}: connection refused"
    assert LOGIN not in message
    assert "s3cr3t" not in message


def test_timeout_is_a_fetch_error(stub: str) -> None:
    with pytest.raises(FetchError, match="timed out"):
        fetch(stub + "/slow", build_request("get_price", fmt=0), CREDS, timeout=0.3)


def test_unresolvable_host_is_a_fetch_error() -> None:
    with pytest.raises(FetchError, match=r"cannot reach nonexistent\.invalid:80"):
        fetch("http://nonexistent.invalid", build_request("get_price", fmt=0), CREDS,
              timeout=2)


def test_user_info_in_the_base_url_is_refused_without_echoing_it() -> None:
    with pytest.raises(FetchError) as info:
        fetch(f"http://{LOGIN}:{PSW}@127.0.0.1:1", build_request("get_price", fmt=0), None)
    assert LOGIN not in str(info.value)


def test_host_of_and_public_url() -> None:
    assert host_of("https://smsc.ru/") == "smsc.ru:443"
    assert host_of("http://u:p@127.0.0.1:8123/x") == "127.0.0.1:8123"
    url = public_url("http://u:p@127.0.0.1:8123", build_request("get_price", fmt=2))
    assert url == "http://127.0.0.1:8123/sys/get.php?get_price=1&fmt=2&charset=utf-8"


@pytest.mark.parametrize(("base_url", "message"), [
    ("notaurl", "expected http(s)://host[:port], e.g. https://smsc.ru"),
    ("login:secret-pw@smsc.ru", "expected http(s)://host[:port], e.g. https://smsc.ru"),
    ("ftp://127.0.0.1:21", "not an http(s) base URL: ftp://127.0.0.1:21"),
    ("http://127.0.0.1:x", "its port is not a number"),
])
def test_check_base_url_names_the_problem_without_echoing_the_url(base_url: str,
                                                                  message: str) -> None:
    with pytest.raises(FetchError, match=re.escape(message)) as info:
        check_base_url(base_url)
    assert "secret-pw" not in str(info.value)


def test_check_base_url_accepts_http_and_https_with_a_prefix() -> None:
    for url in ("https://smsc.ru", "http://127.0.0.1:8123/", "https://smsc.ru/prefix"):
        check_base_url(url)
