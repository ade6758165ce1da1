"""Serve an ``Emulator`` over HTTP/1.1 on 127.0.0.1, from the command line or inside a test.

Built on the standard library's threading server: it starts in milliseconds on a free port, keeps
connections alive for ``requests.Session``, and can really drop a connection after applying a write
(the "applied, then the connection drops" fault), which an ASGI server cannot.
"""
from __future__ import annotations

import logging
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from .dispatch import dispatch
from .emulator import Emulator

log = logging.getLogger("tiktok_emulator.http")


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "tiktok-emulator"
    emulator: Emulator  # set on the per-server subclass
    disable_nagle_algorithm = True  # headers and body go out as separate writes; without this each reply waits ~40 ms

    def _handle(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        headers = {k.lower(): v for k, v in self.headers.items()}
        reply = dispatch(self.emulator, self.command, self.path, headers, body)
        if reply.drop:
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            return
        self.send_response(reply.status)
        for key, value in reply.headers.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(reply.body)))
        self.end_headers()
        self.wfile.write(reply.body)

    do_GET = do_POST = do_PUT = do_DELETE = _handle

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002  (stdlib signature)
        log.debug("%s " + format, self.address_string(), *args)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = False
    request_queue_size = 128


class EmulatorServer:
    """An emulator on a port. ``port=0`` picks a free one; use as a context manager in tests."""

    def __init__(self, emulator: Emulator, host: str = "127.0.0.1", port: int = 0) -> None:
        self.emulator = emulator
        handler = type("Handler", (_Handler,), {"emulator": emulator})
        self.httpd = _Server((host, port), handler)  # raises OSError(EADDRINUSE) when taken
        self.host, self.port = self.httpd.server_address[:2]
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def base_url(self) -> str:
        """TikTok's API base, as a client is configured with it."""
        return f"{self.url}/open_api/v1.3/"

    def start(self) -> EmulatorServer:
        self._thread = threading.Thread(target=self.httpd.serve_forever, name="tiktok-emulator", daemon=True)
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        self.httpd.serve_forever()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.emulator.close()

    def __enter__(self) -> EmulatorServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def start_in_process(scenario: str | dict = "default", seed: int | None = None, port: int = 0) -> EmulatorServer:
    """Build an emulator and serve it from a background thread (tests, ``make run``)."""
    return EmulatorServer(Emulator(scenario, seed), port=port).start()
