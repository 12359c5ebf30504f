"""Every test here runs behind the network guard: a replay that failed to intercept would be
refused before a packet left, not sent to the real SMSC."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from smsc_formats.pytest_plugin import blocked_network


@pytest.fixture(autouse=True)
def _no_network() -> Iterator[None]:
    with blocked_network():
        yield
