"""A small HTTP forwarding proxy for tests: every host it is asked for is this machine.

A client that uses it sends absolute URLs (``POST http://gpu-box.test:8000/v1/... HTTP/1.1``);
the proxy connects to 127.0.0.1 on that port and passes bytes both ways, so a test can
use a host name only the proxy can reach. A host named in ``html_error_hosts`` gets an
HTML error page instead, as a corporate proxy sends one.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from urllib.parse import urlsplit


class ForwardingProxy:
    def __init__(self, html_error_hosts: tuple[str, ...] = ()) -> None:
        self.port = 0
        self.seen: list[str] = []  # the request lines it forwarded or refused
        self._html_error_hosts = html_error_hosts
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> ForwardingProxy:
        ready = threading.Event()

        def run() -> None:
            loop = asyncio.new_event_loop()
            self._loop = loop
            server = loop.run_until_complete(asyncio.start_server(self._handle, "127.0.0.1", 0))
            self.port = server.sockets[0].getsockname()[1]
            ready.set()
            loop.run_forever()

        self._thread = threading.Thread(target=run, daemon=True)
        self._thread.start()
        ready.wait(5)
        return self

    def stop(self) -> None:
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            line = await reader.readline()
            if not line:
                return
            method, target, _version = line.decode("latin-1").split(" ", 2)
            self.seen.append(f"{method} {target}")
            if method == "CONNECT":  # HTTPS: a tunnel to this machine, TLS passes through
                await self._tunnel(reader, writer, int(target.rpartition(":")[2]))
                return
            url = urlsplit(target)
            if url.hostname in self._html_error_hosts:
                page = b"<!DOCTYPE html><html><body><h1>502 Bad Gateway</h1></body></html>"
                writer.write(
                    b"HTTP/1.1 502 Bad Gateway\r\ncontent-type: text/html\r\n"
                    b"content-length: %d\r\nconnection: close\r\n\r\n%s" % (len(page), page)
                )
                await writer.drain()
                return
            upstream_reader, upstream_writer = await asyncio.open_connection(
                "127.0.0.1", url.port or 80
            )
            # Forwarded as sent: the dev server takes the absolute form, as servers must.
            upstream_writer.write(line)
            await _pipe_both(reader, writer, upstream_reader, upstream_writer)
        except (ConnectionError, ValueError):
            pass
        finally:
            with contextlib.suppress(Exception):
                writer.close()

    async def _tunnel(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, port: int
    ) -> None:
        while (await reader.readline()) not in (b"\r\n", b"\n", b""):
            pass  # the CONNECT request's headers
        upstream_reader, upstream_writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
        await writer.drain()
        await _pipe_both(reader, writer, upstream_reader, upstream_writer)


async def _pipe_both(
    reader: asyncio.StreamReader,
    writer: asyncio.StreamWriter,
    upstream_reader: asyncio.StreamReader,
    upstream_writer: asyncio.StreamWriter,
) -> None:
    async def pipe(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
        with contextlib.suppress(ConnectionError):
            while data := await source.read(65536):
                sink.write(data)
                await sink.drain()
        with contextlib.suppress(Exception):
            sink.close()

    await asyncio.gather(pipe(reader, upstream_writer), pipe(upstream_reader, writer))
