"""The six "getting data" calls of the SMSC HTTP API, declared once.

Transcribed from ``shared/api/getting-data.md``, with the choices of
``shared/design/decisions.md`` where the page is silent. Each record lists its canonical fields
(fmt=3 order, no ``*_timestamp`` keys) and, per format, its wire slots in wire order, in the
notation of :func:`~smsc_formats.spec.vocabulary.slots`. Adding a field to a format is one line
in that format's tuple.
"""

from __future__ import annotations

from collections.abc import Mapping

from .vocabulary import (
    CallSpec,
    ErrorCode,
    Field,
    Kind,
    ListBody,
    OneOrListBody,
    Param,
    ParamKind,
    RateLimit,
    RecordBody,
    RecordSpec,
    Section,
    SectionsBody,
    slots,
)

_PHONE = r"\+?[0-9]{5,15}"
_DIGITS = r"[0-9]{1,12}"

# ---------------------------------------------------------------------------------------------
# Records

SENT_MESSAGE = RecordSpec(
    name="SentMessage",
    xml_tag="sms",
    free_text="message",
    multiline=True,
    fields=(
        Field("status", Kind.INT, "status code of the message", minimum=-3, maximum=99),
        Field("last_date", Kind.INSTANT, "last status change"),
        Field("err", Kind.INT, "error code if the message was not delivered", optional=True,
              minimum=0),
        Field("send_date", Kind.INSTANT, "when the message was sent"),
        Field("phone", Kind.CODE, "subscriber's phone number", pattern=_PHONE),
        Field("cost", Kind.MONEY, "message cost"),
        Field("sender_id", Kind.CODE, "sender ID", pattern=r"[A-Za-z0-9._ -]{0,15}"),
        Field("status_name", Kind.TEXT, "status name"),
        Field("message", Kind.TEXT, "the text of the message"),
        Field("mccmnc", Kind.CODE, "mobile country and operator code", pattern=r"[0-9]{0,6}"),
        Field("country", Kind.TEXT, "country of registration of the number"),
        Field("operator", Kind.TEXT, "operator of the subscriber"),
        Field("region", Kind.TEXT, "region of registration of the number"),
        Field("type", Kind.INT, "message type", minimum=0),
        Field("id", Kind.INT, "message ID", minimum=0),
        Field("int_id", Kind.INT, "global message ID", minimum=0),
        Field("sms_cnt", Kind.INT, "number of parts of the message", minimum=0),
        Field("format", Kind.INT, "message format", minimum=0),
        Field("crc", Kind.INT, "message checksum", minimum=0),
    ),
    layouts={
        0: slots("Status>status", "check_time>last_date@date", "err", "send_date@date", "phone",
                 "mccmnc", "country", "operator", "region", "cost", "sender_id", "status_name",
                 "message", "type", "ID>id", "int_id", "sms_cnt", "format", "crc"),
        1: slots("status", "last_timestamp>last_date@ts", "err", "send_timestamp>send_date@ts",
                 "phone", "mccmnc", "country", "operator", "region", "cost", "sender>sender_id",
                 "status_name", "message", "type", "id", "int_id", "sms_cnt", "format", "crc"),
        2: slots("status", "last_date@date", "last_timestamp>last_date@ts", "err",
                 "send_date@date", "send_timestamp>send_date@ts", "phone", "cost", "sender_id",
                 "status_name", "message", "mccmnc", "country", "operator", "region", "type",
                 "id", "int_id", "sms_cnt", "format", "crc"),
        3: slots("status:n", "last_date@date", "last_timestamp>last_date@ts:n", "err:n",
                 "send_date@date", "send_timestamp>send_date@ts:n", "phone", "cost",
                 "sender_id", "status_name", "message", "mccmnc", "country", "operator",
                 "region", "type:n", "id:n", "int_id", "sms_cnt:n", "format:n", "crc:n"),
    },
)

