"""The simulator's seeded dataset, and the answer of each call to a request against it.

``make_dataset(seed)`` builds everything the simulated account holds: sent messages, incoming
messages, tariffs, short links, and an operator directory. Everything is pinned to a "now"
derived from the seed and a day (24.11.2026 unless another is given; the ``simulate`` command
passes today's Moscow date, so its data lines up with the recorder's default windows), so a
request gets the same bytes every time.

**The seed changes values, never the shape.** List lengths, which optional fields appear
(``err``), the identifiers a request can name (ids, ``int_id``, phones, short-link ids and
targets), codes (sender ids, zones), the scale of money, the commas in texts, the day each
message was sent and the six-hour bucket each answer was received in are the same for every
seed; texts, costs, statuses, counters, operators, regions and the exact seconds change. So a
request recorded against one seed gets data of the same shape from any other.

``ANSWERS[call](dataset, params, account)`` is the reply of one call (an :class:`ApiError` when
nothing matches); ``params`` are already validated and hold no credentials.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from ..model import (
    ApiError,
    IncomingMessage,
    OperatorInfo,
    PhoneOperatorInfo,
    Price,
    PriceCode,
    PriceZone,
    Reply,
    SentMessage,
    ShortLink,
    StatRow,
)
from ..request import parse_date
from ..spec import CALLS
from ..values import MOSCOW

BASE_NOW = datetime(2026, 11, 24, 12, 0, 0, tzinfo=MOSCOW)
"""Every seed's "now" lies in the hour after this instant (on another day: its 12:00)."""

APIKEY_ACCOUNT = "api-client"
"""The login ``get_stat`` echoes for a request authorised by an API key."""

MESSAGE_COUNT = 12
ANSWER_COUNT = 10
ANSWER_SPACING_HOURS = 6
DEFAULT_ANSWER_HOURS = 24
"""``get_answers`` without ``hour``: the last day (the page says "for the current day")."""

SUBSCRIBER_PHONES = ("79999999999", "79161234567", "79031112233", "380501234567",
                     "375291234567", "4915112345678")
"""Phones messages go to and come from, assigned by index (so never seed-dependent)."""
CLIENT_PHONES = ("79010000001", "79010000002")
"""The client's own numbers, which incoming messages are sent to."""

_WITH_ERR = frozenset({2, 5, 9})
"""Indexes of the sent messages that were not delivered and carry ``err``."""
_DELIVERED = {0: "Передано оператору", 1: "Доставлено", 2: "Прочитано"}
_FAILED = {20: "Невозможно доставить", 22: "Неверный номер", 25: "Недоступный номер"}
_ERR_CODES = (1, 6, 11, 253)
_SENDERS = ("SMSC.RU", "Shop", "Info-24", "Taxi")
_TEXTS = (("Ваш код подтверждения: {n}", "Your parcel {n} has arrived",
           "Код для входа {n}. Никому не сообщайте"),
          ("Заказ {n} готов, ждём вас", "Hello, world {n}", "Скидка {n}% только сегодня, ёлки!"))
"""Message texts: the ``i``-th message draws from pool ``i % 2``, so whether a text holds a
comma (an extra separator in fmt=1) never depends on the seed."""
_REPLIES = (("Да", "OK {n}", "Стоп", "Спасибо!"), ("Нет, спасибо", "Перезвоните, пожалуйста"))


@dataclass(frozen=True, slots=True)
class Network:
    """One operator of the directory: its country, mcc/mnc and the regions it serves."""

    country: str
    operator: str
    mcc: str
    mnc: str


@dataclass(frozen=True, slots=True)
class Country:
    """A dialling prefix with its networks and regions (name, UTC offset)."""

    prefix: str
    networks: tuple[Network, ...]
    regions: tuple[tuple[str, int], ...]


