"""The pytest plugin as a user's project sees it, run through ``pytester`` on a tmp corpus."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.edge.test_replay import write_corpus
from tests.simulated import recording_simulator

pytest_plugins = ["pytester"]

USER_TESTS = '''
import _socket
import socket
import urllib.request
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from smsc_formats import OperatorInfo, StatRow

CORPUS = Path(__file__).parent / "fixtures"
SEEN_URLS = []


def test_replay_url_serves_the_recorded_bytes(smsc_replay_url):
    SEEN_URLS.append(smsc_replay_url)
    url = (smsc_replay_url + "/sys/get.php?get_stat=1&login=me&psw=pw&fmt=3&charset=utf-8"
           "&start=01.11.2026&end=24.11.2026")
    with urllib.request.urlopen(url, timeout=30) as response:
        assert response.read() == (CORPUS / "get_stat/default/fmt3.json").read_bytes()


def test_the_server_is_started_once_per_session(smsc_replay_url):
    SEEN_URLS.append(smsc_replay_url)
    assert SEEN_URLS == [SEEN_URLS[0]] * 2


@pytest.mark.smsc_case("get_stat/default", fmt=3)
def test_one_case_one_format(smsc_case):
    assert smsc_case == [StatRow("redacted-login", 3, Decimal("1.50"), Decimal("0"), "RUB")]


@pytest.mark.smsc_case("get_operator/one")
def test_without_fmt_every_recorded_format(smsc_case, smsc_case_body):
    assert smsc_case == OperatorInfo("Россия", "Билайн", "Москва", "250", "99", 3)
    assert "Билайн".encode("windows-1251") in smsc_case_body


@pytest.mark.smsc_case("get_short_link", fmt=1)
def test_a_call_name_selects_its_cases(smsc_case):
    assert smsc_case is not None


def test_non_loopback_connections_are_blocked(smsc_replay_url):
    with pytest.raises(RuntimeError, match=r"192\\.0\\.2\\.1:80 blocked"):
        socket.create_connection(("192.0.2.1", 80), timeout=1)
    with socket.socket() as sock, pytest.raises(RuntimeError, match="blocked"):
        sock.connect(("198.51.100.7", 443))
    with socket.socket() as sock, pytest.raises(RuntimeError, match="blocked"):
        sock.connect_ex(("203.0.113.9", 443))
    with socket.socket(socket.AF_INET6) as sock, pytest.raises(RuntimeError, match="blocked"):
        sock.connect(("2001:db8::1", 443, 0, 0))
    with pytest.raises(RuntimeError, match="smsc.ru:443 blocked"):
        urllib.request.urlopen("https://smsc.ru/sys/get.php?get_stat=1", timeout=1)
    host, port = smsc_replay_url.removeprefix("http://").rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=30):
        pass  # loopback stays open


def test_a_test_without_replay_fixtures_is_not_guarded():
    assert socket.socket.connect is _socket.socket.connect
    assert socket.create_connection.__module__ == "socket"
'''


@pytest.fixture
def project(pytester: pytest.Pytester) -> pytest.Pytester:
    write_corpus(pytester.path / "fixtures")
    pytester.makepyfile(test_user=USER_TESTS)
    return pytester


def test_user_project_replays_and_is_cut_off_from_the_network(
        project: pytest.Pytester) -> None:
    result = project.runpytest("-v", "--strict-markers", "-p", "no:cacheprovider")
    # 2 url tests, 1 single case, 4 formats of get_operator/one, 2 short-link cases in fmt=1,
    # the network test and the unguarded test.
    result.assert_outcomes(passed=2 + 1 + 4 + 2 + 1 + 1)
    result.stdout.fnmatch_lines([
        "*test_one_case_one_format?get_stat/default-fmt3? PASSED*",
        "*test_without_fmt_every_recorded_format?get_operator/one-fmt0? PASSED*",
        "*test_a_call_name_selects_its_cases?get_short_link/missing-fmt1? PASSED*",
    ])


def test_guard_is_lifted_after_a_guarded_test(project: pytest.Pytester) -> None:
    result = project.runpytest("-k",
                               "blocked or without_replay_fixtures")
    result.assert_outcomes(passed=2)


def test_corpus_from_the_command_line_and_from_the_ini(pytester: pytest.Pytester) -> None:
    write_corpus(pytester.path / "elsewhere" / "corpus")
    pytester.makepyfile(test_user='''
import pytest

@pytest.mark.smsc_case("get_stat/mycur", fmt=0)
def test_case(smsc_case):
    assert smsc_case[0].currency == "EUR"
''')
    pytester.runpytest("--smsc-corpus=elsewhere/corpus").assert_outcomes(passed=1)
    pytester.makeini("[pytest]\nsmsc_corpus = elsewhere/corpus\n")
    pytester.runpytest().assert_outcomes(passed=1)


def test_opt_out_leaves_the_network_alone(project: pytest.Pytester) -> None:
    project.makeini("[pytest]\nsmsc_allow_network = true\n")
    project.makepyfile(test_optout='''
import _socket
import socket

def test_unpatched(smsc_replay_url):
    assert socket.socket.connect is _socket.socket.connect
''')
    project.runpytest("test_optout.py").assert_outcomes(passed=1)


def test_unknown_case_names_the_closest(project: pytest.Pytester) -> None:
    project.makepyfile(test_typo='''
import pytest

@pytest.mark.smsc_case("get_stat/defualt", fmt=3)
def test_typo(smsc_case):
    pass
''')
    result = project.runpytest("test_typo.py")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*smsc_case: no recorded get_stat/defualt fmt=3 in *; "
                                 "closest: get_stat/default*"])
    assert "Traceback" not in result.stdout.str()


def test_a_pattern_matching_nothing_fails_that_test_alone(project: pytest.Pytester) -> None:
    project.makepyfile(test_nothing='''
import pytest

@pytest.mark.smsc_case("x/*")
def test_nothing(smsc_case):
    pass

@pytest.mark.smsc_case("get_stat/default", fmt=3)
def test_found(smsc_case):
    assert smsc_case

def test_plain():
    pass
''')
    result = project.runpytest("test_nothing.py", "-rE")
    result.assert_outcomes(passed=2, errors=1)
    result.stdout.fnmatch_lines(["smsc_case: no recorded x/[*] in *; known: *get_stat/default*",
                                 "ERROR test_nothing.py::test_nothing[[]no-case[]] - Failed*"])
    assert "Traceback" not in result.stdout.str()


def test_smsc_case_without_marker_says_how_to_use_it(project: pytest.Pytester) -> None:
    project.makepyfile(test_nomark="def test_x(smsc_case):\n    pass\n")
    result = project.runpytest("test_nomark.py")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*smsc_case needs a marker*"])


def test_missing_corpus_is_one_clear_error(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_user="def test_x(smsc_replay_url):\n    pass\n")
    result = pytester.runpytest()
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*fixtures: not a corpus folder (set --smsc-corpus or the "
                                 "smsc_corpus ini value)*"])


def test_plugin_import_is_light() -> None:
    code = ("import sys, smsc_formats.pytest_plugin\n"
            "heavy = [m for m in ('click', 'smsc_formats.edge.replay', 'smsc_formats.edge.store',"
            " 'http.server') if m in sys.modules]\n"
            "print(heavy)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True, timeout=60, cwd=Path(__file__).parent)
    assert done.stdout.strip() == "[]"


FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


@pytest.mark.skipif(not any(FIXTURES.glob("*/*/meta.json")), reason="fixtures/ is empty")
def test_every_committed_case_and_format_loads_through_the_marker(
        pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_all='''
import pytest

from smsc_formats import parse


@pytest.mark.smsc_case("*")
def test_each(smsc_case, smsc_case_body, request):
    ref = request.node.callspec.params["_smsc_case_ref"]
    assert smsc_case == parse(smsc_case_body, call=ref.name.split("/")[0], fmt=ref.fmt)
''')
    pytester.makeini(f"[pytest]\nsmsc_corpus = {FIXTURES}\n")
    result = pytester.runpytest()
    result.assert_outcomes(passed=len(list(FIXTURES.glob("*/*/fmt*.*"))))


# ---------------------------------------------------------------------------------------------
# smsc_mock: in-process replay in a user's test suite, and recording from pytest

CLIENT = '''
"""A user's SMSC client, with the hard-coded host of the official smsc_api.py."""
import asyncio
import os

