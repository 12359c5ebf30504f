"""Shared test settings: hypothesis profiles, with no timing checks anywhere."""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

# Performance is measured by tools/bench.py, never by tests: no hypothesis deadline.
# Every run replays the same examples, on CI and on developers' machines alike, so a result
# never depends on luck. `HYPOTHESIS_PROFILE=explore` draws new examples (and keeps a database
# of failures) for a developer who wants to hunt wider.
settings.register_profile("ci", deadline=None, derandomize=True, database=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("explore", deadline=None, max_examples=500)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
