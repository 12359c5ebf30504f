"""The SMSC "getting data" API as data: the vocabulary and the six calls.

No logic lives here; codecs, strategies, conformance checks and the simulator all read it.
"""

from .calls import CALLS, SECRET_PARAMS
from .vocabulary import (
    CONTENT_TYPES,
    FORMAT_NAMES,
    FORMATS,
    Body,
    CallSpec,
    ErrorCode,
    Field,
    Form,
    JsonType,
    Kind,
    ListBody,
    OneOrListBody,
    Param,
    ParamKind,
    Place,
    RateLimit,
    RecordBody,
    RecordSpec,
    Section,
    SectionsBody,
    Slot,
)

__all__ = [
    "CALLS",
    "CONTENT_TYPES",
    "FORMATS",
    "FORMAT_NAMES",
    "SECRET_PARAMS",
    "Body",
    "CallSpec",
    "ErrorCode",
    "Field",
    "Form",
    "JsonType",
    "Kind",
    "ListBody",
    "OneOrListBody",
    "Param",
    "ParamKind",
    "Place",
    "RateLimit",
    "RecordBody",
    "RecordSpec",
    "Section",
    "SectionsBody",
    "Slot",
]
