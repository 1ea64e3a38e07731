"""Faults on loopback for the outage tests and benches: a listener that never answers, a
closed port, and a proxy that can go silent (the real server in a thread is the tests'
`support.serve_in_thread`; a real server process is `bench.server.server`)."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager


class HangingListener:
    """Accepts TCP connections on 127.0.0.1 and never sends a byte: a hung database or
    Redis, as seen from a client."""

    def __init__(self) -> None:
        self._server = socket.create_server(("127.0.0.1", 0), backlog=512)
        self.port: int = self._server.getsockname()[1]
        self._held: list[socket.socket] = []
        self._closed = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while not self._closed.is_set():
            try:
                connection, _ = self._server.accept()
            except OSError:
                return
            self._held.append(connection)  # held open, never read, never answered

    @property
    def accepted(self) -> int:
        """Connections accepted so far (each one a client that then waited in vain)."""
        return len(self._held)

    def close(self) -> None:
        self._closed.set()
        self._server.close()
        for connection in self._held:
            connection.close()


@contextmanager
def hanging_listener() -> Iterator[HangingListener]:
    listener = HangingListener()
    try:
        yield listener
    finally:
        listener.close()


def closed_port() -> int:
    """A loopback port nobody listens on (connections are refused at once)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class FreezableProxy:
    """A TCP proxy on 127.0.0.1 to `target_port` that can go silent: after `freeze()` it
    reads and forwards nothing more, in either direction, while keeping every connection
    open — a database server that stopped answering under established connections.
    `listen_port` (default: any free one) lets a test bring a "down" port back up."""

    def __init__(self, target_port: int, listen_port: int = 0) -> None:
        self._target = target_port
        self._server = socket.create_server(("127.0.0.1", listen_port), backlog=128)
        self.port: int = self._server.getsockname()[1]
        self._frozen = threading.Event()
        self._sockets: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def freeze(self) -> None:
        self._frozen.set()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._server.accept()
            except OSError:
                return
            upstream = socket.create_connection(("127.0.0.1", self._target))
            self._sockets += [client, upstream]
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        source.settimeout(0.05)
        while not self._frozen.is_set():
            try:
                data = source.recv(65536)
            except TimeoutError:
                continue
            except OSError:
                return
            if not data or self._frozen.is_set():
                return
            try:
                sink.sendall(data)
            except OSError:
                return

    def close(self) -> None:
        self._server.close()
        for sock in self._sockets:
            sock.close()
