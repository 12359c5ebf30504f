"""``serve``: answer SMSC requests from a recorded fixture corpus on a local HTTP server."""

from __future__ import annotations

import logging
import signal
import sys
import time
from pathlib import Path
from types import FrameType

import click

from .common import fail


def _stop(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


@click.command("serve")
@click.argument("directory", metavar="DIR", type=click.Path(path_type=Path))
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", type=click.IntRange(0, 65535), default=0, show_default=True,
              help="Port to listen on; 0 picks a free one.")
@click.option("-q", "--quiet", is_flag=True, help="Log only misses, not every answer.")
def serve_command(directory: Path, host: str, port: int, quiet: bool) -> None:
    """Serve the corpus in DIR (fixtures/<call>/<case>/) until Ctrl-C.

    A request the recorder made gets the recorded body byte for byte; any other gets HTTP 404
    with an SMSC error 1 body, and a line on stderr naming the closest recorded case.
    Credentials in requests are ignored and never logged. The header
    "X-Smsc-Case: CALL/CASE" picks a case by name (e.g. a documentation example that
    answers the same request as a recorded case).
    """
    from ..edge.replay import start_replay
    from ..edge.store import StoreError

    logging.basicConfig(level=logging.WARNING if quiet else logging.INFO,
                        format="%(message)s", stream=sys.stderr)
    try:
        server = start_replay(directory, host=host, port=port)
    except StoreError as exc:
        fail(str(exc), 2)
    except OSError as exc:
        fail(f"cannot listen on {host}:{port}: {exc.strerror or exc}", 2)
    # Also when started in the background of a script, where SIGINT comes in ignored.
    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGTERM, _stop)
    try:
        click.echo(f"serving {directory} on {server.base_url}")
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        server.shutdown()
    click.echo("stopped", err=True)
