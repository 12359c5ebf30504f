"""Issue 10's "Done when", as a user runs it: only the CLI, against ``smsc-formats simulate``.

The simulator is started by its own command (``simulate --port 0 --day 24.11.2026``) on
127.0.0.1, and every other step is a ``smsc-formats`` command run in a subprocess. This module
covers the behaviours no other CLI test shows end to end: a corrupt ledger, a connection reset
retried, the CLI without ``fcntl``, ``--version`` and the installed metadata, and four runs
against two spellings of one server. The others are shown by tests/cli/test_record.py (escaped
passwords, Ctrl-C), tests/cli/test_serve.py (``charset=%00``, header injection),
tests/cli/test_drift.py (``drift --update``) and the usage-error tests of each command.
"""

from __future__ import annotations

import importlib.metadata
import os
import select
import signal
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from smsc_formats import parse
from smsc_formats.edge.store import load_corpus
from tests.loopback import RESET, Answer, Seen, loopback

LOGIN, PSW = "walk-login-10", "walk-Secret/10"
DAY = "24.11.2026"
START_TIMEOUT = 20.0
"""A bound on waiting for a command (not a timing assertion)."""
CLI = [sys.executable, "-m", "smsc_formats"]
NO_FCNTL = [sys.executable, "-c",
            "import sys; sys.modules['fcntl'] = None\n"  # as on Windows: ImportError
            "from smsc_formats.cli import main; main()"]


@dataclass
class Simulator:
    """A running ``smsc-formats simulate`` and its base URL."""

    proc: subprocess.Popen[str]
    url: str

    def stop(self) -> str:
        """Stop it (Ctrl-C) and return its access log."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
        _, err = self.proc.communicate(timeout=START_TIMEOUT)
        return err


def _env(tmp_path: Path) -> dict[str, str]:
    env = {**os.environ, "SMSC_LOGIN": LOGIN, "SMSC_PSW": PSW,
           "SMSC_FORMATS_LEDGER": str(tmp_path / "ledger.json")}
    env.pop("SMSC_APIKEY", None)
    return env


@pytest.fixture
def sim(tmp_path: Path) -> Iterator[Simulator]:
    proc = subprocess.Popen([*CLI, "simulate", "--port", "0", "--seed", "1", "--day", DAY],
                            env=_env(tmp_path), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    try:
        assert proc.stdout is not None
        ready, _, _ = select.select([proc.stdout], [], [], START_TIMEOUT)
        assert ready, "the simulator printed nothing"
        line = proc.stdout.readline()
        assert line.startswith("listening on http://127.0.0.1:"), line
        yield Simulator(proc, line.split()[-1])
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate(timeout=START_TIMEOUT)


def _cli(args: list[str], tmp_path: Path, command: list[str] = CLI,
         ) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*command, *args], env=_env(tmp_path), capture_output=True, text=True,
                          timeout=120, check=False, stdin=subprocess.DEVNULL)


def _record(base_url: str, out: Path, *extra: str) -> list[str]:
    return ["record", "--base-url", base_url, "--out", str(out), "--as-of", DAY,
            "--call", "get_stat", "--fmt", "3", *extra]


def _no_secret(*texts: str) -> None:
    for text in texts:
        assert LOGIN not in text
        assert PSW not in text
        assert "Traceback" not in text


def test_a_corrupt_ledger_is_refused_and_left_as_it_was(sim: Simulator, tmp_path: Path) -> None:
    ledger = tmp_path / "ledger.json"
    ledger.write_bytes(b'{"version": 1, "servers": {"trunc')
    out = tmp_path / "corpus"
    result = _cli(_record(sim.url, out), tmp_path)
    assert result.returncode == 2, result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert str(ledger) in result.stderr
    assert "unreadable" in result.stderr
    assert ledger.read_bytes() == b'{"version": 1, "servers": {"trunc'
    assert not (out / "get_stat").exists()
    log = sim.stop()
    assert "get_stat" not in log  # refused before any request
    _no_secret(result.stdout, result.stderr, log)


def test_one_connection_reset_is_retried(sim: Simulator, tmp_path: Path) -> None:
    def first_reset_then_the_simulator(seen: Seen) -> Answer:
        if len(proxy.seen) == 1:
            return RESET
        forwarded = urllib.request.Request(sim.url + seen.path, data=seen.body, method="POST")
        with urllib.request.urlopen(forwarded, timeout=10) as r:
            return Answer(r.status, r.read(), r.headers.get("Content-Type"))

    out = tmp_path / "corpus"
    with loopback(first_reset_then_the_simulator) as proxy:
        result = _cli(_record(proxy.url, out), tmp_path)
    assert result.returncode == 0, result.stderr
    assert len(proxy.seen) == 2
    assert "connection reset" in result.stderr
    (case,) = load_corpus(out)
    assert (case.call, case.name, sorted(case.bodies)) == ("get_stat", "default", [3])
    rows = parse(case.bodies[3], call="get_stat", fmt=3)
    assert isinstance(rows, list)
    assert [getattr(r, "login", None) for r in rows] == ["redacted-login"]
    _no_secret(result.stdout, result.stderr, sim.stop())


def test_the_cli_records_without_fcntl(sim: Simulator, tmp_path: Path) -> None:
    out = tmp_path / "corpus"
    result = _cli(_record(sim.url, out), tmp_path, command=NO_FCNTL)
    assert result.returncode == 0, result.stderr
    assert [(c.call, c.name) for c in load_corpus(out)] == [("get_stat", "default")]
    assert (tmp_path / "ledger.json").exists()
    checked = _cli(["check", str(out)], tmp_path, command=NO_FCNTL)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    _no_secret(result.stdout, result.stderr, sim.stop())


def test_version_matches_the_installed_metadata(tmp_path: Path) -> None:
    result = _cli(["--version"], tmp_path)
    assert result.returncode == 0
    assert result.stdout == f"smsc-formats, version {importlib.metadata.version('smsc-formats')}\n"
    script = Path(sys.executable).with_name("smsc-formats")  # the installed console script
    if script.exists():
        installed = subprocess.run([str(script), "--version"], capture_output=True, text=True,
                                   timeout=60, check=False)
        assert installed.stdout == result.stdout


def test_four_runs_against_two_spellings_of_one_server_keep_to_its_limits(
        sim: Simulator, tmp_path: Path) -> None:
    port = sim.url.rsplit(":", 1)[1]
    spellings = [f"http://127.0.0.1:{port}", f"HTTP://127.0.0.1:{port}/"]
    out = tmp_path / "corpus"
    runs = [_cli(_record(spellings[i % 2], out, "--mode", "all", "--max-wait", "5"), tmp_path)
            for i in range(4)]
    assert [r.returncode for r in runs] == [0, 0, 0, 3], [r.stderr for r in runs]
    # The fourth identical request within a minute is not sent: the plan waits, over --max-wait.
    assert "--max-wait" in runs[3].stderr
    assert "nothing was sent" in runs[3].stderr
    assert "error 9" not in runs[3].stderr
    log = sim.stop()
    sent = [line for line in log.splitlines() if "get_stat fmt=3" in line]
    assert len(sent) == 3, log
    assert not any("error=9" in line for line in sent), log
    _no_secret(*(r.stdout + r.stderr for r in runs), log)
