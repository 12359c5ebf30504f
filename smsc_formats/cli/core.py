"""``parse``, ``emit`` and ``spec``: the library's core from the shell."""

from __future__ import annotations

import json
import sys

import click
from tabulate import tabulate

from ..api import emit, parse
from ..canonical import from_canonical, to_canonical
from ..charset import decode, detect_format
from ..errors import SmscFormatsError, UsageError
from ..spec import CALLS, FORMAT_NAMES
from .common import CALL_CHOICE, FMT_CHOICE, describe_error, fail, read_input


@click.command("parse")
@click.option("--call", "call", type=CALL_CHOICE, required=True, help="The API call.")
@click.option("--fmt", type=FMT_CHOICE, default=None, help="0-3; detected when left out.")
@click.option("--charset", default=None, help="The charset the request asked for.")
@click.option("--strict", is_flag=True, help="Fail on any conformance finding too.")
@click.option("-v", "--verbose", is_flag=True, help="Print the detected fmt and charset.")
@click.argument("file", type=click.Path(allow_dash=True, dir_okay=False))
def parse_command(call: str, fmt: int | None, charset: str | None, strict: bool,
                  verbose: bool, file: str) -> None:
    """Print the canonical JSON of a response body in FILE (or - for stdin)."""
    body = read_input(file)
    try:
        if verbose:
            text, used = decode(body, charset)
            found = fmt
            if found is None and text.strip():
                found = detect_format(text, call)
            click.echo(f"fmt={found} charset={used}", err=True)
        reply = parse(body, call=call, fmt=fmt, charset=charset, strict=strict)
    except SmscFormatsError as exc:
        fail(describe_error(exc, file), 2 if isinstance(exc, UsageError) else 1)
    click.echo(json.dumps(to_canonical(reply), ensure_ascii=False, indent=2))


@click.command("emit")
@click.option("--call", "call", type=CALL_CHOICE, required=True, help="The API call.")
@click.option("--fmt", type=FMT_CHOICE, required=True, help="0-3.")
@click.option("--charset", default="utf-8", show_default=True,
              help="utf-8, windows-1251 or koi8-r.")
@click.argument("file", type=click.Path(allow_dash=True, dir_okay=False))
def emit_command(call: str, fmt: int, charset: str, file: str) -> None:
    """Write the wire body for the canonical JSON in FILE (or - for stdin)."""
    raw = read_input(file)
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        where = f"{file}:{exc.lineno}:{exc.colno}" if isinstance(exc, json.JSONDecodeError) \
            else file
        fail(f"{where}: not canonical JSON: {exc}")
    try:
        body = emit(from_canonical(data, call=call), call=call, fmt=fmt, charset=charset)
    except SmscFormatsError as exc:
        fail(describe_error(exc, file), 2 if isinstance(exc, UsageError) else 1)
    sys.stdout.buffer.write(body)
    sys.stdout.buffer.flush()


@click.command("spec")
@click.argument("call", type=CALL_CHOICE, required=False)
def spec_command(call: str | None) -> None:
    """Show each call's fields per format: wire name, position, JSON type, free text."""
    for spec in [CALLS[call]] if call else list(CALLS.values()):
        click.echo(f"{spec.name}  ({spec.path}?{spec.selector}=1): {spec.doc}")
        for record in spec.records():
            rows = []
            for f in record.fields:
                row = [f.name, f.kind.value + (" (optional)" if f.optional else "")]
                for fmt in range(4):
                    cells = [f"{i + 1}:{s.wire}"
                             + ("" if s.form.value == "value" else f" [{s.form.value}]")
                             + ("" if fmt != 2 or s.place.value == "child"
                                else f" [{s.place.value}]")
                             + (f" ({s.json.value})" if fmt == 3 else "")
                             for i, s in enumerate(record.layouts[fmt]) if s.field == f.name]
                    row.append("\n".join(cells) or "-")
                row.append("yes" if f.name == record.free_text else "")
                rows.append(row)
            headers = ["field", "kind", *(f"fmt={n} {FORMAT_NAMES[n]}" for n in range(4)),
                       "free text"]
            click.echo(f"\n  {record.name} (<{record.xml_tag}> in XML)")
            click.echo(tabulate(rows, headers=headers, tablefmt="simple"))
        codes = ", ".join(f"{e.code} {e.meaning}" for e in spec.errors)
        limits = "; ".join(f"{lim.count} {lim.scope}" + (f" per {lim.seconds}s" if lim.seconds
                                                         else " at once")
                           for lim in spec.limits)
        click.echo(f"\n  errors: {codes}\n  limits: {limits}\n")
