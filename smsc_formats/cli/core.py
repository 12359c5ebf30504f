"""``parse``, ``emit`` and ``spec``: the library's core from the shell."""

from __future__ import annotations

import json
import shutil
import sys
import textwrap

import click
from tabulate import tabulate

from ..api import emit, parse
from ..canonical import loads_canonical, to_canonical
from ..charset import decode, detect_format
from ..checks.strict import parse_strict
from ..errors import SmscFormatsError, UsageError
from ..spec import CALLS, FORMAT_NAMES, Field, RateLimit, RecordSpec
from .common import CALL_CHOICE, FMT_CHOICE, charset_callback, describe_error, fail, read_input


@click.command("parse")
@click.option("--call", "call", type=CALL_CHOICE, required=True, help="The API call.")
@click.option("--fmt", type=FMT_CHOICE, default=None, help="0-3; detected when left out.")
@click.option("--charset", default=None, callback=charset_callback,
              help="The charset the request asked for.")
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
        read = parse_strict if strict else parse
        reply = read(body, call=call, fmt=fmt, charset=charset)
    except SmscFormatsError as exc:
        fail(describe_error(exc, file), 2 if isinstance(exc, UsageError) else 1)
    click.echo(json.dumps(to_canonical(reply), ensure_ascii=False, indent=2))


@click.command("emit")
@click.option("--call", "call", type=CALL_CHOICE, required=True, help="The API call.")
@click.option("--fmt", type=FMT_CHOICE, required=True, help="0-3.")
@click.option("--charset", default="utf-8", show_default=True, callback=charset_callback,
              help="utf-8, windows-1251 or koi8-r.")
@click.argument("file", type=click.Path(allow_dash=True, dir_okay=False))
def emit_command(call: str, fmt: int, charset: str, file: str) -> None:
    """Write the wire body for the canonical JSON in FILE (or - for stdin)."""
    raw = read_input(file)
    try:
        body = emit(loads_canonical(raw, call=call), call=call, fmt=fmt, charset=charset)
    except SmscFormatsError as exc:
        fail(describe_error(exc, file), 2 if isinstance(exc, UsageError) else 1)
    sys.stdout.buffer.write(body)
    sys.stdout.buffer.flush()


@click.command("spec")
@click.argument("call", type=CALL_CHOICE, required=False)
def spec_command(call: str | None) -> None:
    """Show each call's fields per format: wire name, position, JSON type, free text.

    A table wider than the terminal ($COLUMNS, else 80 when not a terminal) is shown with one
    row per field and format instead of one column per format.
    """
    width = shutil.get_terminal_size((80, 24)).columns
    for spec in [CALLS[call]] if call else list(CALLS.values()):
        click.echo(_wrapped(f"{spec.name}  ({spec.path}?{spec.selector}=1): {spec.doc}",
                            width, ""))
        for record in spec.records():
            click.echo(f"\n  {record.name} (<{record.xml_tag}> in XML)")
            click.echo(_fields_table(record, width))
        codes = ", ".join(f"{e.code} {e.meaning}" for e in spec.errors)
        limits = "; ".join(limit_words(lim) for lim in spec.limits)
        click.echo("\n" + _wrapped(f"  errors: {codes}", width, "    "))
        click.echo(_wrapped(f"  limits: {limits}", width, "    ") + "\n")


def _wrapped(text: str, width: int, indent: str) -> str:
    """``text`` folded to ``width`` columns, continuation lines indented by ``indent``."""
    return textwrap.fill(text, width=max(40, width), subsequent_indent=indent,
                         break_on_hyphens=False)


def _fields_table(record: RecordSpec, width: int) -> str:
    """The record's fields by format: a column per format when that fits in ``width``, else
    a row per field and format."""
    headers = ["field", "kind", *(f"fmt={n} {FORMAT_NAMES[n]}" for n in range(4)), "free text"]
    cells = {f.name: [_wire_cells(record, f.name, fmt) for fmt in range(4)]
             for f in record.fields}
    wide = [[f.name, _kind(f), *("\n".join(c) or "-" for c in cells[f.name]),
             "yes" if f.name == record.free_text else ""] for f in record.fields]
    table = tabulate(wide, headers=headers, tablefmt="simple")
    if max(map(len, table.splitlines()), default=0) <= width:
        return table
    legend = "  formats: " + ", ".join(f"fmt={n} {FORMAT_NAMES[n]}" for n in range(4))
    long: list[list[str]] = []
    for f in record.fields:
        kind = _kind(f) + (", free text" if f.name == record.free_text else "")
        for fmt in range(4):
            for i, place in enumerate(cells[f.name][fmt] or ["-"]):
                head = not fmt and not i
                long.append([f.name if head else "", kind if head else "",
                             "" if i else f"fmt={fmt}", place])
    fixed = sum(max(len(r[i]) for r in long) for i in range(3)) + 3 * 2
    table = tabulate(long, headers=["field", "kind", "fmt", "position:wire"], tablefmt="simple",
                     maxcolwidths=[None, None, None, max(20, width - fixed)])
    return _wrapped(legend, width, "    ") + "\n" + table


def _kind(field: Field) -> str:
    return field.kind.value + (" (optional)" if field.optional else "")


def _wire_cells(record: RecordSpec, name: str, fmt: int) -> list[str]:
    """``position:wire [form] [place] (json type)`` of each place ``name`` takes in ``fmt``."""
    return [f"{i + 1}:{s.wire}"
            + ("" if s.form.value == "value" else f" [{s.form.value}]")
            + ("" if fmt != 2 or s.place.value == "child" else f" [{s.place.value}]")
            + (f" ({s.json.value})" if fmt == 3 else "")
            for i, s in enumerate(record.layouts[fmt]) if s.field == name]


def limit_words(limit: RateLimit) -> str:
    """A documented limit in plain words: ``30 requests of this call per hour``."""
    if limit.scope == "concurrent" or limit.seconds <= 0:
        return f"{limit.count} requests at once"
    what = {"identical": "identical requests", "call": "requests of this call"}.get(
        limit.scope, f"{limit.scope} requests")
    return f"{limit.count} {what} per {_duration(limit.seconds)}"


def _duration(seconds: int) -> str:
    for unit, size in (("hour", 3600), ("minute", 60)):
        if seconds % size == 0:
            n = seconds // size
            return unit if n == 1 else f"{n} {unit}s"
    return "second" if seconds == 1 else f"{seconds} seconds"