import httpx
import requests

BASE = "https://smsc.ru/sys"
CREDS = {"login": os.environ.get("SMSC_LOGIN", "me"), "psw": os.environ.get("SMSC_PSW", "pw")}


def stat(start, end, fmt=3):
    r = requests.get(f"{BASE}/get.php", params={"get_stat": 1, "start": start, "end": end,
                                                "fmt": fmt, **CREDS}, timeout=10)
    return r.status_code, r.content


def operator(phone, fmt=0):
    r = requests.post(f"{BASE}/info.php", data={"get_operator": 1, "phone": phone, "fmt": fmt,
                                                "charset": "utf-8", **CREDS}, timeout=10)
    return r.content


def short_link(link_id, fmt=3):
    with httpx.Client() as c:
        return c.get(f"{BASE}/tinyurls.php", params={"get": 1, "id": link_id, "fmt": fmt,
                                                     "charset": "utf-8", **CREDS}).content


def answers_async(hour, cnt, fmt=3):
    async def go():
        async with httpx.AsyncClient() as c:
            r = await c.post("https://www2.smsc.ru/sys/get.php",
                             data={"get_answers": 1, "hour": hour, "cnt": cnt, "fmt": fmt,
                                   "charset": "utf-8", **CREDS})
            return r.content
    return asyncio.run(go())
