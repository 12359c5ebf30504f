"""``smsc-formats record``: credentials from the environment, exit codes, quiet, no secrets."""

from __future__ import annotations

import urllib.parse
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from smsc_formats.cli import main
from smsc_formats.cli.record import _Bar
from smsc_formats.edge.recorder import DEFAULT_CASES, Event
from smsc_formats.edge.secrets import scan
from smsc_formats.edge.simulator import SimulatorConfig, SimulatorServer, start_simulator
from smsc_formats.edge.store import Case, load_corpus
from tests.edge.test_secrets import ESCAPED_PSW, FORMS
from tests.loopback import Answer, Seen, loopback

LOGIN, PSW = "cli-login-7", "cli-Secret+pw"
AS_OF = "24.11.2026"


@pytest.fixture
def sim() -> Iterator[SimulatorServer]:
    server = start_simulator(SimulatorConfig(login=LOGIN, psw=PSW, limits=False))
    yield server
    server.shutdown()


def _env(tmp_path: Path, **extra: str | None) -> dict[str, str | None]:
    env: dict[str, str | None] = {"SMSC_LOGIN": LOGIN, "SMSC_PSW": PSW, "SMSC_APIKEY": None,
                                  "SMSC_FORMATS_LEDGER": str(tmp_path / "ledger.json")}
    env.update(extra)
    return env


def _run(args: list[str], env: dict[str, str | None]) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, args, env=env)
    return result.exit_code, result.stdout, result.stderr


def _no_secret(text: str) -> None:
    assert LOGIN not in text
    assert PSW not in text


def test_records_the_corpus_and_prints_no_secret(sim: SimulatorServer, tmp_path: Path) -> None:
    out = tmp_path / "corpus"
    # Three formats stay under "three identical a minute": no real wait in a test.
    code, stdout, stderr = _run(["record", "--base-url", sim.base_url, "--out", str(out),
                                 "--source", "simulator", "--as-of", AS_OF,
                                 "--fmt", "0", "--fmt", "1", "--fmt", "2"], _env(tmp_path))
    assert code == 0, stderr
    corpus = load_corpus(out)
    assert len(corpus) == len(DEFAULT_CASES)
    assert all(c.source == "simulator" and sorted(c.bodies) == [0, 1, 2] for c in corpus)
    assert "get_stat/default fmt 2" in stderr
    assert f"recorded {len(DEFAULT_CASES)} case(s)" in stderr
    _no_secret(stdout + stderr)
    assert scan([out, tmp_path / "ledger.json"], {"login": LOGIN, "psw": PSW}) == []


def test_quiet_prints_nothing(sim: SimulatorServer, tmp_path: Path) -> None:
    code, stdout, stderr = _run(["record", "--base-url", sim.base_url, "--out",
                                 str(tmp_path / "c"), "--call", "get_price", "--fmt", "3",
                                 "--quiet"], _env(tmp_path))
    assert (code, stdout, stderr) == (0, "", "")


def test_missing_credentials_exit_2_with_one_line(tmp_path: Path) -> None:
    code, _, stderr = _run(["record", "--base-url", "http://127.0.0.1:9", "--out",
                            str(tmp_path)], _env(tmp_path, SMSC_PSW=None))
    assert code == 2
    assert stderr == ("smsc-formats: error: no credentials: set SMSC_LOGIN and SMSC_PSW, "
                      "or SMSC_APIKEY\n")


def test_login_and_apikey_together_exit_2(tmp_path: Path) -> None:
    code, _, stderr = _run(["record", "--base-url", "http://127.0.0.1:9", "--out",
                            str(tmp_path)], _env(tmp_path, SMSC_APIKEY="key-123456"))
    assert code == 2
    assert "not both" in stderr
    assert "key-123456" not in stderr


def test_wrong_password_exits_3_with_the_reason(sim: SimulatorServer, tmp_path: Path) -> None:
    code, _, stderr = _run(["record", "--base-url", sim.base_url, "--out", str(tmp_path / "c"),
                            "--quiet"], _env(tmp_path, SMSC_PSW="wrong-password-1"))
    assert code == 3
    assert stderr.count("\n") == 1
    assert "error 2" in stderr
    assert "wrong-password-1" not in stderr
    _no_secret(stderr)


