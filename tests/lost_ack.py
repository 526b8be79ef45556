"""A loopback proxy in front of PostgreSQL that loses one acknowledgement:
it passes the COMMIT of the first transaction that wrote an audit entry on
to the server, waits for the server's answer (sent only once the commit is
done) and then cuts the client off instead of handing the answer over."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress

from sqlalchemy.engine import make_url


class LostAckProxy:
    def __init__(self, upstream: tuple[str, int]) -> None:
        self.upstream = upstream
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.cut = threading.Event()  # set once the acknowledgement was dropped
        self._stop = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self._stop:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            server = socket.create_connection(self.upstream)
            state = {"wrote": False, "committing": False}
            threading.Thread(target=self._up, args=(client, server, state), daemon=True).start()
            threading.Thread(target=self._down, args=(server, client, state), daemon=True).start()

    def _up(self, client: socket.socket, server: socket.socket, state: dict[str, bool]) -> None:
        while data := _recv(client):
            if b"INSERT INTO audit_log" in data:
                state["wrote"] = True
            if state["wrote"] and b"COMMIT" in data and not self.cut.is_set():
                state["committing"] = True
            try:
                server.sendall(data)
            except OSError:
                break
        _close(server)

    def _down(self, server: socket.socket, client: socket.socket, state: dict[str, bool]) -> None:
        while data := _recv(server):
            if state["committing"]:  # the server's answer to COMMIT: the commit is done
                self.cut.set()
                break
            try:
                client.sendall(data)
            except OSError:
                break
        _close(client)
        _close(server)

    def close(self) -> None:
        self._stop = True
        _close(self.listener)


def _recv(sock: socket.socket) -> bytes:
    try:
        return sock.recv(65536)
    except OSError:
        return b""


def _close(sock: socket.socket) -> None:
    with suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    sock.close()


@contextmanager
def lost_ack_url(url: str) -> Iterator[tuple[str, LostAckProxy]]:
    """``url`` through a :class:`LostAckProxy` (without TLS, so it can read)."""
    u = make_url(url)
    proxy = LostAckProxy((u.host or "127.0.0.1", u.port or 5432))
    try:
        through = u.set(host="127.0.0.1", port=proxy.port).update_query_dict({"sslmode": "disable"})
        yield through.render_as_string(hide_password=False), proxy
    finally:
        proxy.close()
