"""Shared test settings: hypothesis profiles, with no timing checks anywhere."""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

# Performance is measured by tools/bench.py, never by tests: no hypothesis deadline.
settings.register_profile("dev", deadline=None)
# CI replays the same examples on every run, so a landing never depends on luck; the
# properties still explore widely on developers' machines.
settings.register_profile("ci", deadline=None, derandomize=True, database=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("ci" if os.environ.get("CI") else "dev")
