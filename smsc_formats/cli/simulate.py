"""``simulate``: run the SMSC simulator on a local port until Ctrl-C."""

from __future__ import annotations

import signal
import sys
import threading
from types import FrameType

import click

from ..edge.drifts import DRIFTS
from ..edge.simulator import SimulatorConfig, start_simulator
from .common import fail


def _stop(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


_DRIFT_HELP = "\b\nDrift kinds (--drift):\n" + "\n".join(
    f"  {name:<15} {kind.doc}" for name, kind in sorted(DRIFTS.items()))


@click.command("simulate", epilog=_DRIFT_HELP)
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", type=click.IntRange(0, 65535), default=8123, show_default=True,
              help="Port to listen on; 0 picks a free one.")
@click.option("--seed", type=int, default=0, show_default=True,
              help="Seed of the dataset: other values, same shape.")
@click.option("--login", envvar="SMSC_LOGIN", default=None, show_envvar=True,
              help="Login the simulator accepts (with --psw).  [default: demo]")
@click.option("--psw", envvar="SMSC_PSW", default=None, show_envvar=True,
              help="Password the simulator accepts.  [default: demo-password]")
@click.option("--apikey", envvar="SMSC_APIKEY", default=None, show_envvar=True,
              help="API key the simulator accepts (alone, or besides --login/--psw).")
@click.option("--no-limits", is_flag=True, help="Do not enforce the rate limits (error 9).")
@click.option("--drift", type=click.Choice(sorted(DRIFTS)), default=None, metavar="KIND",
              help="Answer as a changed server would: inject this kind of drift (below).")
def simulate_command(host: str, port: int, seed: int, login: str | None, psw: str | None,
                     apikey: str | None, no_limits: bool, drift: str | None) -> None:
    """Serve the six "getting data" calls like SMSC does, from a seeded dataset.

    Paths /sys/get.php, /sys/info.php and /sys/tinyurls.php answer GET and POST in all four
    formats. Credentials come from the options or from SMSC_LOGIN + SMSC_PSW and/or
    SMSC_APIKEY; with none given the simulator accepts login "demo", password
    "demo-password". The data does not follow the clock: "now" is 24.11.2026 12:xx Moscow
    time for every seed; messages go back 12 days, incoming messages 60 hours. Access lines
    on stderr name the path, call, fmt and status, never a credential. Ctrl-C stops it.
    """
    if (login is None) != (psw is None):
        fail("give both --login and --psw (or SMSC_LOGIN and SMSC_PSW)", 2)
    if login is None and apikey is None:
        config = SimulatorConfig(seed=seed, limits=not no_limits, drift=drift)
    else:
        config = SimulatorConfig(seed=seed, login=login, psw=psw, apikey=apikey,
                                 limits=not no_limits, drift=drift)
    try:
        server = start_simulator(config, host, port, access_log=_log)
    except OSError as exc:
        fail(f"cannot listen on {host}:{port}: {exc.strerror or exc}", 2)
    previous = signal.signal(signal.SIGTERM, _stop)
    try:  # from here on, Ctrl-C or SIGTERM at any moment ends in a clean stop
        now = server.dataset.now
        click.echo(f"seed {seed}, limits {'off' if no_limits else 'on'}, drift {drift or 'none'}"
                   f"; data pinned to {now:%d.%m.%Y %H:%M:%S} Moscow time (record with "
                   f"--as-of {now:%d.%m.%Y})", err=True)
        click.echo(f"listening on {server.base_url}")
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not interrupt this
        signal.signal(signal.SIGTERM, previous)
        server.shutdown()
    click.echo("stopped", err=True)


def _log(line: str) -> None:
    click.echo(line, err=True)
    sys.stderr.flush()