INCOMING_MESSAGE = RecordSpec(
    name="IncomingMessage",
    xml_tag="sms",
    free_text="message",
    multiline=True,
    fields=(
        Field("id", Kind.INT, "ID of the incoming message", minimum=0),
        Field("received", Kind.INSTANT, "when the server received the message"),
        Field("phone", Kind.CODE, "subscriber's phone number", pattern=_PHONE),
        Field("message", Kind.TEXT, "the incoming message"),
        Field("to_phone", Kind.CODE, "the client's number it was sent to", pattern=_PHONE),
        Field("sent", Kind.INSTANT, "when the subscriber sent the message"),
    ),
    layouts={
        0: slots("id", "received@date", "phone", "message", "to_phone", "sent@date"),
        1: slots("id", "received@date", "phone", "to_phone", "sent@date", "message"),
        2: slots("id", "received@date", "phone", "message", "to_phone", "sent@date"),
        3: slots("id:n", "received@date", "phone", "message", "to_phone", "sent@date"),
    },
)

STAT_ROW = RecordSpec(
    name="StatRow",
    xml_tag="stat",
    fields=(
        Field("login", Kind.TEXT, "customer login", pattern=r"[A-Za-z0-9_.@-]{1,64}"),
        Field("sms", Kind.INT, "number of messages", minimum=0),
        Field("credit", Kind.MONEY, "debit (sic: the page swaps the two words)"),
        Field("debit", Kind.MONEY, "credit (sic)"),
        Field("currency", Kind.TEXT, "three-character currency code", pattern=r"[A-Z]{3}"),
    ),
    layouts={
        0: slots("login", "sms", "credit", "debit", "currency"),
        1: slots("login", "sms", "credit", "debit", "currency"),
        2: slots("login", "sms", "credit", "debit", "currency"),
        3: slots("login", "sms", "credit", "debit", "currency"),
    },
)

PRICE_ZONE = RecordSpec(
    name="PriceZone",
    xml_tag="zone",
    free_text="name",
    fields=(
        Field("zone", Kind.CODE, "tariff zone", pattern=r"[0-9]{1,6}"),
        Field("name", Kind.TEXT, "name of the tariff zone (operator, country...)"),
        Field("api", Kind.MONEY, "cost of an SMS sent through the API"),
        Field("mass", Kind.MONEY, "cost of an SMS sent from the personal account"),
        Field("mms", Kind.MONEY, "cost of an MMS"),
        Field("hlr", Kind.MONEY, "cost of an HLR request"),
        Field("call", Kind.MONEY, "cost of a voice message"),
    ),
    layouts={
        0: slots("zone", "name", "api", "mass", "mms", "hlr", "call"),
        1: slots("zone", "name", "api", "mass", "mms", "hlr", "call"),
        2: slots("zone@text", "name@attr", "api@attr", "mass@attr", "mms@attr", "hlr@attr",
                 "call@attr"),
        3: slots("zone", "name", "api", "mass", "mms", "hlr", "call"),
    },
)

PRICE_CODE = RecordSpec(
    name="PriceCode",
    xml_tag="mccmnc",
    fields=(
        Field("mccmnc", Kind.CODE, "country and operator code with an individual tariff",
              pattern=r"[0-9]{5,6}"),
        Field("cost", Kind.MONEY, "cost of a message at this tariff"),
    ),
    layouts={
        0: slots("mccmnc", "cost"),
        1: slots("mccmnc", "cost"),
        2: slots("mccmnc@text", "cost@attr"),
        3: slots("mccmnc", "cost"),
    },
)

_OPERATOR_FIELDS = (
    Field("country", Kind.TEXT, "country of registration of the number"),
    Field("operator", Kind.TEXT, "operator of the subscriber"),
    Field("region", Kind.TEXT, "region of registration of the number"),
    Field("mcc", Kind.CODE, "numeric country code", pattern=r"[0-9]{3}"),
    Field("mnc", Kind.CODE, "numeric operator code", pattern=r"[0-9]{2,3}"),
    Field("tz", Kind.TZ, "UTC offset of the region, in hours", minimum=-12, maximum=14),
)
_OPERATOR_WIRE = ("country", "operator", "region", "mcc", "mnc", "tz")

OPERATOR_INFO = RecordSpec(
    name="OperatorInfo",
    xml_tag="info",
    fields=_OPERATOR_FIELDS,
    layouts={0: slots(*_OPERATOR_WIRE), 1: slots(*_OPERATOR_WIRE), 2: slots(*_OPERATOR_WIRE),
             3: slots(*_OPERATOR_WIRE)},
)

