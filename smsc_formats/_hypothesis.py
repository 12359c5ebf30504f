"""The hook hypothesis's ``hypothesis`` entry point calls: a strategy for every model class.

It lives apart from :mod:`smsc_formats.strategies` because hypothesis runs its entry points
while ``import hypothesis`` is still going on: a hook inside ``strategies`` would be looked up
on a module that is itself half-way through ``from hypothesis import strategies``. Here the
registered strategies are :func:`~hypothesis.strategies.deferred`, so ``strategies`` is only
imported when a test first draws from ``st.from_type(...)``.
"""

from __future__ import annotations

from typing import Any


def _hypothesis_setup_hook() -> None:
    """Register ``Price``, ``ApiError`` and every record class with ``st.from_type``.

    ``Reply`` is a union of these (and lists of them), so ``st.from_type(Reply)`` follows.
    """
    from hypothesis import strategies as st

    from .model import MODELS, ApiError

    def later(cls: type) -> st.SearchStrategy[Any]:
        def build() -> st.SearchStrategy[Any]:
            from .strategies import for_type

            return for_type(cls)

        return st.deferred(build)

    for cls in (*MODELS.values(), ApiError):
        st.register_type_strategy(cls, later(cls))