def test_unreachable_server_exits_3(sim: SimulatorServer, tmp_path: Path) -> None:
    url = sim.base_url
    sim.shutdown()
    code, _, stderr = _run(["record", "--base-url", url, "--out", str(tmp_path / "c"),
                            "--quiet"], _env(tmp_path))
    assert code == 3
    assert stderr.startswith("smsc-formats: error: cannot reach 127.0.0.1:")


def test_bad_param_override_exits_2(tmp_path: Path) -> None:
    code, _, stderr = _run(["record", "--base-url", "http://127.0.0.1:9", "--out",
                            str(tmp_path), "--param", "nope"], _env(tmp_path))
    assert code == 2
    assert "CALL:NAME=VALUE" in stderr


def test_param_override_is_validated_before_any_request(tmp_path: Path) -> None:
    code, _, stderr = _run(["record", "--base-url", "http://127.0.0.1:9", "--out",
                            str(tmp_path), "--param", "get_answers:hour=500"], _env(tmp_path))
    assert code == 2
    assert "hour: at most 168" in stderr


@pytest.mark.parametrize("base_url", ["notaurl", "ftp://127.0.0.1:21", "http://127.0.0.1:x"])
def test_a_bad_base_url_exits_2_before_any_request(tmp_path: Path, base_url: str) -> None:
    code, _, stderr = _run(["record", "--base-url", base_url, "--out", str(tmp_path / "c")],
                           _env(tmp_path))
    assert code == 2
    assert "base URL" in stderr
    assert stderr.count("\n") == 1
    assert not (tmp_path / "c").exists()