_RU = "Россия"
COUNTRIES: tuple[Country, ...] = (
    Country("380", (Network("Украина", "Киевстар", "255", "03"),
                    Network("Украина", "Vodafone Украина", "255", "01")),
            (("г. Киев", 2), ("Львовская обл.", 2))),
    Country("375", (Network("Беларусь", "A1", "257", "01"),
                    Network("Беларусь", "МТС Беларусь", "257", "02")),
            (("г. Минск", 3), ("Гомельская обл.", 3))),
    Country("49", (Network("Германия", "Telekom", "262", "01"),
                   Network("Германия", "Vodafone", "262", "02")), (("Berlin", 1),)),
    Country("7", (Network(_RU, "МТС", "250", "01"), Network(_RU, "МегаФон", "250", "02"),
                  Network(_RU, "Билайн", "250", "99"), Network(_RU, "Tele2", "250", "20")),
            (("г. Москва", 3), ("г. Санкт-Петербург", 3), ("Новосибирская обл.", 7),
             ("Свердловская обл.", 5), ("Приморский край", 10))),
)
"""The operator directory: a phone's longest matching prefix gives its country."""

_PHONE = re.compile(r"\+?[0-9]{5,15}")

_ZONES = (("1", "Россия, МТС"), ("2", "Россия, прочие операторы"), ("3", "Украина"),
          ("4", "Беларусь"))
_CODES = ("25001", "25099")
LINKS = (("145142", "mywebsite.ru"), ("145143", "https://example.com/promo?utm=sms"),
         ("145200", "https://shop.example.ru/sale"))
"""Short-link ids and the full links they shorten (the page's examples among them)."""


def _money(rng: random.Random, low: int, high: int) -> Decimal:
    """An amount with two decimals, between ``low`` and ``high`` hundredths."""
    cents = rng.randrange(low, high)
    return Decimal(f"{cents // 100}.{cents % 100:02d}")


@dataclass(frozen=True, slots=True)
class Dataset:
    """Everything the simulated account holds, for one seed."""

    seed: int
    now: datetime
    messages: tuple[SentMessage, ...]
    """Newest first."""
    answers: tuple[IncomingMessage, ...]
    """Newest first."""
    price: Price
    links: Mapping[int, tuple[str, ShortLink]]
    """Short-link id -> (the full link it shortens, its counters)."""
    payments: Decimal

    def operator(self, phone: str) -> OperatorInfo | None:
        """The operator of ``phone`` (same answer for the same seed), or None if unknown."""
        return operator_of(self.seed, phone)


def operator_of(seed: int, phone: str) -> OperatorInfo | None:
    """The directory's operator of ``phone`` for ``seed``: the country by the longest known
    prefix, the network and region drawn from the seed and the number; None if unknown."""
    digits = phone.lstrip("+")
    country = next((c for c in COUNTRIES if digits.startswith(c.prefix)), None)
    if country is None or _PHONE.fullmatch(phone) is None:
        return None
    rng = random.Random(f"{seed}/{digits}")  # noqa: S311 (made-up data, not a secret)
    net = rng.choice(country.networks)
    region, tz = rng.choice(country.regions)
    return OperatorInfo(net.country, net.operator, region, net.mcc, net.mnc, tz)


def make_dataset(seed: int, day: date | None = None) -> Dataset:
    """The dataset of one seed on one day; the same seed and day always give the same dataset.

    ``day`` moves "now" to 12:xx Moscow time of that day; the default is ``BASE_NOW``'s day.
    """
    rng = random.Random(seed)  # noqa: S311 (made-up data, not a secret)
    base = BASE_NOW if day is None else datetime.combine(day, BASE_NOW.timetz())
    now = base + timedelta(seconds=rng.randrange(3600))
    messages = tuple(_sent(rng, seed, now, i) for i in range(MESSAGE_COUNT))
    answers = tuple(_answer(rng, now, i) for i in range(ANSWER_COUNT))
    price = Price(
        zones=tuple(PriceZone(zone, name, _money(rng, 150, 600), _money(rng, 150, 600),
                              _money(rng, 500, 1500), _money(rng, 10, 100),
                              _money(rng, 100, 900)) for zone, name in _ZONES),
        codes=tuple(PriceCode(code, _money(rng, 100, 500)) for code in _CODES),
        mail=_money(rng, 5, 50),
    )
    links = {int(i): (target, _link(rng, int(i))) for i, target in LINKS}
    return Dataset(seed=seed, now=now, messages=messages, answers=answers, price=price,
                   links=links, payments=_money(rng, 50000, 500000))


