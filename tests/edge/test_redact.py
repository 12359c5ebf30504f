"""Masking in recordings: the key, the configuration, the hook, and ``record --redact``
against the simulator."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from smsc_formats import parse
from smsc_formats.checks.conformance import check_case
from smsc_formats.cli import main
from smsc_formats.edge.ledger import Limiter
from smsc_formats.edge.recorder import CasePlan, RecordError, _Run
from smsc_formats.edge.redact import (
    KEY_ENV,
    KEY_FILE,
    configured,
    corpus_key,
    load_hook,
    redactor_for,
)
from smsc_formats.edge.simulator import SimulatorConfig, SimulatorServer, start_simulator
from smsc_formats.edge.store import load_corpus
from smsc_formats.redact import RedactError, Redactor
from smsc_formats.request import Credentials

LOGIN, PSW = "redact-login-3", "redact-Secret+pw"
AS_OF = "24.11.2026"


@pytest.fixture
def sim() -> Iterator[SimulatorServer]:
    server = start_simulator(SimulatorConfig(login=LOGIN, psw=PSW, limits=False))
    yield server
    server.shutdown()


def _record(sim: SimulatorServer, out: Path, ledger: Path, *extra: str,
            key: str | None = "a test key") -> tuple[int, str]:
    env = {"SMSC_LOGIN": LOGIN, "SMSC_PSW": PSW, "SMSC_APIKEY": None,
           "SMSC_FORMATS_LEDGER": str(ledger), KEY_ENV: key}
    # Three formats stay under "three identical a minute": no real wait in a test.
    result = CliRunner().invoke(main, ["record", "--base-url", sim.base_url, "--out", str(out),
                                       "--source", "simulator", "--as-of", AS_OF, "--quiet",
                                       "--fmt", "0", "--fmt", "1", "--fmt", "3", *extra],
                                env=env)
    return result.exit_code, result.stderr


def _values(corpus: Path, *names: str) -> set[str]:
    found = set()
    for case in load_corpus(corpus):
        for fmt, body in case.bodies.items():
            reply: Any = parse(body, call=case.call, fmt=fmt)
            for record in reply if isinstance(reply, list) else [reply]:
                found |= {getattr(record, n) for n in names if hasattr(record, n)}
    return found


def _all_bytes(corpus: Path) -> bytes:
    return b"\n".join(p.read_bytes() for p in sorted(corpus.rglob("*")) if p.is_file())


def test_a_redacted_recording_holds_no_phone_of_the_simulator(sim: SimulatorServer,
                                                              tmp_path: Path) -> None:
    plain, masked = tmp_path / "plain", tmp_path / "masked"
    assert _record(sim, plain, tmp_path / "l1.json") == (0, "")
    code, stderr = _record(sim, masked, tmp_path / "l2.json", "--redact",
                           "phone,to_phone,message")
    assert (code, stderr) == (0, "")
    phones = _values(plain, "phone", "to_phone")
    messages = {m for m in _values(plain, "message") if len(m) >= 6}
    assert len(phones) >= 5  # the simulator's subscribers, as recorded
    assert len(messages) >= 3
    stored = _all_bytes(masked)
    leaked = sorted(p for p in phones if p.encode() in stored)
    assert leaked == []
    assert sorted(m for m in messages if m.encode() in stored) == []
    assert len(_values(masked, "phone", "to_phone")) == len(phones)  # one fake per number
    for case in load_corpus(masked):
        assert case.cross_format == "ok"
        bodies = {f: (b, case.formats[f].charset) for f, b in case.bodies.items()}
        assert check_case(case.call, bodies) == []
    result = CliRunner().invoke(main, ["check", str(masked)])
    assert result.exit_code == 0, result.output


def test_the_configuration_names_the_fields(sim: SimulatorServer, tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.smsc-formats]\nredact = ["phone"]\n',
                                             encoding="utf-8")
    out = tmp_path / "corpus"
    assert _record(sim, out, tmp_path / "l.json", "--call", "get_operator") == (0, "")
    phones = _values(out, "phone")
    assert phones
    assert not phones & {"79999999999", "79161234567", "380501234567"}
    for case in load_corpus(out):
        assert "79161234567" not in case.params.get("phone", "")


def test_an_unknown_field_is_a_usage_error(sim: SimulatorServer, tmp_path: Path) -> None:
    code, stderr = _record(sim, tmp_path / "c", tmp_path / "l.json", "--redact", "phone,cost")
    assert code == 2
    assert stderr.startswith("smsc-formats: error: cannot redact cost:")
    assert stderr.count("\n") == 1


def test_before_record_is_loaded_from_a_dotted_path(sim: SimulatorServer, tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "my_hooks.py").write_text(
        "import dataclasses\n"
        "def scrub(reply):\n"
        "    return dataclasses.replace(reply, link='https://example.invalid/x')\n",
        encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    out = tmp_path / "corpus"
    assert _record(sim, out, tmp_path / "l.json", "--call", "get_short_link",
                   "--before-record", "my_hooks:scrub") == (0, "")
    assert _values(out, "link") == {"https://example.invalid/x"}


def test_a_body_that_cannot_be_masked_stops_the_recording() -> None:
    run = _Run("http://127.0.0.1:9", Credentials(login=LOGIN, psw=PSW), Limiter(),
               lambda event: None, "simulator", 1.0, lambda: "",
               redactor=Redactor.of(["phone"], b"k"))
    plan = CasePlan("get_answers", "default", {}, "utf-8", (3,))
    with pytest.raises(RecordError, match="does not parse"):
        run.masked(plan, 3, b'[{"phone": "79161234567", ')
    bare = _Run("http://127.0.0.1:9", Credentials(login=LOGIN, psw=PSW), Limiter(),
                lambda event: None, "simulator", 1.0, lambda: "")
    assert bare.masked(plan, 3, b"not json") == b"not json"  # without --redact: stored as is


def test_the_key_comes_from_the_environment_or_a_private_corpus_file(tmp_path: Path) -> None:
    assert corpus_key(tmp_path, {KEY_ENV: "from-env"}) == b"from-env"
    assert not (tmp_path / KEY_FILE).exists()
    first = corpus_key(tmp_path, {})
    assert len(first) == 64
    assert os.stat(tmp_path / KEY_FILE).st_mode & 0o777 == 0o600
    assert corpus_key(tmp_path, {}) == first


def test_a_new_key_file_is_listed_in_the_corpus_gitignore_once(tmp_path: Path) -> None:
    (tmp_path / ".gitignore").write_text("*.tmp", encoding="utf-8")  # no final newline
    corpus_key(tmp_path, {})
    assert (tmp_path / ".gitignore").read_text(encoding="utf-8").splitlines()[0] == "*.tmp"
    assert "/.redact-key" in (tmp_path / ".gitignore").read_text(encoding="utf-8").splitlines()
    fresh = tmp_path / "fresh"
    corpus_key(fresh, {})
    (fresh / KEY_FILE).unlink()
    corpus_key(fresh, {})  # a second key file: the entry is not repeated
    lines = (fresh / ".gitignore").read_text(encoding="utf-8").splitlines()
    assert lines.count("/.redact-key") == 1
    assert corpus_key(tmp_path / "env", {KEY_ENV: "k"}) == b"k"
    assert not (tmp_path / "env").exists()


def test_configuration_errors_are_one_line(tmp_path: Path) -> None:
    project = tmp_path / "pyproject.toml"
    project.write_text('[tool.smsc-formats]\nredact = "phone"\n', encoding="utf-8")
    with pytest.raises(RedactError, match="redact must be a list"):
        configured(tmp_path, project)
    project.write_text('[tool.smsc-formats]\nbefore_record = "x:y"\nredact = ["message"]\n',
                       encoding="utf-8")
    assert configured(tmp_path, project) == (["message"], "x:y")
    with pytest.raises(RedactError, match="expected module:function"):
        load_hook("no_colon")
    with pytest.raises(RedactError, match="cannot import"):
        load_hook("smsc_formats_no_such_module:f")
    with pytest.raises(RedactError, match="has no nothing"):
        load_hook("smsc_formats.redact:nothing")


def test_nothing_to_mask_gives_no_redactor(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'x'\n", encoding="utf-8")
    assert redactor_for(tmp_path / "corpus", [], None, {KEY_ENV: "k"}) is None
    made = redactor_for(tmp_path / "corpus", ["phone, message"], None, {KEY_ENV: "k"})
    assert made is not None
    assert made.fields == {"phone", "message"}
