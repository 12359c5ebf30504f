r"""Keep credential values out of everything written or printed: redaction and scanning.

A secret can leak in more than its plain spelling: URL-encoded in a logged query, base64 in a
header or a blob, JSON- or XML-escaped in a body, hashed, or in another charset. :func:`forms`
lists the whole-value spellings of one value, :func:`redact` replaces every spelling with a
plain placeholder token, and :func:`scan` finds any of them in files and says where
(``file:line``) without repeating the value.

Every character of a value is matched in each way a body can carry it, and the ways may mix
within one value (a server escapes only some characters):

* plain, in any case (a server may echo a login in another case);
* JSON ``\uXXXX`` (either case of hex digits, surrogate pairs), JSON's short escapes
  (``\"``, ``\\``) and PHP's ``\/``;
* XML and HTML character references, decimal ``&#38;`` and hex ``&#x26;`` (leading zeros
  allowed), and HTML named entities (``&amp;``, ``&apos;``);
* single and double URL encoding (``%26``, ``%2526``) of the UTF-8, windows-1251 and koi8-r
  bytes, and ``+`` for a space;
* mojibake: the bytes of one charset read as another (UTF-8 read as windows-1251, latin-1
  as an HTTP header is, or koi8-r), plain or JSON-escaped, and JSON ``\u00XX`` escapes of
  the UTF-8 bytes one by one;
* with invisible characters inside: a soft hyphen (U+00AD), a zero-width space, non-joiner
  or joiner (U+200B-U+200D), a word joiner (U+2060) or a BOM (U+FEFF), in any spelling.

In an XML body a value can also be split so that no spelling above sees it
(``eye<!-- -->slogin``, ``<![CDATA[Se]]><![CDATA[cret]]>``): :func:`xml_hits` parses the
body with the XML codec's settings (comments dropped, CDATA resolved) and matches each text
and attribute, and :func:`scan_bytes` uses it too.

Where a match counts: in a body or a file (:func:`redact`, :func:`scan_bytes`) a credential
of :data:`MIN_SUBSTRING` characters or more is matched anywhere, even inside a longer word;
a shorter one only where it stands as a whole value (token boundaries). In a message, a log
line or an error (:func:`redact_message`) every credential is matched as a whole value only,
so masking never rewrites other words (``--param`` stays ``--param`` with login ``a``) and
so never reveals which letters a short credential is made of. Base64 fragments of a value
inside a longer base64 text (:data:`MIN_FRAGMENT` characters or more) match everywhere.

Besides, the hex md5 and sha1 digests of a value (SMSC accepts ``md5(psw)`` as ``psw``) match
in either case, and base64 spellings match exactly, including the three alignments a value can
have inside a longer base64 text.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import html
import html.entities
import json
import re
import urllib.parse
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from lxml import etree

from ..request import Credentials
from .store import LOGIN_PLACEHOLDER

PLACEHOLDERS: Mapping[str, str] = {
    "login": LOGIN_PLACEHOLDER,
    "psw": "redacted-psw",
    "apikey": "redacted-apikey",
}
"""What each credential becomes: a plain token with no separator of any format in it."""

CHARSETS = ("utf-8", "windows-1251", "koi8-r")
"""The body charsets a secret is looked for in."""

MIN_FRAGMENT = 8
"""Shortest base64 fragment (for values at an offset in a longer base64 text) worth matching."""

MIN_SUBSTRING = 4
"""Shortest credential matched inside a longer word of a body; shorter ones match only as a
whole value, and in messages every credential matches only as a whole value."""

INVISIBLE = "\u00ad\u200b\u200c\u200d\u2060\ufeff"
"""Characters a server can slip inside a value without changing how it looks: soft hyphen,
zero-width space, non-joiner and joiner, word joiner, BOM."""

MOJIBAKE = ("latin-1", "windows-1252", "windows-1251", "koi8-r")
"""The charsets a value's bytes may be misread in (an HTTP header is read as latin-1)."""

