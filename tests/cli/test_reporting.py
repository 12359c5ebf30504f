"""What check and drift share: --fail-on thresholds, --output, ignore entries, exit codes."""

from __future__ import annotations

from pathlib import Path

import pytest

from smsc_formats.checks.conformance import Finding
from smsc_formats.checks.report import CaseInfo
from smsc_formats.cli.reporting import check_output, finish

CASES = [CaseInfo("get_stat", "default", {3: "fixtures/get_stat/default/fmt3.json"})]
WARNING = Finding("get_stat", 3, "$[0].sms", "sms: number, documented as a string", "warning",
                  "json-type", case="get_stat/default")


def _finish(tmp_path: Path, findings: list[Finding], fail_on: str, output: str | None = None,
            *, accepted: bool = False) -> int:
    with pytest.raises(SystemExit) as exc:
        finish("check", tmp_path, CASES, findings, "table", output, fail_on, accepted=accepted)
    code = exc.value.code
    assert isinstance(code, int)
    return code


@pytest.mark.parametrize(("fail_on", "code"), [("breaking", 0), ("warning", 1), ("info", 1)])
def test_fail_on_sets_the_threshold(tmp_path: Path, fail_on: str, code: int,
                                    capsys: pytest.CaptureFixture[str]) -> None:
    assert _finish(tmp_path, [WARNING], fail_on) == code
    out = capsys.readouterr().out
    assert "sms: number, documented as a string" in out
    assert out.strip().splitlines()[-1].startswith("smsc-formats check: 1 case(s), 1 body(ies)")


def test_accepted_findings_exit_zero(tmp_path: Path) -> None:
    assert _finish(tmp_path, [WARNING], "info", accepted=True) == 0


def test_no_findings_exit_zero(tmp_path: Path) -> None:
    assert _finish(tmp_path, [], "info") == 0


def test_output_gets_the_report_and_stdout_the_summary(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "report.txt"
    assert _finish(tmp_path, [WARNING], "warning", str(target)) == 1
    assert "sms: number, documented as a string" in target.read_text(encoding="utf-8")
    assert capsys.readouterr().out.count("\n") == 1


def test_an_ignore_entry_accepts_the_finding(tmp_path: Path) -> None:
    (tmp_path / "smsc-formats-ignore.toml").write_text(
        f'ignore = [{{fingerprint = "{WARNING.fingerprint}", reason = "known"}}]\n',
        encoding="utf-8")
    assert _finish(tmp_path, [WARNING], "info") == 0


def test_an_output_in_a_missing_folder_is_a_usage_error(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        check_output(str(tmp_path / "missing" / "report.xml"))
    assert exc.value.code == 2
    assert capsys.readouterr().err.strip().endswith("report.xml: No such file or directory")
    check_output(str(tmp_path / "report.xml"))
