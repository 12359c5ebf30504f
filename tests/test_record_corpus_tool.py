"""``tools/record_corpus.py``: a real ``--help``, and usage errors that record nothing."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

TOOL = Path(__file__).resolve().parent.parent / "tools" / "record_corpus.py"


def _run(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(TOOL), *args], cwd=cwd, capture_output=True,
                          text=True, timeout=120, check=False)


@pytest.mark.parametrize("flag", ["--help", "-h"])
def test_help_prints_usage_and_records_nothing(tmp_path: Path, flag: str) -> None:
    done = _run(tmp_path, flag)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("usage: python tools/record_corpus.py")
    assert "--documentation" in done.stdout
    assert list(tmp_path.iterdir()) == []  # no folder named --help


def test_an_unknown_option_is_a_usage_error(tmp_path: Path) -> None:
    done = _run(tmp_path, "--bogus")
    assert done.returncode == 2
    assert "unrecognized arguments: --bogus" in done.stderr
    assert list(tmp_path.iterdir()) == []