def test_an_out_folder_that_cannot_be_made_exits_2_before_any_request(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    # Nothing listens on port 9 here: a request sent would end in exit 3, "cannot reach".
    code, _, stderr = _run(["record", "--base-url", "http://127.0.0.1:9", "--out",
                            str(blocker / "corpus"), "--call", "get_stat"], _env(tmp_path))
    assert code == 2
    assert stderr == f"smsc-formats: error: --out {blocker / 'corpus'}: Not a directory\n"


def test_help_documents_every_default_request() -> None:
    code, stdout, _ = _run(["record", "--help"], {})
    assert code == 0
    for case in DEFAULT_CASES:
        line = next(ln for ln in stdout.splitlines()
                    if ln.split()[:2] == [case.call, case.name])
        assert case.shown() in line


def test_progress_lines_show_the_limiter_wait(capsys: pytest.CaptureFixture[str]) -> None:
    bar = _Bar(quiet=False, tty=False)
    bar.event(Event("wait", "waiting 62 s (get_stat: rate limit)", "get_stat", "default", 3,
                    wait=62))
    bar.event(Event("request", "get_stat/default fmt 3", "get_stat", "default", 3))
    assert capsys.readouterr().err == ("waiting 62 s (get_stat: rate limit)\n"
                                       "get_stat/default fmt 3\n")



def test_a_second_run_says_what_it_skipped_and_how_to_record_again(
        sim: SimulatorServer, tmp_path: Path) -> None:
    out = tmp_path / "corpus"
    args = ["record", "--base-url", sim.base_url, "--out", str(out), "--as-of", AS_OF,
            "--call", "get_price", "--fmt", "0"]
    assert _run(args, _env(tmp_path))[0] == 0
    code, _, stderr = _run(args, _env(tmp_path))
    assert code == 0
    assert "skipped get_price/default: already recorded\n" in stderr
    assert stderr.endswith(f"recorded 0 case(s) into {out} (existing cases are kept: --mode "
                           f"new or all records them again)\n")


# -- a hostile server that echoes the password ------------------------------------------------


def _echo(spelled: str) -> Callable[[Seen], Answer]:
    """Answers get_stat with the password, spelled as ``spelled``, where the login stands."""

    def answer(seen: Seen) -> Answer:
        if seen.form.get("fmt", "0") == "3":
            body = (f'[{{\n"login": "{spelled}",\n"sms": "3",\n"credit": "1.50",\n'
                    f'"debit": "0.00",\n"currency": "RUB"\n}}]')
        else:
            body = (f"<list>\n<stat>\n<login>{spelled}</login>\n<sms>3</sms>\n"
                    f"<credit>1.50</credit>\n<debit>0.00</debit>\n<currency>RUB</currency>\n"
                    f"</stat>\n</list>")
        return Answer(200, body.encode())

    return answer


@pytest.mark.parametrize("name", sorted(FORMS))
def test_an_echoed_password_is_stored_in_no_spelling(tmp_path: Path, name: str) -> None:
    out = tmp_path / "corpus"
    with loopback(_echo(FORMS[name][0])) as echo:
        code, stdout, stderr = _run(["record", "--base-url", echo.url, "--out", str(out),
                                     "--as-of", AS_OF, "--call", "get_stat", "--fmt", "2",
                                     "--fmt", "3"], _env(tmp_path, SMSC_PSW=ESCAPED_PSW))
    assert code == 0, stderr
    stored = b"".join(p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file())
    assert b"redacted-psw" in stored
    for spelled, _ in FORMS.values():
        assert spelled.encode() not in stored
        assert spelled.lower().encode() not in stored.lower()
    for text in (stdout, stderr):
        assert all(spelled not in text for spelled, _ in FORMS.values())


def test_a_credential_in_a_param_is_refused_and_never_written(tmp_path: Path) -> None:
    out = tmp_path / "c"
    code, _, stderr = _run(["record", "--base-url", "http://127.0.0.1:9", "--out", str(out),
                            "--param", f"get_short_link:id={PSW}"], _env(tmp_path))
    assert code == 2
    assert "get_short_link:id=..." in stderr
    assert "credential" in stderr
    _no_secret(stderr)
    assert not list(out.rglob("meta.json"))


def test_as_of_never_echoes_its_value(tmp_path: Path) -> None:
    code, _, stderr = _run(["record", "--base-url", "http://127.0.0.1:9", "--out",
                            str(tmp_path / "c"), "--as-of", PSW], _env(tmp_path))
    assert code == 2
    assert "--as-of" in stderr
    _no_secret(stderr)


def test_userinfo_in_the_base_url_is_refused_and_never_echoed(tmp_path: Path) -> None:
    url = f"http://{LOGIN}:{urllib.parse.quote(PSW, safe='')}@127.0.0.1:9"
    code, stdout, stderr = _run(["record", "--base-url", url, "--out", str(tmp_path / "c")],
                                _env(tmp_path))
    assert code == 2
    assert "user info" in stderr
    _no_secret(stdout + stderr)
    assert urllib.parse.quote(PSW, safe="") not in stderr
    assert not (tmp_path / "c").exists()


# -- progress, countdown, interruption ---------------------------------------------------------


class _Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


WAIT_MESSAGE = ("get_price/default fmt 3: waiting 3 s for the rate limit (at most 3 identical "
                "requests a minute)")


def test_a_terminal_gets_a_live_countdown_naming_the_limit(
        capsys: pytest.CaptureFixture[str]) -> None:
    fake = _Clock()
    bar = _Bar(quiet=False, tty=True, sleep=fake.sleep, clock=fake.clock)
    bar.event(Event("start", "4 request(s) to 127.0.0.1:1", total=4))
    bar.event(Event("answer", "get_price/default fmt 2", "get_price", "default", 2, done=3,
                    total=4))
    bar.event(Event("wait", WAIT_MESSAGE, "get_price", "default", 3, wait=3))
    bar.sleep(3)
    bar.close()
    err = capsys.readouterr().err
    assert err.startswith("recording: 4 request(s) to 127.0.0.1:1\n\x1b[?25l")
    frames = [f for f in err.split("\r\x1b[2K") if "waiting" in f]
    reason = " (at most 3 identical requests a minute)"
    assert frames == [f"recording [3/4] get_price/default fmt 3: waiting {n} s{reason}"
                      for n in (3, 2, 1)]
    assert err.endswith("recording [3/4] get_price/default fmt 3\n\x1b[?25h")


def test_off_a_terminal_each_wait_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    fake = _Clock()
    bar = _Bar(quiet=False, tty=False, sleep=fake.sleep, clock=fake.clock)
    bar.event(Event("wait", WAIT_MESSAGE, "get_price", "default", 3, wait=3))
    bar.sleep(3)
    bar.close()
    assert capsys.readouterr().err == WAIT_MESSAGE + "\n"
    assert fake.now == 103


def test_ctrl_c_in_a_wait_exits_130_with_the_cursor_shown_and_the_corpus_whole(
        tmp_path: Path) -> None:
    import os
    import pty
    import signal
    import subprocess
    import sys

    log: list[str] = []
    server = start_simulator(SimulatorConfig(login=LOGIN, psw=PSW, limits=True),
                             access_log=log.append)
    out = tmp_path / "corpus"
    env = {**os.environ, "SMSC_LOGIN": LOGIN, "SMSC_PSW": PSW,
           "SMSC_FORMATS_LEDGER": str(tmp_path / "ledger.json")}
    env.pop("SMSC_APIKEY", None)
    args = [sys.executable, "-c", "from smsc_formats.cli import main; main()", "record",
            "--base-url", server.base_url, "--out", str(out), "--call", "get_price"]
    try:
        assert CliRunner().invoke(main, [*args[3:], "--fmt", "0", "--quiet"],
                                  env=env).exit_code == 0
        old = load_corpus(out)
        primary, secondary = pty.openpty()
        child = subprocess.Popen([*args, "--mode", "all"], env=env, stdin=subprocess.DEVNULL,
                                 stdout=subprocess.DEVNULL, stderr=secondary)
        os.close(secondary)
        seen = b""
        try:
            while b"waiting" not in seen:  # fmt 2 waits (fmt 0 was sent a moment ago)
                chunk = os.read(primary, 4096)
                assert chunk, seen
                seen += chunk
            child.send_signal(signal.SIGINT)
            assert child.wait(timeout=60) == 130
            while True:
                try:
                    chunk = os.read(primary, 4096)
                except OSError:
                    break
                if not chunk:
                    break
                seen += chunk
        finally:
            child.kill()
            child.wait()
            os.close(primary)
    finally:
        server.shutdown()
    text = seen.decode(errors="replace")
    assert "at most 3 identical requests a minute" in text
    assert text.count("\x1b[?25l") == 1
    assert text.rstrip().endswith("the case in progress was not written")
    assert "\x1b[?25h" in text.rsplit("waiting", 1)[1]
    assert load_corpus(out) == old
    assert not [p for p in out.rglob(".*") if p.is_dir()]
    _no_secret(text)


# -- exit codes the README's table promises (found by an attacker) -------------------------


def test_a_negative_max_wait_is_a_usage_error(tmp_path: Path) -> None:
    code, _, stderr = _run(["record", "--base-url", "http://127.0.0.1:9", "--out",
                            str(tmp_path / "c"), "--max-wait", "-5"], _env(tmp_path))
    assert code == 2
    assert "--max-wait" in stderr
    assert not list(tmp_path.rglob("meta.json"))


def test_a_ledger_path_that_is_a_folder_exits_2_with_the_ledger_message(
        tmp_path: Path) -> None:
    folder = tmp_path / "ledger-dir"
    folder.mkdir()
    code, _, stderr = _run(["record", "--base-url", "http://127.0.0.1:9", "--out",
                            str(tmp_path / "c"), "--call", "get_price", "--fmt", "0"],
                           _env(tmp_path, SMSC_FORMATS_LEDGER=str(folder)))
    assert code == 2, stderr
    assert len(stderr.strip().splitlines()) == 1
    assert f"ledger {folder}" in stderr
    assert "directory" in stderr
    assert folder.is_dir()
    assert not list(folder.iterdir())


# -- credentials found by an attacker -----------------------------------------------------


def test_a_short_credential_leaves_the_usage_message_readable(tmp_path: Path) -> None:
    code, _, stderr = _run(["record", "--base-url", "http://127.0.0.1:9", "--out",
                            str(tmp_path / "c"), "--param", "nope"],
                           _env(tmp_path, SMSC_LOGIN="a", SMSC_PSW="b"))
    assert code == 2
    assert "--param nope=...: expected CALL:NAME=VALUE with CALL one of get_messages," in stderr
    assert "redacted" not in stderr


def test_a_password_in_the_header_is_stored_nowhere_and_check_accepts_the_corpus(
        tmp_path: Path) -> None:
    from tests.edge.test_recorder import EYE_LOGIN, EYE_PSW, hostile_script

    out = tmp_path / "corpus"
    env = _env(tmp_path, SMSC_LOGIN=EYE_LOGIN, SMSC_PSW=EYE_PSW)
    with loopback(hostile_script(header=f"; x={EYE_PSW}")) as server:
        code, _, stderr = _run(["record", "--base-url", server.url, "--out", str(out),
                                "--as-of", AS_OF, "--call", "get_stat", "--fmt", "0",
                                "--fmt", "2", "--fmt", "3"], env)
    assert code == 0, stderr
    assert _run(["check", str(out)], env)[0] == 0
    code, stdout, _ = _run(["scan-secrets", str(out)], env)
    assert (code, stdout) == (0, "")


def test_a_short_credential_is_refused_in_a_param_only_as_the_whole_value(
        tmp_path: Path) -> None:
    env = _env(tmp_path, SMSC_LOGIN="ab", SMSC_PSW="7")
    code, _, stderr = _run(["record", "--base-url", "http://127.0.0.1:9", "--out",
                            str(tmp_path / "c"), "--param", "get_short_link:id=7"], env)
    assert code == 2
    assert "get_short_link:id=...: the value holds a credential" in stderr
    # 1457 holds the password's digit inside a longer value: not the credential, so the run
    # goes on to the (unreachable) server.
    code, _, stderr = _run(["record", "--base-url", "http://127.0.0.1:9", "--out",
                            str(tmp_path / "c"), "--param", "get_short_link:id=1457",
                            "--call", "get_short_link", "--fmt", "0"], env)
    assert code == 3, stderr
    assert "credential" not in stderr


# ---------------------------------------------------------------------------------------------
# Named cases ([tool.smsc-formats.cases], <corpus>/smsc-formats-cases.toml)

NAMED = """\
[cases]
"get_messages/last-week" = { start = "17.11.2026", end = "23.11.2026", cnt = "100" }
"get_stat/november" = { start = "01.11.2026", end = "20.11.2026" }
"get_operator/moscow" = { phone = "79161234567" }
"""


def _named_corpus(tmp_path: Path, text: str = NAMED) -> Path:
    out = tmp_path / "corpus"
    out.mkdir()
    (out / "smsc-formats-cases.toml").write_text(text, encoding="utf-8")
    return out


def test_named_cases_are_recorded_checked_and_drift_free(sim: SimulatorServer, tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    from smsc_formats.cli import drift as drift_cli
    from smsc_formats.edge import recorder
    from smsc_formats.edge.ledger import Ledger, Limiter

    out = _named_corpus(tmp_path)
    env = _env(tmp_path)
    # get_stat allows 3 requests a minute: it is left out (--call) so nothing waits.
    selection = ["--call", "get_messages", "--call", "get_operator",
                 "--fmt", "0", "--fmt", "1", "--fmt", "2"]
    code, _, stderr = _run(["record", "--base-url", sim.base_url, "--out", str(out),
                            "--as-of", AS_OF, *selection], env)
    assert code == 0, stderr
    assert "recorded 5 case(s)" in stderr
    cases = {(c.call, c.name): c for c in load_corpus(out)}
    assert sorted(cases) == [("get_messages", "default"), ("get_messages", "last-week"),
                             ("get_operator", "default"), ("get_operator", "moscow"),
                             ("get_operator", "several-phones")]
    assert dict(cases["get_messages", "last-week"].params) == {
        "start": "17.11.2026", "end": "23.11.2026", "cnt": "100"}
    assert dict(cases["get_operator", "moscow"].params) == {"phone": "79161234567"}
    assert sorted(cases["get_operator", "moscow"].bodies) == [0, 1, 2]
    assert all(c.cross_format == "ok" for c in cases.values())
    _no_secret(stderr)

    assert _run(["check", str(out)], env)[0] == 0
    # Once recorded, a second run of the same selection sends nothing for them.
    code, _, stderr = _run(["record", "--base-url", "http://127.0.0.1:9", "--out", str(out),
                            "--as-of", AS_OF, *selection], env)
    assert code == 0, stderr
    assert "skipped get_operator/moscow: already recorded" in stderr

    monkeypatch.setattr(drift_cli, "make_limiter",
                        lambda max_wait: Limiter(Ledger(None), enabled=False))
    seen: list[tuple[str, str, dict[str, str]]] = []
    real = recorder.rerecord_all

    def rerecord_all(stored: list[Case], *args: Any, **kwargs: Any) -> list[Case]:
        seen.extend((c.call, c.name, dict(c.params)) for c in stored)
        return real(stored, *args, **kwargs)

    monkeypatch.setattr(drift_cli, "rerecord_all", rerecord_all)
    code, stdout, stderr = _run(["drift", str(out), "--base-url", sim.base_url, "--quiet"], env)
    assert code == 0, stdout + stderr
    assert "0 finding(s)" in stdout
    assert ("get_operator", "moscow", {"phone": "79161234567"}) in seen
    assert ("get_messages", "last-week",
            {"start": "17.11.2026", "end": "23.11.2026", "cnt": "100"}) in seen


def test_a_named_case_with_a_default_name_replaces_it(sim: SimulatorServer,
                                                      tmp_path: Path) -> None:
    out = _named_corpus(tmp_path, '[cases]\n"get_short_link/default" = { id = "12345" }\n')
    code, _, stderr = _run(["record", "--base-url", sim.base_url, "--out", str(out),
                            "--call", "get_short_link", "--fmt", "3"], _env(tmp_path))
    assert code == 0, stderr
    assert (f"note: get_short_link/default: the named case ({out / 'smsc-formats-cases.toml'}:2)"
            " replaces the default case of that name") in stderr
    [case] = load_corpus(out)
    assert dict(case.params) == {"id": "12345"}


def test_a_bad_named_case_exits_2_naming_file_and_line_before_any_request(
        tmp_path: Path) -> None:
    out = _named_corpus(tmp_path, '[cases]\n"get_stat/ok" = {}\n"get_stat/x" = { psw = "pw-1" }\n')
    with loopback([]) as server:
        code, stdout, stderr = _run(["record", "--base-url", server.url, "--out", str(out)],
                                    _env(tmp_path))
        assert server.seen == []
    assert code == 2
    assert stdout == ""
    assert stderr == (f"smsc-formats: error: {out / 'smsc-formats-cases.toml'}:3: case "
                      "'get_stat/x': 'psw' is a credential; credentials come only from the "
                      "environment and are never written\n")


def test_a_named_case_whose_value_is_the_password_exits_2_unechoed(tmp_path: Path) -> None:
    out = _named_corpus(tmp_path, f'[cases]\n"get_operator/x" = {{ phone = "{PSW}" }}\n'
                        .replace("cli-Secret+pw", "79161234567"))
    env = _env(tmp_path, SMSC_PSW="79161234567")
    code, _, stderr = _run(["record", "--base-url", "http://127.0.0.1:9", "--out", str(out)], env)
    assert code == 2
    assert "smsc-formats-cases.toml:2: case 'get_operator/x': phone: the value holds a " \
           "credential" in stderr
    assert "79161234567" not in stderr


def test_help_mentions_named_cases() -> None:
    code, stdout, _ = _run(["record", "--help"], {})
    assert code == 0
    assert "[tool.smsc-formats.cases]" in stdout
    assert "smsc-formats-cases.toml" in stdout
