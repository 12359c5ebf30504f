"""``smsc-formats parse``, ``emit`` and ``spec`` through click's test runner.

Success prints the canonical JSON (parse) or the exact wire bytes (emit), checked against the
hand-written corpus in ``tests/data``; bad input exits non-zero with exactly one line on stderr
naming the file and the place, and never a traceback.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from smsc_formats.cli import main
from smsc_formats.spec import CALLS

DATA = Path(__file__).parent.parent / "data"
VALID = DATA / "valid"
INVALID = DATA / "invalid"
EXT_FMT = {".txt": 0, ".csv": 1, ".xml": 2, ".json": 3}


def run(*args: str, stdin: bytes | None = None) -> Result:
    return CliRunner().invoke(main, list(args), input=stdin)


def one_error_line(result: Result) -> str:
    """The failure's only stderr line; asserts the failure shape the house rules ask for."""
    assert result.exit_code != 0
    assert isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("smsc-formats: error: ")
    assert result.stdout == ""
    return lines[0].removeprefix("smsc-formats: error: ")


# -- parse ------------------------------------------------------------------------------------

@pytest.mark.parametrize(("call", "name"), [
    ("get_messages", "default.txt"), ("get_answers", "default.csv"), ("get_price", "default.xml"),
    ("get_operator", "several.json"), ("get_short_link", "default.txt"),
    ("get_stat", "error9.json"),
])
def test_parse_prints_canonical_json(call: str, name: str) -> None:
    path = VALID / call / name
    expected = json.loads((VALID / call / (path.stem + ".expected.json")).read_text("utf-8"))
    for fmt_args in ([], ["--fmt", str(EXT_FMT[path.suffix])]):
        result = run("parse", "--call", call, *fmt_args, str(path))
        assert result.exit_code == 0, result.stderr
        assert json.loads(result.stdout) == expected
        assert result.stderr == ""


def test_parse_reads_stdin_in_any_charset() -> None:
    body = "login = Фёдор, sms = 1, credit = 1.50, debit = 0, currency = RUB".encode("cp1251")
    result = run("parse", "--call", "get_stat", "-", stdin=body)
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout) == [
        {"login": "Фёдор", "sms": 1, "credit": "1.50", "debit": "0", "currency": "RUB"}]
    koi8 = run("parse", "--call", "get_stat", "--charset", "koi8-r", "-",
               stdin=body.decode("cp1251").encode("koi8_r"))
    assert koi8.stdout == result.stdout


def test_parse_verbose_names_the_detected_format_and_charset() -> None:
    body = "<list>\n</list>".encode("cp1251")
    result = run("parse", "--call", "get_stat", "-v", "-", stdin=body)
    assert result.exit_code == 0
    assert result.stderr == "fmt=2 charset=utf-8\n"
    assert json.loads(result.stdout) == []


@pytest.mark.parametrize(("call", "name", "line"), [
    ("get_messages", "bad-date-text.txt",
     "{path}:1:26: get_messages fmt=0: field 'last_date': a date DD.MM.YYYY hh:mm:ss out of "
     "range: '31.02.2026 13:05:09'"),
    ("get_stat", "garbled-xml.xml", "{path}:5:1: get_stat fmt=2: malformed XML: expected '>'"),
    ("get_price", "empty-txt.txt", "{path}:1:1: get_price fmt=0: empty body"),
    ("get_answers", "not-a-charset.txt",
     "{path}:1:20: get_answers fmt=0: the body is neither UTF-8 nor windows-1251 (byte 0x98); "
     "pass its charset"),
    ("get_stat", "null-field-json.json",
     "{path}: get_stat fmt=3: $[0].sms: expected an integer, got null"),
])
def test_parse_bad_input_is_one_line(call: str, name: str, line: str) -> None:
    path = INVALID / call / name
    fmt = str(EXT_FMT[path.suffix])
    assert one_error_line(run("parse", "--call", call, "--fmt", fmt, str(path))) == \
        line.format(path=path)


