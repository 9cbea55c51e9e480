"""An HTTP server for tests that answers with whatever bytes a test scripts: the hostile
server the dev server is too well-behaved to be.

Each request is read whole (headers and a Content-Length body) and kept in ``requests``;
the script given for its path then writes the raw response, or the ``default`` script
when none matches. Scripts run on the server's own thread, one per connection.
"""

from __future__ import annotations

import socket
import socketserver
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field

Script = Callable[["Request", socket.socket], None]


@dataclass
class Request:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class RawServer:
    scripts: dict[str, Script] = field(default_factory=dict)
    default: Script | None = None
    requests: list[Request] = field(default_factory=list)
    port: int = 0

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"


def _read_request(stream: socket.socket) -> Request | None:
    data = b""
    while b"\r\n\r\n" not in data:
        piece = stream.recv(65536)
        if not piece:
            return None
        data += piece
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    method, path, _ = lines[0].split(" ", 2)
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length", "0"))
    while len(body) < length:
        piece = stream.recv(65536)
        if not piece:
            break
        body += piece
    return Request(method, path, headers, body)


def reply(status: int, body: bytes, content_type: str = "application/json", **headers: str):
    """A script: one whole response."""

    def script(request: Request, stream: socket.socket) -> None:
        extra = "".join(f"{name.replace('_', '-')}: {value}\r\n" for name, value in headers.items())
        stream.sendall(
            f"HTTP/1.1 {status} X\r\ncontent-type: {content_type}\r\n"
            f"content-length: {len(body)}\r\n{extra}connection: close\r\n\r\n".encode()
            + body
        )

    return script


def stream_of(
    pieces: Callable[[], Iterator[bytes]], content_type: str = "text/event-stream", **headers: str
) -> Script:
    """A script: a close-delimited body written piece by piece until the client leaves."""

    def script(request: Request, stream: socket.socket) -> None:
        extra = "".join(f"{name.replace('_', '-')}: {value}\r\n" for name, value in headers.items())
        stream.sendall(
            f"HTTP/1.1 200 OK\r\ncontent-type: {content_type}\r\n{extra}"
            "connection: close\r\n\r\n".encode()
        )
        try:
            for piece in pieces():
                stream.sendall(piece)
        except OSError:
            return

    return script


def never_answers(request: Request, stream: socket.socket) -> None:
    """A script: read the request, then say nothing until the client hangs up."""
    stream.settimeout(60)
    with suppress(OSError):
        stream.recv(1)


def models(model: str = "m") -> Script:
    return reply(200, f'{{"object":"list","data":[{{"id":"{model}","object":"model"}}]}}'.encode())


@contextmanager
def raw_server(**scripts: Script) -> Iterator[RawServer]:
    """Serve ``scripts`` by path (``chat`` for /v1/chat/completions, ``models`` for
    /v1/models, or a full path); anything else gets a 404."""
    state = RawServer(default=scripts.pop("default", None))
    for name, script in scripts.items():
        path = {"chat": "/v1/chat/completions", "models": "/v1/models"}.get(name, name)
        state.scripts[path] = script

    class Handler(socketserver.BaseRequestHandler):
        def handle(self) -> None:
            request = _read_request(self.request)
            if request is None:
                return
            state.requests.append(request)
            script = state.scripts.get(request.path.split("?")[0], state.default)
            if script is None:
                script = reply(404, b'{"detail":"Not Found"}')
            with suppress(OSError):  # the client hung up: what a hostile server expects
                script(request, self.request)

    class Server(socketserver.ThreadingTCPServer):
        daemon_threads = True
        allow_reuse_address = True

    server = Server(("127.0.0.1", 0), Handler)
    state.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.daemon = True
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


def forever(piece: bytes, pause: float = 0.0) -> Callable[[], Iterator[bytes]]:
    """Pieces for ``stream_of``: ``piece`` again and again, ``pause`` seconds apart."""

    def pieces() -> Iterator[bytes]:
        while True:
            yield piece
            if pause:
                time.sleep(pause)

    return pieces


def after(seconds: float, script: Script) -> Script:
    """A script: ``script``, once ``seconds`` have passed (a slow server)."""

    def delayed(request: Request, stream: socket.socket) -> None:
        time.sleep(seconds)
        script(request, stream)

    return delayed


def sse_answer(words: list[str], pause: float = 0.0) -> Script:
    """A script: a complete streamed answer, one word a chunk, ``pause`` seconds apart."""
    import json

    def pieces() -> Iterator[bytes]:
        for word in words:
            choice = {"index": 0, "delta": {"content": word}, "finish_reason": None}
            yield b"data: " + json.dumps({"choices": [choice]}).encode() + b"\n\n"
            time.sleep(pause)
        end = {"index": 0, "delta": {}, "finish_reason": "stop"}
        yield b"data: " + json.dumps({"choices": [end]}).encode() + b"\n\n"
        yield b"data: [DONE]\n\n"

    return stream_of(pieces)
