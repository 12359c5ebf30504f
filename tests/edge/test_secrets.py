"""Redaction and scanning: every spelling of a credential is caught, bodies stay parseable."""

from __future__ import annotations

import base64
import json
import urllib.parse
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smsc_formats.api import parse
from smsc_formats.edge.secrets import env_secrets, forms, redact, redact_message, scan, scan_bytes
from smsc_formats.model import StatRow

SECRETS = {"login": "Alice.Smith", "psw": "p@ss/word+1"}


def test_plain_secrets_in_text_become_placeholders() -> None:
    line = "login=Alice.Smith psw=p@ss/word+1 done"
    assert redact(line, SECRETS) == "login=redacted-login psw=redacted-psw done"


def test_other_case_of_the_login_is_redacted_too() -> None:
    assert redact("ALICE.SMITH", SECRETS) == "redacted-login"


@pytest.mark.parametrize("spelled", [
    urllib.parse.quote("p@ss/word+1", safe=""),
    urllib.parse.quote_plus("p@ss/word+1"),
    urllib.parse.quote("p@ss/word+1", safe="").lower(),
    base64.b64encode(b"p@ss/word+1").decode(),
    base64.urlsafe_b64encode(b"p@ss/word+1").decode().rstrip("="),
])
def test_encoded_forms_are_redacted(spelled: str) -> None:
    assert redact(f"x {spelled} y", SECRETS) == "x redacted-psw y"


def test_base64_inside_a_longer_blob_is_found_at_every_alignment() -> None:
    for prefix in (b"", b"a", b"ab", b"abc"):
        blob = base64.b64encode(prefix + b"p@ss/word+1" + b"-tail-bytes").decode()
        assert scan_bytes(blob.encode(), {"psw": "p@ss/word+1"}), prefix


def test_forms_names() -> None:
    spelled = forms("a b/c")
    assert spelled["a b/c"] == "plain"
    assert spelled["a%20b%2Fc"] == "url-encoded"
    assert spelled["a+b%2Fc"] == "url-encoded"
    assert spelled[base64.b64encode(b"a b/c").decode()] == "base64"


@pytest.mark.parametrize(("fmt", "body"), [
    (0, "login = Alice.Smith, sms = 3, credit = 1.50, debit = 0.00, currency = RUB"),
    (1, "Alice.Smith,3,1.50,0.00,RUB"),
    (2, "<list>\n<stat>\n<login>Alice.Smith</login>\n<sms>3</sms>\n<credit>1.50</credit>\n"
        "<debit>0.00</debit>\n<currency>RUB</currency>\n</stat>\n</list>"),
    (3, '[{\n"login": "Alice.Smith",\n"sms": "3",\n"credit": "1.50",\n"debit": "0.00",\n'
        '"currency": "RUB"\n}]'),
])
@pytest.mark.parametrize("charset", ["utf-8", "windows-1251"])
def test_get_stat_login_becomes_the_placeholder_and_the_body_still_parses(
        fmt: int, body: str, charset: str) -> None:
    raw = body.encode(charset)
    clean = redact(raw, SECRETS)
    assert clean == body.replace("Alice.Smith", "redacted-login").encode(charset)
    reply = parse(clean, call="get_stat", fmt=fmt, charset=charset)
    assert isinstance(reply, list)
    assert isinstance(reply[0], StatRow)
    assert reply[0].login == "redacted-login"
    assert str(reply[0].credit) == "1.50"


def test_cyrillic_secret_in_a_windows_1251_body() -> None:
    secrets = {"login": "Алиса"}
    raw = "Алиса,3,1.50,0.00,RUB".encode("windows-1251")
    assert redact(raw, secrets) == b"redacted-login,3,1.50,0.00,RUB"


