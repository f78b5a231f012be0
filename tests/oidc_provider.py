"""A real OpenID provider on loopback for the sign-in tests: panva's certified ``oidc-provider`` (Node.js, pinned
in ``tests/oidc/package-lock.json``) run by ``tests/oidc/provider.mjs``, configured here: signing keys, clients,
and test users with their groups (kept in a file the provider reads on every sign-in, so a test can move someone
out of a group)."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import shutil
import subprocess
import threading
import time
import urllib.parse
from pathlib import Path
from typing import Any

import httpx
from joserfc.jwk import RSAKey

from tests.smtp import free_port

HERE = Path(__file__).resolve().parent / "oidc"
NODE = shutil.which("node")
API_RESOURCE = "https://werkmatch.example/api"
OTHER_RESOURCE = "https://ander-systeem.example/api"
API_AUDIENCE = "werkmatch-api"
CLIENT_ID, CLIENT_SECRET = "werkmatch", "werkmatch-test-secret-0123456789abcdef"
SHORT_CLIENT = "werkmatch-kort"  # its access tokens live one second
TOOL_REDIRECT = "http://127.0.0.1:1/terug"  # where the test's own code flow sends the code (never contacted)


def available() -> str | None:
    """Why the provider cannot run here, or None."""
    if NODE is None:
        return "Node.js is not installed"
    if not (HERE / "node_modules" / "oidc-provider").is_dir():
        return "tests/oidc/node_modules is missing: run `npm ci --prefix tests/oidc` (make test does)"
    return None


def new_key() -> dict[str, Any]:
    """A fresh RSA signing key as a private JWK with a key id."""
    kid = secrets.token_hex(8)
    key = RSAKey.generate_key(2048, parameters={"kid": kid, "use": "sig", "alg": "RS256"}, private=True)
    return dict(key.as_dict(private=True))


class Provider:
    """One provider process; ``restart`` keeps the issuer (same port) and may change the keys."""

    def __init__(self, folder: Path, *, werkmatch_url: str, accounts: dict[str, dict[str, Any]], keys=None) -> None:
        self.folder = folder
        self.port = free_port()
        self.issuer = f"http://127.0.0.1:{self.port}"
        self.werkmatch_url = werkmatch_url
        self.keys: list[dict[str, Any]] = keys or [new_key()]
        self.accounts_file = folder / "accounts.json"
        self.set_accounts(accounts)
        self.proc: subprocess.Popen[str] | None = None
        self.start()

    def set_accounts(self, accounts: dict[str, dict[str, Any]]) -> None:
        """Test users: login -> password, email, name, groups (None: no groups claim at all)."""
        self.accounts = accounts
        self.accounts_file.write_text(json.dumps(accounts))

    def config(self) -> dict[str, Any]:
        back = f"{self.werkmatch_url}/ui/inloggen?uitgelogd=1"
        web = {
            "client_secret": CLIENT_SECRET,
            "grant_types": ["authorization_code"],
            "response_types": ["code"],
            "token_endpoint_auth_method": "client_secret_basic",
            "post_logout_redirect_uris": [back],
        }
        return {
            "issuer": self.issuer,
            "port": self.port,
            "keys": self.keys,
            "accounts_file": str(self.accounts_file),
            "api_resource": API_RESOURCE,
            "resources": [
                {"indicator": API_RESOURCE, "audience": API_AUDIENCE},
                {"indicator": OTHER_RESOURCE, "audience": "ander-systeem"},
            ],
            "short_ttl_clients": [SHORT_CLIENT],
            "clients": [
                web
                | {
                    "client_id": CLIENT_ID,
                    "redirect_uris": [f"{self.werkmatch_url}/ui/inloggen/sso/terug", TOOL_REDIRECT],
                },
                web | {"client_id": SHORT_CLIENT, "redirect_uris": [TOOL_REDIRECT]},
            ],
        }

    def start(self) -> None:
        """Start the process and wait until it listens."""
        conf = self.folder / "provider.json"
        conf.write_text(json.dumps(self.config()))
        self.proc = subprocess.Popen(
            [NODE or "node", str(HERE / "provider.mjs"), str(conf)],
            cwd=HERE,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        assert self.proc.stdout is not None
        seen = []  # the provider warns first (development adapter, Node.js version), then says "ready"
        for line in self.proc.stdout:
            if line.startswith("ready"):
                break
            seen.append(line)
        else:
            raise AssertionError("the OpenID provider did not start:\n" + "".join(seen))
        # drain what it prints later, so a full pipe never blocks it
        threading.Thread(target=self.proc.stdout.read, daemon=True).start()

    def stop(self) -> None:
        """Stop the process."""
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(timeout=10)
            self.proc = None

    def restart(self, *, keys: list[dict[str, Any]] | None = None) -> None:
        """Stop and start again on the same issuer, with new keys if given (key rotation)."""
        self.stop()
        if keys is not None:
            self.keys = keys
        self.start()

    # ------------------------------------------------------------------ the browser's part, by hand
    def _follow(self, client: httpx.Client, res: httpx.Response) -> tuple[httpx.Response, str | None]:
        """Follow the provider's redirects; the first address outside the provider, if it sends the browser there."""
        for _ in range(10):
            if res.status_code not in (302, 303):
                break
            location = urllib.parse.urljoin(str(res.url), res.headers["location"])
            if not location.startswith(self.issuer):
                return res, location
            res = client.get(location)
        return res, None

    def sign_in(self, client: httpx.Client, authorize_url: str, *, login: str, password: str | None = None) -> str:
        """Follow an authorization URL as a browser would: sign in with the test user's password; return where
        the provider sends the browser back to (the redirect URI with code and state)."""
        res, back = self._follow(client, client.get(authorize_url))
        if back is not None:
            return back  # the provider still knew the browser
        assert res.status_code == 200 and 'name="login"' in res.text, res.text[:500]
        action = urllib.parse.urljoin(str(res.url), res.text.split('action="', 1)[1].split('"', 1)[0])
        pw = password if password is not None else self.accounts[login]["password"]
        res, back = self._follow(client, client.post(action, data={"login": login, "password": pw}))
        if back is not None:
            return back
        raise AssertionError(f"the provider did not send the browser back: {res.status_code} {res.text[:300]}")

    def access_token(self, login: str, *, client_id: str = CLIENT_ID, resource: str = API_RESOURCE) -> str:
        """An access token for ``resource`` through the real code flow with PKCE (as a script's helper would)."""
        token = self.tokens(login, client_id=client_id, resource=resource)["access_token"]
        assert token.count(".") == 2, f"not a JWT access token: {token[:20]}…"
        return str(token)

    def tokens(self, login: str, *, client_id: str = CLIENT_ID, resource: str = API_RESOURCE) -> dict[str, Any]:
        """The token endpoint's answer (access and ID token) after the real code flow with PKCE."""
        verifier = secrets.token_urlsafe(48)
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
        query = {
            "client_id": client_id,
            "response_type": "code",
            "scope": "openid email api",
            "redirect_uri": TOOL_REDIRECT,
            "code_challenge": challenge,
            "code_challenge_method": "S256",
            "state": secrets.token_urlsafe(8),
            "nonce": secrets.token_urlsafe(16),
            "resource": resource,
        }
        with httpx.Client(follow_redirects=False, timeout=10) as http:
            back = self.sign_in(http, f"{self.issuer}/auth?{urllib.parse.urlencode(query)}", login=login)
            code = urllib.parse.parse_qs(urllib.parse.urlsplit(back).query)["code"][0]
            res = http.post(
                f"{self.issuer}/token",
                data={
                    "grant_type": "authorization_code",
                    "code": code,
                    "redirect_uri": TOOL_REDIRECT,
                    "code_verifier": verifier,
                    "resource": resource,
                },
                auth=(client_id, CLIENT_SECRET),
            )
        assert res.status_code == 200, res.text
        answer: dict[str, Any] = res.json()
        return answer


def wait_until(check, timeout: float = 10.0) -> None:
    """Poll ``check`` until it is true."""
    end = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < end, "timed out"
        time.sleep(0.05)
