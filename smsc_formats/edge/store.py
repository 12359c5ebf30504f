"""The fixture store: one folder per case, raw bodies byte-exact, a metadata file, atomic writes.

Layout (``fixtures/`` by default)::

    <root>/<call>/<case>/fmt0.txt fmt1.csv fmt2.xml fmt3.json meta.json

Bodies are stored exactly as received, never re-encoded, so a git diff shows the server's own
text. ``meta.json`` holds the call, the non-secret parameters, per format the HTTP status,
Content-Type, charset and sha256 of the body, and where and when it was recorded.

A case is written into a hidden sibling folder and swapped in by renames, so a recording killed
at any point leaves the previous case readable; :func:`load_case` also finds a case whose swap
was cut between its two renames.
"""

from __future__ import annotations

import contextlib
import glob
import hashlib
import json
import os
import shutil
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from ..errors import clip
from ..spec import CALLS, FORMATS

BODY_FILES: Mapping[int, str] = {0: "fmt0.txt", 1: "fmt1.csv", 2: "fmt2.xml", 3: "fmt3.json"}
"""The body file of each format inside a case folder."""
META_FILE = "meta.json"
LOGIN_PLACEHOLDER = "redacted-login"
"""What a recorded body says where the live body echoed the account's login."""
_OLD = ".old-"
_TMP = ".tmp-"
STALE_AFTER = 3600.0
"""Seconds after which a temporary case folder counts as left behind whoever made it."""


class StoreError(Exception):
    """A corpus that cannot be read or written; the message names the file."""


@dataclass(frozen=True, slots=True)
class FormatMeta:
    """What was recorded about one format's answer besides its body."""

    file: str
    http_status: int = 200
    content_type: str = ""
    charset: str = "utf-8"
    sha256: str = ""

    def to_json(self) -> dict[str, Any]:
        return {"file": self.file, "http_status": self.http_status,
                "content_type": self.content_type, "charset": self.charset,
                "sha256": self.sha256}


@dataclass(frozen=True, slots=True)
class Case:
    """One recorded case: the same request in every format it was recorded in."""

    call: str
    name: str
    bodies: Mapping[int, bytes]
    formats: Mapping[int, FormatMeta]
    params: Mapping[str, str] = field(default_factory=dict)
    source: str = "live"
    source_host: str = ""
    recorded_at: str = ""
    cross_format: str = "ok"
    path: Path | None = None

    def meta_json(self) -> dict[str, Any]:
        """The content of ``meta.json``."""
        return {
            "call": self.call,
            "case": self.name,
            "source": self.source,
            "source_host": self.source_host,
            "recorded_at": self.recorded_at,
            "params": dict(self.params),
            "formats": {str(f): self.formats[f].to_json() for f in sorted(self.formats)},
            "cross_format": self.cross_format,
        }

    def body_path(self, fmt: int) -> Path:
        """Where this case's body of ``fmt`` lives (for messages that name a file)."""
        base = self.path if self.path is not None else Path(self.call) / self.name
        return base / BODY_FILES[fmt]


def sha256(body: bytes) -> str:
    """The hex digest recorded for a body."""
    return hashlib.sha256(body).hexdigest()


def make_case(call: str, name: str, bodies: Mapping[int, bytes],
              formats: Mapping[int, FormatMeta] | None = None, **meta: Any) -> Case:
    """A case whose per-format metadata (file names, sha256) is filled in from its bodies."""
    given = dict(formats or {})
    full = {f: replace(given.get(f, FormatMeta(BODY_FILES[f])), file=BODY_FILES[f],
                       sha256=sha256(body))
            for f, body in bodies.items()}
    return Case(call=call, name=name, bodies=dict(bodies), formats=full, **meta)


