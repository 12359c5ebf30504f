"""Every snippet of the README section "Test your SMSC client" runs as written.

The snippets are read from README.md itself (a file one names in its first comment line is
written into a ``pytester`` project under that name), the shell lines are run as pytest
invocations (recording from the simulator on loopback with a pinned day, then offline), and
the snippet for use outside pytest is run in this process, behind the network guard.
"""

from __future__ import annotations

import re
import shlex
import sys
from pathlib import Path

import pytest

from tests.simulated import recording_simulator

pytest_plugins = ["pytester"]

README = Path(__file__).resolve().parents[2] / "README.md"
SECTION = "## Test your SMSC client"
DERANDOMIZED = '''
from hypothesis import settings

settings.register_profile("readme", derandomize=True, database=None, max_examples=20)
settings.load_profile("readme")
'''


def _blocks() -> list[tuple[str, str]]:
    """The section's fenced blocks, as (language, text), in order."""
    text = README.read_text(encoding="utf-8")
    start = text.index(SECTION)
    end = text.find("\n## ", start + len(SECTION))
    section = text[start:end if end != -1 else len(text)]
    return re.findall(r"^```(\w+)\n(.*?)^```$", section, flags=re.M | re.S)


def _named(blocks: list[tuple[str, str]]) -> dict[str, str]:
    """The blocks whose first line names a file: ``# my_client.py: ...``."""
    out = {}
    for _, body in blocks:
        first = re.match(r"# ([\w.]+\.(?:py|toml))\b", body)
        if first:
            out[first.group(1)] = body
    return out


def test_the_section_has_the_snippets_this_test_runs() -> None:
    blocks = _blocks()
    assert sorted(_named(blocks)) == ["my_client.py", "pyproject.toml", "test_my_client.py",
                                      "test_my_client_module.py",
                                      "test_my_client_properties.py"]
    assert [lang for lang, _ in blocks].count("sh") == 1
    assert sum(1 for lang, body in blocks if lang == "python" and "with replay(" in body
               and not body.startswith("#")) == 1


def _pytest_args(line: str) -> list[str]:
    """A shell line ``VAR=... pytest ARGS  # comment`` as the arguments of pytest."""
    words = shlex.split(line, comments=True)
    words = [w for w in words if not re.fullmatch(r"[A-Z_]+=.*", w)]
    assert words[0] == "pytest", line
    return words[1:]


def test_every_snippet_runs_as_written(pytester: pytest.Pytester,
                                       monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                       capsys: pytest.CaptureFixture[str]) -> None:

    blocks = _blocks()
    for name, body in _named(blocks).items():
        (pytester.path / name).write_text(body, encoding="utf-8")
    pytester.makeconftest(DERANDOMIZED)
    [shell] = [body for lang, body in blocks if lang == "sh"]
    record, offline = (_pytest_args(line) for line in shell.splitlines() if line.strip())
    with recording_simulator(monkeypatch, tmp_path) as base_url:
        recorded = pytester.runpytest("-p", "no:cacheprovider", *record,
                                      f"--smsc-record-base-url={base_url}")
    recorded.assert_outcomes(passed=5)
    corpus = pytester.path / "fixtures"
    assert sorted(str(p.relative_to(corpus)) for p in corpus.glob("*/*")) == [
        "get_operator/test_operator", "get_stat/test_balance"]  # test_balance's answers both
    stored = b"".join(p.read_bytes() for p in corpus.rglob("*") if p.is_file())
    assert b"79999999999" not in stored  # pyproject.toml's redact masked the phone
    assert "/.redact-key" in (corpus / ".gitignore").read_text(encoding="utf-8").split()
    pytester.runpytest("-p", "no:cacheprovider", *offline).assert_outcomes(passed=5)

    [script] = [body for lang, body in blocks
                if lang == "python" and "with replay(" in body and not body.startswith("#")]
    monkeypatch.syspath_prepend(str(pytester.path))
    monkeypatch.delitem(sys.modules, "my_client", raising=False)
    try:
        exec(compile(script, str(README), "exec"), {"__name__": "readme_snippet"})  # noqa: S102
    finally:
        sys.modules.pop("my_client", None)
    printed = capsys.readouterr().out
    assert "get_stat" in printed
    assert "secret" not in printed
