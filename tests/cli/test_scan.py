"""``smsc-formats scan-secrets``: exit 1 with file:line per hit, 0 clean, 2 with nothing to find."""

from __future__ import annotations

import base64
from pathlib import Path

from click.testing import CliRunner

from smsc_formats.cli import main

LOGIN, PSW = "scan-login", "scan-password/1"
ENV: dict[str, str | None] = {"SMSC_LOGIN": LOGIN, "SMSC_PSW": PSW, "SMSC_APIKEY": None}


def _run(args: list[str], env: dict[str, str | None]) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, args, env=env)
    return result.exit_code, result.stdout, result.stderr


def test_hits_are_listed_by_file_and_line_without_the_value(tmp_path: Path) -> None:
    (tmp_path / "ok.txt").write_text("redacted-login,1,0.00,0.00,RUB")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "meta.json").write_text('{\n"psw": "scan-password%2F1"\n}\n')
    token = base64.b64encode(LOGIN.encode()).decode()
    (tmp_path / "sub" / "log.txt").write_text(f"a\nb\nc\nAuthorization: Basic {token}\n")
    code, stdout, stderr = _run(["scan-secrets", str(tmp_path)], ENV)
    assert code == 1
    assert stdout.splitlines() == [f"{tmp_path}/sub/log.txt:4: login (base64)",
                                   f"{tmp_path}/sub/meta.json:2: psw (url-encoded)"]
    assert "2 secret(s) found in 2 file(s)" in stderr
    for text in (stdout, stderr):
        assert LOGIN not in text
        assert PSW not in text


def test_clean_folder_exits_0(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("nothing secret")
    code, stdout, stderr = _run(["scan-secrets", str(tmp_path)], ENV)
    assert (code, stdout) == (0, "")
    assert "no secrets found" in stderr


def test_no_secret_in_the_environment_exits_2(tmp_path: Path) -> None:
    code, _, stderr = _run(["scan-secrets", str(tmp_path)],
                           {"SMSC_LOGIN": None, "SMSC_PSW": None, "SMSC_APIKEY": None})
    assert code == 2
    assert stderr.startswith("smsc-formats: error: nothing to look for")


def test_apikey_alone_is_enough(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("x\nkey=abcdef123456\n")
    code, stdout, _ = _run(["scan-secrets", str(tmp_path)],
                           {"SMSC_LOGIN": None, "SMSC_PSW": None,
                            "SMSC_APIKEY": "abcdef123456"})
    assert code == 1
    assert stdout == f"{tmp_path}/a.txt:2: apikey (plain)\n"


def test_every_escaped_spelling_of_the_password_is_found(tmp_path: Path) -> None:
    from tests.edge.test_secrets import ESCAPED_PSW, FORMS

    for name, (spelled, _) in FORMS.items():
        (tmp_path / f"{name}.txt").write_text(f"planted\n{spelled}\n")
    code, stdout, stderr = _run(["scan-secrets", str(tmp_path)],
                                {**ENV, "SMSC_PSW": ESCAPED_PSW})
    assert code == 1
    assert sorted(stdout.splitlines()) == sorted(
        f"{tmp_path}/{name}.txt:2: psw ({form})" for name, (_, form) in FORMS.items())
    assert f"{len(FORMS)} secret(s) found in {len(FORMS)} file(s)" in stderr
    assert ESCAPED_PSW not in stdout + stderr


DATA = Path(__file__).parent.parent / "data" / "secrets"


def test_the_attackers_split_and_misread_leaks_are_found() -> None:
    env: dict[str, str | None] = {"SMSC_LOGIN": "eyeslogin", "SMSC_PSW": "Сек-ret_pw9",
                                  "SMSC_APIKEY": None}
    code, stdout, _ = _run(["scan-secrets", str(DATA)], env)
    assert code == 1
    assert stdout.splitlines() == [
        f"{DATA}/cdata-split-secret.xml:3: login (xml-split)",
        f"{DATA}/cdata-split-secret.xml:7: psw (xml-split)",
        f"{DATA}/meta-contenttype-psw.json:15: psw (mojibake)",
        f"{DATA}/meta-contenttype-psw.json:22: psw (mojibake)",
        f"{DATA}/meta-contenttype-psw.json:29: psw (mojibake)",
    ]
    assert "Сек" not in stdout
