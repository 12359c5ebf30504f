"""smsc-formats: parse and emit every data response of the SMSC HTTP API, byte for byte.

``parse`` turns a body of any of the six "getting data" calls, in any of the four formats and
any charset the API serves, into one canonical typed value; ``emit`` writes that value back
exactly as the server does. Importing this package pulls in neither click, pytest nor
hypothesis.
"""

from importlib.metadata import PackageNotFoundError, version

from .api import emit, parse, unwrap
from .canonical import from_canonical, to_canonical
from .charset import sniff
from .errors import EmitError, ParseError, RequestError, SmscFormatsError, UsageError
from .model import (
    ApiError,
    IncomingMessage,
    OperatorInfo,
    PhoneOperatorInfo,
    Price,
    PriceCode,
    PriceZone,
    Record,
    Reply,
    SentMessage,
    ShortLink,
    SmscApiError,
    StatRow,
)
from .spec import CALLS, FORMATS
from .streaming import iter_parse
from .values import MOSCOW

try:
    __version__ = version("smsc-formats")
    """The installed distribution's version (from its metadata, so there is one source)."""
except PackageNotFoundError:  # a source tree on sys.path, not installed
    __version__ = "0+unknown"

__all__ = [
    "CALLS",
    "FORMATS",
    "MOSCOW",
    "ApiError",
    "EmitError",
    "IncomingMessage",
    "OperatorInfo",
    "ParseError",
    "PhoneOperatorInfo",
    "Price",
    "PriceCode",
    "PriceZone",
    "Record",
    "Reply",
    "RequestError",
    "SentMessage",
    "ShortLink",
    "SmscApiError",
    "SmscFormatsError",
    "StatRow",
    "UsageError",
    "__version__",
    "emit",
    "from_canonical",
    "iter_parse",
    "parse",
    "sniff",
    "to_canonical",
    "unwrap",
]
