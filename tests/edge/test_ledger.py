"""The rate limiter: scheduling math against the page's limits, and the ledger on disk."""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from smsc_formats.cli import main
from smsc_formats.edge.ledger import (
    Entry,
    Ledger,
    LedgerError,
    LedgerUnreadable,
    Limiter,
    LimitWaitTooLong,
    Margin,
    account_id,
    default_path,
    params_key,
    server_id,
    wait_time,
)
from smsc_formats.edge.recorder import record
from smsc_formats.edge.simulator import SimulatorConfig, SimulatorServer, start_simulator
from smsc_formats.request import Credentials
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


@pytest.mark.parametrize(("content", "reason"), [
    (b"", "empty"),
    (b'{"version": 1, "servers": {"http://h": {"a": [["get_pri', "not JSON"),
    (b"\xff\xfe garbage", "not UTF-8"),
    (b"[1, 2, 3]", "a JSON list"),
    (b'{"servers": {}}', "layout version None"),
    (b'{"version": 1, "servers": {"http://h": {"a": [["get_price", "k"]]}}}',
     "malformed entries"),
    (b'{"version": 1, "servers": {"http://h": {"a": [["get_price", "k", "noon"]]}}}',
     "malformed entries"),
])
def test_an_unreadable_ledger_is_refused_and_left_as_it_was(tmp_path: Path, content: bytes,
                                                            reason: str) -> None:
    path = tmp_path / "ledger.json"
    path.write_bytes(content)
    fake = FakeTime()
    limiter = Limiter(Ledger(path), clock=fake.clock, sleep=fake.sleep)
    with pytest.raises(LedgerUnreadable) as info:
        limiter.acquire("http://h", "a", "get_price", {})
    message = str(info.value)
    assert reason in message
    assert str(path) in message
    assert "Move it aside" in message
    assert f"mv '{path}' '{path}.bad'" in message
    assert "\n" not in message
    assert path.read_bytes() == content
    assert [p.name for p in tmp_path.iterdir() if p.name != "ledger.json.lock"] == ["ledger.json"]
    with pytest.raises(LedgerUnreadable):
        Ledger(path).history("http://h", "a")


def test_a_ledger_path_that_is_a_folder_is_unreadable_and_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "ledger.json"
    path.mkdir()
    fake = FakeTime()
    limiter = Limiter(Ledger(path), clock=fake.clock, sleep=fake.sleep)
    with pytest.raises(LedgerUnreadable) as info:
        limiter.acquire("http://h", "a", "get_price", {})
    assert "a directory, not a ledger file" in str(info.value)
    assert str(path) in str(info.value)
    assert path.is_dir()
    assert not list(path.iterdir())


@pytest.mark.parametrize(("url", "expected"), [
    ("http://127.0.0.1:8080", "http://127.0.0.1:8080"),
    ("HTTP://127.0.0.1:8080/", "http://127.0.0.1:8080"),
    ("https://SMSC.ru", "https://smsc.ru"),
    ("https://smsc.ru:443/", "https://smsc.ru"),
    ("https://smsc.ru.:443//", "https://smsc.ru"),
    ("http://smsc.ru:80", "http://smsc.ru"),
    ("http://smsc.ru:443", "http://smsc.ru:443"),
    ("https://smsc.ru:80", "https://smsc.ru:80"),
    ("https://user:secret@smsc.ru/api/?x=1#frag", "https://smsc.ru/api"),
    ("https://smsc.ru/API/", "https://smsc.ru/API"),
    ("http://[::1]:9000/", "http://[::1]:9000"),
    ("http://[::1]:80/", "http://[::1]"),
])
def test_server_identity_is_normalized(url: str, expected: str) -> None:
    assert server_id(url) == expected


def test_a_ledger_of_two_spellings_is_merged_into_one_server(tmp_path: Path) -> None:
    # A ledger written before the identity was normalized: one server under two keys.
    path = tmp_path / "ledger.json"
    now = 1_000_000.0
    path.write_text(json.dumps({"version": 1, "servers": {
        "http://127.0.0.1:9": {"a": [["get_stat", "k", now - 20], ["get_stat", "k", now - 10]]},
        "HTTP://127.0.0.1:9/": {"a": [["get_stat", "k", now - 15]]},
    }}))
    ledger = Ledger(path)
    assert [e.at for e in ledger.history("http://127.0.0.1:9/", "a")] == \
        [now - 20, now - 15, now - 10]
    # Three identical requests in the last minute, whichever spelling they went under.
    assert ledger.reserve("HTTP://127.0.0.1:9", "a", "get_stat", "k", now,
                          CALLS["get_stat"].limits) > 0
    assert set(json.loads(path.read_text())["servers"]) == {"http://127.0.0.1:9"}


