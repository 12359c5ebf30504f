"""Read the user's named cases for ``record`` from ``pyproject.toml`` and the corpus.

A named case is one request of one call that ``smsc-formats record`` makes next to the default
cases, in every selected format. Two places hold them, with the same entries::

    # pyproject.toml (the one found from the corpus folder upwards, as for ignore entries)
    [tool.smsc-formats.cases]
    "get_messages/last-week" = { start = "24.11.2026", end = "01.12.2026", cnt = "100" }
    "get_stat/november" = { start = "01.11.2026", end = "30.11.2026" }

    # <corpus>/smsc-formats-cases.toml: the same entries under a top-level [cases] table
    [cases]
    "get_stat/november" = { start = "01.11.2026", end = "30.11.2026" }

The key is ``call/name``: one of the six calls, and a case name that is a safe folder name
(lowercase letters, digits, ``-`` and ``_``, starting with a letter or digit, at most 64
characters). The value holds the call's own non-secret parameters as strings (an integer is
taken as its decimal text); ``fmt`` and ``charset`` come from ``--fmt`` and ``--charset``, and
``login``, ``psw`` and ``apikey`` (in any case) are refused, since credentials come only from
the environment. Every value must pass :func:`~smsc_formats.request.build_request`. A case named
in both files, a key repeated, or anything else in the corpus file is an error too. Every
error is one :class:`CasesFileError` naming the file and the line.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import RequestError, SmscFormatsError
from ..request import build_request
from ..spec import CALLS, SECRET_PARAMS
from .ignore import find_pyproject

CASES_FILE = "smsc-formats-cases.toml"
"""The corpus's own file of named cases (a top-level ``[cases]`` table)."""

CASE_NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")
"""A case name: a safe folder name on every file system (no dots, no upper case)."""

RUN_PARAMS = ("fmt", "charset")
"""Parameters a named case cannot set: the run chooses them (``--fmt``, ``--charset``)."""


class CasesFileError(SmscFormatsError):
    """A named-cases configuration that cannot be used; the message names the file and line."""


@dataclass(frozen=True, slots=True)
class UserCase:
    """One named case: call, case name, its non-secret parameters, and where it is written."""

    call: str
    name: str
    params: Mapping[str, str]
    where: str


def _read(path: Path) -> tuple[dict[str, Any], list[str]]:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise CasesFileError(f"{path}: {exc.strerror or exc}") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise CasesFileError(f"{path}: not UTF-8 text (byte 0x{raw[exc.start]:02x} at offset "
                             f"{exc.start})") from None
    try:
        return tomllib.loads(text), text.splitlines()
    except tomllib.TOMLDecodeError as exc:
        raise CasesFileError(f"{path}: {exc}") from None


def _header_line(lines: list[str], *tables: str) -> int | None:
    """The line of the first ``[table]`` header among ``tables`` (spaces ignored)."""
    for number, line in enumerate(lines, 1):
        head = line.split("#", 1)[0].replace(" ", "").replace("\t", "")
        if head in {f"[{t}]" for t in tables}:
            return number
    return None


def _table_line(lines: list[str], key: str) -> int | None:
    """The first ``[key]``, ``[key.sub]`` or ``[[key]]`` header of a top-level ``key``."""
    for number, line in enumerate(lines, 1):
        head = line.strip().lstrip("[").strip()
        if line.strip().startswith("[") and re.match(rf"\"?{re.escape(key)}\"?\s*[.\]]", head):
            return number
    return None


def _key_line(lines: list[str], key: str, fallback: int | None) -> int | None:
    """The line where the entry ``key`` is written (tomllib keeps no positions): a quoted or
    bare key before ``=`` or ``.``, or a ``[... ."key"]`` table header; else ``fallback``."""
    spellings = [f'"{key}"', f"'{key}'", key]
    for number, line in enumerate(lines, 1):
        text = line.strip()
        for spelling in spellings:
            if text.startswith(spelling) and text[len(spelling):].lstrip()[:1] in ("=", "."):
                return number
            if text.startswith("[") and text.rstrip("]").rstrip().endswith("." + spelling):
                return number
    return fallback