PHONE_OPERATOR_INFO = RecordSpec(
    name="PhoneOperatorInfo",
    xml_tag="info",
    fields=(Field("phone", Kind.CODE, "the phone number asked about", pattern=_PHONE),
            *_OPERATOR_FIELDS),
    layouts={fmt: slots("phone", *_OPERATOR_WIRE) for fmt in (0, 1, 2, 3)},
)

SHORT_LINK = RecordSpec(
    name="ShortLink",
    xml_tag="result",
    free_text="link",
    fields=(
        Field("id", Kind.INT, "ID of the short link", minimum=0),
        Field("cnt", Kind.INT, "all clicks", minimum=0),
        Field("cnt_mon", Kind.INT, "clicks this month", minimum=0),
        Field("cnt_day", Kind.INT, "clicks today", minimum=0),
        Field("cnt_yes", Kind.INT, "clicks yesterday", minimum=0),
        Field("cnt_pmon", Kind.INT, "clicks in the previous month", minimum=0),
        Field("link", Kind.TEXT, "the short link"),
    ),
    layouts={fmt: slots("id", "cnt", "cnt_mon", "cnt_day", "cnt_yes", "cnt_pmon", "link")
             for fmt in (0, 1, 2, 3)},
)

PRICE_MAIL = Field("mail", Kind.MONEY, "cost of an e-mail message", optional=True)

# ---------------------------------------------------------------------------------------------
# Errors, parameters and limits shared by the calls

_E1 = ErrorCode(1, "Error in parameters.")
_E2 = ErrorCode(2, "Invalid username or password, or a request from an IP address that is "
                   "not in the client's allowed list.")
_E4 = ErrorCode(4, "The IP address is temporarily blocked.")
_CONCURRENT = RateLimit(count=14, seconds=0, scope="concurrent")
"""Fifteen or more simultaneous requests under one login are refused."""
_THREE_IDENTICAL = RateLimit(count=3, seconds=60, scope="identical")


def _e9(what: str) -> ErrorCode:
    return ErrorCode(9, f"Too many requests: {what}, or fifteen or more concurrent requests.")


def _auth() -> tuple[Param, ...]:
    return (
        Param("login", ParamKind.TEXT, "Customer login."),
        Param("psw", ParamKind.TEXT, "Client password."),
        Param("apikey", ParamKind.TEXT, "API key used instead of login and password."),
    )


_FMT = Param("fmt", ParamKind.INT, "Response format: 0 text, 1 CSV, 2 XML, 3 JSON.",
             minimum=0, maximum=3)
_CHARSET = Param("charset", ParamKind.TEXT, "Response charset.",
                 choices=("utf-8", "windows-1251", "koi8-r"))

# ---------------------------------------------------------------------------------------------
# The six calls

GET_MESSAGES = CallSpec(
    name="get_messages",
    path="sys/get.php",
    selector="get_messages",
    doc="History of sent messages.",
    body=ListBody(SENT_MESSAGE, xml_root="list"),
    params=(
        *_auth(),
        Param("start", ParamKind.DATE, "Start date of the period."),
        Param("end", ParamKind.DATE, "End date of the period."),
        Param("phone", ParamKind.LIST, "Phone number(s) to get the history for."),
        Param("email", ParamKind.LIST, "E-mail address(es) to get the history for."),
        Param("format", ParamKind.FLAG, "0: SMS messages, 8: e-mail messages.",
              choices=("0", "8")),
        Param("cnt", ParamKind.INT, "Number of messages returned.", minimum=1, maximum=1000),
        Param("prev_id", ParamKind.INT, "Return messages sent before this int_id.", minimum=0),
        _FMT,
        _CHARSET,
    ),
    errors=(_E1, _E2, ErrorCode(3, "Message not found."), _E4,
            _e9("more than three identical history requests a minute or thirty an hour")),
    limits=(_THREE_IDENTICAL, RateLimit(count=30, seconds=3600, scope="call"), _CONCURRENT),
    max_period_days=184,
)

