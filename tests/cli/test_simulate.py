"""``smsc-formats simulate`` as a user runs it: prints its address, serves, stops on Ctrl-C."""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
import urllib.parse
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
from click.testing import CliRunner

from smsc_formats import ApiError, IncomingMessage, parse
from smsc_formats.cli import main

LOGIN, PSW, APIKEY = "cli-user-xyz", "cli-pass-9876", "cli-key-abcdef"
START_TIMEOUT = 20.0
PINNED_DAY = "24.11.2026"  # any fixed day: the banner must name the day it was given
"""A bound on waiting for the server to come up (not a timing assertion)."""


def _command() -> list[str]:
    return [sys.executable, "-c", "from smsc_formats.cli import main; main()", "simulate"]


def _first_line(proc: subprocess.Popen[str]) -> str:
    assert proc.stdout is not None
    ready, _, _ = select.select([proc.stdout], [], [], START_TIMEOUT)
    assert ready, "the simulator printed nothing"
    return proc.stdout.readline()


@pytest.fixture
def running() -> Iterator[tuple[subprocess.Popen[str], str]]:
    env = {**os.environ, "SMSC_LOGIN": LOGIN, "SMSC_PSW": PSW, "SMSC_APIKEY": APIKEY}
    proc = subprocess.Popen([*_command(), "--port", "0", "--seed", "3", "--day", PINNED_DAY],
                            env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = _first_line(proc)
        assert line.startswith("listening on http://127.0.0.1:")
        yield proc, line.split()[-1]
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate(timeout=START_TIMEOUT)


def _get(url: str, **params: str) -> bytes:
    with urllib.request.urlopen(f"{url}?{urllib.parse.urlencode(params)}", timeout=10) as r:
        body: bytes = r.read()
    return body


def test_serves_with_env_credentials_and_stops_on_sigint(
        running: tuple[subprocess.Popen[str], str]) -> None:
    proc, base = running
    stat = _get(f"{base}/sys/get.php", get_stat="1", login=LOGIN, psw=PSW, fmt="3")
    rows: Any = parse(stat, call="get_stat", fmt=3)
    assert isinstance(rows, list)
    assert [r.login for r in rows] == [LOGIN]
    price = _get(f"{base}/sys/get.php", get_price="1", apikey=APIKEY, fmt="1")
    assert not isinstance(parse(price, call="get_price", fmt=1), ApiError)
    refused = _get(f"{base}/sys/get.php", get_price="1", login=LOGIN, psw="demo-password")
    assert parse(refused, call="get_price", fmt=0) == ApiError(2, "authorise error")

    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=START_TIMEOUT)
    assert proc.returncode == 0
    assert "Traceback" not in err
    assert f"data pinned to {PINNED_DAY} " in err.splitlines()[0]
    assert "GET /sys/get.php get_stat fmt=3 200" in err
    assert "GET /sys/get.php get_price fmt=0 200 error=2" in err
    for secret in (LOGIN, PSW, APIKEY):
        assert secret not in out + err


def test_sigterm_stops_cleanly_too(running: tuple[subprocess.Popen[str], str]) -> None:
    proc, _ = running
    proc.terminate()
    _, err = proc.communicate(timeout=START_TIMEOUT)
    assert proc.returncode == 0
    assert "Traceback" not in err


def test_help_documents_the_environment() -> None:
    result = CliRunner().invoke(main, ["simulate", "--help"])
    assert result.exit_code == 0
    for name in ("SMSC_LOGIN", "SMSC_PSW", "SMSC_APIKEY", "--no-limits", "--drift",
                 "field-added", "unparseable"):
        assert name in result.output


def test_login_without_password_is_one_line_error() -> None:
    result = CliRunner().invoke(main, ["simulate", "--login", "x"], env={"SMSC_PSW": None})
    assert result.exit_code == 2
    assert result.output.strip().splitlines() == [
        "smsc-formats: error: give both --login and --psw (or SMSC_LOGIN and SMSC_PSW)"]


def test_unknown_drift_is_a_usage_error() -> None:
    result = CliRunner().invoke(main, ["simulate", "--drift", "nope"])
    assert result.exit_code == 2
    assert "Traceback" not in result.output


def test_busy_port_is_one_line_error(running: tuple[subprocess.Popen[str], str]) -> None:
    _, base = running
    port = base.rsplit(":", 1)[1]
    proc = subprocess.run([*_command(), "--port", port], capture_output=True, text=True,
                          timeout=START_TIMEOUT, check=False)
    assert proc.returncode == 2
    assert proc.stderr.startswith(f"smsc-formats: error: cannot listen on 127.0.0.1:{port}")
    assert len(proc.stderr.strip().splitlines()) == 1


def test_data_follows_today_or_the_pinned_day() -> None:
    from datetime import datetime, timedelta, timezone

    env = {**os.environ, "SMSC_LOGIN": LOGIN, "SMSC_PSW": PSW}
    def moscow_day() -> str:
        return datetime.now(timezone(timedelta(hours=3))).strftime("%d.%m.%Y")

    for args, pinned in (([], None), (["--day", "02.03.2027"], "02.03.2027")):
        # Without --day the simulator takes today, read from the same clock as this test:
        # the days before and after the start bracket it, so midnight cannot flake.
        before = moscow_day()
        proc = subprocess.Popen([*_command(), "--port", "0", *args], env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            base = _first_line(proc).split()[-1]
            days = {pinned} if pinned else {before, moscow_day()}
            body = _get(f"{base}/sys/get.php", get_answers="1", fmt="3", login=LOGIN, psw=PSW)
            received = parse(body, call="get_answers", fmt=3)
            assert isinstance(received, list)
            assert isinstance(received[0], IncomingMessage)
            assert received[0].received.strftime("%d.%m.%Y") in days
        finally:
            proc.send_signal(signal.SIGINT)
            proc.communicate(timeout=START_TIMEOUT)


def test_bad_day_is_one_line_error() -> None:
    result = CliRunner().invoke(main, ["simulate", "--day", "2027-03-02"])
    assert result.exit_code == 2
    assert result.output.strip().splitlines() == [
        "smsc-formats: error: --day: expected a date dd.mm.yyyy, got '2027-03-02'"]


def test_sigint_stops_it_when_started_in_the_background_of_a_script() -> None:
    # `smsc-formats simulate &` in a script starts it with SIGINT ignored, as here.
    proc = subprocess.Popen([*_command(), "--port", "0"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN))
    try:
        assert _first_line(proc).startswith("listening on http://127.0.0.1:")
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=START_TIMEOUT)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate(timeout=START_TIMEOUT)
    assert proc.returncode == 0
    assert err.endswith("stopped\n")