def _entries(table: Any, path: Path, lines: list[str], header: int | None,
             what: str) -> list[UserCase]:
    here = f"{path}:{header}" if header else str(path)
    if not isinstance(table, dict):
        raise CasesFileError(f"{here}: {what} must be a table of \"call/name\" = {{...}}")
    out: list[UserCase] = []
    for key, value in table.items():
        line = _key_line(lines, key, header)
        at = f"{path}:{line}" if line else str(path)
        out.append(_case(key, value, at))
    return out


def _case(key: str, value: Any, at: str) -> UserCase:
    """One entry, validated; every problem is a :class:`CasesFileError` naming ``at``."""
    call, slash, name = key.partition("/")
    if not slash:
        raise CasesFileError(f"{at}: case {key!r}: the key must be \"call/name\"")
    if call not in CALLS:
        raise CasesFileError(f"{at}: case {key!r}: unknown call {call!r}; known: "
                             f"{', '.join(CALLS)}")
    if not CASE_NAME.fullmatch(name):
        raise CasesFileError(f"{at}: case {key!r}: the case name must be a safe folder name "
                             "(lowercase letters, digits, '-' and '_', starting with a letter "
                             "or digit, at most 64 characters)")
    if not isinstance(value, dict):
        raise CasesFileError(f"{at}: case {key!r}: the value must be a table of parameters, "
                             "e.g. { start = \"01.11.2026\", end = \"30.11.2026\" }")
    params: dict[str, str] = {}
    for param, given in value.items():
        if param.lower() in SECRET_PARAMS:
            # The value is never echoed: it is a credential.
            raise CasesFileError(f"{at}: case {key!r}: {param!r} is a credential; credentials "
                                 "come only from the environment and are never written")
        if param in RUN_PARAMS:
            raise CasesFileError(f"{at}: case {key!r}: {param!r} is chosen by the run "
                                 f"(--{param}), not by a case")
        if isinstance(given, bool) or not isinstance(given, str | int):
            raise CasesFileError(f"{at}: case {key!r}: parameter {param!r} must be a string")
        params[param] = str(given)
    try:
        build_request(call, fmt=0, charset="utf-8", **params)
    except RequestError as exc:
        raise CasesFileError(f"{at}: case {key!r}: {exc}") from None
    return UserCase(call, name, params, at)


def _project_cases(path: Path) -> list[UserCase]:
    data, lines = _read(path)
    tool = data.get("tool", {})
    section = tool.get("smsc-formats", {}) if isinstance(tool, dict) else {}
    if not isinstance(section, dict) or "cases" not in section:
        return []
    header = _header_line(lines, "tool.smsc-formats.cases", "tool.smsc-formats")
    return _entries(section["cases"], path, lines, header, "[tool.smsc-formats.cases]")


def _corpus_cases(path: Path) -> list[UserCase]:
    data, lines = _read(path)
    for key in data:
        if key != "cases":
            line = _key_line(lines, key, None) or _table_line(lines, key)
            where = f"{path}:{line}" if line else str(path)
            raise CasesFileError(f"{where}: unknown key or table {key!r}; this file holds one "
                                 "[cases] table of \"call/name\" = {...}")
    return _entries(data.get("cases", {}), path, lines, _header_line(lines, "cases"),
                    "[cases]")


def load_cases(corpus: Path, pyproject: Path | None = None) -> list[UserCase]:
    """Every named case for a recording into ``corpus``: the project's
    (``[tool.smsc-formats.cases]``), then the corpus file's (``[cases]``), in file order.

    A case named in both places is an error naming both lines.
    """
    found: list[UserCase] = []
    project = pyproject if pyproject is not None else find_pyproject(corpus)
    if project is not None:
        found += _project_cases(project)
    own = corpus / CASES_FILE
    if own.is_file():
        found += _corpus_cases(own)
    seen: dict[tuple[str, str], UserCase] = {}
    for case in found:
        first = seen.setdefault((case.call, case.name), case)
        if first is not case:
            raise CasesFileError(f"{case.where}: case '{case.call}/{case.name}' is also given at "
                                 f"{first.where}; keep one")
    return found
