"""``smsc-formats drift`` against the simulator on 127.0.0.1: clean, drifted, unreachable.

A corpus is recorded once from seed 0 with the recorder; every run then re-records it from a
simulator the test starts (port 0, shut down in teardown). The client-side rate limiter is
switched off through ``make_limiter`` (the simulator's own limits are off too), so no test
waits for SMSC's per-minute limits; the limiter itself is tested in tests/edge.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from smsc_formats.cli import drift as drift_cli
from smsc_formats.cli import main
from smsc_formats.edge.ledger import Ledger, Limiter
from smsc_formats.edge.recorder import record
from smsc_formats.edge.simulator import SimulatorConfig, SimulatorServer, start_simulator
from smsc_formats.edge.store import load_corpus, write_case
from smsc_formats.request import Credentials
from smsc_formats.sim.drifts import DRIFTS
from smsc_formats.spec import CALLS

LOGIN, PSW = "drift-user", "drift-pass-31415"
CALL_NAMES = set(CALLS)
ENV = {"SMSC_LOGIN": LOGIN, "SMSC_PSW": PSW, "SMSC_APIKEY": ""}

# The finding kind each injected drift shows as, with the one severity drift.py documents for
# it (fmt=1 additions and removals show as csv-columns).
SHOWN_AS = {kind: kind for kind in DRIFTS} | {"json-type": "json-type-changed"}
SEVERITIES = {
    "field-added": "warning",
    "field-removed": "breaking",
    "field-renamed": "breaking",
    "order-changed": "breaking",
    "json-type-changed": "breaking",
    "date-format": "breaking",
    "decimal-scale": "warning",
    "id-pattern": "breaking",
    "csv-columns": "breaking",
    "xml-root": "breaking",
    "new-error-code": "breaking",
    "unparseable": "breaking",
}


def _no_limits(max_wait: float | None) -> Limiter:
    return Limiter(Ledger(None), enabled=False)


def _server(seed: int, drift: str | None = None, psw: str = PSW) -> SimulatorServer:
    return start_simulator(SimulatorConfig(seed=seed, login=LOGIN, psw=psw, limits=False,
                                           drift=drift))


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("corpus")
    server = _server(0)
    try:
        record(server.base_url, root, Credentials(login=LOGIN, psw=PSW), source="simulator",
               limiter=Limiter(Ledger(None), enabled=False))
    finally:
        server.shutdown()
    return root


@pytest.fixture
def corpus(recorded: Path, tmp_path: Path) -> Path:
    """A fresh copy of the recorded corpus, so --update in one test touches no other."""
    copy = tmp_path / "corpus"
    for case in load_corpus(recorded):
        write_case(copy, case)
    return copy


@pytest.fixture(autouse=True)
def _limits_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(drift_cli, "make_limiter", _no_limits)


@pytest.fixture
def other_seed() -> Iterator[SimulatorServer]:
    server = _server(1)
    yield server
    server.shutdown()


def _drift(corpus: Path, base_url: str, *args: str, env: dict[str, str] | None = None
           ) -> Result:
    return CliRunner().invoke(main, ["drift", str(corpus), "--base-url", base_url, "--quiet",
                                     *args], env=env or ENV)


def _findings(result: Result) -> list[dict[str, Any]]:
    data = json.loads(result.stdout)
    found: list[dict[str, Any]] = data["findings"]
    return found


def test_another_seed_is_no_drift(corpus: Path, other_seed: SimulatorServer) -> None:
    result = _drift(corpus, other_seed.base_url)
    assert result.exit_code == 0, result.output
    assert "0 finding(s)" in result.stdout
    assert len(load_corpus(corpus)) >= 6


@pytest.mark.parametrize("kind", sorted(DRIFTS))
def test_each_drift_kind_is_detected_named_and_graded(corpus: Path, kind: str) -> None:
    server = _server(1, kind)
    try:
        result = _drift(corpus, server.base_url, "--format", "json")
    finally:
        server.shutdown()
    assert result.exit_code == 1, result.output
    assert LOGIN not in result.output
    assert PSW not in result.output
    found = _findings(result)
    named = [f for f in found if f["kind"] == SHOWN_AS[kind]]
    assert named, [f["kind"] for f in found]
    assert {f["severity"] for f in named} == {SEVERITIES[SHOWN_AS[kind]]}
    for f in named:
        assert f["call"] in CALL_NAMES
        assert f["case"]
        assert f["fmt"] in (0, 1, 2, 3)
        assert f["file"].endswith(("fmt0.txt", "fmt1.csv", "fmt2.xml", "fmt3.json"))
        assert len(f["fingerprint"]) == 16


def test_json_type_names_the_field_and_both_types(corpus: Path) -> None:
    server = _server(1, "json-type")
    try:
        result = _drift(corpus, server.base_url, "--format", "json")
    finally:
        server.shutdown()
    messages = {(f["call"], f["message"]) for f in _findings(result)}
    assert ("get_answers", "id: number -> string") in messages
    assert ("get_stat", "sms: string -> number") in messages


def test_csv_columns_says_which_column(corpus: Path) -> None:
    server = _server(1, "csv-columns")
    try:
        result = _drift(corpus, server.base_url)
    finally:
        server.shutdown()
    assert result.exit_code == 1
    assert "fmt=1 records have 6 columns, were 5: column 6 added after 'currency'" \
        in " ".join(result.stdout.split())


def test_junit_and_github_reports(corpus: Path, tmp_path: Path) -> None:
    server = _server(1, "field-removed")
    try:
        junit = tmp_path / "drift.xml"
        result = _drift(corpus, server.base_url, "--format", "junit", "--output", str(junit))
        github = _drift(corpus, server.base_url, "--format", "github")
    finally:
        server.shutdown()
    assert result.exit_code == 1
    assert "FAIL" in result.stdout
    assert b"<failure" in junit.read_bytes()
    assert any(line.startswith("::error file=") for line in github.stdout.splitlines())


def test_update_accepts_the_new_bodies(corpus: Path) -> None:
    server = _server(1, "decimal-scale")
    try:
        first = _drift(corpus, server.base_url, "--update")
        second = _drift(corpus, server.base_url)
    finally:
        server.shutdown()
    assert first.exit_code == 0, first.output
    assert "decimal-scale" in first.stdout
    assert "updated" in first.stderr
    assert second.exit_code == 0, second.output
    assert "0 finding(s)" in second.stdout
    assert all(c.source == "simulator" for c in load_corpus(corpus))


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def test_unreachable_server_exits_3_with_the_reason(corpus: Path) -> None:
    result = _drift(corpus, f"http://127.0.0.1:{_closed_port()}")
    assert result.exit_code == 3
    assert result.stderr.startswith("smsc-formats: error: could not record: ")
    assert result.stderr.count("\n") == 1
    assert result.stdout == ""


def test_wrong_credentials_exit_3_never_drift(corpus: Path) -> None:
    server = _server(1, psw="another-password-271")
    try:
        result = _drift(corpus, server.base_url)
    finally:
        server.shutdown()
    assert result.exit_code == 3
    assert "error 2" in result.stderr
    assert PSW not in result.output
    assert result.stdout == ""


def test_a_rate_limit_wait_over_max_wait_exits_3(corpus: Path,
                                                other_seed: SimulatorServer,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    def bounded(max_wait: float | None) -> Limiter:
        return Limiter(Ledger(None), max_wait=max_wait, sleep=_never_sleeps)

    monkeypatch.setattr(drift_cli, "make_limiter", bounded)
    result = _drift(corpus, other_seed.base_url, "--max-wait", "5")
    assert result.exit_code == 3
    assert "could not record" in result.stderr
    # Planned first: the wait the fourth format of a request would need is found before the
    # first request goes out, and the limit that imposes it is named.
    assert "the plan needs a wait of 65 s" in result.stderr
    assert "at most 3 identical requests a minute" in result.stderr
    assert "nothing was sent" in result.stderr


def _never_sleeps(seconds: float) -> None:
    raise AssertionError(f"asked to sleep {seconds} s")


def test_missing_credentials_and_corpus_are_usage_errors(corpus: Path, tmp_path: Path) -> None:
    no_credentials = _drift(corpus, "http://127.0.0.1:1", env={"SMSC_LOGIN": "",
                                                               "SMSC_PSW": "", "SMSC_APIKEY": ""})
    assert no_credentials.exit_code == 2
    assert "SMSC_LOGIN" in no_credentials.stderr
    missing = _drift(tmp_path / "nothing", "http://127.0.0.1:1")
    assert missing.exit_code == 2
    assert "no such corpus folder" in missing.stderr


@pytest.mark.parametrize("base_url", ["notaurl", "ftp://127.0.0.1:21", "http://127.0.0.1:x"])
def test_a_bad_base_url_is_a_usage_error_not_a_recording_failure(corpus: Path,
                                                                 base_url: str) -> None:
    result = _drift(corpus, base_url)
    assert result.exit_code == 2
    assert result.stderr.startswith("smsc-formats: error: ")
    assert "could not record" not in result.stderr
    assert "base URL" in result.stderr
    assert result.stderr.count("\n") == 1


def test_an_output_in_a_missing_folder_is_a_usage_error_before_any_request(
        corpus: Path, tmp_path: Path) -> None:
    # The server is unreachable: had drift re-recorded first, it would exit 3.
    output = tmp_path / "no-such-folder" / "drift.xml"
    result = _drift(corpus, f"http://127.0.0.1:{_closed_port()}", "--format", "junit",
                    "--output", str(output))
    assert result.exit_code == 2
    assert result.stderr == f"smsc-formats: error: {output}: No such file or directory\n"


def _snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file()}


def test_update_refuses_bodies_that_do_not_parse(corpus: Path) -> None:
    before = _snapshot(corpus)
    server = _server(1, "unparseable")
    try:
        refused = _drift(corpus, server.base_url, "--update")
        assert _snapshot(corpus) == before
        forced = _drift(corpus, server.base_url, "--update", "--force")
    finally:
        server.shutdown()
    assert refused.exit_code == 1, refused.output
    assert "not updated" in refused.stderr
    assert "--force" in refused.stderr
    assert "unparseable" in refused.stdout
    assert forced.exit_code == 0, forced.output
    assert "updated" in forced.stderr
    assert _snapshot(corpus) != before


def test_sigterm_leaves_no_temporary_folder_and_exits_143(corpus: Path,
                                                          tmp_path: Path) -> None:
    import os
    import signal
    import subprocess
    import sys

    temp = tmp_path / "temp"
    temp.mkdir()
    before = _snapshot(corpus)
    server = start_simulator(SimulatorConfig(seed=1, login=LOGIN, psw=PSW, limits=True))
    env = {**os.environ, **ENV, "TMPDIR": str(temp),
           "SMSC_FORMATS_LEDGER": str(tmp_path / "ledger.json")}
    child = subprocess.Popen(
        [sys.executable, "-c", "from smsc_formats.cli import main; main()", "drift",
         str(corpus), "--base-url", server.base_url],
        env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    assert child.stderr is not None
    try:
        lines: list[str] = []
        while not any("waiting" in line for line in lines):
            line = child.stderr.readline().decode()
            assert line, lines
            lines.append(line)
        assert next(p.name for p in temp.iterdir()).startswith("smsc-formats-drift-")
        child.send_signal(signal.SIGTERM)
        assert child.wait(timeout=60) == 143
        rest = child.stderr.read().decode()
    finally:
        child.kill()
        child.wait()
        child.stderr.close()
        server.shutdown()
    assert "terminated" in rest
    assert list(temp.iterdir()) == []
    assert _snapshot(corpus) == before


def test_a_negative_max_wait_is_a_usage_error(corpus: Path) -> None:
    result = _drift(corpus, "http://127.0.0.1:9", "--max-wait", "-5")
    assert result.exit_code == 2
    assert "--max-wait" in result.stderr


def test_a_short_credential_leaves_the_error_message_readable(corpus: Path) -> None:
    port = _closed_port()
    plain = _drift(corpus, f"http://127.0.0.1:{port}")
    short = _drift(corpus, f"http://127.0.0.1:{port}",
                   env={"SMSC_LOGIN": "e", "SMSC_PSW": "t", "SMSC_APIKEY": ""})
    assert short.exit_code == 3
    assert "could not record" in short.stderr
    assert "redacted" not in short.stderr
    assert short.stderr == plain.stderr