'''

MOCK_TESTS = '''
import json

from smsc_formats import ApiError, parse

import smsc_client as client


def test_hit(smsc_mock):
    status, body = client.stat("01.11.2026", "24.11.2026")
    assert status == 200
    assert json.loads(body)[0]["sms"] == "3"
    [sent] = smsc_mock.requests
    assert (sent.call, sent.fmt) == ("get_stat", 3)
    assert sent.params == {"start": "01.11.2026", "end": "24.11.2026"}


def test_post_with_cyrillic(smsc_mock):
    assert "operator = Билайн" in client.operator("79991234567").decode("utf-8")


def test_httpx_sync_and_async(smsc_mock):
    assert json.loads(client.short_link(5))["link"] == "https://smsc.ru/a,b"
    assert json.loads(client.answers_async(48, 10))[0]["phone"] == "79991234567"


def test_stub_error_9_in_the_asked_fmt(smsc_mock):
    smsc_mock.stub("get_stat", ApiError(9))
    assert client.stat("01.11.2026", "24.11.2026", fmt=1) == (200, b"0,-9")
    assert parse(client.stat("01.11.2026", "24.11.2026", fmt=3)[1], call="get_stat") == \\
        ApiError(9)


def test_a_stub_lasts_one_test(smsc_mock):
    assert client.stat("01.11.2026", "24.11.2026", fmt=1) == (
        200, b"redacted-login,3,1.50,0,RUB")


def test_miss(smsc_mock):
    client.stat("01.12.2026", "03.12.2026")


def test_caught_miss(smsc_mock):
    try:
        client.stat("01.12.2026", "03.12.2026")
    except Exception:
        pass
'''


@pytest.fixture
def mock_project(pytester: pytest.Pytester) -> pytest.Pytester:
    write_corpus(pytester.path / "fixtures")
    pytester.makepyfile(smsc_client=CLIENT, test_mock=MOCK_TESTS)
    return pytester


def test_smsc_mock_replays_stubs_and_fails_on_a_miss(mock_project: pytest.Pytester,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SMSC_LOGIN", "mock-login-3X")
    monkeypatch.setenv("SMSC_PSW", "mock-psw-8Y")
    result = mock_project.runpytest("-p", "no:cacheprovider", "test_mock.py")
    result.assert_outcomes(passed=5, failed=2)
    result.stdout.fnmatch_lines([
        "smsc-formats: miss get_stat fmt=3 charset=windows-1251 params {end: "
        "03.12.2026, start: "
        "01.12.2026} — closest get_stat/default differs: end 03.12.2026 != 24.11.2026; start "
        "01.12.2026 != 01.11.2026",
    ])
    result.stdout.fnmatch_lines(["*_ test_caught_miss _*",
                                 "*closest get_stat/default differs*(the code under test "
                                 "caught the ReplayMiss)"])
    assert "mock-login-3X" not in result.stdout.str()
    assert "mock-psw-8Y" not in result.stdout.str()


def test_ini_ignore_list(mock_project: pytest.Pytester) -> None:
    mock_project.makeini("[pytest]\nsmsc_match_ignore = start end\n")
    result = mock_project.runpytest("-p", "no:cacheprovider", "test_mock.py")
    result.assert_outcomes(passed=7)


RECORD_TESTS = '''
import json

