"""Reports of ``check`` and ``drift`` findings, as strings: table, JSON, JUnit XML, GitHub.

* ``table``: a tabulate table (one finding a line: severity, case, fmt, ``line:col`` in the
  body, kind, path, message, fingerprint) and a summary line;
* ``json``: every finding with its fields, file and fingerprint, plus the counts;
* ``junit``: one ``<testcase>`` per case and format, failed by the findings at or above
  ``--fail-on`` (lower ones go to its ``<system-out>``), so CI test views show each body;
* ``github``: workflow commands (``::error file=...,title=...::message``), which GitHub
  Actions turns into annotations: breaking is ``error``, warning ``warning``, info ``notice``.

Sans-I/O: the CLI writes the strings.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from tabulate import tabulate

from .conformance import SEVERITIES, Finding, severity_rank

FORMATS = ("table", "json", "junit", "github")
"""The values of ``--format``."""
_FORMAT_LABEL = {0: "key = value", 1: "CSV", 2: "XML", 3: "JSON"}


@dataclass(frozen=True, slots=True)
class CaseInfo:
    """One case the run looked at, with the file of each of its formats."""

    call: str
    case: str
    files: Mapping[int, str] = field(default_factory=dict)
    folder: str = ""


@dataclass(frozen=True, slots=True)
class Report:
    """What one run of ``check`` or ``drift`` found."""

    command: str
    cases: Sequence[CaseInfo]
    findings: Sequence[Finding]
    ignored: Sequence[Finding] = ()
    fail_on: str = "warning"

    def failing(self) -> list[Finding]:
        """The findings at or above ``fail_on``."""
        limit = severity_rank(self.fail_on)
        return [f for f in self.findings if severity_rank(f.severity) <= limit]

    def exit_code(self) -> int:
        """1 when a finding is at or above ``fail_on``, else 0."""
        return 1 if self.failing() else 0

    def file_of(self, finding: Finding) -> str:
        """The file a finding is about: the body's file, else the case folder."""
        for case in self.cases:
            if case.call == finding.call and case.case == finding.case:
                if finding.fmt is not None and finding.fmt in case.files:
                    return case.files[finding.fmt]
                return case.folder
        return ""


def _counts(findings: Sequence[Finding]) -> dict[str, int]:
    return {s: sum(1 for f in findings if f.severity == s) for s in SEVERITIES}


def summary(report: Report) -> str:
    """One line: what was looked at, what was found, and whether it fails."""
    bodies = sum(len(c.files) for c in report.cases)
    counts = _counts(report.findings)
    found = ", ".join(f"{n} {s}" for s, n in counts.items())
    head = (f"smsc-formats {report.command}: {len(report.cases)} case(s), {bodies} body(ies): "
            f"{len(report.findings)} finding(s) ({found})")
    if report.ignored:
        head += f", {len(report.ignored)} ignored"
    verdict = (f"FAIL ({len(report.failing())} at or above {report.fail_on})"
               if report.failing() else f"ok (nothing at or above {report.fail_on})")
    return f"{head}; {verdict}"


def _where(f: Finding) -> str:
    return f"{f.call}/{f.case}" if f.case else f.call


def _position(f: Finding) -> str:
    """``line:col`` (or ``line``) in the body when known, else ``-``."""
    if f.line is None:
        return "-"
    return f"{f.line}:{f.col}" if f.col is not None else str(f.line)


def _sorted(findings: Sequence[Finding]) -> list[Finding]:
    return sorted(findings, key=lambda f: (severity_rank(f.severity), f.call, f.case or "",
                                           -1 if f.fmt is None else f.fmt, f.path))


def table(report: Report) -> str:
    """A table of the findings, most serious first, and the summary line."""
    if not report.findings:
        return summary(report)
    rows = [[f.severity, _where(f), "" if f.fmt is None else f.fmt, _position(f), f.kind,
             f.path or "-", f.message, f.fingerprint] for f in _sorted(report.findings)]
    text = tabulate(rows, headers=["severity", "case", "fmt", "line:col", "kind", "path",
                                   "message", "fingerprint"],
                    tablefmt="simple", disable_numparse=True,
                    maxcolwidths=[None, None, None, None, None, 28, 70, None])
    return f"{text}\n\n{summary(report)}"


