"""The rate limiter: scheduling math against the page's limits, and the ledger on disk."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest

from smsc_formats.edge.ledger import (
    Entry,
    Ledger,
    Limiter,
    LimitWaitTooLong,
    Margin,
    account_id,
    default_path,
    params_key,
    wait_time,
)
from smsc_formats.spec import CALLS, RateLimit

NO_MARGIN = Margin(min_seconds=0, fraction=0, reserve=0)
THREE_A_MINUTE = RateLimit(count=3, seconds=60, scope="identical")


class FakeTime:
    """A clock that only moves when the limiter sleeps."""

    def __init__(self, start: float = 1_000_000.0) -> None:
        self.now = start
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def test_three_identical_a_minute_then_wait_for_the_oldest() -> None:
    history = [Entry("get_price", "k", t) for t in (0.0, 10.0, 20.0)]
    assert wait_time([THREE_A_MINUTE], history[:2], "get_price", "k", 30.0, NO_MARGIN) == 0
    # The page: "no more than three identical requests within a minute".
    assert wait_time([THREE_A_MINUTE], history, "get_price", "k", 30.0, NO_MARGIN) == 30.0
    assert wait_time([THREE_A_MINUTE], history, "get_price", "k", 60.0, NO_MARGIN) == 0
    # Other parameters are not identical; another call is not counted at all.
    assert wait_time([THREE_A_MINUTE], history, "get_price", "other", 30.0, NO_MARGIN) == 0
    assert wait_time([THREE_A_MINUTE], history, "get_stat", "k", 30.0, NO_MARGIN) == 0


def test_thirty_history_requests_an_hour() -> None:
    limits = CALLS["get_messages"].limits
    history = [Entry("get_messages", f"key{i}", 100.0 * i) for i in range(30)]
    # All different parameters: only the hourly call limit applies, oldest at t=0.
    assert wait_time(limits, history, "get_messages", "new", 3000.0, NO_MARGIN) == 600.0
    assert wait_time(limits, history[:29], "get_messages", "new", 3000.0, NO_MARGIN) == 0


def test_hundred_operator_requests_a_minute() -> None:
    limits = CALLS["get_operator"].limits
    history = [Entry("get_operator", f"phone{i}", 0.5 * i) for i in range(100)]
    assert wait_time(limits, history, "get_operator", "x", 50.0, NO_MARGIN) == 10.0
    assert wait_time(limits, history[:99], "get_operator", "x", 50.0, NO_MARGIN) == 0


def test_the_default_margin_is_safer_than_the_page() -> None:
    margin = Margin()
    assert margin.window(THREE_A_MINUTE) == 65.0
    assert margin.count(THREE_A_MINUTE) == 3
    assert margin.count(RateLimit(30, 3600, "call")) == 27
    assert margin.count(RateLimit(100, 60, "call")) == 90
    history = [Entry("get_price", "k", t) for t in (0.0, 1.0, 2.0)]
    assert wait_time([THREE_A_MINUTE], history, "get_price", "k", 3.0, margin) == 62.0


def test_identical_ignores_fmt_and_charset_only() -> None:
    assert params_key({"fmt": "0", "charset": "utf-8", "id": "1"}) == \
        params_key({"fmt": "3", "id": "1"})
    assert params_key({"id": "1"}) != params_key({"id": "2"})


def test_limiter_sleeps_on_the_injected_clock() -> None:
    fake = FakeTime()
    limiter = Limiter(Ledger(None), clock=fake.clock, sleep=fake.sleep)
    waits: list[float] = []
    for fmt in "0123":
        limiter.acquire("http://h", "acct", "get_price", {"get_price": "1", "fmt": fmt},
                        on_wait=lambda s, _reason: waits.append(s))
    # Four formats of one request count as identical: the fourth waits the widened minute.
    assert fake.slept == [65.0]
    assert waits == [65.0]


def test_limiter_max_wait_fails_instead_of_sleeping() -> None:
    fake = FakeTime()
    limiter = Limiter(Ledger(None), clock=fake.clock, sleep=fake.sleep, max_wait=10)
    for _ in range(3):
        limiter.acquire("http://h", "acct", "get_stat", {"start": "01.11.2026"})
    with pytest.raises(LimitWaitTooLong, match="get_stat"):
        limiter.acquire("http://h", "acct", "get_stat", {"start": "01.11.2026"})
    assert fake.slept == []


def test_ledger_persists_across_instances_keyed_by_server_and_account(tmp_path: Path) -> None:
    path = tmp_path / "cache" / "ledger.json"
    fake = FakeTime()
    account = account_id("alice-login")
    first = Limiter(Ledger(path), clock=fake.clock, sleep=fake.sleep)
    for _ in range(3):
        first.acquire("http://smsc.example/", account, "get_stat", {})
    second = Limiter(Ledger(path), clock=fake.clock, sleep=fake.sleep)
    # Same server (trailing slash aside) and account: the new instance has to wait.
    second.acquire("http://smsc.example", account, "get_stat", {})
    assert fake.slept == [65.0]
    # Another account or another server is not held back.
    second.acquire("http://smsc.example", account_id("bob"), "get_stat", {})
    second.acquire("http://other.example", account, "get_stat", {})
    assert fake.slept == [65.0]
    text = path.read_text()
    assert "alice-login" not in text
    data = json.loads(text)
    assert set(data["servers"]) == {"http://smsc.example", "http://other.example"}
    assert account in data["servers"]["http://smsc.example"]


def test_ledger_prunes_entries_older_than_the_longest_window(tmp_path: Path) -> None:
    path = tmp_path / "ledger.json"
    fake = FakeTime()
    limiter = Limiter(Ledger(path), clock=fake.clock, sleep=fake.sleep)
    limiter.acquire("http://h", "a", "get_messages", {"cnt": "1"})
    fake.now += 2 * 3600
    limiter.acquire("http://h", "a", "get_price", {})
    rows = json.loads(path.read_text())["servers"]["http://h"]["a"]
    assert [r[0] for r in rows] == ["get_price"]


def test_a_damaged_ledger_starts_afresh(tmp_path: Path) -> None:
    path = tmp_path / "ledger.json"
    path.write_text("{not json")
    fake = FakeTime()
    Limiter(Ledger(path), clock=fake.clock, sleep=fake.sleep).acquire("http://h", "a",
                                                                      "get_price", {})
    assert json.loads(path.read_text())["servers"]["http://h"]["a"][0][0] == "get_price"


def test_default_location(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("SMSC_FORMATS_LEDGER", str(tmp_path / "x.json"))
    assert default_path() == tmp_path / "x.json"
    monkeypatch.delenv("SMSC_FORMATS_LEDGER")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    assert default_path() == tmp_path / "cache" / "smsc-formats" / "ledger.json"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert default_path() == tmp_path / "home" / ".cache" / "smsc-formats" / "ledger.json"


def test_concurrent_runs_sharing_the_ledger_never_overbook(tmp_path: Path) -> None:
    path = tmp_path / "ledger.json"
    now = 5_000.0
    granted: list[float] = []
    lock = threading.Lock()

    def run() -> None:
        ledger = Ledger(path)  # each "run" opens the file on its own, as processes do
        for _ in range(5):
            wait = ledger.reserve("http://h", "a", "get_stat", "k", now,
                                  CALLS["get_stat"].limits)
            if wait == 0:
                with lock:
                    granted.append(now)

    threads = [threading.Thread(target=run) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # get_stat: three requests a minute in all, however many runs ask at once.
    assert len(granted) == 3
    assert len(Ledger(path).history("http://h", "a")) == 3
