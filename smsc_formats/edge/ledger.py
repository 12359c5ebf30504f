"""The rate limiter: a sans-I/O scheduler over SMSC's documented limits, and a ledger on disk.

**Scheduler** (:func:`wait_time`): given a call's :class:`~smsc_formats.spec.RateLimit` entries
and the times of earlier requests, how long a new request must wait. Each limit is applied
with a safety margin (:class:`Margin`): its window is lengthened by ``max(5 s, 5 %)`` to absorb
clock skew and latency, and a tenth of its count (rounded down) is held back for other clients
of the same account, so ``3 identical a minute`` allows 3 per 65 s, ``30 history requests an
hour`` allows 27 per 3780 s and ``100 operator requests a minute`` allows 90 per 65 s.
``fmt`` and ``charset`` do not make two requests different: the four formats of one request
count as identical, which is the cautious reading of "identical requests". The concurrency
limit needs no scheduling: the recorder sends one request at a time.

**Ledger** (:class:`Ledger`): every request sent, kept across runs in a JSON file keyed by
server (:func:`server_id`: scheme, lowercase host, port unless the scheme's default, path
without a trailing slash, so ``HTTP://Host:80/`` and ``http://host`` are one server) and account
(a sha256 of the login or API key, never the value), so that repeated CI runs never trigger
error 9 or 4. Its location is ``$SMSC_FORMATS_LEDGER`` if set, else
``$XDG_CACHE_HOME/smsc-formats/ledger.json`` (``~/.cache/...`` without XDG). Updates take an
exclusive lock on a sibling ``.lock`` file (the ``filelock`` library: ``flock`` on Linux and
macOS, ``msvcrt`` on Windows), are written to a temporary file that is fsynced and renamed into
place with ``os.replace``, and drop entries older than the longest window.

The ledger is **never silently replaced**: a file that is truncated, not JSON or not shaped as
a ledger raises :class:`LedgerUnreadable` (the CLI exits 2) and is left untouched, because
starting afresh would forget the requests of the last hour and let the next run trip error 9,
for which the real server blocks the account. The message names the file and says how to move
it aside.

**Limiter** (:class:`Limiter`): reserves a slot in the ledger before each request, sleeping
while the scheduler says to wait. Its clock and sleep are injectable for tests.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
import time
import urllib.parse
import warnings
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

with warnings.catch_warnings():
    # Without fcntl (and off Windows, where msvcrt serves) filelock falls back to a lock file
    # of its own and says so at import: every command would print it.
    warnings.filterwarnings("ignore", "only soft file lock is available", UserWarning)
    import filelock

from ..errors import SmscFormatsError
from ..spec import CALLS, RateLimit

IGNORED_PARAMS = frozenset({"fmt", "charset"})
"""Parameters that do not make requests different for the "identical" limits."""

LEDGER_ENV = "SMSC_FORMATS_LEDGER"

LEDGER_VERSION = 1
"""The file layout this code reads and writes."""

LOCK_TIMEOUT = 300.0
"""Seconds to wait for another run's lock on the ledger before giving up with an error."""

DEFAULT_PORTS = {"http": 80, "https": 443}


@dataclass(frozen=True, slots=True)
class Margin:
    """How much safer than the documented limit the scheduler plays."""

    min_seconds: float = 5.0
    fraction: float = 0.05
    reserve: float = 0.1
    """Share of a limit's count left unused (rounded down: 3 -> 0, 30 -> 3, 100 -> 10)."""

    def window(self, limit: RateLimit) -> float:
        return limit.seconds + max(self.min_seconds, limit.seconds * self.fraction)

    def count(self, limit: RateLimit) -> int:
        return max(1, limit.count - int(limit.count * self.reserve))


@dataclass(frozen=True, slots=True)
class Entry:
    """One request sent: which call, its identical-params key, and when (Unix seconds)."""

    call: str
    key: str
    at: float


