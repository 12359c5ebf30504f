"""``smsc-formats check`` on a corpus: exit codes, the four report formats, ignore entries."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from lxml import etree

from smsc_formats.cli import main
from smsc_formats.edge.ignore import CORPUS_FILE
from smsc_formats.edge.store import make_case, write_case

STAT = {
    0: b"login = redacted-login, sms = 12, credit = 18.00, debit = 0, currency = RUB",
    1: b"redacted-login,12,18.00,0,RUB",
    2: (b"<list>\n<stat>\n<login>redacted-login</login>\n<sms>12</sms>\n<credit>18.00</credit>"
        b"\n<debit>0</debit>\n<currency>RUB</currency>\n</stat>\n</list>"),
    3: (b'[{\n"login": "redacted-login",\n"sms": "12",\n"credit": "18.00",\n"debit": "0",\n'
        b'"currency": "RUB"\n}]'),
}
LINK = {
    0: b"id = 145142, cnt = 10, cnt_mon = 5, cnt_day = 1, cnt_yes = 2, cnt_pmon = 3, "
       b"link = https://smsc.ru/aB3",
    1: b"145142,10,5,1,2,3,https://smsc.ru/aB3",
    2: (b"<result>\n<id>145142</id>\n<cnt>10</cnt>\n<cnt_mon>5</cnt_mon>\n<cnt_day>1</cnt_day>\n"
        b"<cnt_yes>2</cnt_yes>\n<cnt_pmon>3</cnt_pmon>\n<link>https://smsc.ru/aB3</link>\n"
        b"</result>"),
    3: (b'{\n"id": "145142",\n"cnt": "10",\n"cnt_mon": "5",\n"cnt_day": "1",\n"cnt_yes": "2",\n'
        b'"cnt_pmon": "3",\n"link": "https://smsc.ru/aB3"\n}'),
}
BAD_JSON = STAT[3].replace(b'"sms": "12"', b'"sms": 13')  # a number, and another value


def _corpus(root: Path, stat_json: bytes = STAT[3]) -> Path:
    write_case(root, make_case("get_stat", "default", {**STAT, 3: stat_json},
                               params={"start": "01.11.2026"}, source="simulator"))
    write_case(root, make_case("get_short_link", "default", LINK, params={"id": "145142"},
                               source="simulator"))
    return root


def _run(*args: str) -> Result:
    return CliRunner().invoke(main, ["check", *args])


def test_clean_corpus_exits_0(tmp_path: Path) -> None:
    result = _run(str(_corpus(tmp_path)))
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == ("smsc-formats check: 2 case(s), 8 body(ies): 0 finding(s) "
                                     "(0 breaking, 0 warning, 0 info); ok (nothing at or above "
                                     "warning)")


def test_default_folder_is_fixtures(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _corpus(tmp_path / "fixtures")
    monkeypatch.chdir(tmp_path)
    assert _run().exit_code == 0


def test_findings_exit_1_with_a_table(tmp_path: Path) -> None:
    result = _run(str(_corpus(tmp_path, BAD_JSON)))
    assert result.exit_code == 1
    assert "json-type" in result.stdout
    assert "get_stat/default" in result.stdout
    assert "cross-format" in result.stdout
    assert result.stdout.strip().splitlines()[-1].endswith("FAIL (3 at or above warning)")


def test_fail_on_breaking_lets_warnings_pass(tmp_path: Path) -> None:
    compact = STAT[3].replace(b"\n", b"")
    result = _run(str(_corpus(tmp_path, compact)), "--fail-on", "breaking")
    assert result.exit_code == 0, result.output
    assert "round-trip" in result.stdout


def test_json_report(tmp_path: Path) -> None:
    result = _run(str(_corpus(tmp_path, BAD_JSON)), "--format", "json")
    data = json.loads(result.stdout)
    kinds = {(f["kind"], f["fmt"]) for f in data["findings"]}
    assert ("json-type", 3) in kinds
    assert data["exit_code"] == 1
    assert all(f["file"].endswith("fmt3.json") for f in data["findings"])


def test_junit_to_a_file_and_the_summary_on_stdout(tmp_path: Path) -> None:
    corpus = _corpus(tmp_path / "c", BAD_JSON)
    report = tmp_path / "junit.xml"
    result = _run(str(corpus), "--format", "junit", "--output", str(report))
    assert result.exit_code == 1
    assert result.stdout.startswith("smsc-formats check: 2 case(s)")
    root = etree.fromstring(report.read_bytes())
    assert root.get("tests") == "8"
    assert root.get("failures") == "1"


def test_github_annotations(tmp_path: Path) -> None:
    result = _run(str(_corpus(tmp_path, BAD_JSON)), "--format", "github")
    lines = result.stdout.splitlines()
    assert any(line.startswith("::error file=") and "fmt3.json" in line for line in lines)
    assert any(line.startswith("::warning file=") for line in lines)


def test_ignore_entry_accepts_a_finding_until_it_expires(tmp_path: Path) -> None:
    corpus = _corpus(tmp_path / "c", BAD_JSON)
    data = json.loads(_run(str(corpus), "--format", "json").stdout)
    entries = "\n".join(
        f'{{fingerprint = "{f["fingerprint"]}", reason = "known", expires = 2999-01-01}},'
        for f in data["findings"])
    (corpus / CORPUS_FILE).write_text(f"ignore = [\n{entries}\n]\n", encoding="utf-8")
    result = _run(str(corpus))
    assert result.exit_code == 0, result.output
    assert "3 ignored" in result.stdout
    (corpus / CORPUS_FILE).write_text(
        (corpus / CORPUS_FILE).read_text().replace("2999-01-01", "2020-01-01"))
    result = _run(str(corpus), "--format", "json")
    data = json.loads(result.stdout)
    assert result.exit_code == 1
    assert sum(f["kind"] == "ignore-expired" for f in data["findings"]) == 3


@pytest.mark.parametrize("args", [["no-such-folder"], ["--format", "yaml"]])
def test_usage_errors_exit_2(tmp_path: Path, args: list[str]) -> None:
    result = _run(*args)
    assert result.exit_code == 2


def test_corpus_errors_exit_2_with_one_line(tmp_path: Path) -> None:
    corpus = _corpus(tmp_path)
    (corpus / "get_stat" / "default" / "fmt1.csv").write_bytes(b"tampered")
    result = _run(str(corpus))
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1
    assert "fmt1.csv: sha256 does not match meta.json" in result.stderr
    empty = tmp_path / "empty"
    empty.mkdir()
    result = _run(str(empty))
    assert result.exit_code == 2
    assert "no cases found" in result.stderr


def test_bad_ignore_file_exits_2(tmp_path: Path) -> None:
    corpus = _corpus(tmp_path)
    (corpus / CORPUS_FILE).write_text('ignore = [{fingerprint = "x"}]')
    result = _run(str(corpus))
    assert result.exit_code == 2
    assert "'reason' must say why" in result.stderr


def test_every_file_error_is_reported_and_the_other_cases_are_checked(tmp_path: Path) -> None:
    corpus = _corpus(tmp_path, stat_json=BAD_JSON)
    write_case(corpus, make_case("get_price", "default", {0: b"x"}, source="simulator"))
    write_case(corpus, make_case("get_operator", "default", {0: b"x"}, source="simulator"))
    (corpus / "get_price" / "default" / "meta.json").write_text("{broken")
    (corpus / "get_operator" / "default" / "fmt0.txt").write_bytes(b"tampered")
    result = _run(str(corpus), "--format", "json")
    assert result.exit_code == 2
    errors = result.stderr.splitlines()
    assert len(errors) == 2
    assert "get_operator/default/fmt0.txt: sha256 does not match meta.json" in errors[0]
    assert "get_price/default/meta.json:1:2:" in errors[1]
    report = json.loads(result.stdout)
    assert report["cases"] == 2  # get_stat and get_short_link were still checked
    assert any(f["kind"] == "json-type" for f in report["findings"])


def test_the_table_shows_line_and_column(tmp_path: Path) -> None:
    broken = STAT[3].replace(b'"currency": "RUB"', b'"currency": ')
    result = _run(str(_corpus(tmp_path, stat_json=broken)))
    assert result.exit_code == 1
    header = result.stdout.splitlines()[0].split()
    assert header[:5] == ["severity", "case", "fmt", "line:col", "kind"]
    row = next(ln.split() for ln in result.stdout.splitlines() if " parse " in ln)
    assert row[3] == "7:1"


def test_the_committed_fixtures_have_no_finding() -> None:
    """The corpus in ``fixtures/`` (recorded from the simulator) is what users copy: every
    body parses, has the documented layout, and emits back byte for byte."""
    fixtures = Path(__file__).parents[2] / "fixtures"
    result = _run("--format", "json", "--fail-on", "info", str(fixtures))
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert (report["findings"], report["cases"], report["bodies"]) == ([], 14, 56)
