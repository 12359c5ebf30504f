"""The server side of SMSC's rate limits, as the simulator enforces them (error 9).

Read from each call's ``RateLimit`` entries in the spec: ``identical`` counts requests with the
same parameters, ``call`` counts every request of the call, both over a sliding window of
``seconds``; ``concurrent`` counts the requests of one account being answered at this moment.
Counters are kept per account (login or API key), and only requests that were admitted count.
The clock is injectable, so tests move time instead of sleeping.
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable, Hashable, Iterator, Mapping
from contextlib import contextmanager

from ..spec import CallSpec, RateLimit

Clock = Callable[[], float]

_WINDOW_SCOPES: Mapping[str, Callable[[Mapping[str, str]], Hashable]] = {
    "identical": lambda params: tuple(sorted(params.items())),
    "call": lambda params: (),
}
"""For each windowed scope, what makes two requests count together (besides account, call)."""
CONCURRENT = "concurrent"

_Key = tuple[str, str, RateLimit, Hashable]
"""Account, call, limit, and what the limit's scope compares."""


class ServerLimits:
    """Sliding-window and concurrency counters per account; thread-safe."""

    def __init__(self, clock: Clock = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._seen: defaultdict[_Key, deque[float]] = defaultdict(deque)
        self._open: defaultdict[str, int] = defaultdict(int)

    def admit(self, account: str, call: CallSpec, params: Mapping[str, str]) -> RateLimit | None:
        """Count this request, or return the windowed limit it would break (and count nothing).

        ``params`` are the request's parameters without credentials.
        """
        now = self._clock()
        with self._lock:
            keys: list[_Key] = []
            for limit in call.limits:
                if limit.scope == CONCURRENT:
                    continue
                key: _Key = (account, call.name, limit, _WINDOW_SCOPES[limit.scope](params))
                seen = self._seen[key]
                while seen and seen[0] <= now - limit.seconds:
                    seen.popleft()
                if len(seen) >= limit.count:
                    return limit
                keys.append(key)
            for key in keys:
                self._seen[key].append(now)
            self._forget_idle(now)
        return None

    def _forget_idle(self, now: float) -> None:
        """Drop windows with nothing left in them, so memory stays bounded by live traffic."""
        if len(self._seen) < 4096:
            return
        for key in [k for k, seen in self._seen.items()
                    if not seen or seen[-1] <= now - k[2].seconds]:
            del self._seen[key]

    @contextmanager
    def connection(self, account: str, call: CallSpec) -> Iterator[RateLimit | None]:
        """Hold one of the account's concurrent slots while the body runs.

        Yields the concurrency limit if the account already has that many requests in
        flight (the request must then be refused), else None.
        """
        limit = next((lim for lim in call.limits if lim.scope == CONCURRENT), None)
        with self._lock:
            refused = limit is not None and self._open[account] >= limit.count
            if not refused:
                self._open[account] += 1
        try:
            yield limit if refused else None
        finally:
            if not refused:
                with self._lock:
                    self._open[account] -= 1
                    if not self._open[account]:
                        del self._open[account]
