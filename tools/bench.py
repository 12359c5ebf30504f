"""Benchmark: typed ``parse``/``emit`` against the fastest exact raw decoders and encoders.

Run as ``python tools/bench.py [--quick]`` (install the ``bench`` extra first for msgspec and
orjson; without them fmt=3 is compared with ``json`` and the run says which baseline is
missing). With a fixed seed it builds, from the spec, a ``get_messages`` reply of 1,000
records and a ``get_answers`` reply of 10,000 records with realistic message text (mostly
Cyrillic, with commas, `` = ``, quotes, ``& < >``, emoji and some line breaks), emits each in
all four formats through the project's own emitter (the server's layout), and times in one
process, alternating round by round and taking medians:

* the full typed :func:`smsc_formats.parse` against the fastest decoder available in Python
  that still reads every field of every record exactly (as a string or number): fmt=3
  msgspec and orjson (``json.loads`` is shown for reference); fmt=2 ``lxml.etree.fromstring``
  and a dict per record; fmt=1 a split on record heads, then ``str.split`` with limits so the
  free text keeps its commas; fmt=0 one compiled pattern per record, with the free-text rule;
* :func:`smsc_formats.emit` against the fastest raw encoder (msgspec, orjson or ``json.dumps``;
  ``lxml.etree.tostring``; ``str.join``) fed with the raw-decoded data, freshly decoded for
  each round outside the timing: orjson and msgspec keep the UTF-8 of each non-ASCII str they
  encode inside the str, so encoding the same data a second time costs them less than half
  (``emit/orjson again`` shows that figure, for reference).

It prints the ratios typed / fastest (parse and emit) per call and format, the details
(milliseconds, MB/s, records/s, which baseline won, peak memory of ``parse``), the streaming
demonstration (``iter_parse`` keeps a flat footprint whatever the record count), and ends
with ``worst parse ratio: X.XX (call, fmt)``.
"""

from __future__ import annotations

import argparse
import functools
import gc
import importlib
import io
import json
import random
import re
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from lxml import etree
from tabulate import tabulate

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from smsc_formats import emit, iter_parse, parse
from smsc_formats.codecs import native
from smsc_formats.model import MODELS
from smsc_formats.spec import CALLS, Field, Kind, ListBody, RecordSpec
from smsc_formats.values import MOSCOW

SEED = 20261124
SIZES = {"get_messages": 1_000, "get_answers": 10_000}

def _optional(module: str) -> Any:
    """The baseline module, or None when the bench extra is not installed (the run says so)."""
    try:
        return importlib.import_module(module)
    except ImportError:  # pragma: no cover - depends on the machine
        return None


msgspec: Any = _optional("msgspec")
orjson: Any = _optional("orjson")

# -- realistic data ----------------------------------------------------------------------------

_WORDS = (
    "Здравствуйте", "ваш", "заказ", "№", "доставлен", "в", "пункт", "выдачи", "код", "для",
    "входа", "оплата", "прошла", "успешно", "спасибо", "что", "выбрали", "нас", "скидка",
    "на", "все", "товары", "до", "конца", "недели", "Привет", "как", "дела", "перезвоните",
    "мне", "пожалуйста", "записи", "к", "врачу", "подтверждена", "баланс", "пополнен",
    "Москва", "Санкт-Петербург", "ул.", "Ленина", "д.", "кв.", "руб.", "ok", "SMS", "Да",
    "Нет", "Стоп", "завтра", "сегодня", "вечером", "утром", "ждём", "вас",
)
_SPICE = (", ", ", ", " = ", ' "', '" ', " «", "» ", " & ", " < ", " > ", " 😀", " 👍🏽", " 🎉",
          "!", "?", " — ", " (", ") ", "…")
_CODES: dict[str, Callable[[random.Random], str]] = {
    "phone": lambda r: "79" + "".join(r.choice("0123456789") for _ in range(9)),
    "to_phone": lambda r: r.choice(("79031234567", "79161112233", "74951234567")),
    "mccmnc": lambda r: r.choice(("25001", "25002", "25099", "25020", "")),
    "sender_id": lambda r: r.choice(("SMSC.RU", "Shop", "Taxi-24", "")),
}
_TEXTS = {
    "status_name": ("Доставлено", "Передано оператору", "Не доставлено", "Прочитано"),
    "country": ("Россия", "Казахстан", "Беларусь"),
    "operator": ("МТС", "Билайн", "МегаФон", "Tele2"),
    "region": ("Москва", "Санкт-Петербург", "Новосибирская область", ""),
}
_START = datetime(2026, 11, 17, tzinfo=MOSCOW)