GET_ANSWERS = CallSpec(
    name="get_answers",
    path="sys/get.php",
    selector="get_answers",
    doc="Incoming messages.",
    body=ListBody(INCOMING_MESSAGE, xml_root="sms_answers"),
    params=(
        *_auth(),
        Param("cnt", ParamKind.INT, "Number of messages returned.", minimum=1, maximum=10000),
        Param("hour", ParamKind.INT, "Period in hours.", minimum=1, maximum=168),
        Param("after_id", ParamKind.INT, "Return messages after this ID.", minimum=0),
        Param("to_phone", ParamKind.TEXT, "The client's number the messages were sent to."),
        _FMT,
        _CHARSET,
    ),
    errors=(_E1, _E2, _E4, _e9("more than three identical requests a minute")),
    limits=(_THREE_IDENTICAL, _CONCURRENT),
)

GET_STAT = CallSpec(
    name="get_stat",
    path="sys/get.php",
    selector="get_stat",
    doc="Statistics of sent messages.",
    body=ListBody(STAT_ROW, xml_root="list"),
    params=(
        *_auth(),
        Param("start", ParamKind.DATE, "Start date of the period."),
        Param("end", ParamKind.DATE, "End date of the period."),
        Param("mycur", ParamKind.FLAG, "Show the statistics in the client's currency.",
              choices=("0", "1")),
        Param("balance2", ParamKind.FLAG, "Messages paid from the electronic balance.",
              choices=("0", "1")),
        _FMT,
        _CHARSET,
    ),
    errors=(_E1, _E2, _E4, _e9("more than three requests a minute")),
    limits=(RateLimit(count=3, seconds=60, scope="call"), _CONCURRENT),
)

GET_PRICE = CallSpec(
    name="get_price",
    path="sys/get.php",
    selector="get_price",
    doc="Tariffs of the client.",
    body=SectionsBody(
        model="Price",
        xml_root="price",
        sections=(Section("zones", PRICE_ZONE), Section("codes", PRICE_CODE)),
        tail=PRICE_MAIL,
    ),
    params=(*_auth(), _FMT, _CHARSET),
    errors=(_E1, _E2, _E4, _e9("more than three identical requests a minute")),
    limits=(_THREE_IDENTICAL, _CONCURRENT),
)

GET_OPERATOR = CallSpec(
    name="get_operator",
    path="sys/info.php",
    selector="get_operator",
    doc="Operator of a subscriber's number (one record), or of several numbers (a list).",
    body=OneOrListBody(one=OPERATOR_INFO, many=PHONE_OPERATOR_INFO, xml_root="list"),
    params=(
        *_auth(),
        Param("phone", ParamKind.LIST, "Phone number or comma-separated numbers."),
        _FMT,
        _CHARSET,
    ),
    errors=(_E1, _E2, ErrorCode(3, "Operator not found."), _E4,
            _e9("more than three identical or any 100 requests a minute")),
    limits=(_THREE_IDENTICAL, RateLimit(count=100, seconds=60, scope="call"), _CONCURRENT),
    required=(("phone",),),
)

GET_SHORT_LINK = CallSpec(
    name="get_short_link",
    path="sys/tinyurls.php",
    selector="get",
    doc="Information about a short link.",
    body=RecordBody(SHORT_LINK),
    params=(
        *_auth(),
        Param("link", ParamKind.TEXT, "Original full link."),
        Param("id", ParamKind.INT, "ID of the short link.", minimum=0),
        _FMT,
        _CHARSET,
    ),
    errors=(_E1, _E2, ErrorCode(3, "Link not found."), _E4,
            _e9("more than three identical requests a minute")),
    limits=(_THREE_IDENTICAL, _CONCURRENT),
    required=(("id", "link"),),
)

CALLS: Mapping[str, CallSpec] = {
    c.name: c
    for c in (GET_MESSAGES, GET_ANSWERS, GET_STAT, GET_PRICE, GET_OPERATOR, GET_SHORT_LINK)
}
"""Every call, by its canonical name."""

SECRET_PARAMS: frozenset[str] = frozenset({"login", "psw", "apikey"})
"""Request parameters that never reach a fixture, a log line or an error message."""