def test_a_failed_write_leaves_the_old_ledger_whole(tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "ledger.json"
    ledger = Ledger(path)
    ledger.reserve("http://h", "a", "get_price", "k", 1000.0, CALLS["get_price"].limits)
    before = path.read_bytes()

    def no_room(src: object, dst: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", no_room)
    with pytest.raises(LedgerError, match="No space left"):
        ledger.reserve("http://h", "a", "get_price", "k", 1001.0, CALLS["get_price"].limits)
    monkeypatch.undo()
    assert path.read_bytes() == before
    # No temporary file is left behind beside it.
    assert [p.name for p in tmp_path.iterdir() if p.name != "ledger.json.lock"] == ["ledger.json"]


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


# --- against the simulator on 127.0.0.1 -------------------------------------------------------

SIM_LOGIN, SIM_PSW = "ledger-login-3", "ledger-Psw+9"


def _simulator(clock: Callable[[], float] | None = None,
               log: list[str] | None = None) -> SimulatorServer:
    config = SimulatorConfig(login=SIM_LOGIN, psw=SIM_PSW, limits=clock is not None)
    if clock is not None:
        config = dataclasses.replace(config, clock=clock)
    return start_simulator(config, access_log=None if log is None else log.append)


def test_four_runs_against_two_spellings_of_one_server_keep_to_its_limits(
        tmp_path: Path) -> None:
    fake = FakeTime()
    server = _simulator(clock=fake.clock)
    host_port = server.base_url.split("://", 1)[1].rstrip("/")
    spellings = [f"http://{host_port}", f"HTTP://{host_port}/"]
    path = tmp_path / "ledger.json"
    try:
        for run in range(4):
            # Each run opens the ledger afresh, as separate processes do; the simulator
            # answers error 9 (and record raises) if any limit of the page is broken.
            limiter = Limiter(Ledger(path), clock=fake.clock, sleep=fake.sleep)
            cases = record(spellings[run % 2], tmp_path / "corpus", Credentials(SIM_LOGIN,
                           SIM_PSW), calls=["get_stat", "get_price"], mode="all",
                           source="simulator", as_of=server.dataset.now.date(),
                           limiter=limiter)
            assert len(cases) == 2
    finally:
        server.shutdown()
    # 4 runs x 4 formats of one get_stat request: 3 per widened minute, so 5 waits of 65 s.
    assert fake.slept == [65.0] * 5
    assert set(json.loads(path.read_text())["servers"]) == {f"http://{host_port}"}


def _cli(args: list[str], ledger: Path) -> tuple[int, str]:
    env = {"SMSC_LOGIN": SIM_LOGIN, "SMSC_PSW": SIM_PSW, "SMSC_APIKEY": None,
           "SMSC_FORMATS_LEDGER": str(ledger)}
    result = CliRunner().invoke(main, args, env=env)
    return result.exit_code, result.stderr


def test_record_and_drift_refuse_a_corrupt_ledger_with_exit_2(tmp_path: Path) -> None:
    log: list[str] = []
    server = _simulator(log=log)
    ledger = tmp_path / "ledger.json"
    corpus = tmp_path / "corpus"
    common = ["--base-url", server.base_url, "--as-of", "24.11.2026"]
    try:
        code, stderr = _cli(["record", "--out", str(corpus), "--call", "get_price",
                             "--fmt", "0", "--source", "simulator", "--quiet", *common],
                            ledger)
        assert code == 0, stderr
        sent = len(log)
        assert sent > 0
        truncated = ledger.read_bytes()[:-7]
        ledger.write_bytes(truncated)
        code, stderr = _cli(["record", "--out", str(corpus), "--mode", "all", "--call",
                             "get_price", "--fmt", "0", "--source", "simulator", "--quiet",
                             *common], ledger)
        assert code == 2
        assert stderr.count("\n") == 1
        assert "Traceback" not in stderr
        assert str(ledger) in stderr
        assert "Move it aside" in stderr
        code, stderr = _cli(["drift", str(corpus), "--base-url", server.base_url, "--quiet"],
                            ledger)
        assert code == 2, stderr
        assert str(ledger) in stderr
        assert stderr.count("\n") == 1
    finally:
        server.shutdown()
    assert len(log) == sent  # not one request went out on the corrupt ledger
    assert ledger.read_bytes() == truncated


NO_FCNTL = """
import sys
sys.modules["fcntl"] = None  # as on Windows: `import fcntl` raises ImportError
from smsc_formats.cli import main
from smsc_formats.edge.ledger import Ledger
from smsc_formats.spec import CALLS
ledger = Ledger(__import__("pathlib").Path(sys.argv[1]))
for _ in range(4):
    print(ledger.reserve("http://h", "a", "get_stat", "k", 1000.0, CALLS["get_stat"].limits))
sys.argv = ["smsc-formats", *sys.argv[2:]]
main()
"""


@pytest.mark.parametrize("args", [["--help"], ["spec", "get_stat"]])
def test_the_cli_and_the_ledger_work_without_fcntl(tmp_path: Path, args: list[str]) -> None:
    result = subprocess.run([sys.executable, "-c", NO_FCNTL, str(tmp_path / "l.json"), *args],
                            capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    lines = result.stdout.splitlines()
    # Three identical get_stat requests a minute are granted, the fourth must wait.
    assert [float(x) > 0 for x in lines[:4]] == [False, False, False, True]
    assert ("Usage: smsc-formats" if args == ["--help"] else "get_stat") in result.stdout
