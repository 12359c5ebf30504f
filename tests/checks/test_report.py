"""Reports: JUnit that CI can read, GitHub annotations, JSON, the table and exit codes."""

from __future__ import annotations

import json

import pytest
from lxml import etree

from smsc_formats.checks.conformance import Finding
from smsc_formats.checks.report import (
    CaseInfo,
    Report,
    as_json,
    github,
    junit,
    render,
    summary,
    table,
)

CASES = [
    CaseInfo("get_stat", "default", {f: f"fixtures/get_stat/default/fmt{f}.x" for f in range(4)},
             "fixtures/get_stat/default"),
    CaseInfo("get_price", "default", {f: f"fixtures/get_price/default/fmt{f}.x" for f in range(4)},
             "fixtures/get_price/default"),
]
BREAKING = Finding("get_stat", 3, "$[].id", "id: number -> string", "breaking",
                   "json-type-changed",
                   old="number", new="string", case="default")
WARNING = Finding("get_stat", 3, "$[].bonus", "key 'bonus' added, with a comma: here",
                  "warning", "field-added", case="default")
INFO = Finding("get_price", 1, "", "line one\nline two 100%", "info", "error-format", line=2,
               col=5, case="default")


def _report(*findings: Finding, fail_on: str = "warning", ignored: tuple[Finding, ...] = ()
            ) -> Report:
    return Report("drift", CASES, list(findings), ignored, fail_on)


@pytest.mark.parametrize(("fail_on", "code"), [("breaking", 0), ("warning", 1), ("info", 1)])
def test_exit_code_follows_fail_on(fail_on: str, code: int) -> None:
    assert _report(WARNING, INFO, fail_on=fail_on).exit_code() == code


def test_clean_report_exits_0() -> None:
    report = _report()
    assert report.exit_code() == 0
    assert table(report) == summary(report)
    assert "0 finding(s)" in summary(report)
    assert summary(report).endswith("ok (nothing at or above warning)")


def test_junit_parses_with_the_right_counts() -> None:
    document = junit(_report(BREAKING, WARNING, INFO))
    root = etree.fromstring(document.encode("utf-8"))
    suite = root.find("testsuite")
    assert suite is not None
    cases = suite.findall("testcase")
    assert len(cases) == 8
    assert suite.get("tests") == "8"
    assert suite.get("failures") == "1"
    assert root.get("failures") == "1"
    failed = [c for c in cases if c.find("failure") is not None]
    assert [(c.get("classname"), c.get("name")) for c in failed] == [
        ("get_stat.default", "fmt=3 JSON")]
    failure = failed[0].find("failure")
    assert failure is not None
    assert failure.get("type") == "breaking"
    assert failure.get("message") == "id: number -> string"
    assert "key 'bonus' added" in (failure.text or "")
    info_case = next(c for c in cases if c.get("classname") == "get_price.default"
                     and c.get("name") == "fmt=1 CSV")
    assert info_case.find("failure") is None
    assert "line one" in (info_case.findtext("system-out") or "")
    assert info_case.get("file") == "fixtures/get_price/default/fmt1.x"


def test_junit_keeps_a_finding_of_no_known_case() -> None:
    stray = Finding("-", None, "", "ignore entry expired", "info", "ignore-expired")
    root = etree.fromstring(junit(_report(stray, fail_on="info")).encode("utf-8"))
    assert root.get("tests") == "9"
    assert root.get("failures") == "1"


def test_github_annotations() -> None:
    lines = github(_report(BREAKING, WARNING, INFO)).splitlines()
    assert len(lines) == 4
    assert lines[0].startswith("::error file=fixtures/get_stat/default/fmt3.x,title=")
    assert "title=smsc-formats drift%3A json-type-changed in get_stat/default fmt=3::" in lines[0]
    assert lines[0].endswith(f"::[breaking] $[].id: id: number -> string "
                             f"(fingerprint {BREAKING.fingerprint})")
    assert lines[1].startswith("::warning file=fixtures/get_stat/default/fmt3.x,")
    assert "added, with a comma: here" in lines[1]
    assert lines[2].startswith("::notice file=fixtures/get_price/default/fmt1.x,line=2,col=5,")
    assert "line one%0Aline two 100%25" in lines[2]
    assert lines[3] == summary(_report(BREAKING, WARNING, INFO))


def test_json_report() -> None:
    data = json.loads(as_json(_report(BREAKING, INFO, ignored=(WARNING,))))
    assert data["exit_code"] == 1
    assert data["counts"] == {"breaking": 1, "warning": 0, "info": 1}
    assert data["bodies"] == 8
    first = data["findings"][0]
    assert first["kind"] == "json-type-changed"
    assert first["file"] == "fixtures/get_stat/default/fmt3.x"
    assert (first["old"], first["new"]) == ("number", "string")
    assert first["fingerprint"] == BREAKING.fingerprint
    assert [f["kind"] for f in data["ignored"]] == ["field-added"]


def test_table_lists_findings_most_serious_first_and_the_summary() -> None:
    text = render(_report(INFO, WARNING, BREAKING, ignored=(WARNING,)), "table")
    lines = text.splitlines()
    assert lines[0].split()[:3] == ["severity", "case", "fmt"]
    rows = [line.split()[0] for line in lines[2:] if line[:1].isalpha()]
    assert rows[:3] == ["breaking", "warning", "info"]
    assert BREAKING.fingerprint in text
    assert lines[-1] == ("smsc-formats drift: 2 case(s), 8 body(ies): 3 finding(s) "
                         "(1 breaking, 1 warning, 1 info), 1 ignored; FAIL (2 at or above "
                         "warning)")