def params_key(params: Mapping[str, str]) -> str:
    """The key under which requests count as identical: a hash of the non-secret params."""
    kept = {k: v for k, v in params.items() if k not in IGNORED_PARAMS}
    text = json.dumps(sorted(kept.items()), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def account_id(login_or_apikey: str) -> str:
    """The ledger's name for an account: a sha256 of its login or API key, never the value."""
    digest = hashlib.sha256(f"smsc-formats-account:{login_or_apikey}".encode())
    return digest.hexdigest()


def server_id(base_url: str) -> str:
    """The ledger's name for a server: one spelling for every URL that reaches the same API.

    ``scheme://host[:port]/path``: scheme and host lowercased (a trailing dot of the host
    dropped), the port only when it is not the scheme's default (80, 443), the path without
    trailing slashes; userinfo, query and fragment are never part of it. A URL without a
    scheme or host (not one the recorder accepts) keeps its text, less query and slashes.
    """
    text = base_url.strip()
    try:
        parts = urllib.parse.urlsplit(text)
        port = parts.port
    except ValueError:
        parts, port = None, None
    if parts is None or not parts.scheme or not parts.hostname:
        return text.split("?", 1)[0].split("#", 1)[0].rstrip("/")
    scheme = parts.scheme.lower()
    host = parts.hostname.rstrip(".")  # urlsplit lowercases it and drops userinfo, brackets
    if ":" in host:
        host = f"[{host}]"
    if port is not None and port != DEFAULT_PORTS.get(scheme):
        host = f"{host}:{port}"
    return f"{scheme}://{host}{parts.path.rstrip('/')}"


def wait_time(limits: Sequence[RateLimit], history: Iterable[Entry], call: str, key: str,
              now: float, margin: Margin = Margin()) -> float:
    """Seconds to wait before a request of ``call`` with ``key`` may go (0 when it may now).

    ``history`` holds the earlier requests to the same server under the same account. For
    every limit, the requests it counts (same call and key for ``identical``, same call for
    ``call``) within its widened window are at most ``count - 1`` after the wait.
    """
    past = [e for e in history if e.call == call]
    wait = 0.0
    for limit in limits:
        if limit.scope == "concurrent" or limit.seconds <= 0:
            continue
        counted = sorted((e.at for e in past if limit.scope != "identical" or e.key == key),
                         reverse=True)
        window, allowed = margin.window(limit), margin.count(limit)
        recent = [t for t in counted if t > now - window]
        if len(recent) >= allowed:
            # The oldest request that must leave the window before this one may go.
            wait = max(wait, recent[allowed - 1] + window - now)
    return max(0.0, wait)


def longest_window(margin: Margin = Margin()) -> float:
    """The longest widened window of any call's limits: older entries are pruned."""
    return max((margin.window(lim) for spec in CALLS.values() for lim in spec.limits),
               default=0.0)


def default_path() -> Path:
    """``$SMSC_FORMATS_LEDGER``, else the user cache directory's ``smsc-formats/ledger.json``."""
    explicit = os.environ.get(LEDGER_ENV)
    if explicit:
        return Path(explicit)
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache) / "smsc-formats" / "ledger.json"


class LedgerError(SmscFormatsError):
    """The ledger file cannot be read or written; the message names the file."""


class LedgerUnreadable(LedgerError):
    """The ledger file exists but is not a ledger (truncated, garbage, another layout).

    It is left as it is; the message names the file, says why, and how to move it aside.
    """

    def __init__(self, path: Path, reason: str) -> None:
        self.path = path
        self.reason = reason
        super().__init__(
            f"ledger {path} is unreadable ({reason}); it is left as it is, since starting "
            f"afresh would forget recent requests and risk error 9 (the server blocks the "
            f"account). Move it aside (mv '{path}' '{path}.bad'), wait "
            f"{longest_window() / 60:.0f} minutes for the rate-limit windows to pass, and "
            f"run again; or set ${LEDGER_ENV} to another file")


