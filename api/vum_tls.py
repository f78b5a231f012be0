"""Mutual TLS for `werkmatch vum serve`: uvicorn's HTTP/1.1 protocol, telling the application which client
certificate the connection presented, the way the ASGI TLS extension names it
(``scope["extensions"]["tls"]["client_cert_chain"]``, PEM)."""

from __future__ import annotations

import ssl
from typing import Any

from uvicorn.protocols.http.h11_impl import H11Protocol


class ClientCertificateProtocol(H11Protocol):
    """H11 with the peer certificate of a TLS connection in every request's scope."""

    def connection_made(self, transport: Any) -> None:
        super().connection_made(transport)
        ssl_object = transport.get_extra_info("ssl_object")
        der = ssl_object.getpeercert(binary_form=True) if ssl_object is not None else None
        tls = {
            "client_cert_chain": [ssl.DER_cert_to_PEM_cert(der)] if der else [],
            "tls_version": None,
            "cipher_suite": None,
        }
        app = self.app

        async def with_certificate(scope: Any, receive: Any, send: Any) -> None:
            if scope["type"] == "http":
                scope.setdefault("extensions", {})["tls"] = tls
            await app(scope, receive, send)

        self.app = with_certificate


def server_context_options(*, certfile: str, keyfile: str, ca: str) -> dict[str, Any]:
    """uvicorn's TLS settings for a listener that requires a client certificate chaining to ``ca``."""
    return {
        "ssl_certfile": certfile,
        "ssl_keyfile": keyfile,
        "ssl_ca_certs": ca,
        "ssl_cert_reqs": ssl.CERT_REQUIRED,
    }
