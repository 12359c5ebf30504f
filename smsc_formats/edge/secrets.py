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
  bytes, and ``+`` for a space.

Besides, the hex md5 and sha1 digests of a value (SMSC accepts ``md5(psw)`` as ``psw``) match
in either case, and base64 spellings match exactly, including the three alignments a value can
have inside a longer base64 text.
"""

from __future__ import annotations

import base64
import hashlib
import html
import html.entities
import json
import re
import urllib.parse
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

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


def escaped_regex(value: str) -> str:
    """A regex (case-insensitive) of ``value`` with each character in any of its spellings."""
    return "".join(_char_regex(c) for c in value)


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


def _text_pattern(value: str) -> re.Pattern[str]:
    """Every text spelling of ``value`` (escapes, hashes, whole-value forms), case-insensitive."""
    spelled = [s for s, f in forms(value).items() if f != "base64"]
    parts = [re.escape(s) for s in sorted(set(spelled) | set(digests(value)),
                                          key=len, reverse=True)]
    return re.compile("(?i:" + escaped_regex(value) + "|" + "|".join(parts) + ")")


def _form_of(matched: str, value: str) -> str:
    """Which form a text match of ``value`` is in, for a scan's report."""
    low, plain = matched.lower(), value.lower()
    if low == plain:
        return "plain"
    found = digests(value).get(low)
    if found:
        return found
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


def _rules(secrets: Mapping[str, str]) -> list[tuple[re.Pattern[str], str]]:
    """Per secret (longest value first), the patterns of its forms and its placeholder."""
    rules: list[tuple[re.Pattern[str], str]] = []
    for name, value in sorted(secrets.items(), key=lambda kv: -len(kv[1])):
        if not value:
            continue
        spelled = forms(value)
        token = PLACEHOLDERS.get(name, "redacted")
        b64 = [s for s, f in spelled.items() if f == "base64"]
        rules.append((_text_pattern(value), token))
        rules.append((_pattern(b64, text=False), token))
    return rules


def redact(data: T, secrets: Mapping[str, str]) -> T:
    """``data`` with every spelling of every secret replaced by its placeholder.

    ``secrets`` maps a credential name (``login``, ``psw``, ``apikey``) to its value. Bytes
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
    return redact(text, named_secrets(credentials))


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
    texts = {data.decode(c, "replace") for c in CHARSETS} | {data.decode("latin-1")}
    for name, value in secrets.items():
        if not value:
            continue
        b64 = _pattern([s for s, f in forms(value).items() if f == "base64"], text=False)
        text_pattern = _text_pattern(value)
        for text in texts:
            for match in text_pattern.finditer(text):
                found.add((text.count("\n", 0, match.start()) + 1, name,
                           _form_of(match.group(), value)))
            for match in b64.finditer(text):
                found.add((text.count("\n", 0, match.start()) + 1, name, "base64"))
    return sorted(found)


def scan(paths: Iterable[Path], secrets: Mapping[str, str]) -> list[Hit]:
    """Every occurrence of any secret, in any form, in the files under ``paths``.

    Directories are walked recursively. A hit names the file, the line, the credential
    (``login``, ``psw`` or ``apikey``) and the form (plain, url-encoded, double-url-encoded,
    base64, json-escaped, xml-escaped, md5, sha1), never the value.
    """
    hits: list[Hit] = []
    for path in _files(paths):
        try:
            data = path.read_bytes()
        except OSError:
            continue
        hits += [Hit(path, line, name, form) for line, name, form in scan_bytes(data, secrets)]
    return hits