@dataclass
class Ledger:
    """Requests sent per (server, account), persisted as JSON at ``path`` (memory if None).

    The file holds ``{"version": 1, "servers": {base_url: {account_sha256: [[call, key, t],
    ...]}}}``; no login, password or API key is ever written.
    """

    path: Path | None = None
    _memory: dict[str, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def default(cls) -> Ledger:
        return cls(default_path())

    @contextlib.contextmanager
    def _locked(self) -> Iterator[dict[str, Any]]:
        """The ledger's data under an exclusive lock; what the block leaves in it is saved.

        An unreadable file raises :class:`LedgerUnreadable` before the block runs, and is
        neither read into the block nor overwritten.
        """
        if self.path is None:
            yield self._memory
            return
        lock_path = self.path.with_name(self.path.name + ".lock")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            lock = filelock.FileLock(str(lock_path), timeout=LOCK_TIMEOUT)
            lock.acquire()
        except filelock.Timeout:
            raise LedgerError(f"{lock_path}: another run has held the ledger's lock for "
                              f"{LOCK_TIMEOUT:.0f} s") from None
        except OSError as exc:
            raise LedgerError(f"{self.path}: {exc.strerror or exc}") from None
        try:
            data = self._read()
            yield data
            self._write(data)
        finally:
            lock.release()

    def _read(self) -> dict[str, Any]:
        """The file's data, with server keys normalized; a missing file is an empty ledger."""
        assert self.path is not None
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return {"version": LEDGER_VERSION, "servers": {}}
        except IsADirectoryError:
            raise LedgerUnreadable(self.path, "a directory, not a ledger file") from None
        except OSError as exc:
            raise LedgerError(f"{self.path}: {exc.strerror or exc}") from None
        try:
            data = json.loads(raw.decode("utf-8"))
        except UnicodeDecodeError:
            raise LedgerUnreadable(self.path, "not UTF-8 text") from None
        except json.JSONDecodeError as exc:
            what = "empty" if not raw.strip() else f"not JSON: {exc.msg} at byte {exc.pos}"
            raise LedgerUnreadable(self.path, what) from None
        return _checked(self.path, data)

    def _write(self, data: dict[str, Any]) -> None:
        """Replace the file atomically: a temporary sibling, fsynced, then ``os.replace``."""
        assert self.path is not None
        text = json.dumps(data, separators=(",", ":"), sort_keys=True)
        tmp: str | None = None
        try:
            fd, tmp = tempfile.mkstemp(prefix=f".{self.path.name}-", suffix=".tmp",
                                       dir=self.path.parent)
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(text)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, self.path)
            tmp = None
            _fsync_dir(self.path.parent)
        except OSError as exc:
            raise LedgerError(f"{self.path}: {exc.strerror or exc}") from None
        finally:
            if tmp is not None:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)

    @staticmethod
    def _entries(data: dict[str, Any], server: str, account: str) -> list[Entry]:
        rows = data.get("servers", {}).get(server_id(server), {}).get(account, [])
        return [Entry(row[0], row[1], float(row[2])) for row in rows]

    @staticmethod
    def _prune(data: dict[str, Any], now: float) -> None:
        horizon = now - longest_window()
        servers = data.setdefault("servers", {})
        data["version"] = LEDGER_VERSION
        for server in list(servers):
            accounts = servers[server]
            for account in list(accounts):
                kept = [r for r in accounts[account] if r[2] > horizon]
                if kept:
                    accounts[account] = kept
                else:
                    del accounts[account]
            if not accounts:
                del servers[server]

    def history(self, server: str, account: str) -> list[Entry]:
        """The requests recorded for this server and account (pruned entries excluded)."""
        with self._locked() as data:
            return self._entries(data, server, account)

    def reserve(self, server: str, account: str, call: str, key: str, now: float,
                limits: Sequence[RateLimit], margin: Margin = Margin()) -> float:
        """Record a request now and return 0, or return the wait without recording anything.

        Deciding and recording happen under one lock, so concurrent runs sharing the ledger
        never both take the last slot.
        """
        with self._locked() as data:
            self._prune(data, now)
            wait = wait_time(limits, self._entries(data, server, account), call, key, now,
                             margin)
            if wait <= 0:
                accounts = data.setdefault("servers", {}).setdefault(server_id(server), {})
                accounts.setdefault(account, []).append([call, key, round(now, 3)])
            return wait


