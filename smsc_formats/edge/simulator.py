"""The SMSC simulator: a threaded HTTP server answering the six calls like the real server.

It serves ``/sys/get.php``, ``/sys/info.php`` and ``/sys/tinyurls.php`` over GET and POST
(form-encoded), picks the call by the spec's path and selector, checks the credentials
(error 2), validates the parameters with :func:`smsc_formats.request.validate` (error 1),
enforces the spec's rate limits (error 9) and answers from the seeded
:mod:`~smsc_formats.sim.dataset` through :func:`smsc_formats.emit`, in the asked ``fmt`` and
``charset`` (UTF-8 unless asked otherwise). Errors are HTTP 200 with the error body, as the
real server sends them. With ``drift`` set, data bodies carry one kind of
:mod:`~smsc_formats.sim.drifts`.

Nothing it logs holds a credential: an access line names the method, path, call, fmt and
status only.
"""

from __future__ import annotations

import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

from ..sim.dataset import Dataset
from ..sim.handler import (
    AccessLog,
    Answer,
    Simulator,
    SimulatorConfig,
    decode_params,
)

POLL_SECONDS = 0.05
"""How often the serving thread checks for shutdown (so stopping takes no longer)."""
CLIENT_TIMEOUT = 30.0
"""Seconds a connection may stay silent before its thread gives up on it."""
MAX_BODY = 1 << 20
"""The largest POST body read, in bytes."""

__all__ = ["Answer", "Simulator", "SimulatorConfig", "SimulatorServer", "decode_params",
           "start_simulator"]


class _Handler(BaseHTTPRequestHandler):
    """Reads a GET or POST request, asks the :class:`Simulator`, writes its answer."""

    server: SimulatorServer
    timeout = CLIENT_TIMEOUT
    server_version = "smsc-formats-simulator"
    sys_version = ""

    def do_GET(self) -> None:
        self._serve(b"")

    def do_POST(self) -> None:
        length = self.headers.get("Content-Length", "0")
        size = int(length) if length.isascii() and length.isdigit() else -1
        if not 0 <= size <= MAX_BODY:
            self._write(Answer(HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
                               "text/plain; charset=utf-8", b"Request body too large"))
            return
        self._serve(self.rfile.read(size))

    def _serve(self, form: bytes) -> None:
        parts = urlsplit(self.path)
        query = parts.query.encode("latin-1", "replace")  # the request line is latin-1
        try:
            params = decode_params(query + b"&" + form)
            answer = self.server.simulator.handle(parts.path, params)
        except Exception:  # a bug must cost one request, never the server or a secret
            answer = Answer(HTTPStatus.INTERNAL_SERVER_ERROR, "text/plain; charset=utf-8",
                            b"Internal Server Error")
        self._write(answer, parts.path)

    def _write(self, answer: Answer, path: str = "-") -> None:
        self.send_response(answer.status)
        self.send_header("Content-Type", answer.content_type)
        self.send_header("Content-Length", str(len(answer.body)))
        self.end_headers()
        self.wfile.write(answer.body)
        if self.server.access_log is not None:
            known = path if path in self.server.simulator.paths else "-"
            status = f"{answer.status}" + (f" error={answer.error}" if answer.error else "")
            self.server.access_log(f"{self.command} {known} {answer.call} fmt={answer.fmt} "
                                   f"{status}")

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        """Silenced: the default line holds the query string, credentials included."""

    def log_message(self, format: str, *args: object) -> None:
        """Silenced for the same reason (malformed requests would echo their line)."""


class SimulatorServer(ThreadingHTTPServer):
    """The simulator listening on a socket, served from a daemon thread."""

    daemon_threads = True
    block_on_close = False
    request_queue_size = 128
    """Connections waiting to be accepted; socketserver's 5 stalls bursts of clients."""

    def __init__(self, config: SimulatorConfig, host: str = "127.0.0.1", port: int = 0,
                 access_log: AccessLog | None = None) -> None:
        self.simulator = Simulator(config)
        self.access_log = access_log
        self._thread: threading.Thread | None = None
        super().__init__((host, port), _Handler)

    def handle_error(self, request: object, client_address: object) -> None:
        """Silenced: a client that hangs up mid-answer is not the server's failure."""

    def __exit__(self, *exc: object) -> None:
        """``with start_simulator(...) as server:`` stops and closes it at the end."""
        self.shutdown()

    @property
    def config(self) -> SimulatorConfig:
        return self.simulator.config

    @property
    def dataset(self) -> Dataset:
        return self.simulator.dataset

    @property
    def base_url(self) -> str:
        """``http://HOST:PORT`` without a trailing slash."""
        host, port = self.server_address[:2]
        shown = host.decode() if isinstance(host, bytes) else host
        return f"http://{shown}:{port}"

    def start(self) -> None:
        """Serve from a daemon thread; returns at once (the socket already listens)."""
        self._thread = threading.Thread(target=self.serve_forever, args=(POLL_SECONDS,),
                                        name="smsc-simulator", daemon=True)
        self._thread.start()

    def shutdown(self) -> None:
        """Stop serving, close the socket and wait for the serving thread."""
        if self._thread is not None:
            super().shutdown()
            self._thread.join()
            self._thread = None
        self.server_close()


def start_simulator(config: SimulatorConfig, host: str = "127.0.0.1", port: int = 0, *,
                    access_log: AccessLog | None = None) -> SimulatorServer:
    """Start a simulator on ``host:port`` (0 picks a free port); returns once it listens."""
    server = SimulatorServer(config, host, port, access_log)
    server.start()
    return server