import smsc_client as client


def test_balance(smsc_mock):
    status, body = client.stat("17.11.2026", "23.11.2026")
    assert status == 200
    assert "error" not in json.loads(body)[0]


def test_operator(smsc_mock):
    assert client.operator("79991234567").decode("utf-8").startswith("country = ")


def test_answers_async(smsc_mock):
    assert isinstance(json.loads(client.answers_async(24, 5)), list)
    assert [r.served.split()[0] for r in smsc_mock.requests] in (["recorded"],
                                                                 ["get_answers/test_answers_async"])
'''


def test_record_once_against_the_simulator_then_replay_offline(
        pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    login, psw = "rec-login-5K", "rec-password-Z9"
    pytester.makepyfile(smsc_client=CLIENT, test_record=RECORD_TESTS)
    with recording_simulator(monkeypatch, tmp_path, login=login, psw=psw) as base_url:
        result = pytester.runpytest("-p", "no:cacheprovider", "--smsc-record-mode=once",
                                    f"--smsc-record-base-url={base_url}")
    result.assert_outcomes(passed=3)
    corpus = pytester.path / "fixtures"
    assert sorted(str(p.relative_to(corpus)) for p in corpus.glob("*/*")) == [
        "get_answers/test_answers_async", "get_operator/test_operator", "get_stat/test_balance"]
    meta = json.loads((corpus / "get_stat/test_balance/meta.json").read_text("utf-8"))
    assert meta["source"] == "simulator"
    assert meta["params"] == {"start": "17.11.2026", "end": "23.11.2026"}
    assert list(meta["formats"]) == ["3"]
    for path in corpus.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            assert login.encode() not in data
            assert psw.encode() not in data
    # The simulator is gone: the same suite passes offline, with and without --record-mode.
    offline = pytester.runpytest("-p", "no:cacheprovider")
    offline.assert_outcomes(passed=3)
    again = pytester.runpytest("-p", "no:cacheprovider", "--smsc-record-mode=once",
                               f"--smsc-record-base-url={base_url}")
    again.assert_outcomes(passed=3)


def test_record_mode_none_is_the_default_and_records_nothing(
        pytester: pytest.Pytester) -> None:
    pytester.makepyfile(smsc_client=CLIENT, test_record=RECORD_TESTS)
    (pytester.path / "fixtures").mkdir()
    result = pytester.runpytest("-p", "no:cacheprovider", "-k", "balance")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["smsc-formats: miss get_stat*no recorded case of get_stat"])
    assert list((pytester.path / "fixtures").iterdir()) == []


def test_recording_without_credentials_fails_with_one_line(
        pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("SMSC_LOGIN", "SMSC_PSW", "SMSC_APIKEY"):
        monkeypatch.delenv(name, raising=False)
    pytester.makepyfile(smsc_client=CLIENT, test_record=RECORD_TESTS)
    result = pytester.runpytest("-p", "no:cacheprovider", "-k", "balance",
                                "--smsc-record-mode=new_episodes",
                                "--smsc-record-base-url=http://127.0.0.1:9")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*recording needs credentials: set SMSC_LOGIN and SMSC_PSW, "
                                 "or SMSC_APIKEY*"])


# ---------------------------------------------------------------------------------------------
# The network guard, against a fake resolver and fake sockets: nothing is ever sent


@pytest.fixture
def fake_net(monkeypatch: pytest.MonkeyPatch) -> list[tuple[Any, ...]]:
    """Resolver and socket methods replaced by fakes that only record their calls."""
    calls: list[tuple[Any, ...]] = []

    def getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        calls.append(("getaddrinfo", host, port))
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.1.2.3", port))]

    def gethostbyname(host: Any) -> str:
        calls.append(("gethostbyname", host))
        return "10.1.2.3"

    def connect(self: socket.socket, address: Any) -> None:
        calls.append(("connect", self.type, address))

    def connect_ex(self: socket.socket, address: Any) -> int:
        calls.append(("connect_ex", self.type, address))
        return 0

    def sendto(self: socket.socket, data: bytes, *args: Any) -> int:
        calls.append(("sendto", args[-1]))
        return len(data)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    monkeypatch.setattr(socket, "gethostbyname", gethostbyname)
    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)
    monkeypatch.setattr(socket.socket, "sendto", sendto)
    return calls


def test_guard_refuses_dns_before_the_resolver(fake_net: list[tuple[Any, ...]]) -> None:
    from smsc_formats.pytest_plugin import NetworkBlockedError, blocked_network

    with blocked_network():
        with pytest.raises(NetworkBlockedError, match=r"DNS lookup of example\.com:443"):
            socket.getaddrinfo("example.com", 443)
        with pytest.raises(NetworkBlockedError, match=r"DNS lookup of smsc\.ru"):
            socket.gethostbyname("smsc.ru")
        with pytest.raises(NetworkBlockedError):
            socket.getaddrinfo(b"example.org", 80)
        assert fake_net == []
        socket.getaddrinfo("localhost", 80)
    assert fake_net == [("getaddrinfo", "localhost", 80)]


def test_guard_refuses_udp_before_the_socket(fake_net: list[tuple[Any, ...]]) -> None:
    from smsc_formats.pytest_plugin import NetworkBlockedError, blocked_network

    with blocked_network(), socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
        with pytest.raises(NetworkBlockedError, match=r"8\.8\.8\.8:53 blocked"):
            udp.sendto(b"query", ("8.8.8.8", 53))
        with pytest.raises(NetworkBlockedError, match="blocked"):
            udp.sendto(b"query", 0, ("1.1.1.1", 53))
        with pytest.raises(NetworkBlockedError, match="blocked"):
            udp.connect(("9.9.9.9", 53))
        with pytest.raises(NetworkBlockedError, match="blocked"):
            udp.connect_ex(("9.9.9.9", 53))
        assert fake_net == []
        udp.sendto(b"local", ("127.0.0.1", 9))
    assert fake_net == [("sendto", ("127.0.0.1", 9))]


def test_guard_allow_list_names_networks_and_resolved_addresses(
        fake_net: list[tuple[Any, ...]]) -> None:
    from smsc_formats.pytest_plugin import NetworkBlockedError, blocked_network

    with blocked_network(["db", "10.9.0.0/16", "2001:db8::/32"]), socket.socket() as tcp:
        socket.getaddrinfo("db", 5432)  # allowed: its answer 10.1.2.3 becomes allowed too
        tcp.connect(("10.1.2.3", 5432))
        tcp.connect(("10.9.200.1", 6379))
        with pytest.raises(NetworkBlockedError, match=r"10\.8\.0\.1:6379 blocked"):
            tcp.connect(("10.8.0.1", 6379))
        with pytest.raises(NetworkBlockedError, match="DNS lookup of redis"):
            socket.getaddrinfo("redis", 6379)
    with blocked_network(["2001:db8::/32"]), socket.socket(socket.AF_INET6) as tcp6:
        tcp6.connect(("2001:db8::5", 443, 0, 0))
        with pytest.raises(NetworkBlockedError):
            tcp6.connect(("2001:db9::5", 443, 0, 0))
    assert fake_net == [("getaddrinfo", "db", 5432),
                        ("connect", socket.SOCK_STREAM, ("10.1.2.3", 5432)),
                        ("connect", socket.SOCK_STREAM, ("10.9.200.1", 6379)),
                        ("connect", socket.SOCK_STREAM, ("2001:db8::5", 443, 0, 0))]


def test_guard_is_undone_after_the_block(fake_net: list[tuple[Any, ...]]) -> None:
    from smsc_formats.pytest_plugin import blocked_network

    before = (socket.getaddrinfo, socket.socket.sendto, socket.socket.connect)
    with blocked_network():
        assert socket.getaddrinfo is not before[0]
    assert (socket.getaddrinfo, socket.socket.sendto, socket.socket.connect) == before


GUARD_CONFTEST = '''
import socket

