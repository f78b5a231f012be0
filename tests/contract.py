"""The schemathesis CLI against a real ``werkmatch serve`` on demo data, as an outside tester runs it.

Used by ``tests/test_zz_contract_cli.py`` and by hand::

    .venv/bin/python -m tests.contract --database sqlite --seconds 180 --seed 4242

Each role gets its own server and database (a fuzzing admin may deactivate users and revoke tokens), all
checks (``-c all``) and every phase. Returns the failures schemathesis reports, per role.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from tests.serving import free_port, serve, server_env, stop, wait_ready

ROOT = Path(__file__).resolve().parents[1]
ROLES = {
    "coach": "coach.oost@demo.werkmatch.nl",
    "adviser": "adviseur.oost@demo.werkmatch.nl",
    "jobhunter": "jobhunter.oost@demo.werkmatch.nl",
    "admin": "admin@demo.werkmatch.nl",
}


def _world(folder: Path, database: str, email: str) -> tuple[dict[str, str], str]:
    """A demo database (SQLite file or PostgreSQL schema) and a token for ``email``; the server's env."""
    from benchmarks.world import database_url
    from models.db import make_engine, session_scope
    from models.migrate import upgrade
    from models.services.demo import load_demo
    from models.services.users import create_token, get_user_by_email

    url = database_url(folder, database)
    eng = make_engine(url)
    upgrade(eng)
    with session_scope(eng) as s:
        load_demo(s, candidates=60, vacancies=30, seed=5)
        token = create_token(s, user=get_user_by_email(s, email=email), name="schemathesis")
    eng.dispose()
    return server_env(url, folder), token


def failures_of(report: Path) -> list[dict[str, Any]]:
    """The failures in a schemathesis NDJSON event stream: check name, operation, message. Raises when the
    stream holds no finished scenario at all (a run that tested nothing must not pass)."""
    found: list[dict[str, Any]] = []
    scenarios = 0
    for line in report.read_text().splitlines():
        event = json.loads(line)
        for name, body in event.items():
            if name != "ScenarioFinished":
                continue
            scenarios += 1
            recorder = body.get("recorder", {})
            label = recorder.get("label", "")
            for checks in recorder.get("checks", {}).values():
                for check in checks:
                    if str(check.get("status", "")).lower() == "failure":
                        failure = check.get("failure_info") or {}
                        found.append(
                            {
                                "operation": label,
                                "check": check.get("name"),
                                "title": (failure.get("failure") or {}).get("title", ""),
                                "code": (failure.get("failure") or {}).get("code", ""),
                            }
                        )
    if not scenarios:
        raise RuntimeError(f"{report}: schemathesis finished no scenario")
    return found


def run_role(role: str, *, database: str, seconds: int, seed: int, workdir: Path) -> list[dict[str, Any]]:
    """Serve a fresh demo world and fuzz it as one role; return the distinct failures."""
    folder = workdir / f"{database}-{role}"
    folder.mkdir(parents=True)
    env, token = _world(folder, database, ROLES[role])
    port = free_port()
    proc = serve(env, port)
    report = folder / "events.ndjson"
    try:
        wait_ready(f"http://127.0.0.1:{port}", proc)
        subprocess.run(
            [
                str(Path(sys.executable).with_name("schemathesis")),
                "run",
                f"http://127.0.0.1:{port}/openapi.json",
                "-H",
                f"Authorization: Bearer {token}",
                "-c",
                "all",
                "--max-time",
                str(seconds),
                "--seed",
                str(seed),
                "--generation-deterministic",
                "--report",
                "ndjson",
                "--report-ndjson-path",
                str(report),
                "--no-color",
            ],
            cwd=folder,
            env=os.environ | {"NO_COLOR": "1"},
            stdout=(folder / "schemathesis.txt").open("w"),
            stderr=subprocess.STDOUT,
            timeout=seconds * 4 + 300,
            check=False,
        )
    finally:
        stop(proc, 30)
        from benchmarks.world import drop_database

        drop_database(env["WERKMATCH_DATABASE_URL"])
    if not report.exists():
        raise RuntimeError(f"schemathesis wrote no report; see {folder / 'schemathesis.txt'}")
    unique = {(f["operation"], f["check"], f["title"]): f for f in failures_of(report)}
    return list(unique.values())


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.contract")
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--roles", default=",".join(ROLES))
    parser.add_argument("--seconds", type=int, default=180)
    parser.add_argument("--seed", type=int, default=4242)
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="wm-contract-"))
    out: dict[str, Any] = {}
    for role in args.roles.split(","):
        fails = run_role(role, database=args.database, seconds=args.seconds, seed=args.seed, workdir=workdir)
        out[role] = {"failures": len(fails), "details": fails}
        print(role, len(fails), flush=True)
    print(json.dumps(out, indent=1))
    print("work folder:", workdir)


if __name__ == "__main__":
    main()
