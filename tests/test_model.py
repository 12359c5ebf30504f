"""The model behaves as decisions.md says a canonical value must: frozen, slotted, comparable."""

from __future__ import annotations

import copy
import dataclasses
import pickle
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from smsc_formats import (
    ApiError,
    IncomingMessage,
    Price,
    PriceCode,
    PriceZone,
    SmscApiError,
    unwrap,
)
from smsc_formats.values import MOSCOW

RECEIVED = datetime(2026, 11, 24, 13, 5, 9, tzinfo=MOSCOW)
SENT = datetime(2026, 11, 24, 13, 5, 0, tzinfo=MOSCOW)


def _answer(**changes: object) -> IncomingMessage:
    base = IncomingMessage(5924, RECEIVED, "79991234567", "Привет, мир", "79010000001", SENT)
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


def test_records_are_frozen_and_slotted() -> None:
    record = _answer()
    with pytest.raises(dataclasses.FrozenInstanceError):
        record.id = 1  # type: ignore[misc]
    assert not hasattr(record, "__dict__")
    assert [f.name for f in dataclasses.fields(record)] == [
        "id", "received", "phone", "message", "to_phone", "sent"]


def test_equality_hash_repr_and_copies() -> None:
    record = _answer()
    same_instant = _answer(received=RECEIVED.astimezone(UTC))
    assert record == same_instant
    assert hash(record) == hash(same_instant)
    assert record != _answer(message="Привет")
    assert repr(record).startswith("IncomingMessage(id=5924, received=datetime.datetime(2026")
    for copied in (pickle.loads(pickle.dumps(record)), copy.deepcopy(record)):
        assert copied == record
        assert type(copied) is IncomingMessage


def test_price_keeps_the_scale_of_its_money() -> None:
    zone = PriceZone("1", "Россия", Decimal("1.50"), Decimal("2"), Decimal("3"), Decimal("0.1"),
                     Decimal("5"))
    price = Price((zone,), (PriceCode("25001", Decimal("0.50")),), None)
    assert str(price.zones[0].api) == "1.50"
    assert price == pickle.loads(pickle.dumps(price))


def test_api_error_is_a_value_and_can_be_raised() -> None:
    error = ApiError(9, "duplicate request, wait a minute")
    assert error == ApiError(9, "duplicate request, wait a minute")
    assert ApiError(2) == ApiError(2, None)
    with pytest.raises(SmscApiError, match=r"^SMSC error 9: duplicate request, wait a minute$"):
        unwrap(error)
    assert unwrap([_answer()]) == [_answer()]
    assert str(ApiError(2).exception()) == "SMSC error 2"


def test_records_take_whole_instants_in_any_timezone() -> None:
    later = _answer(sent=SENT + timedelta(hours=1))
    assert later.sent - SENT == timedelta(hours=1)
