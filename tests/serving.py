"""Real processes for the tests that need them: ``werkmatch serve`` on a free port, and a PostgreSQL cluster of
the test's own that it may restart or stop (the shared one on 5432 is never touched)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    """A TCP port nobody listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def serve(env: dict[str, str], port: int, *, log: Path | None = None) -> subprocess.Popen[bytes]:
    """Start ``werkmatch serve`` with ``env`` on ``port`` (not waiting for it)."""
    out = log.open("wb") if log is not None else subprocess.DEVNULL
    return subprocess.Popen(
        [sys.executable, "-m", "werkmatch.cli", "serve", "--port", str(port)],
        env=env,
        cwd=ROOT,
        stdout=out,
        stderr=subprocess.STDOUT if log is not None else subprocess.DEVNULL,
    )


def wait_ready(base: str, proc: subprocess.Popen[bytes], seconds: float = 600) -> None:
    """Wait until ``base``/ready answers 200; fails when the process dies or time runs out."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the server process exited with {proc.returncode}")
        try:
            if httpx.get(base + "/ready", timeout=5).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"{base} not ready in {seconds} s")


def stop(proc: subprocess.Popen[bytes], seconds: float = 60) -> None:
    """SIGTERM, then SIGKILL if it has not exited in ``seconds``."""
    proc.terminate()
    try:
        proc.wait(timeout=seconds)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def server_env(url: str, data: Path, **settings: str) -> dict[str, str]:
    """The environment of a server on ``url`` with its own data folder (the machine's ESCO label vectors copied
    in, so it does not embed every ESCO label again) and the built model."""
    from werkmatch.settings import Settings

    base = Settings()
    cache = base.data_dir / "cache"
    if cache.is_dir():
        shutil.copytree(cache, data / "cache", dirs_exist_ok=True)
    env = os.environ | {
        "WERKMATCH_DATABASE_URL": url,
        "WERKMATCH_DATA_DIR": str(data),
        "WERKMATCH_ESCO_DIR": str(base.esco_dir),
        "WERKMATCH_MODEL_DIR": str(base.resolved_model_dir),
        "HF_HUB_OFFLINE": "1",
        "WERKMATCH_ENGLISH_SKILLS": "false",  # half a minute of CPU per fresh data folder: not in these tests
    }
    return env | {f"WERKMATCH_{k.upper()}": v for k, v in settings.items()}


def _postgres_bin(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    versions = sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"))
    return str(versions[-1]) if versions else None


class PrivateCluster:
    """A PostgreSQL cluster in a temporary folder on a port of its own, run as the ``postgres`` user when the
    tests run as root (PostgreSQL refuses root)."""

    def __init__(self) -> None:
        initdb, pg_ctl = _postgres_bin("initdb"), _postgres_bin("pg_ctl")
        if initdb is None or pg_ctl is None:
            raise RuntimeError("PostgreSQL's initdb and pg_ctl are not installed")
        self.pg_ctl = pg_ctl
        self.as_user: list[str] = []
        self.folder = Path(tempfile.mkdtemp(prefix="wm-pg-"))
        if os.geteuid() == 0:
            if shutil.which("runuser") is None:
                raise RuntimeError("running as root without runuser: cannot start PostgreSQL as postgres")
            self.as_user = ["runuser", "-u", "postgres", "--"]
            shutil.chown(self.folder, user="postgres")
        self.data = self.folder / "data"
        self.port = free_port()
        self._run([initdb, "-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-sync", "-D", str(self.data)])
        self.url = f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, args: list[str]) -> None:
        done = subprocess.run([*self.as_user, *args], capture_output=True, text=True, timeout=120, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(args[:2])} failed: {done.stderr.strip() or done.stdout.strip()}")

    def start(self) -> None:
        """Start the server and wait until it accepts connections."""
        options = f"-p {self.port} -c listen_addresses=127.0.0.1 -c unix_socket_directories={self.folder}"
        log = self.folder / "postgres.log"
        self._run([self.pg_ctl, "-D", str(self.data), "-l", str(log), "-o", options, "-w", "start"])

    def stop(self, mode: str = "fast") -> None:
        """Stop the server: ``fast`` (clients disconnected, a clean shutdown) or ``immediate`` (as a crash)."""
        self._run([self.pg_ctl, "-D", str(self.data), "-m", mode, "-w", "stop"])

    def remove(self) -> None:
        """Stop the server if it runs and delete its folder."""
        subprocess.run(
            [*self.as_user, self.pg_ctl, "-D", str(self.data), "-m", "immediate", "stop"],
            capture_output=True,
            timeout=60,
            check=False,
        )
        shutil.rmtree(self.folder, ignore_errors=True)


@contextmanager
def private_postgres() -> Iterator[PrivateCluster]:
    """A started private cluster, removed afterwards."""
    cluster = PrivateCluster()
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.remove()