import pytest

CALLS = []
_SAVED = {}


def _fake_getaddrinfo(host, port, *args, **kwargs):
    CALLS.append((host, port))
    return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.1.2.3", port))]


def pytest_configure(config):
    # Installed before any test, so the guard wraps the fake and never the real resolver.
    _SAVED["getaddrinfo"] = socket.getaddrinfo
    socket.getaddrinfo = _fake_getaddrinfo


def pytest_unconfigure(config):
    socket.getaddrinfo = _SAVED["getaddrinfo"]
'''

GUARD_TESTS = '''
import socket

import pytest

from conftest import CALLS


def test_dns_of_a_host_not_allowed():
    with pytest.raises(RuntimeError, match="DNS lookup of example.com:80 blocked"):
        socket.getaddrinfo("example.com", 80)
    assert CALLS == []


def test_dns_of_an_allowed_host():
    socket.getaddrinfo("db", 5432)
    assert CALLS == [("db", 5432)]
'''


def test_block_network_switch_guards_every_test_with_the_ini_allow_list(
        pytester: pytest.Pytester) -> None:
    pytester.makeconftest(GUARD_CONFTEST)
    pytester.makepyfile(test_guard=GUARD_TESTS)
    pytester.makeini("[pytest]\nsmsc_allowed_hosts = db\n")
    result = pytester.runpytest("-p", "no:cacheprovider", "--smsc-block-network")
    result.assert_outcomes(passed=2)
    unguarded = pytester.runpytest("-p", "no:cacheprovider", "-k", "not_allowed")
    unguarded.assert_outcomes(failed=1)  # without the switch, nothing is blocked


MORE_TESTS = '''
import json