def test_scan_names_file_line_and_form_never_the_value(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "clean.txt").write_text("nothing here\n")
    (tmp_path / "a" / "dirty.json").write_text(
        '{\n"x": 1,\n"login": "alice.smith"\n}\n')
    token = base64.b64encode(b"p@ss/word+1").decode()
    (tmp_path / "b.txt").write_text(f"one\ntwo\nauth {token}\n")
    hits = scan([tmp_path], SECRETS)
    shown = sorted(str(h).replace(str(tmp_path), "T") for h in hits)
    assert shown == ["T/a/dirty.json:3: login (plain)", "T/b.txt:3: psw (base64)"]
    assert all("Alice" not in s and "p@ss" not in s for s in shown)


def test_scan_of_a_clean_tree_is_empty(tmp_path: Path) -> None:
    (tmp_path / "f.txt").write_text("redacted-login,3,1.50,0.00,RUB")
    assert scan([tmp_path], SECRETS) == []


def test_env_secrets() -> None:
    env = {"SMSC_LOGIN": "a", "SMSC_PSW": "", "SMSC_APIKEY": "k", "OTHER": "x"}
    assert env_secrets(env) == {"login": "a", "apikey": "k"}


# -- escaped, encoded and hashed spellings ---------------------------------------------------

ESCAPED_PSW = "p@ss/w&rd 1"
"""A password with characters every escaping touches: @ / & and a space."""


def escaped_forms(value: str) -> dict[str, tuple[str, str]]:
    """The spellings a hostile server could echo ``value`` in: name -> (text, form scan names).

    Built by hand from the formats' own rules, not with the module under test.
    """
    import hashlib
    import json

    def json_u(upper: bool) -> str:
        text = "".join(f"\\u{ord(c):04x}" if not c.isalnum() else c for c in value)
        return text.upper().replace("\\U", "\\u") if upper else text

    quoted = urllib.parse.quote(value, safe="")
    return {
        "json-u-lower": (json_u(False), "json-escaped"),
        "json-u-upper": (json_u(True), "json-escaped"),
        "json-all-u": ("".join(f"\\u{ord(c):04X}" for c in value), "json-escaped"),
        "php-slash": (json.dumps(value).strip('"').replace("/", "\\/"), "json-escaped"),
        "xml-decimal": ("".join(f"&#{ord(c)};" if not c.isalnum() else c for c in value),
                        "xml-escaped"),
        "xml-hex": ("".join(f"&#x{ord(c):X};" if not c.isalnum() else c for c in value),
                    "xml-escaped"),
        "xml-padded": ("".join(f"&#00{ord(c)};" for c in value), "xml-escaped"),
        "html-entities": (value.replace("&", "&amp;").replace("/", "&sol;")
                          .replace("@", "&commat;"), "xml-escaped"),
        "url-once": (quoted, "url-encoded"),
        "url-plus": (urllib.parse.quote_plus(value), "url-encoded"),
        "url-twice": (urllib.parse.quote(quoted, safe=""), "double-url-encoded"),
        "base64": (base64.b64encode(value.encode()).decode(), "base64"),
        "md5": (hashlib.md5(value.encode()).hexdigest(), "md5"),  # noqa: S324
        "md5-upper": (hashlib.md5(value.encode()).hexdigest().upper(),  # noqa: S324
                      "md5"),
        "sha1": (hashlib.sha1(value.encode()).hexdigest(), "sha1"),  # noqa: S324
    }


FORMS = escaped_forms(ESCAPED_PSW)


@pytest.mark.parametrize("name", sorted(FORMS))
def test_every_escaped_spelling_is_redacted(name: str) -> None:
    spelled, _ = FORMS[name]
    assert redact(f"<a>{spelled}</a>", {"psw": ESCAPED_PSW}) == "<a>redacted-psw</a>"
    raw = f'{{"x": "{spelled}"}}'.encode()
    assert redact(raw, {"psw": ESCAPED_PSW}) == b'{"x": "redacted-psw"}'