def _finding_json(report: Report, f: Finding) -> dict[str, Any]:
    return {"severity": f.severity, "kind": f.kind, "call": f.call, "case": f.case,
            "fmt": f.fmt, "file": report.file_of(f) or None, "path": f.path,
            "line": f.line, "col": f.col, "message": f.message, "old": f.old, "new": f.new,
            "fingerprint": f.fingerprint}


def as_json(report: Report) -> str:
    """The findings, ignored findings and counts as a JSON document."""
    data = {
        "command": report.command,
        "fail_on": report.fail_on,
        "exit_code": report.exit_code(),
        "cases": len(report.cases),
        "bodies": sum(len(c.files) for c in report.cases),
        "counts": _counts(report.findings),
        "findings": [_finding_json(report, f) for f in _sorted(report.findings)],
        "ignored": [_finding_json(report, f) for f in _sorted(report.ignored)],
    }
    return json.dumps(data, ensure_ascii=False, indent=2)


def _line(f: Finding) -> str:
    where = f" ({f.path})" if f.path else ""
    return f"[{f.severity}] {f.kind}{where}: {f.message} [fingerprint {f.fingerprint}]"


def junit(report: Report) -> str:
    """A JUnit XML document: one testcase per case and format, failed by its findings."""
    limit = severity_rank(report.fail_on)
    buckets: dict[tuple[str, str, int | None], list[Finding]] = {}
    for f in report.findings:
        buckets.setdefault((f.call, f.case or "", f.fmt), []).append(f)
    order: list[tuple[tuple[str, str, int | None], str, str]] = []
    for case in report.cases:
        for fmt in sorted(case.files):
            order.append(((case.call, case.case, fmt),
                          f"fmt={fmt} {_FORMAT_LABEL.get(fmt, '')}", case.files[fmt]))
    known = {key for key, _, _ in order}
    for key in sorted(buckets, key=lambda k: (k[0], k[1], -1 if k[2] is None else k[2])):
        if key not in known:
            label = "case" if key[2] is None else f"fmt={key[2]}"
            order.append((key, label, ""))
    suite_name = f"smsc-formats {report.command}"
    root = ET.Element("testsuites", name=suite_name)
    suite = ET.SubElement(root, "testsuite", name=suite_name)
    failures = 0
    for key, name, file in order:
        call, case_name, _ = key
        classname = f"{call}.{case_name}" if case_name else call
        attrs = {"classname": classname, "name": name}
        if file:
            attrs["file"] = file
        element = ET.SubElement(suite, "testcase", attrs)
        found = buckets.get(key, [])
        bad = [f for f in found if severity_rank(f.severity) <= limit]
        if bad:
            failures += 1
            worst = min(bad, key=lambda f: severity_rank(f.severity))
            failure = ET.SubElement(element, "failure", message=worst.message,
                                    type=worst.severity)
            failure.text = "\n".join(_line(f) for f in bad)
        rest = [f for f in found if f not in bad]
        if rest:
            ET.SubElement(element, "system-out").text = "\n".join(_line(f) for f in rest)
    tests = len(order)
    for element in (root, suite):
        element.set("tests", str(tests))
        element.set("failures", str(failures))
        element.set("errors", "0")
        element.set("skipped", "0")
    if report.ignored:
        ET.SubElement(suite, "system-out").text = "ignored:\n" + "\n".join(
            _line(f) for f in report.ignored)
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True)


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


_LEVEL = {"breaking": "error", "warning": "warning", "info": "notice"}


def github(report: Report) -> str:
    """GitHub Actions workflow commands, one annotation per finding, then the summary."""
    lines = []
    for f in _sorted(report.findings):
        props = []
        file = report.file_of(f)
        if file:
            props.append(f"file={_escape_property(file)}")
            if f.line is not None:
                props.append(f"line={f.line}")
                if f.col is not None:
                    props.append(f"col={f.col}")
        fmt = "" if f.fmt is None else f" fmt={f.fmt}"
        title = f"smsc-formats {report.command}: {f.kind} in {_where(f)}{fmt}"
        props.append(f"title={_escape_property(title)}")
        path = f"{f.path}: " if f.path else ""
        message = f"[{f.severity}] {path}{f.message} (fingerprint {f.fingerprint})"
        lines.append(f"::{_LEVEL[f.severity]} {','.join(props)}::{_escape_data(message)}")
    lines.append(summary(report))
    return "\n".join(lines)


def render(report: Report, fmt: str) -> str:
    """The report in one of :data:`FORMATS`."""
    renderers = {"table": table, "json": as_json, "junit": junit, "github": github}
    return renderers[fmt](report)