def message(rng: random.Random) -> str:
    """A realistic SMS text: Cyrillic words, punctuation, quotes, ``& < >``, emoji, breaks."""
    words: list[str] = []
    for i in range(rng.randint(3, 24)):
        if i and rng.random() < 0.12:
            words.append(rng.choice(_SPICE))
        elif i and rng.random() < 0.015:  # about one message in six spans lines
            words.append("\n")
        elif i:
            words.append(" ")
        words.append(rng.choice(_WORDS))
    return "".join(words).strip()


def value(field: Field, spec: RecordSpec, rng: random.Random) -> Any:
    """A realistic value for one field, chosen by its kind and documented limits."""
    if field.optional and rng.random() < 0.6:
        return None
    if field.kind is Kind.INT:
        low = field.minimum if field.minimum is not None else 0
        high = field.maximum if field.maximum is not None else 2**31
        return rng.randint(low, min(high, low + 10**9))
    if field.kind is Kind.TZ:
        return rng.randint(2, 12)
    if field.kind is Kind.MONEY:
        return Decimal(f"{rng.randint(0, 30)}.{rng.randint(0, 99):02d}")
    if field.kind is Kind.INSTANT:
        return _START + timedelta(seconds=rng.randint(0, 7 * 86400))
    if field.name == spec.free_text:
        return message(rng)
    if field.kind is Kind.CODE:
        make = _CODES.get(field.name)
        return make(rng) if make else str(rng.randint(1, 99999))
    return rng.choice(_TEXTS.get(field.name, ("Россия", "тест")))


def reply(call: str, count: int, seed: int = SEED) -> list[Any]:
    """``count`` records of a list call, built from its spec with a seeded generator."""
    body = CALLS[call].body
    assert isinstance(body, ListBody)
    spec = body.record
    rng = random.Random(f"{seed}-{call}")
    model = MODELS[spec.name]
    return [model(*[value(f, spec, rng) for f in spec.fields]) for _ in range(count)]


# -- raw decoders and encoders -----------------------------------------------------------------


@dataclass(frozen=True)
class Raw:
    """The exact untyped decoders and encoders of one (call, fmt) body, fastest candidates
    first; ``reference`` ones are timed and shown but are no baseline."""

    decoders: dict[str, Callable[[bytes], Any]]
    encoders: dict[str, Callable[[Any], bytes]]
    reference: frozenset[str] = frozenset()
    warm: frozenset[str] = frozenset()
    """Encoders that keep what they made of the data in it (the UTF-8 of its texts): they are
    also timed on the same data again, for reference."""

    def fresh(self, body: bytes) -> Any:
        """Newly decoded data for the encoders (by the first decoder), made outside timing."""
        return next(iter(self.decoders.values()))(body)


def json_raw() -> Raw:
    """fmt=3: msgspec and orjson (the bench extra), and ``json`` for reference."""
    decoders: dict[str, Callable[[bytes], Any]] = {}
    encoders: dict[str, Callable[[Any], bytes]] = {}
    if msgspec is not None:
        decoders["msgspec"] = msgspec.json.Decoder().decode
        encoders["msgspec"] = msgspec.json.Encoder().encode
    if orjson is not None:
        decoders["orjson"] = orjson.loads
        encoders["orjson"] = orjson.dumps
    decoders["json"] = json.loads
    encoders["json"] = lambda data: json.dumps(data, ensure_ascii=False).encode()
    return Raw(decoders, encoders, frozenset({"json"}) if len(decoders) > 1 else frozenset(),
               frozenset({"msgspec", "orjson"}) & encoders.keys())


def missing_baselines() -> list[str]:
    """The bench extra's packages that are not installed."""
    return [name for name, module in (("msgspec", msgspec), ("orjson", orjson))
            if module is None]


