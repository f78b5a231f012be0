"""werkmatch as a VUM intermediary ("bemiddelaar"): ask the VUM exchange (or one source) over mutual TLS."""

from __future__ import annotations

import ssl
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from models.services import ServiceError

VERSION = "3.0.0"
PATHS = {"c": "werkzoekendeProfielen", "v": "vacatures"}


class VumUnavailable(ServiceError):
    """The exchange did not answer, or answered with an error."""

    status = 502


@dataclass(frozen=True)
class VumClient:
    """One party's connection to a VUM endpoint."""

    base_url: str
    own_oin: str
    via_oin: str
    to_oin: str
    certfile: Path
    keyfile: Path
    ca: Path
    suwi: bool = True
    timeout: float = 15.0

    def _client(self) -> httpx.Client:
        ctx = ssl.create_default_context(cafile=str(self.ca))
        ctx.load_cert_chain(str(self.certfile), str(self.keyfile))
        headers = {
            "X-VUM-berichtVersie": VERSION,
            "API-Version": VERSION,
            "X-VUM-fromParty": self.own_oin,
            "X-VUM-toParty": self.to_oin,
            "X-VUM-viaParty": self.via_oin,
            "X-VUM-SUWIparty": "true" if self.suwi else "false",
        }
        return httpx.Client(base_url=self.base_url.rstrip("/"), verify=ctx, headers=headers, timeout=self.timeout)

    @staticmethod
    def _json(res: httpx.Response) -> Any:
        if res.status_code != 200:
            try:
                why = res.json().get("message", "")
            except ValueError:
                why = ""
            raise VumUnavailable(f"VUM answered {res.status_code}{': ' + why if why else ''}")
        return res.json()

    def select(self, kind: str, query: dict[str, Any]) -> tuple[list[dict[str, Any]], bool]:
        """The results of a selection query and whether the source had more."""
        try:
            with self._client() as client:
                body = self._json(client.post(f"/{PATHS[kind]}/matches", json={"vraagObject": query}))
        except httpx.HTTPError as exc:
            raise VumUnavailable(f"VUM did not answer: {exc}") from exc
        return list(body.get("matches") or []), bool(body.get("maximumAantalResultatenBereikt"))

    def details(self, kind: str, ids: list[str]) -> list[dict[str, Any]]:
        """The detail records of results, in the order asked (over one connection)."""
        out: list[dict[str, Any]] = []
        try:
            with self._client() as client:
                for id_ in ids:
                    out.append(self._json(client.get(f"/{PATHS[kind]}/{id_}")))
        except httpx.HTTPError as exc:
            raise VumUnavailable(f"VUM did not answer: {exc}") from exc
        return out