def _read_meta(path: Path) -> dict[str, Any]:
    meta_path = path / META_FILE
    try:
        data = json.loads(meta_path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise StoreError(f"{meta_path}: missing") from None
    except json.JSONDecodeError as exc:
        raise StoreError(f"{meta_path}:{exc.lineno}:{exc.colno}: {exc.msg}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise StoreError(f"{meta_path}: {exc}") from None
    if not isinstance(data, dict):
        raise StoreError(f"{meta_path}: expected a JSON object")
    return data


def _text(data: Mapping[str, Any], key: str, where: Path, default: str | None = None) -> str:
    value = data.get(key, default)
    if not isinstance(value, str):
        raise StoreError(f"{where}: {key!r} must be a string")
    return value


def header_problem(value: str) -> str | None:
    """What makes ``value`` unfit for a response header that ``serve`` sends (None if it is
    fit): a line break (which would add headers of its own) or a character that is not
    printable ASCII. The recorder checks with it before storing, so it never writes a
    ``meta.json`` that :func:`load_case` refuses."""
    if "\r" in value or "\n" in value:
        return "holds a line break (CR or LF), which would add response headers"
    if not all(" " <= c <= "~" or c == "\t" for c in value):
        return "must be printable ASCII"
    return None


def _header(data: Mapping[str, Any], key: str, where: Path, fmt: str, default: str) -> str:
    """A string that ``serve`` sends in a response header (``Content-Type``): printable ASCII
    only, so a CR or LF in ``meta.json`` can never add headers of its own."""
    value = _text(data, key, where, default)
    problem = header_problem(value)
    if problem is not None and problem.startswith("holds"):
        raise StoreError(f"{where}: format {fmt}: {key!r} {problem}")
    if problem is not None:
        raise StoreError(f"{where}: format {fmt}: {key!r} {problem}, got {clip(value)}")
    return value


def check_case(case: Case) -> None:
    """Refuse (:class:`StoreError`) a case whose ``meta.json`` :func:`load_case` would refuse:
    a header value unfit to send, an unknown call or format, a bad HTTP status. Nothing is
    named but the key, never the value (it may hold what a hostile server echoed)."""
    where = Path(case.call) / case.name / META_FILE
    if case.call not in CALLS:
        raise StoreError(f"{where}: unknown call")
    for fmt, meta in case.formats.items():
        if fmt not in FORMATS or fmt not in case.bodies:
            raise StoreError(f"{where}: format {fmt} has no body")
        if not 100 <= meta.http_status <= 599:
            raise StoreError(f"{where}: format {fmt}: 'http_status' must be an HTTP status")
        for key, value in (("content_type", meta.content_type), ("charset", meta.charset)):
            problem = header_problem(value)
            if problem is not None:
                raise StoreError(f"{where}: format {fmt}: {key!r} {problem}")


def load_case(path: Path) -> Case:
    """Read one case folder, checking its metadata and every body's sha256."""
    folder, call_folder = path.name, path.parent.name
    path = _recovered(path)
    meta_path = path / META_FILE
    data = _read_meta(path)
    call = _text(data, "call", meta_path)
    if call not in CALLS:
        raise StoreError(f"{meta_path}: unknown call {call!r}")
    if call != call_folder:
        raise StoreError(f"{meta_path}: 'call' is {call!r} but the case lies in the folder "
                         f"of {call_folder!r}")
    name = _text(data, "case", meta_path, folder)
    if name != folder:
        raise StoreError(f"{meta_path}: 'case' is {name!r} but its folder is {folder!r}")
    formats_data = data.get("formats")
    if not isinstance(formats_data, dict) or not formats_data:
        raise StoreError(f"{meta_path}: 'formats' must be a non-empty object")
    params = data.get("params", {})
    if not isinstance(params, dict) or not all(isinstance(v, str) for v in params.values()):
        raise StoreError(f"{meta_path}: 'params' must map names to strings")
    bodies: dict[int, bytes] = {}
    formats: dict[int, FormatMeta] = {}
    for key, info in formats_data.items():
        if not (key.isdigit() and int(key) in FORMATS) or not isinstance(info, dict):
            raise StoreError(f"{meta_path}: bad format entry {key!r}")
        fmt = int(key)
        status = info.get("http_status", 200)
        if not isinstance(status, int) or isinstance(status, bool) or not 100 <= status <= 599:
            raise StoreError(f"{meta_path}: format {key}: 'http_status' must be an HTTP status "
                             f"code, got {status!r}")
        file = _text(info, "file", meta_path, BODY_FILES[fmt])
        if file in ("", ".", "..") or Path(file).name != file or "\\" in file:
            raise StoreError(f"{meta_path}: format {key}: 'file' must name a file in the case "
                             f"folder, got {file!r}")
        meta = FormatMeta(file=file,
                          http_status=status,
                          content_type=_header(info, "content_type", meta_path, key, ""),
                          charset=_header(info, "charset", meta_path, key, "utf-8"),
                          sha256=_text(info, "sha256", meta_path, ""))
        body_path = path / meta.file
        try:
            body = body_path.read_bytes()
        except OSError as exc:
            raise StoreError(f"{body_path}: {exc.strerror or exc}") from None
        if meta.sha256 and sha256(body) != meta.sha256:
            raise StoreError(f"{body_path}: sha256 does not match {META_FILE}")
        bodies[fmt], formats[fmt] = body, meta
    return Case(call=call, name=name, bodies=bodies,
                formats=formats, params=dict(params),
                source=_text(data, "source", meta_path, "live"),
                source_host=_text(data, "source_host", meta_path, ""),
                recorded_at=_text(data, "recorded_at", meta_path, ""),
                cross_format=_text(data, "cross_format", meta_path, "ok"), path=path)


def _recovered(path: Path) -> Path:
    """The case folder, or the previous version a cut swap left beside it."""
    if path.exists():
        return path
    olds = sorted(path.parent.glob(f".{path.name}{_OLD}*")) if path.parent.exists() else []
    if olds:
        return olds[-1]
    raise StoreError(f"{path}: no such case")


def case_dirs(root: Path) -> list[Path]:
    """Every case folder under a corpus root, sorted by call and case name."""
    if not root.is_dir():
        raise StoreError(f"{root}: not a corpus folder")
    found: list[Path] = []
    for call in sorted(CALLS):
        call_dir = root / call
        if not call_dir.is_dir():
            continue
        names = {p.name for p in call_dir.iterdir() if p.is_dir() and not p.name.startswith(".")}
        names |= {p.name[1:].split(_OLD)[0] for p in call_dir.glob(f".*{_OLD}*")}
        found += [call_dir / n for n in sorted(names)]
    return found


def load_corpus(root: Path) -> list[Case]:
    """Every case of a corpus, sorted by call and case name."""
    return [load_case(p) for p in case_dirs(root)]


def _write_file(path: Path, data: bytes) -> None:
    with open(path, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())


def _alive(pid: int) -> bool:
    """Whether process ``pid`` still runs (POSIX; elsewhere assumed alive, so only age
    counts)."""
    if os.name != "posix":
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # it exists, under another user
    return True


def _filesystem_now(folder: Path) -> float:
    """The time by the clock that stamps ``folder``'s files: the mtime of a file made there now.

    Ages are measured against the folder's own clock, not this process's: the two differ on a
    network share, or when the process runs with its clock moved (``faketime``)."""
    try:
        fd, probe = tempfile.mkstemp(prefix=".clock-", dir=folder)
    except OSError:
        return time.time()
    try:
        return os.fstat(fd).st_mtime
    finally:
        os.close(fd)
        with contextlib.suppress(OSError):
            os.unlink(probe)


def remove_stale_temps(call_dir: Path, name: str, now: float | None = None) -> list[Path]:
    """Remove the ``.<name>.tmp-*`` folders a killed writer left in ``call_dir``; returns them.

    A folder counts as left behind when the process named in it (``.tmp-<pid>-``) no longer
    runs, when it names no process (older versions), or when it is older than
    :data:`STALE_AFTER`; a writer at work in another live process keeps its folder.
    """
    removed: list[Path] = []
    clock = _filesystem_now(call_dir) if now is None else now
    for tmp in call_dir.glob(f".{glob.escape(name)}{_TMP}*"):
        pid_text = tmp.name[len(f".{name}{_TMP}"):].split("-", 1)[0]
        try:
            age = clock - tmp.stat().st_mtime
        except OSError:
            continue
        owner = int(pid_text) if pid_text.isdigit() else None
        if owner == os.getpid() and age < STALE_AFTER:
            continue
        if owner is not None and owner != os.getpid() and _alive(owner) \
                and age < STALE_AFTER:
            continue
        shutil.rmtree(tmp, ignore_errors=True)
        removed.append(tmp)
    return removed


def write_case(root: Path, case: Case) -> Path:
    """Write a case atomically under ``root``; returns its folder.

    A case whose ``meta.json`` could not be loaded back is refused first (:func:`check_case`).
    Every file goes into a hidden temporary folder first; then the old case (if any) is renamed
    aside, the new one renamed into place, and the old one removed. Temporary folders of this
    case that a killed writer left behind are removed first (:func:`remove_stale_temps`).
    """
    check_case(case)
    call_dir = root / case.call
    target = call_dir / case.name
    call_dir.mkdir(parents=True, exist_ok=True)
    remove_stale_temps(call_dir, case.name)
    tmp = Path(tempfile.mkdtemp(prefix=f".{case.name}{_TMP}{os.getpid()}-", dir=call_dir))
    tmp.chmod(call_dir.stat().st_mode & 0o777)  # mkdtemp makes it 0700; match its call folder
    try:
        for fmt, body in sorted(case.bodies.items()):
            _write_file(tmp / BODY_FILES[fmt], body)
        meta = json.dumps(case.meta_json(), ensure_ascii=False, indent=2) + "\n"
        _write_file(tmp / META_FILE, meta.encode("utf-8"))
        old = None
        if target.exists():
            old = call_dir / f".{case.name}{_OLD}{os.getpid()}"
            if old.exists():
                shutil.rmtree(old)
            os.replace(target, old)
        os.replace(tmp, target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
    for stale in call_dir.glob(f".{case.name}{_OLD}*"):
        shutil.rmtree(stale, ignore_errors=True)
    return target
