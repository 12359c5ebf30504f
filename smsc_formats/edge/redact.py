"""What the recorder needs to mask personal data: the key, the configuration, the user's hook.

The fields to mask come from ``record --redact phone,to_phone,message``, else from the project::

    [tool.smsc-formats]
    redact = ["phone", "to_phone", "message"]
    before_record = "tests.fixtures_hooks:scrub"   # optional: module:function(Reply) -> Reply

(the ``pyproject.toml`` found from the corpus folder upwards, as for ignore entries).

The pseudonyms are keyed: ``$SMSC_FORMATS_REDACT_KEY`` if set, else the corpus's own
``.redact-key`` file, created with a random key on the first masked recording (and listed in
the corpus's ``.gitignore``, created if need be). Keep that file out of git (a phone number has
few enough digits that anyone holding the key could test every number against a pseudonym);
the same key gives the same pseudonyms in every later recording.
The rewriting itself is pure and lives in :mod:`smsc_formats.redact`.
"""

from __future__ import annotations

import importlib
import os
import secrets
import tomllib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from ..redact import BeforeRecord, RedactError, Redactor
from .ignore import find_pyproject

KEY_ENV = "SMSC_FORMATS_REDACT_KEY"
KEY_FILE = ".redact-key"
GITIGNORE = ".gitignore"


def _ignore_in_git(corpus: Path) -> None:
    """List the key file in ``<corpus>/.gitignore`` (created if missing), once."""
    path = corpus / GITIGNORE
    text = path.read_text(encoding="utf-8") if path.is_file() else ""
    if KEY_FILE in (line.strip().lstrip("/") for line in text.splitlines()):
        return
    lead = "" if not text or text.endswith("\n") else "\n"
    with open(path, "a", encoding="utf-8") as fh:
        fh.write(f"{lead}# the smsc-formats redaction key: never commit it\n/{KEY_FILE}\n")


def corpus_key(corpus: Path, environ: Mapping[str, str] | None = None) -> bytes:
    """The redaction key: ``$SMSC_FORMATS_REDACT_KEY``, else ``<corpus>/.redact-key``
    (created, readable by its owner only, and listed in ``<corpus>/.gitignore``, if missing)."""
    env = os.environ if environ is None else environ
    if env.get(KEY_ENV):
        return env[KEY_ENV].encode("utf-8")
    path = corpus / KEY_FILE
    try:
        if not path.exists():
            corpus.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w", encoding="ascii") as fh:
                fh.write(secrets.token_hex(32) + "\n")
            _ignore_in_git(corpus)
        key = path.read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError) as exc:
        raise RedactError(f"{path}: cannot read or create the redaction key: "
                          f"{getattr(exc, 'strerror', None) or exc}") from None
    if not key:
        raise RedactError(f"{path}: the redaction key file is empty")
    return key.encode("ascii")


def configured(corpus: Path, pyproject: Path | None = None) -> tuple[list[str], str | None]:
    """``redact`` and ``before_record`` of ``[tool.smsc-formats]`` (empty when not set)."""
    project = pyproject if pyproject is not None else find_pyproject(corpus)
    if project is None:
        return [], None
    try:
        with open(project, "rb") as fh:
            data = tomllib.load(fh)
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise RedactError(f"{project}: {exc}") from None
    tool = data.get("tool", {})
    section: Any = tool.get("smsc-formats", {}) if isinstance(tool, dict) else {}
    if not isinstance(section, dict):
        raise RedactError(f"{project}: [tool.smsc-formats] must be a table")
    fields = section.get("redact", [])
    if not isinstance(fields, list) or not all(isinstance(f, str) for f in fields):
        raise RedactError(f"{project}: [tool.smsc-formats] redact must be a list of field names")
    hook = section.get("before_record")
    if hook is not None and not isinstance(hook, str):
        raise RedactError(f"{project}: [tool.smsc-formats] before_record must be "
                          "'module:function'")
    return fields, hook


def load_hook(spec: str) -> BeforeRecord:
    """The function named by ``module:function`` (imported from the current folder too)."""
    module_name, colon, name = spec.partition(":")
    if not (colon and module_name and name):
        raise RedactError(f"before_record {spec!r}: expected module:function")
    import sys

    if "" not in sys.path and os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())
    try:
        target: Any = importlib.import_module(module_name)
        for part in name.split("."):
            target = getattr(target, part)
    except ImportError as exc:
        raise RedactError(f"before_record {spec!r}: cannot import {module_name}: {exc}") from None
    except AttributeError:
        raise RedactError(f"before_record {spec!r}: {module_name} has no {name}") from None
    if not callable(target):
        raise RedactError(f"before_record {spec!r}: not a function")
    hook: BeforeRecord = target
    return hook


def redactor_for(corpus: Path, fields: Sequence[str] | None = None,
                 before_record: str | None = None,
                 environ: Mapping[str, str] | None = None) -> Redactor | None:
    """The redactor a recording into ``corpus`` uses, or None when nothing is to be masked.

    ``fields`` and ``before_record`` (the command line's) win over the configuration's.
    """
    conf_fields, conf_hook = configured(corpus)
    chosen = [f for item in (fields if fields else conf_fields) for f in item.split(",")]
    hook_spec = before_record or conf_hook
    if not any(f.strip() for f in chosen) and hook_spec is None:
        return None
    hook = load_hook(hook_spec) if hook_spec is not None else None
    return Redactor.of(chosen, corpus_key(corpus, environ), hook)


__all__ = ["GITIGNORE", "KEY_ENV", "KEY_FILE", "configured", "corpus_key", "load_hook",
           "redactor_for"]
