"""Read ignore entries from ``pyproject.toml`` and ``<corpus>/smsc-formats-ignore.toml``.

Both hold the same list::

    # pyproject.toml
    [tool.smsc-formats]
    ignore = [
      {fingerprint = "3f2a9c0d1e4b5a67", reason = "SMSC adds 'id' to errors", expires = 2027-01-31},
    ]

    # <corpus>/smsc-formats-ignore.toml
    ignore = [{fingerprint = "3f2a9c0d1e4b5a67", reason = "..."}]

``expires`` is a TOML date (or a ``"YYYY-MM-DD"`` string) and may be left out. The
``pyproject.toml`` used is the first one found from the corpus folder upwards, or in the current
folder. Matching is pure and lives in :mod:`smsc_formats.checks.ignore`.
"""

from __future__ import annotations

import tomllib
from datetime import date
from pathlib import Path
from typing import Any

from ..checks.ignore import IgnoreRule
from ..errors import SmscFormatsError

CORPUS_FILE = "smsc-formats-ignore.toml"

ELSEWHERE = {
    "cases": "belongs in pyproject.toml or the corpus's smsc-formats-cases.toml ([cases])",
    "redact": "belongs in pyproject.toml",
    "before_record": "belongs in pyproject.toml",
}
"""The other ``[tool.smsc-formats]`` keys of ``pyproject.toml`` (where the project's ignore list
is read beside them), and where they belong when found in a corpus's ignore file."""


class IgnoreFileError(SmscFormatsError):
    """An ignore file that cannot be read; the message names the file and the entry."""


def _entries(data: Any, where: str) -> list[IgnoreRule]:
    if not isinstance(data, list):
        raise IgnoreFileError(f"{where}: 'ignore' must be a list of tables")
    rules = []
    for i, entry in enumerate(data, 1):
        at = f"{where}: ignore entry {i}"
        if not isinstance(entry, dict):
            raise IgnoreFileError(f"{at}: expected a table with fingerprint and reason")
        unknown = sorted(set(entry) - {"fingerprint", "reason", "expires"})
        if unknown:
            raise IgnoreFileError(f"{at}: unknown key(s) {', '.join(unknown)}")
        fingerprint, reason = entry.get("fingerprint"), entry.get("reason")
        if not isinstance(fingerprint, str) or not fingerprint:
            raise IgnoreFileError(f"{at}: 'fingerprint' must be a non-empty string")
        if not isinstance(reason, str) or not reason.strip():
            raise IgnoreFileError(f"{at}: 'reason' must say why the finding is accepted")
        expires = entry.get("expires")
        if isinstance(expires, str):
            try:
                expires = date.fromisoformat(expires)
            except ValueError:
                raise IgnoreFileError(f"{at}: 'expires' must be a date like 2027-01-31, "
                                      f"got {expires!r}") from None
        if expires is not None and type(expires) is not date:
            raise IgnoreFileError(f"{at}: 'expires' must be a date like 2027-01-31")
        rules.append(IgnoreRule(fingerprint, reason, expires, where))
    return rules


def _line_of(path: Path, key: str) -> int | None:
    """The line where a top-level key or table ``key`` is written (tomllib keeps no positions)."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return None
    for number, line in enumerate(lines, 1):
        text = line.strip()
        if text.startswith(("[" + key, "[[" + key)) or text.split("=")[0].strip() in (
                key, f'"{key}"'):
            return number
    return None


def _corpus_entries(path: Path) -> list[IgnoreRule]:
    """The corpus file's entries: a top-level ``ignore`` list, or the README's layout with
    the list under ``[tool.smsc-formats]``; any other key or table is an error naming its line,
    never silently passed over."""
    data = _read(path)
    tool = data.get("tool")
    section: Any = tool.get("smsc-formats") if isinstance(tool, dict) else None
    for key in data:
        only_ours = isinstance(tool, dict) and set(tool) == {"smsc-formats"}
        if key == "ignore" or (key == "tool" and only_ours and isinstance(section, dict)):
            continue
        line = _line_of(path, key)
        where = f"{path}:{line}" if line else str(path)
        raise IgnoreFileError(f"{where}: unknown key or table {key!r}; an ignore file holds "
                              f"'ignore = [...]', at the top or under [tool.smsc-formats]")
    if isinstance(section, dict):
        unknown = sorted(set(section) - {"ignore"})
        if unknown:
            line = _line_of(path, "tool.smsc-formats")
            where = f"{path}:{line}" if line else str(path)
            elsewhere = [k for k in unknown if k in ELSEWHERE]
            hint = "".join(f"; {k!r} {ELSEWHERE[k]}" for k in elsewhere)
            raise IgnoreFileError(f"{where}: unknown key(s) {', '.join(unknown)} under "
                                  f"[tool.smsc-formats]; only 'ignore' belongs here{hint}")
        if "ignore" in data:
            raise IgnoreFileError(f"{path}: 'ignore' is given both at the top and under "
                                  f"[tool.smsc-formats]; keep one list")
        return _entries(section.get("ignore", []), str(path))
    return _entries(data.get("ignore", []), str(path))


def _read(path: Path) -> dict[str, Any]:
    try:
        with open(path, "rb") as fh:
            return tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise IgnoreFileError(f"{path}: {exc}") from None
    except UnicodeDecodeError as exc:
        raise IgnoreFileError(f"{path}: not UTF-8 text (byte 0x{exc.object[exc.start]:02x} at "
                              f"offset {exc.start})") from None
    except OSError as exc:
        raise IgnoreFileError(f"{path}: {exc.strerror or exc}") from None


def find_pyproject(start: Path) -> Path | None:
    """The nearest ``pyproject.toml`` from ``start`` upwards, else the current folder's."""
    for folder in [start.resolve(), *start.resolve().parents]:
        candidate = folder / "pyproject.toml"
        if candidate.is_file():
            return candidate
    here = Path.cwd() / "pyproject.toml"
    return here if here.is_file() else None


def load_ignores(corpus: Path, pyproject: Path | None = None) -> list[IgnoreRule]:
    """Every ignore entry for a corpus: its own file's, then the project's."""
    rules: list[IgnoreRule] = []
    own = corpus / CORPUS_FILE
    if own.is_file():
        rules += _corpus_entries(own)
    project = pyproject if pyproject is not None else find_pyproject(corpus)
    if project is not None:
        tool = _read(project).get("tool", {})
        section = tool.get("smsc-formats", {}) if isinstance(tool, dict) else {}
        if not isinstance(section, dict):
            raise IgnoreFileError(f"{project}: [tool.smsc-formats] must be a table")
        rules += _entries(section.get("ignore", []), str(project))
    return rules