def raw_codec(call: str, fmt: int) -> Raw:
    body = CALLS[call].body
    assert isinstance(body, ListBody)
    spec = body.record
    slots = spec.layouts[fmt]
    wires = [s.wire for s in slots]
    if fmt == 3:
        return json_raw()
    if fmt == 2:
        root_tag = body.xml_root
        parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)

        def decode2(data: bytes) -> Any:
            root = etree.fromstring(data, parser)
            return [{c.tag: c.text for c in el} for el in root]

        def encode2(records: Any) -> bytes:
            root = etree.Element(root_tag)
            for record in records:
                el = etree.SubElement(root, spec.xml_tag)
                for key, text in record.items():
                    etree.SubElement(el, key).text = text
            return bytes(etree.tostring(root, encoding="utf-8"))

        return Raw({"lxml": decode2}, {"lxml": encode2})
    free = wires.index(spec.free_text) if spec.free_text in wires else None
    if fmt == 1:
        after = len(wires) - (free or 0) - 1
        heads = re.compile(r"\n(?=-?[0-9]+,)").split

        def decode1_heads(data: bytes) -> Any:  # split on record heads, then with limits
            out = [line.split(",", free or 0) for line in heads(data.decode())]
            if after:
                for values in out:
                    values[-1:] = values[-1].rsplit(",", after)
            return out

        def encode1(rows: Any) -> bytes:
            return "\n".join([",".join(row) for row in rows]).encode()

        return Raw({"head split": decode1_heads}, {"str.join": encode1})
    optional = {f.name for f in spec.fields if f.optional}
    parts = [("" if i == 0 else ", ") + re.escape(s.wire) + " = "
             + ("(.*)" if i == free else "(.*?)") for i, s in enumerate(slots)]
    parts = [f"(?:{p})?" if s.field in optional else p for p, s in zip(parts, slots, strict=True)]
    record = re.compile("".join(parts), re.DOTALL).fullmatch
    records = re.compile("\n(?=" + re.escape(wires[0]) + " = )").split

    def decode0(data: bytes) -> Any:
        out = []
        for text in records(data.decode()):
            m = record(text)
            assert m is not None
            out.append(m.groups())
        return out

    def encode0(rows: Any) -> bytes:
        return "\n".join([", ".join([f"{w} = {v}" for w, v in zip(wires, row, strict=True)
                                     if v is not None]) for row in rows]).encode()

    return Raw({"re per record": decode0}, {"str.join": encode0})


# -- timing ------------------------------------------------------------------------------------


