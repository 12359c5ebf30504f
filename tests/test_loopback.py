"""The shared scripted loopback server of the tests (tests/loopback.py)."""

from __future__ import annotations

import http.client
import urllib.request

import pytest

from tests.loopback import RESET, Answer, loopback


def _post(url: str, body: bytes) -> tuple[int, str | None, bytes]:
    with urllib.request.urlopen(urllib.request.Request(url, data=body), timeout=5) as r:
        return r.status, r.headers.get("Content-Type"), r.read()


def test_a_list_is_answered_in_order_and_its_last_answer_repeats() -> None:
    with loopback([Answer(200, b"one"), Answer(200, b"two", "text/xml")]) as server:
        assert server.url.startswith("http://127.0.0.1:")
        assert _post(server.url + "/a", b"x=1")[2] == b"one"
        assert _post(server.url + "/b", b"fmt=3&x=%D1%8F") == (200, "text/xml", b"two")
        assert _post(server.url + "/c", b"")[2] == b"two"
    assert [s.path for s in server.seen] == ["/a", "/b", "/c"]
    assert server.seen[1].form == {"fmt": "3", "x": "я"}


def test_a_function_answers_from_the_request_and_a_reset_drops_the_connection() -> None:
    def script(seen: object) -> Answer:
        return RESET if getattr(seen, "path", "") == "/reset" else Answer(503)

    with loopback(script) as server:
        with pytest.raises((ConnectionError, http.client.HTTPException, OSError)):
            _post(server.url + "/reset", b"")
        with pytest.raises(urllib.error.HTTPError) as info:
            _post(server.url + "/other", b"")
        info.value.close()
        assert info.value.code == 503
    assert len(server.seen) == 2
