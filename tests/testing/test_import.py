"""``smsc_formats.testing`` imports no HTTP library until a replay starts."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

CLIENTS = ("requests", "httpx", "urllib3", "anyio")


def _modules_after(statement: str) -> set[str]:
    code = f"import sys\n{statement}\nimport json\nprint(json.dumps(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-I", "-c", code], capture_output=True, text=True,
                         check=True, timeout=60)
    return set(json.loads(out.stdout))


@pytest.mark.parametrize("statement", ["import smsc_formats", "import smsc_formats.testing",
                                       "from smsc_formats.testing import replay, SmscMock"])
def test_no_http_library_at_import(statement: str) -> None:
    loaded = _modules_after(statement)
    assert "smsc_formats" in loaded
    assert sorted(m for m in loaded if m.split(".")[0] in CLIENTS) == []


def test_the_package_does_not_import_the_testing_seat() -> None:
    assert "smsc_formats.testing" not in _modules_after("import smsc_formats")


def test_the_check_can_fail() -> None:
    """The probe sees the clients once a replay has started."""
    loaded = _modules_after("from smsc_formats.testing import replay\n"
                            "with replay([]):\n    pass")
    assert {"requests", "httpx"} <= loaded