def _sent(rng: random.Random, seed: int, now: datetime, i: int) -> SentMessage:
    """The ``i``-th newest sent message: sent on the day ``i`` days before now, 07:00-13:00."""
    send = now - timedelta(days=i, seconds=rng.randrange(60, 5 * 3600))
    last = send + timedelta(seconds=rng.randrange(5, 600))
    phone = SUBSCRIBER_PHONES[i % len(SUBSCRIBER_PHONES)]
    info = operator_of(seed, phone)
    assert info is not None, phone
    if i in _WITH_ERR:
        status, err = rng.choice(sorted(_FAILED)), rng.choice(_ERR_CODES)
        name = _FAILED[status]
    else:
        status, err = rng.choice(sorted(_DELIVERED)), None
        name = _DELIVERED[status]
    text = rng.choice(_TEXTS[i % 2]).format(n=rng.randrange(1000, 9999))
    return SentMessage(
        status=status, last_date=last, err=err, send_date=send, phone=phone,
        cost=_money(rng, 150, 900), sender_id=_SENDERS[i % len(_SENDERS)], status_name=name,
        message=text, mccmnc=info.mcc + info.mnc, country=info.country,
        operator=info.operator, region=info.region, type=0, id=100 + MESSAGE_COUNT - i,
        int_id=2_024_000_000 + 1000 * (MESSAGE_COUNT - i), sms_cnt=1 + len(text) // 70,
        format=0, crc=rng.randrange(10**8, 10**9),
    )


def _answer(rng: random.Random, now: datetime, i: int) -> IncomingMessage:
    """The ``i``-th newest incoming message: received 6i hours (and 1-59 minutes) ago."""
    received = now - timedelta(hours=ANSWER_SPACING_HOURS * i, seconds=rng.randrange(60, 3540))
    return IncomingMessage(
        id=5_000_000 + ANSWER_COUNT - i, received=received,
        phone=SUBSCRIBER_PHONES[i % len(SUBSCRIBER_PHONES)],
        message=rng.choice(_REPLIES[i % 2]).format(n=rng.randrange(10, 99)),
        to_phone=CLIENT_PHONES[i % len(CLIENT_PHONES)],
        sent=received - timedelta(seconds=rng.randrange(1, 30)),
    )


def _link(rng: random.Random, link_id: int) -> ShortLink:
    alphabet = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    slug = "".join(rng.choice(alphabet) for _ in range(6))
    day, yesterday, month, previous = (rng.randrange(0, 50), rng.randrange(0, 80),
                                       rng.randrange(100, 900), rng.randrange(100, 900))
    return ShortLink(id=link_id, cnt=month + previous + rng.randrange(0, 5000), cnt_mon=month,
                     cnt_day=day, cnt_yes=yesterday, cnt_pmon=previous,
                     link=f"https://smsc.ru/{slug}")


# ---------------------------------------------------------------------------------------------
# Answers


def not_found(call: str) -> ApiError:
    """Error 3 with the meaning the page gives for this call."""
    meaning = next(e.meaning for e in CALLS[call].errors if e.code == 3)
    return ApiError(3, meaning.rstrip(".").lower())


def _phones(value: str) -> set[str]:
    return {p.strip().lstrip("+") for p in value.split(",") if p.strip()}


def _period(params: Mapping[str, str], today: date) -> tuple[date, date] | None:
    """The ``start``/``end`` window (end defaults to today), or None when not asked."""
    if "start" not in params:
        return None
    start = parse_date(params["start"], "start")
    end = parse_date(params["end"], "end") if "end" in params else today
    return start, end


