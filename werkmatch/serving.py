"""Running uvicorn: one process, or a supervisor with several worker processes sharing one socket."""

from __future__ import annotations

import multiprocessing
import socket
import sys
from typing import Any

import uvicorn
import uvicorn._subprocess as uvicorn_subprocess
from uvicorn.supervisors import Multiprocess


class TcpConfig(uvicorn.Config):
    """uvicorn's settings, with a listening socket that says it is TCP.

    With several workers uvicorn binds the socket itself and leaves its protocol number at 0; the accepted
    connections inherit that, and asyncio then never sets TCP_NODELAY on them, so every keep-alive request
    after the first waits ~40 ms for the client's delayed ACK (uvicorn issue 3149, open; measured here: one
    client ranked at 16 requests/s with two workers against 61 with one). The socket made here is the same
    file descriptor, re-opened so that Linux reports its real protocol (IPPROTO_TCP).
    """

    def bind_socket(self) -> socket.socket:
        """The listening socket, with its protocol read back from the kernel."""
        sock = super().bind_socket()
        if sock.family in (socket.AF_INET, socket.AF_INET6) and sock.proto == 0:
            return socket.socket(fileno=sock.detach())  # family, type and protocol detected from the descriptor
        return sock


def _fork_workers() -> None:
    """Start the workers by fork instead of uvicorn's spawn, after loading what they can share read-only
    (``runtime.preload_shared``: the tokenizer's ~295 MB of native memory, one copy for all workers instead of
    one each). Nothing else is loaded here, and this process starts no thread before it forks: each worker
    creates its own database engine, ONNX session and indexer after the fork."""
    from werkmatch.runtime import preload_shared

    preload_shared()
    uvicorn_subprocess.spawn = multiprocessing.get_context("fork")  # type: ignore[assignment]


def run(app: str, *, workers: int, **options: Any) -> None:
    """Serve ``app`` (an import string of a factory) like ``uvicorn.run``, without reloading."""
    config = TcpConfig(app, factory=True, workers=workers, **options)
    server = uvicorn.Server(config=config)
    try:
        if config.workers > 1:
            _fork_workers()
            Multiprocess(config, sockets=[config.bind_socket()]).run()
        else:
            config.load_app()
            server.run()
    except KeyboardInterrupt:
        pass
    if config.workers == 1 and not server.started:
        sys.exit(3)  # uvicorn's STARTUP_FAILURE