@pytest.mark.parametrize("name", sorted(FORMS))
def test_every_escaped_spelling_is_found_and_named(name: str, tmp_path: Path) -> None:
    spelled, form = FORMS[name]
    (tmp_path / "planted.txt").write_text(f"first line\nsecond {spelled} here\n")
    hits = scan([tmp_path], {"psw": ESCAPED_PSW})
    assert [(h.line, h.name, h.form) for h in hits] == [(2, "psw", form)]


def test_html_entities_in_a_xml_body_keep_it_parseable() -> None:
    body = (b"<list>\n<stat>\n<login>p&#64;ss&#x2f;w&amp;rd&#32;1</login>\n<sms>3</sms>\n"
            b"<credit>1.50</credit>\n<debit>0.00</debit>\n<currency>RUB</currency>\n</stat>\n"
            b"</list>")
    clean = redact(body, {"psw": ESCAPED_PSW})
    reply = parse(clean, call="get_stat", fmt=2)
    assert isinstance(reply, list)
    assert isinstance(reply[0], StatRow)
    assert reply[0].login == "redacted-psw"


# -- spellings an attacker found missing (issue 10) ------------------------------------------

DATA = Path(__file__).parent.parent / "data" / "secrets"
EYES = {"login": "eyeslogin", "psw": "Сек-ret_pw9"}
"""The credentials the files in tests/data/secrets leaked."""


def test_a_login_split_by_a_comment_and_a_password_split_over_cdata_are_found() -> None:
    hits = scan([DATA / "cdata-split-secret.xml"], EYES)
    assert {(h.line, h.name) for h in hits} == {(3, "login"), (7, "psw")}
    assert {h.form for h in hits} == {"xml-split"}


def test_a_password_in_a_header_read_as_latin_1_is_found_in_meta_json() -> None:
    hits = scan([DATA / "meta-contenttype-psw.json"], EYES)
    # The content_type of each of the three formats: lines 15, 22 and 29.
    assert sorted({h.line for h in hits if h.name == "psw"}) == [15, 22, 29]
    assert {h.form for h in hits} == {"mojibake"}


def test_a_split_xml_value_is_not_reported_twice_when_the_raw_bytes_show_it() -> None:
    body = b"<list><stat><login>eyeslogin</login></stat></list>"
    assert scan_bytes(body, EYES) == [(1, "login", "plain")]


MISREAD = "Сек-ret_pw9"
"""A password with Cyrillic letters, whose UTF-8 bytes a server can echo misread."""


def misread_forms(value: str) -> dict[str, str]:
    """Mojibake, UTF-8 byte escapes and invisible characters inside, built by hand."""
    raw = value.encode("utf-8")
    out = {
        "utf8-as-cp1251": raw.decode("windows-1251"),
        "utf8-as-latin1": raw.decode("latin-1"),
        "utf8-bytes-json-escaped": "".join(f"\\u{b:04x}" for b in raw),
        "utf8-bytes-json-escaped-upper": "".join(f"\\u{b:04X}" for b in raw),
        "cp1251-as-latin1": value.encode("windows-1251").decode("latin-1"),
        "invisible-json-escaped": value[:3] + "\\u200b" + value[3:],
        "invisible-xml-reference": value[:3] + "&#173;" + value[3:],
    }
    for char in "\u00ad\u200b\u200c\u200d\u2060\ufeff":
        out[f"U+{ord(char):04X}-inside"] = value[:2] + char + value[2:5] + char + value[5:]
    return out


MISREAD_FORMS = misread_forms(MISREAD)


@pytest.mark.parametrize("name", sorted(MISREAD_FORMS))
def test_misread_and_invisible_spellings_are_redacted(name: str) -> None:
    spelled = MISREAD_FORMS[name]
    assert redact(f"x {spelled} y", {"psw": MISREAD}) == "x redacted-psw y"
    assert redact_message(f"x {spelled} y", {"psw": MISREAD}) == "x redacted-psw y"
    raw = f'{{"x": "{spelled}"}}'.encode()
    assert redact(raw, {"psw": MISREAD}) == b'{"x": "redacted-psw"}'


