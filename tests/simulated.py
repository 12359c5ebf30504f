"""The simulator on 127.0.0.1 for tests that record through the pytest plugin.

One place for what each such test needs: the credentials and a private ledger in the
environment, a simulator whose data are pinned to one day (never today), shut down after.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import pytest

PINNED_DAY = date(2026, 11, 24)


@contextmanager
def recording_simulator(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, *,
                        login: str = "demo", psw: str = "demo-password",
                        redact_key: str | None = None,
                        access_log: Callable[[str], None] | None = None) -> Iterator[str]:
    """A running simulator for ``login``/``psw``; yields its base URL."""
    from smsc_formats.edge.simulator import SimulatorConfig, start_simulator

    monkeypatch.setenv("SMSC_LOGIN", login)
    monkeypatch.setenv("SMSC_PSW", psw)
    monkeypatch.setenv("SMSC_FORMATS_LEDGER", str(tmp_path / "ledger.json"))
    if redact_key is None:
        monkeypatch.delenv("SMSC_FORMATS_REDACT_KEY", raising=False)
    else:
        monkeypatch.setenv("SMSC_FORMATS_REDACT_KEY", redact_key)
    sim = start_simulator(SimulatorConfig(login=login, psw=psw, limits=False, day=PINNED_DAY),
                          access_log=access_log)
    try:
        yield sim.base_url
    finally:
        sim.shutdown()
