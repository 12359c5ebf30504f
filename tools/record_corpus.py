"""Regenerate ``fixtures/`` from the SMSC simulator: ``python tools/record_corpus.py [DIR]``.

Starts the simulator (seed 0, limits off) on 127.0.0.1, port 0, with throwaway credentials of
its own, records every default case (:data:`smsc_formats.edge.recorder.DEFAULT_CASES`) in all
four formats with ``mode="all"`` and ``source="simulator"``, anchored on the simulator's own
day, then checks that no credential is left in the corpus. Cases other than the defaults
(e.g. ``documentation`` ones) are left as they are.
"""

from __future__ import annotations

import sys
from pathlib import Path

from smsc_formats.edge.ledger import Ledger, Limiter
from smsc_formats.edge.recorder import Event, RecordError, record
from smsc_formats.edge.secrets import named_secrets, scan
from smsc_formats.edge.simulator import SimulatorConfig, start_simulator
from smsc_formats.request import Credentials

ROOT = Path(__file__).resolve().parent.parent
CREDENTIALS = Credentials(login="corpus-demo", psw="corpus-demo-password")


def _show(event: Event) -> None:
    if event.kind in ("stored", "note"):
        print(event.message, file=sys.stderr)


def main(argv: list[str]) -> int:
    out = Path(argv[0]) if argv else ROOT / "fixtures"
    config = SimulatorConfig(seed=0, login=CREDENTIALS.login, psw=CREDENTIALS.psw,
                             limits=False)
    server = start_simulator(config)
    try:
        cases = record(server.base_url, out, CREDENTIALS, mode="all", source="simulator",
                       as_of=server.dataset.now.date(),
                       limiter=Limiter(Ledger(None), enabled=False), progress=_show)
    except RecordError as exc:
        print(f"record_corpus: {exc}", file=sys.stderr)
        return 3
    finally:
        server.shutdown()
    hits = scan([out], named_secrets(CREDENTIALS))
    for hit in hits:
        print(f"record_corpus: secret left: {hit}", file=sys.stderr)
    bad = [f"{c.call}/{c.name}" for c in cases if c.cross_format != "ok"]
    print(f"{len(cases)} case(s) written to {out}; formats disagree in: {bad or 'none'}",
          file=sys.stderr)
    return 1 if hits or bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
