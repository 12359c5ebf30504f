"""Named cases for ``record``: where they are read from, and every refusal naming file and line."""

from __future__ import annotations

from pathlib import Path

import pytest

from smsc_formats.edge.cases import CASES_FILE, CasesFileError, UserCase, load_cases
from smsc_formats.edge.ignore import load_ignores

PROJECT = """\
[project]
name = "mine"

[tool.smsc-formats]
redact = ["phone"]

[tool.smsc-formats.cases]
"get_messages/last-week" = { start = "17.11.2026", end = "23.11.2026", cnt = "100" }
"get_stat/november" = { start = "01.11.2026", end = "20.11.2026" }
"""


def _project(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "pyproject.toml"
    path.write_text(text, encoding="utf-8")
    return path


def _corpus(tmp_path: Path, text: str) -> Path:
    corpus = tmp_path / "corpus"
    corpus.mkdir(parents=True, exist_ok=True)
    (corpus / CASES_FILE).write_text(text, encoding="utf-8")
    return corpus


def _error(tmp_path: Path, cases_table: str) -> str:
    project = _project(tmp_path, "[tool.smsc-formats.cases]\n" + cases_table)
    with pytest.raises(CasesFileError) as err:
        load_cases(tmp_path / "corpus", project)
    return str(err.value)


def test_the_project_table_is_read_with_its_lines(tmp_path: Path) -> None:
    project = _project(tmp_path, PROJECT)
    cases = load_cases(tmp_path / "corpus", project)
    assert [(c.call, c.name, dict(c.params)) for c in cases] == [
        ("get_messages", "last-week", {"start": "17.11.2026", "end": "23.11.2026", "cnt": "100"}),
        ("get_stat", "november", {"start": "01.11.2026", "end": "20.11.2026"}),
    ]
    assert [c.where for c in cases] == [f"{project}:8", f"{project}:9"]


def test_the_project_is_found_from_the_corpus_upwards(tmp_path: Path) -> None:
    _project(tmp_path, PROJECT)
    (tmp_path / "corpus").mkdir()
    assert [c.name for c in load_cases(tmp_path / "corpus")] == ["last-week", "november"]


def test_the_corpus_file_holds_a_cases_table(tmp_path: Path) -> None:
    project = _project(tmp_path, PROJECT)
    corpus = _corpus(tmp_path, '# mine\n[cases]\n'
                               '"get_operator/moscow" = { phone = "79161234567" }\n'
                               '"get_answers/day" = { hour = 24 }\n')
    cases = load_cases(corpus, project)
    assert [(c.call, c.name) for c in cases][2:] == [("get_operator", "moscow"),
                                                     ("get_answers", "day")]
    assert cases[3].params == {"hour": "24"}
    assert cases[2].where == f"{corpus / CASES_FILE}:3"


def test_a_table_header_per_case_is_read_too(tmp_path: Path) -> None:
    project = _project(tmp_path, '[tool.smsc-formats.cases."get_short_link/mine"]\nid = "7"\n')
    assert load_cases(tmp_path, project) == [
        UserCase("get_short_link", "mine", {"id": "7"}, f"{project}:1")]


def test_no_configuration_is_no_case(tmp_path: Path) -> None:
    project = _project(tmp_path, "[tool.smsc-formats]\nredact = []\n")
    assert load_cases(tmp_path / "corpus", project) == []


@pytest.mark.parametrize(("entry", "message"), [
    ('"get_nothing/x" = {}', "unknown call 'get_nothing'"),
    ('"get_stat" = {}', 'the key must be "call/name"'),
    ('"get_stat/../up" = {}', "must be a safe folder name"),
    ('"get_stat/.hidden" = {}', "must be a safe folder name"),
    ('"get_stat/November" = {}', "must be a safe folder name"),
    ('"get_stat/a b" = {}', "must be a safe folder name"),
    ('"get_stat/x" = "start=01.11.2026"', "the value must be a table of parameters"),
    ('"get_stat/x" = { start = "01.11.2026", PSW = "hunter22" }', "'PSW' is a credential"),
    ('"get_price/x" = { apikey = "k-123456" }', "'apikey' is a credential"),
    ('"get_price/x" = { Login = "someone" }', "'Login' is a credential"),
    ('"get_price/x" = { fmt = "3" }', "'fmt' is chosen by the run (--fmt)"),
    ('"get_price/x" = { charset = "koi8-r" }', "'charset' is chosen by the run"),
    ('"get_price/x" = { phone = "79161234567" }', "phone: not a parameter of get_price"),
    ('"get_answers/x" = { hour = "169" }', "hour: at most 168"),
    ('"get_stat/x" = { start = "1.11.2026", end = "30.11.2026" }', "start: expected a date"),
    ('"get_stat/x" = { start = "01.11.2026", end = "01.10.2026" }', "end: before start"),
    ('"get_operator/x" = {}', "get_operator needs phone"),
    ('"get_answers/x" = { cnt = true }', "parameter 'cnt' must be a string"),
])
def test_a_bad_entry_names_the_file_and_line(tmp_path: Path, entry: str, message: str) -> None:
    text = _error(tmp_path, '"get_price/fine" = {}\n' + entry + "\n")
    assert text.startswith(f"{tmp_path / 'pyproject.toml'}:3: case ")
    assert message in text


def test_a_credential_value_is_never_echoed(tmp_path: Path) -> None:
    assert "hunter22" not in _error(tmp_path, '"get_price/x" = { psw = "hunter22" }\n')


def test_cases_that_is_not_a_table_names_its_line(tmp_path: Path) -> None:
    project = _project(tmp_path, '[project]\nname = "x"\n[tool.smsc-formats]\ncases = 3\n')
    with pytest.raises(CasesFileError, match=r"pyproject\.toml:3: \[tool\.smsc-formats\.cases\]"
                                             r" must be a table"):
        load_cases(tmp_path, project)


def test_a_case_in_both_files_names_both_lines(tmp_path: Path) -> None:
    project = _project(tmp_path, PROJECT)
    corpus = _corpus(tmp_path, '[cases]\n\n"get_stat/november" = { start = "02.11.2026", '
                               'end = "20.11.2026" }\n')
    with pytest.raises(CasesFileError) as err:
        load_cases(corpus, project)
    assert str(err.value) == (f"{corpus / CASES_FILE}:3: case 'get_stat/november' is also given "
                              f"at {project}:9; keep one")


def test_anything_else_in_the_corpus_file_names_its_line(tmp_path: Path) -> None:
    corpus = _corpus(tmp_path, '[cases]\n"get_price/x" = {}\n\n[tool.smsc-formats.cases]\n'
                               '"get_price/y" = {}\n')
    with pytest.raises(CasesFileError, match=r"smsc-formats-cases\.toml:4: unknown key or "
                                             r"table 'tool'"):
        load_cases(corpus, _project(tmp_path, ""))


def test_a_toml_syntax_error_names_the_file_and_line(tmp_path: Path) -> None:
    corpus = _corpus(tmp_path, '[cases]\n"get_price/x" = {\n')
    with pytest.raises(CasesFileError, match=r"smsc-formats-cases\.toml: .*line 2"):
        load_cases(corpus, _project(tmp_path, ""))


def test_a_repeated_key_is_refused_by_toml_itself(tmp_path: Path) -> None:
    text = _error(tmp_path, '"get_price/x" = {}\n"get_price/x" = {}\n')
    assert "pyproject.toml" in text
    assert "line 3" in text


def test_ignore_entries_are_read_beside_cases_redact_and_before_record(tmp_path: Path) -> None:
    project = _project(tmp_path, PROJECT.replace(
        'redact = ["phone"]',
        'redact = ["phone"]\nbefore_record = "hooks:scrub"\n'
        'ignore = [{fingerprint = "3f2a9c0d1e4b5a67", reason = "known"}]'))
    rules = load_ignores(tmp_path / "corpus", project)
    assert [r.fingerprint for r in rules] == ["3f2a9c0d1e4b5a67"]
    assert len(load_cases(tmp_path / "corpus", project)) == 2


README = Path(__file__).resolve().parents[2] / "README.md"


def _readme_snippet() -> str:
    """The ``toml`` block of the README's "Named cases" subsection of "Record fixtures"."""
    text = README.read_text(encoding="utf-8")
    section = text.split("## Record fixtures", 1)[1].split("\n## ", 1)[0]
    named = section.split("### Named cases", 1)[1]
    return named.split("```toml\n", 1)[1].split("```", 1)[0]


def test_the_readme_snippet_reads_as_it_says(tmp_path: Path) -> None:
    project = _project(tmp_path, _readme_snippet())
    cases = load_cases(tmp_path / "corpus", project)
    assert [(c.call, c.name, dict(c.params)) for c in cases] == [
        ("get_messages", "last-week", {"start": "24.11.2026", "end": "01.12.2026", "cnt": "100"}),
        ("get_stat", "november", {"start": "01.11.2026", "end": "30.11.2026"}),
    ]
    # The same entries under [cases] make the corpus file.
    (tmp_path / "other").mkdir()
    corpus = _corpus(tmp_path / "other", _readme_snippet().replace(
        "[tool.smsc-formats.cases]", "[cases]"))
    assert [c.name for c in load_cases(corpus, _project(tmp_path / "other", ""))] == [
        "last-week", "november"]
