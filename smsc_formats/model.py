"""The canonical model: one frozen, slotted record class per kind of record, and ``ApiError``.

Every format of every call parses to these values, so two formats of the same data compare
equal with plain ``==``. Field names are the fmt=3 JSON keys; field order is the fmt=3 order
without the ``*_timestamp`` keys (decisions.md). ``spec.calls`` declares the same fields; a test
holds the two in step.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import MISSING, dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, TypeAlias, TypeVar, dataclass_transform

from .errors import SmscFormatsError

_T = TypeVar("_T")

SLOTS: dict[type, type] = {}
"""For each record class, the private base that holds its slots (see :func:`record`)."""


def _reduce(self: Any) -> tuple[Callable[..., Any], tuple[Any, ...]]:
    return type(self), tuple([getattr(self, name) for name in type(self).__match_args__])


@dataclass_transform(frozen_default=True)
def record(cls: type[_T]) -> type[_T]:
    """A frozen, slotted dataclass whose slots live in a private base class.

    To users this is ``@dataclass(frozen=True, slots=True)``: ``==``, ``hash``, ``repr``,
    ``dataclasses.fields``, immutability and no ``__dict__``. The codecs, though, build
    records by filling an instance of the slots base and then giving it its public class,
    which costs a fraction of the dataclass ``__init__`` (``object.__setattr__`` per field).
    """
    names = tuple(inspect.get_annotations(cls))
    for name in names:
        if name in cls.__dict__:
            raise TypeError(f"{cls.__name__}.{name}: record fields take no defaults")
    base = type(f"_{cls.__name__}Slots", (), {"__slots__": names, "__module__": cls.__module__,
                                                "__doc__": f"The slots of {cls.__name__}."})
    namespace = {k: v for k, v in cls.__dict__.items() if k not in ("__dict__", "__weakref__")}
    namespace["__slots__"] = ()
    namespace["__reduce__"] = _reduce
    public: Any = type(cls.__name__, (base,), namespace)
    public.__qualname__ = cls.__qualname__
    out = dataclass(frozen=True)(public)
    assert all(f.default is MISSING for f in out.__dataclass_fields__.values())
    SLOTS[out] = base
    return out


@record
class SentMessage:
    """One message from the sent-message history (``get_messages``)."""

    status: int
    last_date: datetime
    err: int | None
    send_date: datetime
    phone: str
    cost: Decimal
    sender_id: str
    status_name: str
    message: str
    mccmnc: str
    country: str
    operator: str
    region: str
    type: int
    id: int
    int_id: int
    sms_cnt: int
    format: int
    crc: int


@record
class IncomingMessage:
    """One answer from ``get_answers``: an SMS a subscriber sent to one of the client's numbers."""

    id: int
    received: datetime
    phone: str
    message: str
    to_phone: str
    sent: datetime


@record
class StatRow:
    """One line of ``get_stat``: messages and money for one login over the period."""

    login: str
    sms: int
    credit: Decimal
    debit: Decimal
    currency: str


@record
class PriceZone:
    """One tariff zone of ``get_price`` with the cost of each kind of message in it."""

    zone: str
    name: str
    api: Decimal
    mass: Decimal
    mms: Decimal
    hlr: Decimal
    call: Decimal


@record
class PriceCode:
    """An individual tariff of ``get_price`` for one operator (mcc+mnc)."""

    mccmnc: str
    cost: Decimal


@dataclass(frozen=True, slots=True)
class Price:
    """The whole ``get_price`` answer: zones, individual tariffs and the e-mail price."""

    zones: tuple[PriceZone, ...]
    codes: tuple[PriceCode, ...]
    mail: Decimal | None


@record
class OperatorInfo:
    """``get_operator`` for one phone: the operator that number belongs to."""

    country: str
    operator: str
    region: str
    mcc: str
    mnc: str
    tz: int


@record
class PhoneOperatorInfo:
    """One entry of ``get_operator`` for several phones: the phone, then its operator."""

    phone: str
    country: str
    operator: str
    region: str
    mcc: str
    mnc: str
    tz: int


@record
class ShortLink:
    """``get_short_link``: the click counters of one short link."""

    id: int
    cnt: int
    cnt_mon: int
    cnt_day: int
    cnt_yes: int
    cnt_pmon: int
    link: str


@dataclass(frozen=True, slots=True)
class ApiError:
    """An error answer of the server, as a value: ``ERROR = 2 (...)``, ``0,-2`` and so on.

    fmt=1 carries no description, so it parses with ``description=None``.
    """

    code: int
    description: str | None = None

    def exception(self) -> SmscApiError:
        """This error as an exception, for callers who prefer to raise it."""
        return SmscApiError(self)


class SmscApiError(SmscFormatsError):
    """Raised by :func:`smsc_formats.unwrap` when the server answered with an error."""

    def __init__(self, error: ApiError) -> None:
        self.error = error
        text = f"SMSC error {error.code}"
        super().__init__(f"{text}: {error.description}" if error.description else text)


Record: TypeAlias = (
    SentMessage | IncomingMessage | StatRow | PriceZone | PriceCode | OperatorInfo
    | PhoneOperatorInfo | ShortLink
)
"""Any one record."""

Reply: TypeAlias = (
    list[SentMessage] | list[IncomingMessage] | list[StatRow] | list[PhoneOperatorInfo]
    | Price | OperatorInfo | ShortLink | ApiError
)
"""Whatever :func:`smsc_formats.parse` can return."""

MODELS: dict[str, type[Record] | type[Price]] = {
    cls.__name__: cls
    for cls in (SentMessage, IncomingMessage, StatRow, PriceZone, PriceCode, Price, OperatorInfo,
                PhoneOperatorInfo, ShortLink)
}
"""The model class for each ``RecordSpec.name`` (and ``SectionsBody.model``)."""
