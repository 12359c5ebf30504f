"""``smsc-formats serve`` as a user runs it: prints its address, replays, stops on Ctrl-C."""

from __future__ import annotations

import select
import signal
import subprocess
import sys
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.edge.test_replay import LOGIN, PSW, query_of, recorded, write_corpus

START_TIMEOUT = 20.0
"""A bound on waiting for the server (not a timing assertion)."""


def _command(*args: str) -> list[str]:
    return [sys.executable, "-c", "from smsc_formats.cli import main; main()", "serve", *args]


@pytest.fixture
def serving(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[str], Path, str]]:
    corpus = write_corpus(tmp_path / "corpus")
    proc = subprocess.Popen(_command(str(corpus), "--port", "0"), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        ready, _, _ = select.select([proc.stdout], [], [], START_TIMEOUT)
        assert ready, "serve printed nothing"
        line = proc.stdout.readline().rstrip("\n")
        yield proc, corpus, line
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate(timeout=START_TIMEOUT)


def test_prints_address_replays_and_stops_cleanly_on_sigint(
        serving: tuple[subprocess.Popen[str], Path, str]) -> None:
    proc, corpus, line = serving
    prefix = f"serving {corpus} on http://127.0.0.1:"
    assert line.startswith(prefix)
    assert line[len(prefix):].isdigit()
    base = line.split()[-1]
    [answer] = [a for a in recorded(corpus) if a.call == "get_stat" and a.case == "default"
                and a.fmt == 3]
    url = f"{base}/sys/get.php?{urllib.parse.urlencode(query_of(answer))}"
    with urllib.request.urlopen(url, timeout=START_TIMEOUT) as response:
        assert response.read() == answer.body
        assert response.headers["Content-Type"] == answer.content_type
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=START_TIMEOUT)
    assert proc.returncode == 0
    assert "Traceback" not in err
    assert "hit get_stat fmt=3" in err
    for secret in (LOGIN, PSW, urllib.parse.quote_plus(PSW)):
        assert secret not in out + err


def test_sigterm_stops_cleanly_too(serving: tuple[subprocess.Popen[str], Path, str]) -> None:
    proc, _, _ = serving
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=START_TIMEOUT)
    assert proc.returncode == 0
    assert "Traceback" not in err


@pytest.mark.parametrize("make", ["missing", "empty", "broken"])
def test_bad_corpus_is_one_line_and_exit_2(tmp_path: Path, make: str) -> None:
    target = tmp_path / "corpus"
    if make != "missing":
        target.mkdir()
    if make == "broken":
        (target / "get_stat" / "default").mkdir(parents=True)
        (target / "get_stat" / "default" / "meta.json").write_text("{oops")
    done = subprocess.run(_command(str(target)), capture_output=True, text=True,
                          timeout=START_TIMEOUT, check=False)
    assert done.returncode == 2
    assert done.stdout == ""
    lines = done.stderr.splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(f"smsc-formats: error: {target}")
