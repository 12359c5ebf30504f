"""The simulator's dataset: deterministic per seed, same shape for every seed, within the spec."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

import pytest

from smsc_formats import ApiError, OperatorInfo, PhoneOperatorInfo, emit, parse
from smsc_formats.sim.dataset import ANSWERS, BASE_NOW, Dataset, make_dataset
from smsc_formats.spec import CALLS, Field, Kind

SEEDS = range(12)
CHARSETS = ("utf-8", "windows-1251", "koi8-r")


def _records(data: Dataset) -> list[Any]:
    return [*data.messages, *data.answers, *data.price.zones, *data.price.codes,
            *(link for _, link in data.links.values()),
            *(data.operator(m.phone) for m in data.messages)]


def test_answer_table_covers_exactly_the_spec_calls() -> None:
    assert set(ANSWERS) == set(CALLS)


def test_same_seed_same_dataset() -> None:
    assert make_dataset(7) == make_dataset(7)
    assert make_dataset(7).operator("79161234567") == make_dataset(7).operator("79161234567")


def test_now_is_pinned_to_the_seed_not_the_clock() -> None:
    for seed in SEEDS:
        now = make_dataset(seed).now
        assert BASE_NOW <= now < BASE_NOW + timedelta(hours=1)
    assert len({make_dataset(seed).now for seed in SEEDS}) > 1


def _shape(data: Dataset) -> dict[str, Any]:
    """What must not depend on the seed: lengths, optional fields, the keys requests name,
    the day of each message and the six-hour bucket of each answer."""
    today = data.now.date()
    return {
        "messages": [(m.id, m.int_id, m.phone, m.err is None, today - m.send_date.date(),
                      m.message.count(","), m.sender_id, len(str(m.crc)))
                     for m in data.messages],
        "answers": [(a.id, a.phone, a.to_phone, (data.now - a.received) // timedelta(hours=6),
                     a.message.count(",")) for a in data.answers],
        "price": (len(data.price.zones), len(data.price.codes), data.price.mail is None,
                  [z.zone for z in data.price.zones], [c.mccmnc for c in data.price.codes]),
        "links": {i: target for i, (target, _) in data.links.items()},
    }


def test_seed_changes_values_not_shape() -> None:
    first = make_dataset(0)
    for seed in SEEDS:
        other = make_dataset(seed)
        assert _shape(other) == _shape(first)
        if seed:
            assert other.messages != first.messages
            assert other.price != first.price
            assert [link for _, link in other.links.values()] != \
                   [link for _, link in first.links.values()]


def test_some_messages_carry_err_and_some_do_not() -> None:
    errs = [m.err for m in make_dataset(3).messages]
    assert None in errs
    assert any(e is not None for e in errs)


def _conforms(f: Field, value: Any) -> bool:
    if value is None:
        return f.optional
    if f.pattern is not None and re.fullmatch(f.pattern, value) is None:
        return False
    if f.minimum is not None and value < f.minimum:
        return False
    return f.maximum is None or value <= f.maximum


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_every_value_is_within_the_documented_shape(seed: int) -> None:
    data = make_dataset(seed)
    specs = {r.name: r for call in CALLS.values() for r in call.records()}
    for record in _records(data):
        spec = specs[type(record).__name__]
        for f in spec.fields:
            value = getattr(record, f.name)
            assert _conforms(f, value), f"{spec.name}.{f.name} = {value!r}"
            if f.kind is Kind.MONEY:
                assert value.as_tuple().exponent == -2, "money keeps two decimals"


@pytest.mark.parametrize("charset", CHARSETS)
def test_every_text_survives_every_charset(charset: str) -> None:
    data = make_dataset(0)
    for call, answer in ANSWERS.items():
        params = {"get_operator": {"phone": ",".join(m.phone for m in data.messages[:6])},
                  "get_short_link": {"id": "145142"}}.get(call, {})
        reply = answer(data, params, "demo")
        for fmt in range(4):
            body = emit(reply, call=call, fmt=fmt, charset=charset)
            assert parse(body, call=call, fmt=fmt, charset=charset) == reply


def test_operator_directory_answers_by_prefix() -> None:
    data = make_dataset(0)
    russian = data.operator("79999999999")
    assert isinstance(russian, OperatorInfo)
    assert (russian.country, russian.mcc) == ("Россия", "250")
    assert data.operator("+79999999999") == russian
    assert data.operator("999123") is None
    assert data.operator("7abc") is None


def test_messages_default_filter_and_error_three() -> None:
    data = make_dataset(0)
    everything = ANSWERS["get_messages"](data, {}, "demo")
    assert everything == list(data.messages)
    one_day = data.now.date() - timedelta(days=2)
    window = {"start": f"{one_day:%d.%m.%Y}", "end": f"{one_day:%d.%m.%Y}"}
    found: Any = ANSWERS["get_messages"](data, window, "demo")
    assert isinstance(found, list)
    assert [m.send_date.date() for m in found] == [one_day]
    assert ANSWERS["get_messages"](data, {"email": "a@example.com"}, "demo") == \
        ApiError(3, "message not found")


def test_operator_list_keeps_request_order_and_skips_unknown() -> None:
    data = make_dataset(0)
    found: Any = ANSWERS["get_operator"](data, {"phone": "375291234567,999,79999999999"}, "x")
    assert isinstance(found, list)
    assert [type(r) for r in found] == [PhoneOperatorInfo, PhoneOperatorInfo]
    assert [r.phone for r in found] == ["375291234567", "79999999999"]


def test_stat_counts_the_period() -> None:
    data = make_dataset(0)
    today: date = data.now.date()
    rows: Any = ANSWERS["get_stat"](data, {"start": f"{today:%d.%m.%Y}"}, "someone")
    assert isinstance(rows, list)
    assert [r.login for r in rows] == ["someone"]
    assert rows[0].sms == data.messages[0].sms_cnt
    assert rows[0].credit == data.messages[0].cost
