"""``simulate``: run the SMSC simulator on a local port until Ctrl-C."""

from __future__ import annotations

import signal
import sys
import threading
from datetime import date
from types import FrameType

import click

from ..edge.recorder import today_in_server_tz
from ..edge.simulator import SimulatorConfig, start_simulator
from ..errors import RequestError
from ..request import parse_date
from ..sim.drifts import DRIFTS
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
@click.option("--day", default=None, metavar="DD.MM.YYYY",
              help="Pin the data to this day.  [default: today, Moscow time]")
def simulate_command(host: str, port: int, seed: int, login: str | None, psw: str | None,
                     apikey: str | None, no_limits: bool, drift: str | None,
                     day: str | None) -> None:
    """Serve the six "getting data" calls like SMSC does, from a seeded dataset.

    Paths /sys/get.php, /sys/info.php and /sys/tinyurls.php answer GET and POST in all four
    formats. Credentials come from the options or from SMSC_LOGIN + SMSC_PSW and/or
    SMSC_APIKEY; with none given the simulator accepts login "demo", password
    "demo-password". "Now" is 12:xx Moscow time of --day (default today), so `record`'s
    default windows find the data; messages go back 12 days, incoming messages 60 hours.
    Access lines on stderr name the path, call, fmt and status, never a credential. Ctrl-C
    stops it.
    """
    if (login is None) != (psw is None):
        fail("give both --login and --psw (or SMSC_LOGIN and SMSC_PSW)", 2)
    pinned = today_in_server_tz() if day is None else _day(day)
    if login is None and apikey is None:
        config = SimulatorConfig(seed=seed, limits=not no_limits, drift=drift, day=pinned)
    else:
        config = SimulatorConfig(seed=seed, login=login, psw=psw, apikey=apikey,
                                 limits=not no_limits, drift=drift, day=pinned)
    try:
        server = start_simulator(config, host, port, access_log=_log)
    except OSError as exc:
        fail(f"cannot listen on {host}:{port}: {exc.strerror or exc}", 2)
    previous = signal.signal(signal.SIGTERM, _stop)
    # Also when started in the background of a script, where SIGINT comes in ignored.
    signal.signal(signal.SIGINT, _stop)
    try:  # from here on, Ctrl-C or SIGTERM at any moment ends in a clean stop
        now = server.dataset.now
        hint = ("" if now.date() == today_in_server_tz()
                else f" (record with --as-of {now:%d.%m.%Y})")
        click.echo(f"seed {seed}, limits {'off' if no_limits else 'on'}, drift {drift or 'none'}"
                   f"; data pinned to {now:%d.%m.%Y %H:%M:%S} Moscow time{hint}", err=True)
        click.echo(f"listening on {server.base_url}")
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not interrupt this
        signal.signal(signal.SIGTERM, previous)
        server.shutdown()
    click.echo("stopped", err=True)


def _day(value: str) -> date:
    try:
        return parse_date(value, "--day")
    except RequestError as exc:
        fail(str(exc), 2)


def _log(line: str) -> None:
    click.echo(line, err=True)
    sys.stderr.flush()
