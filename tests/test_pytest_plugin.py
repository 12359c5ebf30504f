"""The pytest plugin as a user's project sees it, run through ``pytester`` on a tmp corpus."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.edge.test_replay import write_corpus

pytest_plugins = ["pytester"]

USER_TESTS = '''
import _socket
import socket
import urllib.request
from decimal import Decimal
from pathlib import Path

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