_WORD = r"[^\W]"
_BEFORE = r"(?:(?<!" + _WORD + r")|(?<=%[0-9a-fA-F]{2})|(?<=\\u[0-9a-fA-F]{4}))"
_AFTER = r"(?:(?!" + _WORD + r")|(?=%[0-9a-fA-F]{2})|(?=\\u[0-9a-fA-F]{4}))"
"""Token boundaries: no letter, digit or underscore right before or after the match, except
the hex digits of a ``%XX`` or ``\\uXXXX`` escape next to it."""

T = TypeVar("T", str, bytes)


ENV_VARS: Mapping[str, str] = {"login": "SMSC_LOGIN", "psw": "SMSC_PSW", "apikey": "SMSC_APIKEY"}
"""The environment variables credentials come from, by parameter name."""


def env_secrets(environ: Mapping[str, str]) -> dict[str, str]:
    """The credential values set in ``environ`` (``SMSC_LOGIN``, ``SMSC_PSW``,
    ``SMSC_APIKEY``), by parameter name; unset or empty ones are left out."""
    return {name: environ[var] for name, var in ENV_VARS.items() if environ.get(var)}


def named_secrets(credentials: Credentials) -> dict[str, str]:
    """The credential values by parameter name (``login``, ``psw``, ``apikey``)."""
    return {k: v for k, v in credentials.params().items() if v}


