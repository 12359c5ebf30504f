"""A scripted HTTP server on 127.0.0.1, for tests of clients that must meet odd servers.

One helper instead of a hand-written ``BaseHTTPRequestHandler`` per test module::

    with loopback(lambda req: Answer(200, b"ERROR = 1")) as server:
        fetch(server.url, ...)
        assert server.seen[0].path == "/sys/get.php"

The script is a function of the :class:`Seen` request, or a list of :class:`Answer` given in
order (the last one repeats). An answer can reset the connection instead of replying. The
server binds 127.0.0.1 port 0 only, and is shut down when the block ends.
"""

from __future__ import annotations

import socket
import struct
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs


@dataclass(frozen=True)
class Seen:
    """One request the server received."""

    method: str
    path: str
    body: bytes

    @property
    def form(self) -> dict[str, str]:
        """The form-encoded body as parameters (the last of a repeated one)."""
        return {k: v[-1] for k, v in parse_qs(self.body.decode("ascii", "replace")).items()}


@dataclass(frozen=True)
class Answer:
    """What the server sends back; ``reset`` closes the connection with an RST instead."""

    status: int = 200
    body: bytes = b""
    content_type: str | None = "text/plain; charset=utf-8"
    headers: tuple[tuple[str, str], ...] = ()
    reset: bool = False
    delay: float = 0.0
    """Seconds to wait before answering (for client timeouts)."""


RESET = Answer(reset=True)
"""An answer that resets the connection before any byte of a response."""

Script = Callable[[Seen], Answer] | Sequence[Answer]


@dataclass
class Loopback:
    """A running scripted server: its base URL and every request it has seen, in order."""

    url: str
    seen: list[Seen] = field(default_factory=list)


@contextmanager
def loopback(script: Script) -> Iterator[Loopback]:
    """Serve ``script`` on 127.0.0.1:<free port> for the length of the ``with`` block."""
    state = Loopback(url="")
    lock = threading.Lock()

    def answer_for(seen: Seen) -> Answer:
        with lock:
            state.seen.append(seen)
            index = len(state.seen) - 1
        if callable(script):
            return script(seen)
        return script[min(index, len(script) - 1)]

    class Handler(BaseHTTPRequestHandler):
        def _serve(self) -> None:
            size = int(self.headers.get("Content-Length", "0") or "0")
            body = self.rfile.read(size) if size else b""
            answer = answer_for(Seen(self.command, self.path, body))
            if answer.delay:
                threading.Event().wait(answer.delay)
            if answer.reset:
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                           struct.pack("ii", 1, 0))
                self.connection.close()
                self.close_connection = True
                return
            self.send_response(answer.status)
            if answer.content_type is not None:
                self.send_header("Content-Type", answer.content_type)
            for name, value in answer.headers:
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(answer.body)))
            self.end_headers()
            self.wfile.write(answer.body)

        do_GET = do_POST = _serve

        def log_message(self, format: str, *args: Any) -> None:
            return None

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