def _in_period(moment: datetime, period: tuple[date, date] | None) -> bool:
    return period is None or period[0] <= moment.astimezone(MOSCOW).date() <= period[1]


def answer_messages(data: Dataset, params: Mapping[str, str], account: str) -> Reply:
    """``get_messages``: newest first, filtered by period, phone and ``prev_id``, cut at cnt.

    The account sends no e-mail, so ``format=8`` or ``email`` finds nothing; nothing found is
    error 3 ("Message not found"), as the page documents for this call.
    """
    found = list(data.messages)
    if params.get("format") == "8" or params.get("email"):
        found = []
    period = _period(params, data.now.date())
    found = [m for m in found if _in_period(m.send_date, period)]
    if params.get("phone"):
        wanted = _phones(params["phone"])
        found = [m for m in found if m.phone.lstrip("+") in wanted]
    if "prev_id" in params:
        found = [m for m in found if m.int_id < int(params["prev_id"])]
    found = found[:int(params.get("cnt", "1000"))]
    return found if found else not_found("get_messages")


def answer_answers(data: Dataset, params: Mapping[str, str], account: str) -> Reply:
    """``get_answers``: newest first, within ``hour`` hours, after ``after_id``, to ``to_phone``."""
    since = data.now - timedelta(hours=int(params.get("hour", DEFAULT_ANSWER_HOURS)))
    found = [a for a in data.answers if a.received > since]
    if "after_id" in params:
        found = [a for a in found if a.id > int(params["after_id"])]
    if params.get("to_phone"):
        found = [a for a in found if a.to_phone.lstrip("+") in _phones(params["to_phone"])]
    return found[:int(params.get("cnt", "10000"))]


def answer_stat(data: Dataset, params: Mapping[str, str], account: str) -> Reply:
    """``get_stat``: one row for the calling login, summing the messages of the period."""
    period = _period(params, data.now.date())
    sent = [m for m in data.messages if _in_period(m.send_date, period)]
    spent = sum((m.cost for m in sent), Decimal("0.00"))
    return [StatRow(login=account, sms=sum(m.sms_cnt for m in sent), credit=spent,
                    debit=data.payments, currency="RUB")]


def answer_price(data: Dataset, params: Mapping[str, str], account: str) -> Reply:
    """``get_price``: the account's tariffs."""
    return data.price


def answer_operator(data: Dataset, params: Mapping[str, str], account: str) -> Reply:
    """``get_operator``: one phone gives one record, several give a list with ``phone`` first.

    A phone the directory does not know is left out of a list; when none is known, error 3.
    """
    phones = [p.strip() for p in params["phone"].split(",") if p.strip()]
    if len(phones) == 1:
        info = data.operator(phones[0])
        return info if info is not None else not_found("get_operator")
    found = [PhoneOperatorInfo(phone, *_fields(info)) for phone in phones
             if (info := data.operator(phone)) is not None]
    return found if found else not_found("get_operator")


def _fields(info: OperatorInfo) -> tuple[str, str, str, str, str, int]:
    return info.country, info.operator, info.region, info.mcc, info.mnc, info.tz


def answer_short_link(data: Dataset, params: Mapping[str, str], account: str) -> Reply:
    """``get_short_link``: the link with this ``id`` and/or full ``link``; else error 3."""
    for link_id, (target, link) in data.links.items():
        if ("id" not in params or int(params["id"]) == link_id) \
                and params.get("link", target) == target:
            return link
    return not_found("get_short_link")


Answer = Callable[[Dataset, Mapping[str, str], str], Reply]

ANSWERS: Mapping[str, Answer] = {
    "get_messages": answer_messages,
    "get_answers": answer_answers,
    "get_stat": answer_stat,
    "get_price": answer_price,
    "get_operator": answer_operator,
    "get_short_link": answer_short_link,
}
"""How each call answers; its keys are exactly the spec's calls (a test holds them in step)."""
