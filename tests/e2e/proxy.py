"""A small HTTP proxy on 127.0.0.1 for tests: CONNECT tunnels and absolute-form forwarding (plain HTTP and
websocket upgrades), recording every request it carried and stamping `Via: 1.1 test-proxy` on forwarded ones."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from urllib.parse import urlsplit

VIA = "1.1 test-proxy"
_HOP_BY_HOP = {"proxy-authorization", "proxy-connection", "keep-alive"}


@dataclass(frozen=True)
class ProxiedRequest:
    method: str
    target: str  # absolute URL, or host:port for CONNECT
    headers: dict[str, str]  # lower-case names

    @property
    def path(self) -> str:
        return urlsplit(self.target).path


class ForwardingProxy:
    def __init__(self) -> None:
        self.requests: list[ProxiedRequest] = []
        self.url = ""

    @contextlib.asynccontextmanager
    async def running(self, *, user: str | None = None, password: str | None = None) -> AsyncIterator[str]:
        """Serve until the block ends; yields the proxy URL (with the credentials in it, when given)."""
        server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        credentials = f"{user}:{password}@" if user else ""
        self.url = f"http://{credentials}127.0.0.1:{port}"
        try:
            yield self.url
        finally:
            server.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(server.wait_closed(), timeout=5)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
            writer.close()
            return
        request_line, *lines = head.decode("latin-1").rstrip("\r\n").split("\r\n")
        method, target, version = request_line.split(" ", 2)
        headers = [tuple(line.split(":", 1)) for line in lines if ":" in line]
        self.requests.append(ProxiedRequest(method, target, {k.strip().lower(): v.strip() for k, v in headers}))
        try:
            if method == "CONNECT":
                host, port = target.rsplit(":", 1)
                up_reader, up_writer = await asyncio.open_connection(host, int(port))
                writer.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
            else:
                url = urlsplit(target)
                up_reader, up_writer = await asyncio.open_connection(url.hostname, url.port or 80)
                upgrade = any(k.strip().lower() == "upgrade" for k, _ in headers)
                kept = [(k, v) for k, v in headers if k.strip().lower() not in _HOP_BY_HOP]
                if not upgrade:  # one request per connection: no need to parse where the next one starts
                    kept = [(k, v) for k, v in kept if k.strip().lower() != "connection"] + [("Connection", " close")]
                path = url.path + (f"?{url.query}" if url.query else "")
                rendered = "".join(f"{k}:{v}\r\n" for k, v in [*kept, ("Via", f" {VIA}")])
                up_writer.write(f"{method} {path} {version}\r\n{rendered}\r\n".encode("latin-1"))
        except OSError:
            writer.write(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
            writer.close()
            return
        await _pipe_both(reader, writer, up_reader, up_writer)


async def _pipe_both(
    reader: asyncio.StreamReader,
    writer: asyncio.StreamWriter,
    up_reader: asyncio.StreamReader,
    up_writer: asyncio.StreamWriter,
) -> None:
    async def pipe(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
        with contextlib.suppress(ConnectionError):
            while chunk := await source.read(65536):
                sink.write(chunk)
                await sink.drain()

    upward = asyncio.create_task(pipe(reader, up_writer))
    try:
        await pipe(up_reader, writer)  # until the server closes (after its reply, or the websocket's end)
    finally:
        upward.cancel()
        for each in (writer, up_writer):
            each.close()