def _checked(path: Path, data: object) -> dict[str, Any]:
    """``data`` if it has the ledger's layout, its server keys normalized (entries of two
    spellings of one server merged, oldest first); else :class:`LedgerUnreadable`."""
    if not isinstance(data, dict):
        raise LedgerUnreadable(path, f"a JSON {type(data).__name__}, not a ledger object")
    version = data.get("version")
    if version != LEDGER_VERSION:
        raise LedgerUnreadable(path, f"layout version {version!r}, this smsc-formats reads "
                                     f"{LEDGER_VERSION}")
    servers = data.get("servers")
    if not isinstance(servers, dict):
        raise LedgerUnreadable(path, "no 'servers' object")
    merged: dict[str, dict[str, list[list[Any]]]] = {}
    for server, accounts in servers.items():
        if not isinstance(accounts, dict):
            raise LedgerUnreadable(path, f"server {server!r} does not hold accounts")
        into = merged.setdefault(server_id(server), {})
        for account, rows in accounts.items():
            if not isinstance(rows, list) or not all(_is_row(r) for r in rows):
                raise LedgerUnreadable(path, f"server {server!r} has malformed entries")
            into.setdefault(account, []).extend(rows)
    for accounts in merged.values():
        for rows in accounts.values():
            rows.sort(key=lambda r: float(r[2]))
    return {"version": LEDGER_VERSION, "servers": merged}


def _is_row(row: object) -> bool:
    """One ledger entry: ``[call, key, unix_seconds]``."""
    return (isinstance(row, list) and len(row) == 3 and isinstance(row[0], str)
            and isinstance(row[1], str) and isinstance(row[2], int | float)
            and not isinstance(row[2], bool))


def _fsync_dir(folder: Path) -> None:
    """Make a rename in ``folder`` durable where the platform allows (not on Windows)."""
    if os.name != "posix":
        return
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


class LimitWaitTooLong(Exception):
    """The limiter would have to wait longer than its ``max_wait``; says how long."""


WaitHook = Callable[[float, str], None]
"""Told ``(seconds, reason)`` before the limiter sleeps."""


@dataclass
class Limiter:
    """Waits as SMSC's limits require before each request, remembering requests in a ledger.

    ``clock`` and ``sleep`` default to ``time.time`` and ``time.sleep``; tests inject a fake
    pair. ``max_wait`` (seconds, None for no bound) makes a longer wait an error instead.
    """

    ledger: Ledger = field(default_factory=Ledger)
    clock: Callable[[], float] = time.time
    sleep: Callable[[float], None] = time.sleep
    margin: Margin = field(default_factory=Margin)
    max_wait: float | None = None
    enabled: bool = True

    def acquire(self, server: str, account: str, call: str, params: Mapping[str, str],
                on_wait: WaitHook | None = None) -> float:
        """Block until a request of ``call`` with ``params`` may go; returns the time waited."""
        limits = CALLS[call].limits
        key = params_key(params)
        waited = 0.0
        while True:
            now = self.clock()
            if not self.enabled:
                return waited
            wait = self.ledger.reserve(server_id(server), account, call, key, now, limits,
                                       self.margin)
            if wait <= 0:
                return waited
            if self.max_wait is not None and waited + wait > self.max_wait:
                raise LimitWaitTooLong(
                    f"{call}: the rate limits need a wait of {wait:.0f} s, more than the "
                    f"allowed {self.max_wait:.0f} s")
            if on_wait is not None:
                on_wait(wait, f"{call}: rate limit")
            self.sleep(wait)
            waited += wait