def test_parse_bad_stdin_names_dash() -> None:
    result = run("parse", "--call", "get_short_link", "-", stdin=b"")
    assert one_error_line(result) == "-:1:1: get_short_link: empty body"


def test_parse_strict_fails_on_a_conformance_finding() -> None:
    body = (VALID / "get_messages" / "default.xml").read_text("utf-8").replace(
        "<last_date>24.11.2026 13:05:09</last_date>", "<last_date>24.11.2026 13:05:10</last_date>")
    assert run("parse", "--call", "get_messages", "-", stdin=body.encode()).exit_code == 0
    result = run("parse", "--call", "get_messages", "--strict", "-", stdin=body.encode())
    assert one_error_line(result).startswith("-: get_messages fmt=2: ")


def test_missing_file() -> None:
    message = one_error_line(run("parse", "--call", "get_stat", "no/such/body.txt"))
    assert message == "no/such/body.txt: No such file or directory"


@pytest.mark.parametrize("args", [
    ["parse", "--call", "get_stat", "--bogus", "x.txt"],
    ["parse", "--call", "get_nothing", "x.txt"],
    ["parse", "--call", "get_stat", "--fmt", "7", "x.txt"],
    ["parse", "x.txt"],
    ["emit", "--call", "get_stat", "x.json"],
    ["spec", "get_nothing"],
    ["frobnicate"],
    ["parse", "--call", "get_stat", "--charset", "bogus", "-"],
    ["emit", "--call", "get_stat", "--fmt", "0", "--charset", "bogus", "-"],
])
def test_wrong_flags_are_usage_errors(args: list[str]) -> None:
    result = run(*args)
    assert result.exit_code == 2
    assert isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.stderr
    assert "Error:" in result.stderr


# -- emit -------------------------------------------------------------------------------------

EXACT = sorted(p for p in VALID.glob("*/*") if p.suffix in EXT_FMT
               and not p.name.endswith(".expected.json") and not p.name.startswith("liberal-")
               and not p.name.startswith("error"))


