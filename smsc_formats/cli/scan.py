"""``scan-secrets``: find the credentials of the environment in any form in a folder's files."""

from __future__ import annotations

import os
from pathlib import Path

import click

from .common import fail


@click.command("scan-secrets")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True))
def scan_command(paths: tuple[str, ...]) -> None:
    """Look for the values of SMSC_LOGIN, SMSC_PSW and SMSC_APIKEY in the files under PATHS.

    Every spelling counts, even mixed within one value: plain (any case); JSON \\uXXXX
    (either case) and PHP's \\/; XML decimal and hex character references and HTML
    entities; single and double URL encoding; base64; the md5 and sha1 hex of the value
    (SMSC accepts md5(psw) as psw); in UTF-8, windows-1251 or koi8-r; mojibake (UTF-8 read
    as windows-1251 or latin-1, as in a header) and \\u00XX escapes of the UTF-8 bytes;
    with soft hyphens or zero-width characters inside; and in XML split by comments or over
    CDATA sections (seen once parsed). meta.json is scanned like every other file. A
    credential under 4 characters counts only as a whole value. Prints file:line and which
    credential in which form for each hit, never the value. Exit 0 when clean, 1 when
    something was found, 2 when none of the variables is set.
    """
    from ..edge.secrets import ENV_VARS, env_secrets, scan

    secrets = env_secrets(os.environ)
    if not secrets:
        fail(f"nothing to look for: set {', '.join(ENV_VARS.values())}", 2)
    hits = scan([Path(p) for p in paths], secrets)
    for hit in hits:
        click.echo(str(hit))
    if hits:
        files = len({h.path for h in hits})
        click.echo(f"smsc-formats: {len(hits)} secret(s) found in {files} file(s)", err=True)
        raise SystemExit(1)
    click.echo(f"no secrets found ({', '.join(sorted(secrets))} checked)", err=True)