import smsc_client as client


def test_link(smsc_mock):
    assert isinstance(json.loads(client.short_link(1)), dict)
'''


def _snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file()}


def test_record_new_episodes_keeps_old_cases_and_all_records_again(
        pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    pytester.makepyfile(smsc_client=CLIENT, test_record=RECORD_TESTS)
    log: list[str] = []
    with recording_simulator(monkeypatch, tmp_path, access_log=log.append) as base_url:
        url = f"--smsc-record-base-url={base_url}"
        pytester.runpytest("-p", "no:cacheprovider", "--smsc-record-mode=once",
                           url).assert_outcomes(passed=3)
        assert len(log) == 3
        corpus = pytester.path / "fixtures"
        before = _snapshot(corpus)
        pytester.makepyfile(test_more=MORE_TESTS)  # an httpx.Client request, not recorded yet
        pytester.runpytest("-p", "no:cacheprovider", "--smsc-record-mode=new_episodes",
                           url).assert_outcomes(passed=4)
        assert len(log) == 4
        after = _snapshot(corpus)
        assert {k: after[k] for k in before} == before
        assert sorted(set(after) - set(before)) == ["get_short_link/test_link/fmt3.json",
                                                   "get_short_link/test_link/meta.json"]
        pytester.runpytest("-p", "no:cacheprovider", "--smsc-record-mode=all",
                           url).assert_outcomes(passed=4)
        assert len(log) == 8  # every request again, into the same four cases
        assert sorted(_snapshot(corpus)) == sorted(after)


# ---------------------------------------------------------------------------------------------
# Recording from pytest masks personal data as `smsc-formats record --redact` does

SCRUB = '''
import dataclasses


def hide_messages(reply):
    if isinstance(reply, list):
        return [dataclasses.replace(m, message="hidden text") for m in reply]
    return reply