@pytest.mark.parametrize("name", sorted(MISREAD_FORMS))
def test_misread_and_invisible_spellings_are_found(name: str, tmp_path: Path) -> None:
    (tmp_path / "planted.json").write_text(f'{{\n"x": "{MISREAD_FORMS[name]}"\n}}\n',
                                           encoding="utf-8")
    hits = scan([tmp_path], {"psw": MISREAD})
    assert [(h.line, h.name) for h in hits] == [(2, "psw")]


# -- whole values in messages ----------------------------------------------------------------


def test_a_short_credential_never_rewrites_other_words_of_a_message() -> None:
    message = "--param nope=...: expected CALL:NAME=VALUE with CALL one of get_messages"
    assert redact_message(message, {"login": "a", "psw": "b"}) == message
    assert redact_message(message, {"login": "me", "psw": "es"}) == message


def test_a_short_credential_standing_as_a_value_is_masked() -> None:
    shown = redact_message("login=a psw=b&x=%62 (a)", {"login": "a", "psw": "b"})
    assert shown == "login=redacted-login psw=redacted-psw&x=redacted-psw (redacted-login)"


def test_a_long_credential_is_masked_in_a_message_only_as_a_whole_value() -> None:
    secrets = {"psw": "hunter22"}
    assert redact_message("bad hunter22: xhunter22y", secrets) == \
        "bad redacted-psw: xhunter22y"
    # In a body or a file a long credential counts anywhere, even inside a word.
    assert redact("xhunter22y", secrets) == "xredacted-pswy"


def test_a_short_credential_in_a_body_is_masked_only_as_a_whole_value() -> None:
    body = b'[{\n"login": "ab",\n"sms": "3",\n"currency": "abc"\n}]'
    assert redact(body, {"login": "ab"}) == \
        b'[{\n"login": "redacted-login",\n"sms": "3",\n"currency": "abc"\n}]'


# -- property: any misread or interleaved spelling of any value is gone after redaction ------

_VALUE_CHARS = st.sampled_from("abcXYZ019-_.@/+&" + "АБВабвжЁё" + "é")
_INVISIBLES = st.sampled_from("\u00ad\u200b\u200c\u200d\u2060\ufeff")


def _spelled(value: str, how: str, inserts: list[tuple[int, str]]) -> str:
    """``value`` with invisible characters inserted, then spelled as ``how`` says (by hand)."""
    chars = list(value)
    for pos, char in sorted(inserts, reverse=True):
        chars.insert(1 + pos % (len(value) - 1), char)  # between two characters of the value
    text = "".join(chars)
    raw = text.encode("utf-8")
    return {
        "plain": text,
        "utf8-as-cp1251": raw.decode("windows-1251", "replace"),
        "utf8-as-latin1": raw.decode("latin-1"),
        "utf8-bytes-escaped": "".join(f"\\u{b:04x}" for b in raw),
        "json-ascii": json.dumps(text)[1:-1],
    }[how]


@given(value=st.text(_VALUE_CHARS, min_size=4, max_size=12),
       how=st.sampled_from(["plain", "utf8-as-cp1251", "utf8-as-latin1", "utf8-bytes-escaped",
                            "json-ascii"]),
       inserts=st.lists(st.tuples(st.integers(1, 20), _INVISIBLES), max_size=3))
def test_any_value_in_any_misread_or_interleaved_spelling_is_redacted_and_found(
        value: str, how: str, inserts: list[tuple[int, str]]) -> None:
    spelled = _spelled(value, how, inserts)
    if "\ufffd" in spelled:
        return  # windows-1251 has no character for byte 0x98: that spelling cannot occur
    line = f"<< {spelled} >>"
    assert redact(line, {"psw": value}) == "<< redacted-psw >>"
    assert redact_message(line, {"psw": value}) == "<< redacted-psw >>"
    assert [hit[1] for hit in scan_bytes(f"x\n{line}\n".encode(), {"psw": value})] == ["psw"]
