"""Light imports: ``import smsc_formats`` pulls in neither click, pytest, hypothesis nor edge/."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

HEAVY = ("click", "pytest", "hypothesis", "smsc_formats.edge", "smsc_formats.cli",
         "smsc_formats.strategies")


def _modules_after(statement: str) -> set[str]:
    code = f"import sys\n{statement}\nimport json\nprint(json.dumps(sorted(sys.modules)))"
    # -I: isolated, so no site hooks or PYTHON* variables drag anything in.
    out = subprocess.run([sys.executable, "-I", "-c", code], capture_output=True, text=True,
                         check=True, timeout=60)
    return set(json.loads(out.stdout))


@pytest.mark.parametrize("statement", [
    "import smsc_formats",
    "from smsc_formats import parse, emit, to_canonical, from_canonical, sniff",
    "import smsc_formats.request, smsc_formats.checks.conformance",
])
def test_the_library_imports_lightly(statement: str) -> None:
    loaded = _modules_after(statement)
    assert "smsc_formats" in loaded
    heavy = sorted(m for m in loaded if m.split(".")[0] in HEAVY or m.startswith(HEAVY))
    assert heavy == []


def test_the_check_can_fail() -> None:
    """The probe sees a heavy import when there is one."""
    assert "click" in _modules_after("import smsc_formats.cli")
