"""``smsc-formats serve`` as a user runs it: prints its address, replays, stops on Ctrl-C."""

from __future__ import annotations

import json
import select
import signal
import subprocess
import sys
import urllib.error
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


def test_a_header_injection_in_meta_json_is_one_line_and_exit_2(tmp_path: Path) -> None:
    corpus = write_corpus(tmp_path / "corpus")
    meta_path = corpus / "get_stat" / "default" / "meta.json"
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    meta["formats"]["3"]["content_type"] = "application/json\r\nSet-Cookie: session=stolen"
    meta_path.write_text(json.dumps(meta), encoding="utf-8")
    done = subprocess.run(_command(str(corpus)), capture_output=True, text=True,
                          timeout=START_TIMEOUT, check=False)
    assert done.returncode == 2
    [line] = done.stderr.splitlines()
    assert line.startswith(f"smsc-formats: error: {meta_path}: format 3: 'content_type'")
    assert "line break" in line


def test_busy_port_is_one_line_and_exit_2(
        serving: tuple[subprocess.Popen[str], Path, str]) -> None:
    _, corpus, line = serving
    port = line.rsplit(":", 1)[1]
    done = subprocess.run(_command(str(corpus), "--port", port), capture_output=True,
                          text=True, timeout=START_TIMEOUT, check=False)
    assert done.returncode == 2
    [error] = done.stderr.splitlines()
    assert error.startswith(f"smsc-formats: error: cannot listen on 127.0.0.1:{port}")


def test_charset_nul_is_answered_400_and_serving_goes_on(
        serving: tuple[subprocess.Popen[str], Path, str]) -> None:
    proc, corpus, line = serving
    base = line.split()[-1]
    with pytest.raises(urllib.error.HTTPError) as info:
        urllib.request.urlopen(f"{base}/sys/get.php?get_stat=1&charset=%00",
                               timeout=START_TIMEOUT)
    with info.value as bad:
        assert bad.code == 400
        assert bad.read().startswith(b"ERROR = 1")
    [answer] = [a for a in recorded(corpus) if a.call == "get_stat" and a.case == "default"
                and a.fmt == 0]
    url = f"{base}/sys/get.php?{urllib.parse.urlencode(query_of(answer))}"
    with urllib.request.urlopen(url, timeout=START_TIMEOUT) as response:
        assert response.read() == answer.body
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=START_TIMEOUT)
    assert "bad request /sys/get.php" in err
    assert "Traceback" not in err
