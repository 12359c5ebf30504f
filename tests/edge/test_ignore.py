"""Reading ignore entries from pyproject.toml and the corpus's own file."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from smsc_formats.edge.ignore import CORPUS_FILE, IgnoreFileError, load_ignores


def test_both_files_are_read(tmp_path: Path) -> None:
    corpus = tmp_path / "fixtures"
    corpus.mkdir()
    (tmp_path / "pyproject.toml").write_text(
        '[tool.smsc-formats]\nignore = [\n  {fingerprint = "aaaa", reason = "known", '
        'expires = 2027-01-31},\n]\n', encoding="utf-8")
    (corpus / CORPUS_FILE).write_text(
        'ignore = [{fingerprint = "bbbb", reason = "also known", expires = "2026-12-01"}]\n',
        encoding="utf-8")
    rules = load_ignores(corpus)
    assert [(r.fingerprint, r.expires) for r in rules] == [
        ("bbbb", date(2026, 12, 1)), ("aaaa", date(2027, 1, 31))]
    assert rules[1].source == str(tmp_path / "pyproject.toml")


def test_a_project_without_entries_has_none(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\n', encoding="utf-8")
    assert load_ignores(tmp_path) == []


@pytest.mark.parametrize(("text", "message"), [
    ('ignore = [{fingerprint = "a"}]', "ignore entry 1: 'reason' must say why"),
    ('ignore = [{fingerprint = "a", reason = "r", expires = "soon"}]',
     "'expires' must be a date like 2027-01-31, got 'soon'"),
    ('ignore = [{fingerprint = "a", reason = "r", until = 2027-01-01}]',
     "unknown key(s) until"),
    ('ignore = "a"', "'ignore' must be a list of tables"),
    ("ignore = [", "smsc-formats-ignore.toml: "),
])
def test_bad_entries_name_the_file_and_entry(tmp_path: Path, text: str, message: str) -> None:
    (tmp_path / CORPUS_FILE).write_text(text, encoding="utf-8")
    with pytest.raises(IgnoreFileError) as info:
        load_ignores(tmp_path, pyproject=tmp_path / "none.toml")
    assert message in str(info.value)
    assert str(tmp_path / CORPUS_FILE) in str(info.value)


def test_an_ignore_file_that_is_not_utf8_names_the_byte(tmp_path: Path) -> None:
    # tomllib decodes the bytes itself; its UnicodeDecodeError once escaped as a traceback.
    (tmp_path / CORPUS_FILE).write_bytes(b'ignore = [] # \xff')
    with pytest.raises(IgnoreFileError, match=r"smsc-formats-ignore\.toml: not UTF-8 text "
                                              r"\(byte 0xff at offset 14\)"):
        load_ignores(tmp_path, pyproject=tmp_path / "none.toml")


README = Path(__file__).parents[2] / "README.md"


def _readme_snippet() -> str:
    """The README's ignore example, as a user would paste it."""
    text = README.read_text(encoding="utf-8")
    start = text.index("```toml\n[tool.smsc-formats]\nignore = [") + len("```toml\n")
    return text[start:text.index("```", start)]


def test_the_readme_layout_is_read_from_the_corpus_file(tmp_path: Path) -> None:
    # The README shows this snippet for pyproject.toml *or* the corpus file; in the corpus
    # file it was once passed over silently, so the entry never applied.
    (tmp_path / CORPUS_FILE).write_text(_readme_snippet(), encoding="utf-8")
    rules = load_ignores(tmp_path, pyproject=_empty_project(tmp_path))
    assert [(r.fingerprint, r.reason, r.expires) for r in rules] == [
        ("3f2a9c0d1e4b5a67", "SMSC adds an id to error bodies", date(2027, 1, 31))]


def _empty_project(tmp_path: Path) -> Path:
    project = tmp_path / "pyproject.toml"
    project.write_text('[project]\nname = "x"\n', encoding="utf-8")
    return project


@pytest.mark.parametrize(("text", "message"), [
    ('ignore = []\n\n[tool.other]\nx = 1\n', ":3: unknown key or table 'tool'"),
    ('# accepted findings\nignores = []\n', ":2: unknown key or table 'ignores'"),
    ('[smsc-formats]\nignore = []\n', ":1: unknown key or table 'smsc-formats'"),
    ('[tool.smsc-formats]\nignore = []\nfail-on = "info"\n',
     ":1: unknown key(s) fail-on under [tool.smsc-formats]"),
    ('ignore = []\n[tool.smsc-formats]\nignore = []\n', "given both at the top and under"),
    ('[tool.smsc-formats]\nignore = []\n[tool.smsc-formats.cases]\n"get_price/x" = {}\n',
     ":1: unknown key(s) cases under [tool.smsc-formats]; only 'ignore' belongs here; 'cases' "
     "belongs in pyproject.toml or the corpus's smsc-formats-cases.toml ([cases])"),
    ('[tool.smsc-formats]\nredact = ["phone"]\n',
     "unknown key(s) redact under [tool.smsc-formats]; only 'ignore' belongs here; 'redact' "
     "belongs in pyproject.toml"),
])
def test_an_unknown_table_is_an_error_naming_its_line(tmp_path: Path, text: str,
                                                      message: str) -> None:
    (tmp_path / CORPUS_FILE).write_text(text, encoding="utf-8")
    with pytest.raises(IgnoreFileError) as info:
        load_ignores(tmp_path, pyproject=_empty_project(tmp_path))
    assert message in str(info.value)
    assert str(tmp_path / CORPUS_FILE) in str(info.value)
