"""Regenerate ``fixtures/`` from the SMSC simulator: ``python tools/record_corpus.py [DIR]``.

With ``--documentation`` it (re)writes the ``documentation`` cases instead: the reference
page's example requests, answered by the bodies hand-transcribed in the page's layout under
``tests/data/valid/`` (``source: documentation``; no server is asked).

Starts the simulator (seed 0, limits off) on 127.0.0.1, port 0, with throwaway credentials of
its own, records every default case (:data:`smsc_formats.edge.recorder.DEFAULT_CASES`) in all
four formats with ``mode="all"`` and ``source="simulator"``, anchored on the simulator's own
day, then checks that no credential is left in the corpus. Cases other than the defaults
(e.g. ``documentation`` ones) are left as they are.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from smsc_formats.edge.ledger import Ledger, Limiter
from smsc_formats.edge.recorder import Event, RecordError, cross_format, record
from smsc_formats.edge.secrets import named_secrets, scan
from smsc_formats.edge.simulator import SimulatorConfig, start_simulator
from smsc_formats.edge.store import BODY_FILES, FormatMeta, make_case, write_case
from smsc_formats.request import Credentials

ROOT = Path(__file__).resolve().parent.parent
CREDENTIALS = Credentials(login="corpus-demo", psw="corpus-demo-password")


DOCUMENTATION: tuple[tuple[str, str, str, dict[str, str]], ...] = (
    ("get_messages", "documentation", "default", {"cnt": "10"}),
    ("get_answers", "documentation", "default", {"hour": "48", "cnt": "15"}),
    ("get_stat", "documentation", "default",
     {"mycur": "1", "start": "01.01.2014", "end": "01.02.2014"}),
    ("get_price", "documentation", "default", {}),
    ("get_operator", "documentation", "single", {"phone": "79999999999"}),
    ("get_operator", "documentation-several", "several",
     {"phone": "79999999999,79131234567,375291234567"}),
    ("get_short_link", "documentation", "default", {"id": "145142"}),
)
"""Case: call, name, the body set under tests/data/valid/<call>/, and the page's request."""
_EXT = {0: "txt", 1: "csv", 2: "xml", 3: "json"}
_LABELS = {0: "text/plain", 1: "text/plain", 2: "text/xml", 3: "application/json"}


def write_documentation(out: Path) -> int:
    """Write the documentation cases under ``out``; returns how many disagree across formats."""
    bad = 0
    for call, name, stem, params in DOCUMENTATION:
        src = ROOT / "tests" / "data" / "valid" / call
        bodies = {f: (src / f"{stem}.{_EXT[f]}").read_bytes() for f in _EXT}
        metas = {f: FormatMeta(BODY_FILES[f], content_type=f"{_LABELS[f]}; charset=utf-8")
                 for f in _EXT}
        verdict = cross_format(call, bodies, metas)
        bad += verdict != "ok"
        write_case(out, make_case(call, name, bodies, metas, params=params,
                                  source="documentation", source_host="smscentre.com:443",
                                  recorded_at="", cross_format=verdict))
        print(f"{call}/{name}: written ({verdict})", file=sys.stderr)
    return bad


def _show(event: Event) -> None:
    if event.kind in ("stored", "note"):
        print(event.message, file=sys.stderr)


def _parser() -> argparse.ArgumentParser:
    """The command line: ``[--documentation] [DIR]``, with a real ``--help``."""
    first, _, rest = (__doc__ or "").partition("\n\n")
    parser = argparse.ArgumentParser(
        prog="python tools/record_corpus.py", description=first.strip(), epilog=rest.strip(),
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out", nargs="?", type=Path, default=ROOT / "fixtures", metavar="DIR",
                        help="the corpus folder to write (default: the repository's fixtures/)")
    parser.add_argument("--documentation", action="store_true",
                        help="(re)write the documentation cases instead; no server is asked")
    return parser


def main(argv: list[str]) -> int:
    """Record (or transcribe) the corpus; 0 when clean, 1 on a leak or a mismatch, 3 when the
    simulator could not be recorded from, 2 on a usage error (argparse)."""
    args = _parser().parse_args(argv)
    out: Path = args.out
    if args.documentation:
        return 1 if write_documentation(out) else 0
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
