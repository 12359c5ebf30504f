"""The ``smsc-formats`` command line: thin click commands over the library.

Commands are loaded lazily from :data:`COMMANDS`, so ``smsc-formats parse`` imports neither the
HTTP servers nor the drift detector. Every failure the user can cause ends in one line on
stderr and a non-zero exit, never a traceback.
"""

from __future__ import annotations

import importlib
from typing import Any

import click

COMMANDS: dict[str, tuple[str, str]] = {
    "parse": ("smsc_formats.cli.core", "parse_command"),
    "emit": ("smsc_formats.cli.core", "emit_command"),
    "spec": ("smsc_formats.cli.core", "spec_command"),
    "check": ("smsc_formats.cli.check", "check_command"),
    "drift": ("smsc_formats.cli.drift", "drift_command"),
    "simulate": ("smsc_formats.cli.simulate", "simulate_command"),
    "serve": ("smsc_formats.cli.serve", "serve_command"),
    "record": ("smsc_formats.cli.record", "record_command"),
    "scan-secrets": ("smsc_formats.cli.scan", "scan_command"),
}
"""Each subcommand: the module and the click command object in it."""


class LazyGroup(click.Group):
    """A group that imports a subcommand's module only when that subcommand runs."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = COMMANDS.get(cmd_name)
        if target is None:
            return None
        module, attr = target
        command: Any = getattr(importlib.import_module(module), attr)
        assert isinstance(command, click.Command)
        return command


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="smsc-formats")
def main() -> None:
    """Parse, emit, record, replay and drift-check SMSC "getting data" responses."""