def _time(fn: Callable[[], Any]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def peak_memory(fn: Callable[[], Any]) -> int:
    """Peak bytes allocated while ``fn`` runs and its result is alive (tracemalloc)."""
    gc.collect()
    tracemalloc.start()
    try:
        result = fn()
        _, peak = tracemalloc.get_traced_memory()
        del result
    finally:
        tracemalloc.stop()
    return peak


@dataclass
class Case:
    call: str
    fmt: int
    body: bytes
    value: list[Any]
    raw: Raw
    raw_value: Any


def cases() -> Iterator[Case]:
    """Every (call, fmt) body, checked: each raw decoder reads every record, alike."""
    for call, count in SIZES.items():
        value = reply(call, count)
        for fmt in (0, 1, 2, 3):
            body = emit(value, call=call, fmt=fmt)
            raw = raw_codec(call, fmt)
            decoded = [decode(body) for decode in raw.decoders.values()]
            raw_value = decoded[0]
            assert len(raw_value) == count, (call, fmt, len(raw_value))
            assert all(d == raw_value for d in decoded), (call, fmt, "raw decoders disagree")
            assert parse(body, call=call, fmt=fmt) == value, (call, fmt)
            yield Case(call, fmt, body, value, raw, raw_value)


def _fastest(times: dict[str, float], reference: frozenset[str]) -> tuple[str, float]:
    name = min((n for n in times if n not in reference), key=times.__getitem__)
    return name, times[name]


def measure(case: Case, rounds: int) -> dict[str, Any]:
    """Medians over ``rounds`` alternating rounds of every timed function of one case."""
    call, fmt, body, value, raw_value = case.call, case.fmt, case.body, case.value, \
        case.raw_value
    jobs: dict[str, Callable[..., Any]] = {
        "parse": lambda: parse(body, call=call, fmt=fmt),
        "emit": lambda: emit(value, call=call, fmt=fmt),
    }
    for name, decode in case.raw.decoders.items():
        jobs[f"decode {name}"] = functools.partial(decode, body)
    fresh: dict[str, Callable[[], Any]] = {}  # untimed: what each timed call is given
    for name, encode in case.raw.encoders.items():
        # each round encodes freshly decoded data: orjson and msgspec keep the UTF-8 of every
        # non-ASCII str they encode inside it, so encoding the same data again costs less
        # than half as much; emit is given records it has never seen either (it keeps
        # nothing in them), and "again" is timed for reference
        jobs[f"encode {name}"] = encode
        fresh[f"encode {name}"] = functools.partial(case.raw.fresh, body)
        if name in case.raw.warm:
            jobs[f"encode {name} again"] = functools.partial(encode, raw_value)
    times: dict[str, list[float]] = {name: [] for name in jobs}
    # the benchmark's own inputs are long-lived: keep the collector from re-scanning them
    # inside the timed calls (it would tax whichever side allocates more objects)
    gc.collect()
    gc.freeze()
    order = list(jobs.items())
    for i in range(rounds):  # alternate, and alternate who goes first
        for name, fn in order if i % 2 == 0 else order[::-1]:
            made = fresh.get(name)
            if made is None:
                times[name].append(_time(fn))
            else:
                data = made()
                times[name].append(_time(functools.partial(fn, data)))
                del data
    gc.unfreeze()
    median = {name: statistics.median(t) for name, t in times.items()}
    reference = case.raw.reference
    dec, rp = _fastest({n.removeprefix("decode "): t for n, t in median.items()
                        if n.startswith("decode ")}, reference)
    enc, re_ = _fastest({n.removeprefix("encode "): t for n, t in median.items()
                         if n.startswith("encode ")},
                        reference | {f"{n} again" for n in case.raw.warm})
    tp, te = median["parse"], median["emit"]
    n = len(value)
    mb = len(body) / 1e6
    mem = peak_memory(lambda: parse(body, call=call, fmt=fmt))
    row = {
        "call": call, "fmt": fmt, "records": n, "body MB": round(mb, 2),
        "parse ms": round(tp * 1e3, 1), "fastest decoder": dec, "its ms": round(rp * 1e3, 1),
        "parse ratio": round(tp / rp, 2),
        "parse MB/s": round(mb / tp, 1), "parse rec/s": f"{n / tp:,.0f}",
        "emit ms": round(te * 1e3, 1), "fastest encoder": enc, "its ms ": round(re_ * 1e3, 1),
        "emit ratio": round(te / re_, 2),
        "peak MB": round(mem / 1e6, 1), "peak/body": round(mem / len(body), 1),
    }
    for name in sorted(reference):
        row[f"parse/{name}"] = round(tp / median[f"decode {name}"], 2)
        row[f"emit/{name}"] = round(te / median[f"encode {name}"], 2)
    for name in sorted(case.raw.warm):
        row[f"emit/{name} again"] = round(te / median[f"encode {name} again"], 2)
    return row


def ratio_table(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The headline: parse and emit ratios per format, one column per call."""
    out = []
    for fmt in (0, 1, 2, 3):
        line: dict[str, Any] = {"fmt": fmt}
        for kind in ("parse", "emit"):
            for row in rows:
                if row["fmt"] == fmt:
                    baseline = row["fastest decoder" if kind == "parse" else "fastest encoder"]
                    line[f"{kind} {row['call']}"] = f"{row[f'{kind} ratio']:.2f} ({baseline})"
        out.append(line)
    return out


# -- streaming ---------------------------------------------------------------------------------


def _chunks(body: bytes, size: int = 64 * 1024) -> Iterator[bytes]:
    for start in range(0, len(body), size):
        yield body[start:start + size]


def streaming_peak(call: str, count: int, fmt: int) -> tuple[int, int]:
    """(body size, peak bytes) for counting ``count`` streamed records of ``call``."""
    body = emit(reply(call, count), call=call, fmt=fmt)

    def run() -> int:
        return sum(1 for _ in iter_parse(io.BytesIO(body), call=call, fmt=fmt))

    assert run() == count
    gc.collect()
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        run()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return len(body), peak


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="5 rounds instead of 15")
    args = parser.parse_args(argv)
    rounds = 5 if args.quick else 15
    missing = missing_baselines()
    if missing:
        print(f"missing baseline(s): {', '.join(missing)}; fmt=3 is compared with what is "
              "installed (pip install -e '.[bench]' for all)")
    print(f"median of {rounds} alternating rounds; ratio = typed / fastest exact raw codec")
    print("compiled builder (smsc_formats._native): "
          + ("on" if native.available() else "off (not built, or SMSC_FORMATS_NO_EXTENSIONS)"))
    print()
    rows = [measure(case, rounds) for case in cases()]
    print(tabulate(ratio_table(rows), headers="keys", tablefmt="github"))
    print()
    print(tabulate(rows, headers="keys", tablefmt="github"))
    print()
    stream_rows = []
    for fmt in (0, 1, 2, 3):
        small = streaming_peak("get_answers", 1_000, fmt)
        big = streaming_peak("get_answers", 10_000, fmt)
        stream_rows.append({
            "call": "get_answers", "fmt": fmt,
            "1k body MB": round(small[0] / 1e6, 2), "1k peak KB": round(small[1] / 1e3),
            "10k body MB": round(big[0] / 1e6, 2), "10k peak KB": round(big[1] / 1e3),
            "10k/1k peak": round(big[1] / small[1], 2),
        })
    print("streaming: iter_parse over an io.BytesIO, peak memory while counting the records")
    print(tabulate(stream_rows, headers="keys", tablefmt="github"))
    print()
    worst = max(rows, key=lambda r: r["parse ratio"])
    worst_emit = max(rows, key=lambda r: r["emit ratio"])
    worst_mem = max(rows, key=lambda r: r["peak/body"])
    print(f"worst emit ratio: {worst_emit['emit ratio']:.2f} "
          f"({worst_emit['call']}, {worst_emit['fmt']})")
    print(f"worst peak/body: {worst_mem['peak/body']:.1f} "
          f"({worst_mem['call']}, {worst_mem['fmt']})")
    print(f"worst parse ratio: {worst['parse ratio']:.2f} ({worst['call']}, {worst['fmt']})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