def _b64_fragments(value: bytes) -> set[str]:
    """The base64 text of ``value`` when it starts at byte offset 0, 1 or 2 of a longer blob."""
    found: set[str] = set()
    for encode in (base64.b64encode, base64.urlsafe_b64encode):
        whole = encode(value).decode("ascii")
        found.add(whole)
        found.add(whole.rstrip("="))
        for k in (1, 2):
            text = encode(b"\0" * k + value).decode("ascii")
            start = -(-8 * k // 6)
            end = (8 * (k + len(value))) // 6
            fragment = text[start:end]
            if len(fragment) >= MIN_FRAGMENT:
                found.add(fragment)
        # The fragment of a value followed by more bytes: only whole 6-bit groups count.
        tail = whole.rstrip("=")[: (8 * len(value)) // 6]
        if len(tail) >= MIN_FRAGMENT:
            found.add(tail)
    return found


def forms(value: str) -> dict[str, str]:
    """Every text spelling of ``value`` to look for, mapped to the name of its form."""
    out: dict[str, str] = {}
    for raw in (value.encode(c, "ignore") for c in CHARSETS):
        if raw:
            for fragment in _b64_fragments(raw):
                out.setdefault(fragment, "base64")
    for spelled, name in (
        (urllib.parse.quote(value, safe=""), "url-encoded"),
        (urllib.parse.quote_plus(value, safe=""), "url-encoded"),
        (urllib.parse.quote(value, safe="/:@"), "url-encoded"),
        (json.dumps(value)[1:-1], "json-escaped"),
        (html.escape(value, quote=True), "xml-escaped"),
        (html.escape(value, quote=False), "xml-escaped"),
    ):
        out.setdefault(spelled, name)
    for charset in ("windows-1251", "koi8-r"):
        try:
            raw = value.encode(charset)
        except UnicodeEncodeError:
            continue
        out.setdefault(urllib.parse.quote_from_bytes(raw, safe=""), "url-encoded")
    out[value] = "plain"
    return out


def _entity_names() -> dict[str, list[str]]:
    """The HTML5 named character references (``amp;``, ``sol;``...) of each one character."""
    names: dict[str, list[str]] = {}
    for name, char in html.entities.html5.items():
        if name.endswith(";") and len(char) == 1:
            names.setdefault(char, []).append(name)
    return names


_ENTITIES = _entity_names()


def _char_spellings(char: str) -> list[str]:
    """Every way one character can be written in a body, besides itself."""
    code = ord(char)
    out = [json.dumps(char)[1:-1], f"&#{code};", f"&#x{code:x};"]
    if code < 0x10000:
        out.append(f"\\u{code:04x}")
    if char == "/":
        out.append("\\/")
    if char == " ":
        out.append("+")
    out += [f"&{name}" for name in _ENTITIES.get(char, ())]
    for charset in CHARSETS:
        try:
            raw = char.encode(charset)
        except UnicodeEncodeError:
            continue
        once = "".join(f"%{b:02x}" for b in raw)
        out += [once, once.replace("%", "%25")]
        if code > 0x7F:
            out += _mojibake(raw, charset)
    if code > 0x7F:
        out.append("".join(f"\\u{b:04x}" for b in char.encode("utf-8")))
    return out


def _mojibake(raw: bytes, charset: str) -> list[str]:
    """The bytes ``raw`` of one character in ``charset`` misread in another charset: as
    they stand, JSON-escaped and as XML character references."""
    out: list[str] = []
    for misread in MOJIBAKE:
        if misread == charset:
            continue
        try:
            text = raw.decode(misread)
        except UnicodeDecodeError:
            continue
        out += [text, json.dumps(text)[1:-1], "".join(f"&#{ord(c)};" for c in text)]
    return out


def _char_regex(char: str) -> str:
    """A regex (for a case-insensitive pattern) of one character in any of its spellings."""
    parts = [re.escape(char)]
    code = ord(char)
    # Character references may carry leading zeros: &#038; &#x0026;
    parts.append(f"&\\#0*{code};")
    parts.append(f"&\\#x0*{code:x};")
    parts += [re.escape(s) for s in _char_spellings(char)]
    unique = list(dict.fromkeys(parts))
    return "(?:" + "|".join(unique) + ")"


_INVISIBLE_REGEX = "(?:" + "|".join(_char_regex(c) for c in INVISIBLE) + ")*"


def escaped_regex(value: str) -> str:
    """A regex (case-insensitive) of ``value`` with each character in any of its spellings,
    and invisible characters (:data:`INVISIBLE`) allowed between them."""
    return _INVISIBLE_REGEX.join(_char_regex(c) for c in value)


def digests(value: str) -> dict[str, str]:
    """The hex md5 and sha1 of ``value`` in each charset it encodes to, by digest."""
    out: dict[str, str] = {}
    for charset in CHARSETS:
        try:
            raw = value.encode(charset)
        except UnicodeEncodeError:
            continue
        out.setdefault(hashlib.md5(raw).hexdigest(), "md5")  # noqa: S324 - what SMSC accepts
        out.setdefault(hashlib.sha1(raw).hexdigest(), "sha1")  # noqa: S324
    return out


def _text_pattern(value: str, whole: bool | None = None) -> re.Pattern[str]:
    """Every text spelling of ``value`` (escapes, hashes, whole-value forms), case-insensitive.

    ``whole`` matches at token boundaries only; by default (None) only a value shorter than
    :data:`MIN_SUBSTRING` does.
    """
    return _compiled_text(value, len(value) < MIN_SUBSTRING if whole is None else whole)


@functools.lru_cache(maxsize=64)
def _compiled_text(value: str, whole: bool) -> re.Pattern[str]:
    spelled = [s for s, f in forms(value).items() if f != "base64"]
    whole_b64 = [s for s, f in forms(value).items() if f == "base64" and len(s) < MIN_FRAGMENT]
    parts = [re.escape(s) for s in sorted(set(spelled) | set(digests(value)) | set(whole_b64),
                                          key=len, reverse=True)]
    body = "(?i:" + escaped_regex(value) + "|" + "|".join(parts) + ")"
    return re.compile(_BEFORE + body + _AFTER if whole else body)


def _form_of(matched: str, value: str) -> str:
    """Which form a text match of ``value`` is in, for a scan's report."""
    low, plain = matched.lower(), value.lower()
    if low == plain:
        return "plain"
    found = digests(value).get(low)
    if found:
        return found
    if any(c in INVISIBLE for c in matched):
        return "invisible-chars"
    if any(ord(c) > 0x7F and c not in plain for c in low):
        return "mojibake"
    if "%25" in low and "%25" not in plain:
        return "double-url-encoded"
    if "\\" in low and "\\" not in plain:
        return "json-escaped"
    if _REFERENCE.search(low) and not _REFERENCE.search(plain):
        return "xml-escaped"
    return "url-encoded"


_REFERENCE = re.compile(r"&(?:#x?[0-9a-f]+|[a-z]+);")


def _pattern(spellings: Iterable[str], text: bool) -> re.Pattern[str]:
    """One alternation, longest first; case-insensitive except for base64 spellings."""
    parts = []
    for spelled in sorted(set(spellings), key=len, reverse=True):
        escaped = re.escape(spelled)
        parts.append(f"(?i:{escaped})" if text else escaped)
    return re.compile("|".join(parts))


def _b64_pattern(value: str) -> re.Pattern[str] | None:
    """The base64 spellings of ``value`` long enough to match inside a longer text (None if
    there are none)."""
    b64 = [s for s, f in forms(value).items() if f == "base64" and len(s) >= MIN_FRAGMENT]
    return _pattern(b64, text=False) if b64 else None


def _rules(secrets: Mapping[str, str],
           whole: bool | None = None) -> list[tuple[re.Pattern[str], str]]:
    """Per secret (longest value first), the patterns of its forms and its placeholder."""
    rules: list[tuple[re.Pattern[str], str]] = []
    for name, value in sorted(secrets.items(), key=lambda kv: -len(kv[1])):
        if not value:
            continue
        token = PLACEHOLDERS.get(name, "redacted")
        rules.append((_text_pattern(value, whole), token))
        b64 = _b64_pattern(value)
        if b64 is not None:
            rules.append((b64, token))
    return rules


def redact_message(text: str, secrets: Mapping[str, str]) -> str:
    """A message, log line or error with every spelling of every secret replaced, where the
    spelling stands as a whole value (token boundaries): other words are never touched."""
    out = text
    for pattern, token in _rules(secrets, whole=True):
        out = pattern.sub(token, out)
    return out


def redact(data: T, secrets: Mapping[str, str]) -> T:
    """``data`` with every spelling of every secret replaced by its placeholder.

    ``secrets`` maps a credential name (``login``, ``psw``, ``apikey``) to its value. A value
    of :data:`MIN_SUBSTRING` characters or more is replaced even inside a longer word, a
    shorter one only as a whole value; for messages use :func:`redact_message`. Bytes
    are searched in each charset of :data:`CHARSETS` and keep their own encoding: only the
    secret's bytes change, so a body keeps its layout and stays parseable.
    """
    if isinstance(data, str):
        out = data
        for pattern, token in _rules(secrets):
            out = pattern.sub(token, out)
        return out
    raw = data
    for pattern, token in _rules(secrets):
        for charset in CHARSETS:
            try:
                text = raw.decode(charset)
            except UnicodeDecodeError:
                continue
            if pattern.search(text) is None:
                continue
            replaced = pattern.sub(token, text)
            try:
                raw = replaced.encode(charset)
            except UnicodeEncodeError:
                continue
            # Windows-1251 decodes almost any byte, so keep the first charset that matched.
            break
        raw = _latin_pass(raw, pattern, token)
    return raw


def _latin_pass(raw: bytes, pattern: re.Pattern[str], token: str) -> bytes:
    """A last pass over bytes no charset above decoded: ASCII spellings, byte for byte."""
    text = raw.decode("latin-1")
    if pattern.search(text) is None:
        return raw
    replaced = pattern.sub(token, text)
    try:
        return replaced.encode("latin-1")
    except UnicodeEncodeError:
        return raw


def redact_text(text: str, credentials: Credentials | None) -> str:
    """A message or log line with the credentials' every spelling replaced."""
    if credentials is None:
        return text
    return redact_message(text, named_secrets(credentials))


@dataclass(frozen=True, slots=True)
class Hit:
    """One place a secret was found: the file, the line, which credential and in what form."""

    path: Path
    line: int
    name: str
    form: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.name} ({self.form})"


def _files(paths: Iterable[Path]) -> Iterable[Path]:
    for path in paths:
        if path.is_dir():
            yield from sorted(p for p in path.rglob("*") if p.is_file())
        elif path.is_file():
            yield path


def scan_bytes(data: bytes, secrets: Mapping[str, str]) -> list[tuple[int, str, str]]:
    """``(line, name, form)`` of every spelling of every secret in ``data``."""
    found: set[tuple[int, str, str]] = set()
    # The charsets in turn: a line's hits come from the first reading that shows any, so
    # one occurrence is not reported again as the mojibake another reading makes of it.
    texts = [data.decode(c, "replace") for c in CHARSETS] + [data.decode("latin-1")]
    for name, value in secrets.items():
        if not value:
            continue
        b64 = _b64_pattern(value)
        text_pattern = _text_pattern(value)
        lines: set[int] = set()
        for text in texts:
            here: set[tuple[int, str, str]] = set()
            for match in text_pattern.finditer(text):
                here.add((text.count("\n", 0, match.start()) + 1, name,
                          _form_of(match.group(), value)))
            for match in b64.finditer(text) if b64 is not None else ():
                here.add((text.count("\n", 0, match.start()) + 1, name, "base64"))
            found |= {hit for hit in here if hit[0] not in lines}
            lines |= {hit[0] for hit in here}
    seen = {(line, name) for line, name, _ in found}
    for line, name in xml_hits(data, secrets):
        if (line, name) not in seen:
            found.add((line, name, "xml-split"))
    return sorted(found)


_XML_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False,
                              dtd_validation=False, huge_tree=False, remove_comments=True,
                              remove_pis=True)