@pytest.mark.parametrize("path", EXACT, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_emit_writes_the_server_body_from_hand_written_canonical_json(path: Path) -> None:
    expected = VALID / path.parent.name / (path.stem + ".expected.json")
    result = run("emit", "--call", path.parent.name, "--fmt", str(EXT_FMT[path.suffix]),
                 str(expected))
    assert result.exit_code == 0, result.stderr
    assert result.stdout_bytes == path.read_bytes()


def test_emit_from_stdin_in_windows_1251() -> None:
    data = json.dumps({"error": {"code": 2, "description": "ошибка авторизации"}})
    result = run("emit", "--call", "get_stat", "--fmt", "0", "--charset", "windows-1251", "-",
                 stdin=data.encode())
    assert result.exit_code == 0
    assert result.stdout_bytes == "ERROR = 2 (ошибка авторизации)".encode("cp1251")


def test_emit_malformed_json_is_one_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text('[{"login": "alex",\n  }]')
    message = one_error_line(run("emit", "--call", "get_stat", "--fmt", "0", str(path)))
    assert message == (f"{path}:2:3: get_stat: not canonical JSON: Expecting property name "
                       "enclosed in double quotes")


def test_emit_deeply_nested_json_is_one_line(tmp_path: Path) -> None:
    path = tmp_path / "deep.json"
    path.write_text("[" * 100_000)
    message = one_error_line(run("emit", "--call", "get_stat", "--fmt", "2", str(path)))
    assert message == f"{path}:1:1: get_stat: not canonical JSON: nested too deeply"


def test_emit_bad_canonical_data_names_the_path(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text('[{"login": "alex", "sms": "12", "credit": "1", "debit": "1", '
                    '"currency": "RUB"}]')
    message = one_error_line(run("emit", "--call", "get_stat", "--fmt", "0", str(path)))
    assert message == f"{path}: get_stat: $[0].sms: expected an integer, got '12'"


def test_emit_an_unencodable_character_is_one_line(tmp_path: Path) -> None:
    path = tmp_path / "e.json"
    path.write_text(json.dumps({"error": {"code": 1, "description": "😀"}}))
    message = one_error_line(run("emit", "--call", "get_stat", "--fmt", "3", "--charset",
                                 "koi8-r", str(path)))
    assert message == f"{path}: koi8-r cannot encode '😀' (U+1F600) at line 2, column 11"


def test_emit_a_value_the_format_cannot_carry_is_one_line(tmp_path: Path) -> None:
    path = tmp_path / "e.json"
    path.write_text(json.dumps([{"login": "a,b", "sms": 1, "credit": "1", "debit": "1",
                                 "currency": "RUB"}]))
    message = one_error_line(run("emit", "--call", "get_stat", "--fmt", "1", str(path)))
    assert message == (f"{path}: StatRow.login: a comma cannot be written in fmt=1 outside the "
                       "free-text field")


# -- spec -------------------------------------------------------------------------------------

def test_spec_of_one_call_shows_every_format() -> None:
    result = run("spec", "get_stat")
    assert result.exit_code == 0
    out = result.stdout
    assert out.startswith("get_stat  (sys/get.php?get_stat=1)")
    for header in ("fmt=0 key = value", "fmt=1 comma-separated", "fmt=2 XML", "fmt=3 JSON"):
        assert header in out
    assert "2:sms (string)" in out, "get_stat's sms is quoted on the page"
    assert "get_messages" not in out


def test_spec_of_all_calls() -> None:
    out = run("spec").stdout
    for call in CALLS:
        assert f"{call}  (" in out
    assert "1:Status [value]" not in out
    assert "2:check_time [date]" in out
    assert "2:last_timestamp [timestamp]" in out
    assert "2:name [attribute]" in out
    assert "OperatorInfo" in out
    assert "PhoneOperatorInfo" in out


@pytest.mark.parametrize("columns", [80, 100, 200])
def test_spec_fits_the_terminal_width(columns: int) -> None:
    result = CliRunner().invoke(main, ["spec"], env={"COLUMNS": str(columns)})
    assert result.exit_code == 0
    widest = max(len(line) for line in result.stdout.splitlines())
    assert widest <= columns
    # Every place of every field is there, whichever layout fits.
    for text in ("2:check_time [date]", "3:last_timestamp [timestamp] (number)",
                 "2:sms (string)", "fmt=1 comma-separated"):
        assert text in result.stdout


def test_spec_says_the_limits_in_plain_words() -> None:
    # The page: 3 identical requests a minute, 30 history requests an hour, 14 at once.
    out = run("spec", "get_messages").stdout
    assert ("limits: 3 identical requests per minute; 30 requests of this call per hour; "
            "14 requests at once") in " ".join(out.split())
    assert "per 3600s" not in out
    assert "100 requests of this call per minute" in " ".join(run("spec", "get_operator")
                                                               .stdout.split())


@pytest.mark.parametrize("command", [["parse", "--call", "get_stat"],
                                     ["emit", "--call", "get_stat", "--fmt", "3"]])
def test_an_unusable_charset_is_a_usage_error_exiting_2(command: list[str]) -> None:
    result = run(*command, "--charset", "rot13", "-", stdin=b"[]")
    assert result.exit_code == 2
    assert ("Invalid value for '--charset': unsupported charset 'rot13': not an "
            "ASCII-compatible text charset") in " ".join(result.stderr.split())


def test_a_hostile_body_is_one_line_not_a_traceback() -> None:
    body = b'{"error_code":1e9999999999999999999}'
    for fmt in ("0", "3"):
        result = run("parse", "--call", "get_stat", "--fmt", fmt, "-v", "-", stdin=body)
        assert result.exit_code == 1
        assert "Traceback" not in result.stderr
