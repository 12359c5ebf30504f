"""The simulator's rate limits, read from the spec's RateLimit entries, on a hand-moved clock."""

from __future__ import annotations

from contextlib import ExitStack

from smsc_formats.sim.limits import ServerLimits
from smsc_formats.spec import CALLS, RateLimit


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def _limit(call: str, scope: str) -> RateLimit:
    return next(lim for lim in CALLS[call].limits if lim.scope == scope)


def test_spec_documents_the_limits_the_page_gives() -> None:
    assert _limit("get_price", "identical").count == 3
    assert _limit("get_price", "identical").seconds == 60
    assert (_limit("get_messages", "call").count, _limit("get_messages", "call").seconds) == \
        (30, 3600)
    assert (_limit("get_operator", "call").count, _limit("get_operator", "call").seconds) == \
        (100, 60)
    assert _limit("get_price", "concurrent").count == 14


def test_identical_window_slides() -> None:
    clock = Clock()
    limits = ServerLimits(clock)
    spec, params = CALLS["get_price"], {"fmt": "0"}
    assert [limits.admit("a", spec, params) for _ in range(3)] == [None] * 3
    assert limits.admit("a", spec, params) == _limit("get_price", "identical")
    assert limits.admit("a", spec, {"fmt": "1"}) is None, "other parameters, not identical"
    assert limits.admit("b", spec, params) is None, "another account"
    clock.now = 59.5
    assert limits.admit("a", spec, params) is not None
    clock.now = 60.0
    assert limits.admit("a", spec, params) is None


def test_refused_requests_do_not_count() -> None:
    clock = Clock()
    limits = ServerLimits(clock)
    spec = CALLS["get_price"]
    assert [limits.admit("a", spec, {}) for _ in range(3)] == [None] * 3
    clock.now = 30.0
    assert all(limits.admit("a", spec, {}) is not None for _ in range(5))
    clock.now = 60.0
    assert limits.admit("a", spec, {}) is None


def test_fifteenth_concurrent_request_is_refused() -> None:
    limits = ServerLimits(Clock())
    spec = CALLS["get_stat"]
    with ExitStack() as held:
        slots = [held.enter_context(limits.connection("a", spec)) for _ in range(14)]
        assert slots == [None] * 14
        with limits.connection("a", spec) as fifteenth:
            assert fifteenth == _limit("get_stat", "concurrent")
        with limits.connection("b", spec) as other:
            assert other is None
    with limits.connection("a", spec) as after:
        assert after is None