'''


def _record_with_simulator(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch,
                           tmp_path: Path, *args: str) -> pytest.RunResult:
    with recording_simulator(monkeypatch, tmp_path) as base_url:
        return pytester.runpytest("-p", "no:cacheprovider", "--smsc-record-mode=once",
                                  f"--smsc-record-base-url={base_url}", *args)


def _simulator_answers() -> list[Any]:
    from datetime import date

    from smsc_formats.sim.dataset import make_dataset

    return list(make_dataset(0, date(2026, 11, 24)).answers)


def test_recording_takes_redact_and_before_record_from_the_project_configuration(
        pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    pytester.makepyfile(smsc_client=CLIENT, test_record=RECORD_TESTS, scrub=SCRUB)
    pytester.makefile(".toml", pyproject='[tool.smsc-formats]\nredact = ["phone", "to_phone"]\n'
                                         'before_record = "scrub:hide_messages"\n')
    result = _record_with_simulator(pytester, monkeypatch, tmp_path, "-k", "answers")
    result.assert_outcomes(passed=1)
    case = pytester.path / "fixtures/get_answers/test_answers_async"
    body = (case / "fmt3.json").read_bytes()
    stored = json.loads(body)
    assert stored
    assert {a["message"] for a in stored} == {"hidden text"}  # the hook ran
    shapes = {len(a.phone) for a in _simulator_answers()}
    for answer in stored:  # a pseudonym keeps the shape of a simulator number
        assert answer["phone"].isdigit()
        assert len(answer["phone"]) in shapes
    for original in _simulator_answers():
        assert original.phone.lstrip("+").encode() not in body
        assert original.to_phone.lstrip("+").encode() not in body
    assert (pytester.path / "fixtures/.redact-key").is_file()
    # The masked corpus replays offline.
    pytester.runpytest("-p", "no:cacheprovider", "-k", "answers").assert_outcomes(passed=1)


OTHER_PHONE = '''
import smsc_client as client


def test_other_operator(smsc_mock):
    assert client.operator("79161234567").decode("utf-8").startswith("country = ")
'''


def test_recording_takes_redact_from_the_ini_file_and_replay_ignores_masked_params(
        pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    pytester.makepyfile(smsc_client=CLIENT, test_record=RECORD_TESTS)
    pytester.makeini("[pytest]\nsmsc_redact = phone\n")
    result = _record_with_simulator(pytester, monkeypatch, tmp_path, "-k", "operator")
    result.assert_outcomes(passed=1)
    case = pytester.path / "fixtures/get_operator/test_operator"
    meta = json.loads((case / "meta.json").read_text("utf-8"))
    phone = meta["params"]["phone"]
    assert phone != "79991234567"
    assert len(phone) == 11
    assert phone.isdigit()
    for path in case.iterdir():
        assert b"79991234567" not in path.read_bytes()
    # With the same ini and the corpus's key, a number is matched by its pseudonym: the
    # recorded one hits, another one misses (and the miss shows pseudonyms only).
    pytester.makepyfile(test_other=OTHER_PHONE)
    keyed = pytester.runpytest("-p", "no:cacheprovider", "-k", "operator")
    keyed.assert_outcomes(passed=1, failed=1)
    keyed.stdout.fnmatch_lines(["smsc-formats: miss get_operator fmt=0 params {phone: *} — "
                                f"closest get_operator/test_operator differs: phone * != {phone}"])
    assert "79161234567" not in keyed.stdout.str()
    # Without the key (kept out of git, as in CI), the masked parameter is left out.
    (pytester.path / "fixtures/.redact-key").unlink()
    unkeyed = pytester.runpytest("-p", "no:cacheprovider", "-k", "operator")
    unkeyed.assert_outcomes(passed=2)
    assert not (pytester.path / "fixtures/.redact-key").exists()  # replay creates no key


def test_recording_with_an_unknown_redact_field_fails_with_one_line(
        pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    pytester.makepyfile(smsc_client=CLIENT, test_record=RECORD_TESTS)
    result = _record_with_simulator(pytester, monkeypatch, tmp_path, "-k", "balance",
                                    "--smsc-redact=phone,nosuch")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*_ ERROR at setup of test_balance _*",
                                 "smsc-formats: cannot redact nosuch: known text fields are *"])
    assert "During handling" not in result.stdout.str()
    assert not (pytester.path / "fixtures/get_stat").exists()
