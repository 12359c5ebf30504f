"""Test your SMSC client: replay SMSC inside the process, for requests, httpx and urllib.

::

    from smsc_formats.testing import replay

    with replay("fixtures") as smsc:
        balance = my_client.get_stat(...)          # hard-coded https://smsc.ru: no socket
        smsc.stub("get_price", ApiError(9))        # any Reply or ApiError, for this block
        assert smsc.requests[0].call == "get_stat"

Requests to the SMSC hosts (:data:`SMSC_HOSTS`, over http and https; GET and POST, form or
query parameters) are answered from the corpus by the matcher the replay server uses (path,
call, fmt, charset and the non-secret parameters, less those listed in ``ignore``); a case
recorded in another fmt or charset is parsed and emitted again in the asked one. A request
nothing answers raises :class:`~smsc_formats.errors.ReplayMiss` naming the closest case.
Requests to any other host are left alone. In pytest, the ``smsc_mock`` fixture of the
plugin does the same for one test (see :mod:`smsc_formats.pytest_plugin`).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import ReplayMiss
from ._mock import SMSC_HOSTS, HttpAnswer, SentRequest, SmscMock

if TYPE_CHECKING:
    from ..edge.store import Case

__all__ = ["SMSC_HOSTS", "HttpAnswer", "ReplayMiss", "SentRequest", "SmscMock", "load", "replay"]


def load(corpus: str | Path | Iterable[Case]) -> list[Case]:
    """The cases of a corpus folder (or the given cases); an unreadable corpus is a
    :class:`ReplayMiss` naming the file."""
    if not isinstance(corpus, str | Path):
        return list(corpus)
    from ..edge.store import StoreError, load_corpus

    try:
        return load_corpus(Path(corpus))
    except StoreError as exc:
        raise ReplayMiss(f"smsc-formats: cannot replay: {exc}") from None


@contextmanager
def replay(corpus: str | Path | Iterable[Case] = "fixtures", *,
           ignore: Iterable[str] | str = (), hosts: Iterable[str] | None = None,
           extra_hosts: Iterable[str] = ()) -> Iterator[SmscMock]:
    """Within the block, the SMSC hosts are answered in-process from ``corpus``.

    ``ignore`` lists parameters left out of the match (``"start end cnt"`` or a list);
    ``hosts`` replaces the intercepted hosts, ``extra_hosts`` adds to them.
    """
    from ._transports import intercept

    names = ignore.split() if isinstance(ignore, str) else list(ignore)
    mock = SmscMock(load(corpus), hosts=hosts, extra_hosts=extra_hosts, ignore=names)
    with intercept(mock):
        yield mock
