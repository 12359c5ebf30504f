"""The installed distribution: ``__version__``, ``python -m smsc_formats`` and the metadata
that PyPA tools read (license expression and file, classifiers, URLs, extras)."""

from __future__ import annotations

import importlib.metadata
import os
import subprocess
import sys

import smsc_formats

DIST = "smsc-formats"


def test_version_is_the_installed_metadata() -> None:
    assert smsc_formats.__version__ == importlib.metadata.version(DIST)
    assert "__version__" in smsc_formats.__all__


def test_python_m_runs_the_cli() -> None:
    done = subprocess.run([sys.executable, "-m", "smsc_formats", "--version"],
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"smsc-formats, version {importlib.metadata.version(DIST)}"
    done = subprocess.run([sys.executable, "-m", "smsc_formats", "spec", "nope"],
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 2
    assert "Usage: smsc-formats spec" in done.stderr


def test_metadata_names_the_license_classifiers_urls_and_extras() -> None:
    meta = importlib.metadata.metadata(DIST)
    assert meta["License-Expression"] == "MIT"
    assert meta.get_all("License-File") == ["LICENSE"]
    files = [str(f) for f in importlib.metadata.files(DIST) or []]
    assert any(f.endswith("LICENSE") for f in files)
    classifiers = set(meta.get_all("Classifier") or [])
    assert {"Framework :: Pytest", "Framework :: Hypothesis", "Typing :: Typed"} <= classifiers
    urls = dict(u.split(", ", 1) for u in meta.get_all("Project-URL") or [])
    assert {"Homepage", "Repository", "Issues", "Changelog"} <= set(urls)
    assert set(meta.get_all("Provides-Extra") or []) >= {"hypothesis", "test", "dev"}
    requires = meta.get_all("Requires-Dist") or []
    dev = [r for r in requires if r.endswith('extra == "dev"')]
    assert any(r.startswith("mypy") for r in dev)
    assert any(r.startswith("ruff") for r in dev)
    assert any(r.startswith("hypothesis") and r.endswith('extra == "hypothesis"')
               for r in requires)


def test_shell_completion_as_the_readme_documents_it() -> None:
    env = {**os.environ, "_SMSC_FORMATS_COMPLETE": "bash_source"}
    script = subprocess.run([sys.executable, "-m", "smsc_formats"], env=env,
                            capture_output=True, text=True, timeout=60, check=False)
    assert script.returncode == 0
    assert "_smsc_formats_completion" in script.stdout
    env = {**os.environ, "_SMSC_FORMATS_COMPLETE": "bash_complete",
           "COMP_WORDS": "smsc-formats s", "COMP_CWORD": "1"}
    done = subprocess.run([sys.executable, "-m", "smsc_formats"], env=env,
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0
    offered = {line.split(",", 1)[1] for line in done.stdout.splitlines()}
    assert offered == {"scan-secrets", "serve", "simulate", "spec"}