"""The XML codec's security settings: no entities, network or DTD; comments dropped (so the
text around a comment joins up) and CDATA sections resolved into the text."""

_XML_DECLARATION = re.compile(r"\A\s*<\?xml[^>]*\?>")


def _xml_root(data: bytes) -> Any:
    """The parsed XML document of ``data``, or None when it is not XML."""
    if not data.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<"):
        return None
    try:
        return etree.fromstring(data, _XML_PARSER)
    except (etree.LxmlError, ValueError):
        pass
    for charset in CHARSETS:
        try:
            text = _XML_DECLARATION.sub("", data.decode(charset), count=1)
            return etree.fromstring(text, _XML_PARSER)
        except (UnicodeDecodeError, etree.LxmlError, ValueError):
            continue
    return None


def xml_hits(data: bytes, secrets: Mapping[str, str]) -> list[tuple[int, str]]:
    """``(line, name)`` of every secret seen in an XML document's texts and attribute values
    once parsed (comments dropped, CDATA resolved, references decoded); empty when ``data``
    is not XML. This finds values split so that no spelling in the raw bytes matches."""
    root = _xml_root(data)
    if root is None:
        return []
    patterns = [(name, _text_pattern(value), _b64_pattern(value))
                for name, value in secrets.items() if value]
    found: set[tuple[int, str]] = set()
    for element in root.iter():
        texts = [t for t in (element.text, element.tail, *element.attrib.values()) if t]
        for name, text_pattern, b64 in patterns:
            if any(text_pattern.search(t) or (b64 is not None and b64.search(t))
                   for t in texts):
                found.add((element.sourceline or 1, name))
    return sorted(found)


def scan(paths: Iterable[Path], secrets: Mapping[str, str]) -> list[Hit]:
    """Every occurrence of any secret, in any form, in the files under ``paths``.

    Directories are walked recursively. A hit names the file, the line, the credential
    (``login``, ``psw`` or ``apikey``) and the form (plain, url-encoded, double-url-encoded,
    base64, json-escaped, xml-escaped, md5, sha1, mojibake, invisible-chars, or xml-split
    for a value seen only once the XML is parsed), never the value.
    """
    hits: list[Hit] = []
    for path in _files(paths):
        try:
            data = path.read_bytes()
        except OSError:
            continue
        hits += [Hit(path, line, name, form) for line, name, form in scan_bytes(data, secrets)]
    return hits
