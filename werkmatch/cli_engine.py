"""CLI commands of the matching engine: index, taxonomy, evaluation."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from werkmatch.cli import err, fail, progress_bar

index_app = typer.Typer(help="Build and inspect the vector indexes.", no_args_is_help=True)
taxonomy_app = typer.Typer(help="Normalise occupations and skills to ESCO.", no_args_is_help=True)
eval_app = typer.Typer(help="Evaluate taxonomy and ranking quality on tasks built from ESCO.", no_args_is_help=True)


@index_app.command("build")
def index_build(force: Annotated[bool, typer.Option(help="re-check every row, not only changed ones")] = False) -> None:
    """Bring the indexes in step with the database and save them."""
    from werkmatch.context import transaction
    from werkmatch.runtime import make_store

    store = make_store()
    with transaction() as session, progress_bar() as bar:
        task = bar.add_task("indexeren", total=None)
        stats = store.sync(session, progress=lambda n: bar.advance(task, n), force=force)
    store.save()
    e = store.engine
    typer.echo(
        f"index: {len(e.candidates)} candidates, {len(e.vacancies)} vacancies "
        f"({stats['added']} (re)indexed, {stats['removed']} removed); model {e.embedder.version}"
    )


@index_app.command("embed")
def index_embed(
    cluster: Annotated[
        str,
        typer.Option(help="where to encode: none (this process), local (a Dask LocalCluster) or tcp://HOST:8786"),
    ] = "none",
    workers: Annotated[int, typer.Option(min=1, max=256, help="worker processes of a local cluster")] = 2,
) -> None:
    """Embed every profile whose stored vectors are missing, stale or from another model into the database
    (the indexer's work in bulk, e.g. after a model change); API workers and `index build` then load them."""
    import time

    from models.services.distributed import DaskEmbedder, ModelSpec, dask_client, valid_cluster, worker_count
    from models.services.indexer import Indexer
    from werkmatch.context import engine
    from werkmatch.runtime import make_indexer, taxonomy_or_none
    from werkmatch.settings import get_settings

    if not valid_cluster(cluster):
        raise fail(f"--cluster: '{cluster}' is not none, local or a scheduler address tcp://HOST:PORT")
    settings = get_settings()
    t = time.perf_counter()

    def catch_up(indexer: Indexer) -> int:
        with progress_bar() as bar:
            task = bar.add_task("vectoren berekenen", total=None)
            return indexer.catch_up(engine(settings), progress=lambda n: bar.advance(task, n))

    if cluster == "none":
        done = catch_up(make_indexer(settings))
        where = "this process"
    else:
        with dask_client(cluster, workers=workers) as client:
            on_cluster = DaskEmbedder(client, ModelSpec.of(settings))
            done = catch_up(Indexer(embedder=on_cluster, taxonomy=taxonomy_or_none(settings, embedder=on_cluster)))
            where = f"{worker_count(client)} Dask worker(s)"
    typer.echo(f"embedded {done} profile(s) into the database in {time.perf_counter() - t:.1f} s on {where}")


@index_app.command("status")
def index_status() -> None:
    """Say whether the saved index is in step with the database."""
    from sqlalchemy import select

    from models.services.matching import MANIFEST, _stamp
    from models.tables import Candidate, Vacancy
    from werkmatch.context import transaction
    from werkmatch.settings import get_settings

    folder = get_settings().resolved_index_dir
    manifest = folder / MANIFEST
    if not manifest.is_file():
        raise fail(f"no index at {folder}: run `werkmatch index build`", 1)
    meta = json.loads(manifest.read_text())
    stale = 0
    with transaction() as session:
        for model, key in ((Candidate, "candidates"), (Vacancy, "vacancies")):
            db = {str(i): _stamp(ts) for i, ts in session.execute(select(model.id, model.updated_at))}
            stale += sum(1 for i, s in db.items() if meta[key].get(i) != s)
            stale += sum(1 for i in meta[key] if i not in db)
    state = "current" if stale == 0 else f"STALE ({stale} rows differ)"
    typer.echo(
        f"index {state}: {len(meta['candidates'])} candidates, {len(meta['vacancies'])} vacancies, "
        f"model {meta['model_version']}, saved {meta['saved_at']}"
    )
    if stale:
        raise typer.Exit(1)


@taxonomy_app.command("normalize")
def taxonomy_normalize(
    kind: Annotated[str, typer.Option(help="occupation or skill")],
    input: Annotated[Path, typer.Option("--input", "-i", help="lines: id<TAB>text ('-' for stdin)")],
    top: Annotated[int, typer.Option(min=1, max=100, help="suggestions per line")] = 5,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="file (default: stdout)")] = None,
    mode: Annotated[str, typer.Option(help="hybrid, dense, tfidf or bm25")] = "hybrid",
) -> None:
    """Write id<TAB>rank<TAB>concept_uri<TAB>preferred_label<TAB>score for each input line."""
    from matcher.esco import EscoNotConfigured
    from werkmatch.runtime import load_taxonomy

    if kind not in ("occupation", "skill"):
        raise fail(f"unknown kind '{kind}': use occupation or skill")
    if mode not in ("hybrid", "dense", "tfidf", "bm25"):
        raise fail(f"unknown mode '{mode}'")
    if str(input) != "-" and not input.is_file():
        raise fail(f"file not found: {input}")
    text = sys.stdin.read() if str(input) == "-" else input.read_text(encoding="utf-8")
    rows: list[tuple[str, str]] = []
    for n, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        parts = line.split("\t")
        if len(parts) != 2 or not parts[0].strip() or not parts[1].strip():
            raise fail(f"line {n}: expected 'id<TAB>text'")
        rows.append((parts[0].strip(), parts[1].strip()))
    try:
        with progress_bar() as bar:
            task = bar.add_task("ESCO laden", total=None)
            tax = load_taxonomy(progress=lambda k: bar.advance(task, k))
    except EscoNotConfigured as exc:
        raise fail(str(exc)) from None
    hits = tax.normalizer(kind).search([t for _, t in rows], top=top, mode=mode)  # type: ignore[arg-type]
    out = output.open("w", encoding="utf-8") if output else sys.stdout
    try:
        for (rid, _), hs in zip(rows, hits, strict=True):
            for rank, h in enumerate(hs, start=1):
                out.write(f"{rid}\t{rank}\t{h.uri}\t{h.label}\t{h.score:.4f}\n")
    finally:
        if output:
            out.close()


@eval_app.command("taxonomy")
def eval_taxonomy(
    queries: Annotated[int, typer.Option(min=20, help="held-out labels to evaluate")] = 1000,
    seed: Annotated[int, typer.Option()] = 7,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="also write the results as JSON")] = None,
) -> None:
    """Held-out ESCO alternative labels → their occupation: recall@1/10 and MRR per method."""
    from matcher.esco import EscoNotConfigured
    from matcher.evaluation import evaluate_taxonomy, format_table
    from werkmatch.context import esco
    from werkmatch.runtime import load_embedder, load_taxonomy

    try:
        data = esco()
    except EscoNotConfigured as exc:
        raise fail(str(exc)) from None
    vectors = load_taxonomy().occupations.vectors
    result = evaluate_taxonomy(data, load_embedder(), n_queries=queries, seed=seed, vectors=vectors)
    typer.echo(format_table(result))
    if output:
        output.write_text(json.dumps(result, indent=2))


@eval_app.command("titles")
def eval_titles(
    queries: Annotated[int, typer.Option(min=20, help="held-out labels to evaluate")] = 1000,
    seed: Annotated[int, typer.Option()] = 7,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="also write the results as JSON")] = None,
) -> None:
    """Held-out ESCO labels, as written and roughened like job-site titles -> occupation: with and without the
    Dutch title normalisation step."""
    from matcher.esco import EscoNotConfigured
    from matcher.evaluation import evaluate_titles
    from werkmatch.context import esco
    from werkmatch.runtime import load_embedder, load_taxonomy

    try:
        data = esco()
    except EscoNotConfigured as exc:
        raise fail(str(exc)) from None
    vectors = load_taxonomy().occupations.vectors
    result = evaluate_titles(data, load_embedder(), n_queries=queries, seed=seed, vectors=vectors)
    typer.echo(json.dumps(result, indent=2, ensure_ascii=False))
    if output:
        output.write_text(json.dumps(result, indent=2, ensure_ascii=False))


@eval_app.command("parsing")
def eval_parsing(
    occupations: Annotated[int, typer.Option(min=20, help="held-out occupations to render")] = 300,
    seed: Annotated[int, typer.Option()] = 13,
    english: Annotated[bool, typer.Option(help="also spot the skills with only an English label")] = True,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="also write the results as JSON")] = None,
) -> None:
    """Held-out ESCO occupations rendered as vacancy texts, read back: occupation recall@3, skill precision and
    recall, condition accuracy."""
    from matcher.esco import EscoNotConfigured
    from matcher.evaluation import evaluate_parsing
    from werkmatch.context import esco
    from werkmatch.runtime import load_taxonomy

    try:
        data = esco()
        tax = load_taxonomy()
    except EscoNotConfigured as exc:
        raise fail(str(exc)) from None
    english_skills = None
    if english:
        from matcher.parsing import DenseSearch
        from werkmatch.runtime import index_english_skills

        index_english_skills(tax)
        english_skills = DenseSearch(tax.english_skills)
    result = evaluate_parsing(
        data, tax.occupations, tax.skills, n_occupations=occupations, seed=seed, english_skills=english_skills
    )
    typer.echo(json.dumps(result, indent=2, default=str))
    if output:
        output.write_text(json.dumps(result, indent=2, default=str))


@eval_app.command("ranking")
def eval_ranking(
    occupations: Annotated[int, typer.Option(min=20, help="occupations in the task")] = 300,
    seed: Annotated[int, typer.Option()] = 11,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="also write the results as JSON")] = None,
) -> None:
    """Vacancies and profiles built from ESCO: nDCG@10 and recall@20 both ways, per method."""
    from matcher.esco import EscoNotConfigured
    from matcher.evaluation import evaluate_ranking, format_table
    from werkmatch.context import esco
    from werkmatch.runtime import load_embedder, load_taxonomy

    try:
        data = esco()
        tax = load_taxonomy()
    except EscoNotConfigured as exc:
        raise fail(str(exc)) from None
    with progress_bar() as bar:
        task = bar.add_task("evalueren", total=None)
        result = evaluate_ranking(
            data, load_embedder(), tax, n_occupations=occupations, seed=seed, progress=lambda k: bar.advance(task, k)
        )
    typer.echo(format_table(result))
    if output:
        output.write_text(json.dumps(result, indent=2))
    err.print("done")


@eval_app.command("model")
def eval_model(
    base: Annotated[bool, typer.Option(help="evaluate the stage-1 base model, without the adapter")] = False,
    adapter: Annotated[Path | None, typer.Option(help="evaluate this adapter folder instead")] = None,
    seed: Annotated[int, typer.Option()] = 5,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="also write the results as JSON")] = None,
) -> None:
    """Dense embedding quality on held-out ESCO occupations: titles, skills and descriptions → occupation."""
    from matcher.esco import EscoNotConfigured
    from matcher.evaluation import evaluate_model
    from werkmatch.context import esco
    from werkmatch.runtime import ModelMissing, load_embedder
    from werkmatch.settings import get_settings

    settings = get_settings()
    if base:
        settings = settings.model_copy(update={"use_adapter": False})
    elif adapter is not None:
        settings = settings.model_copy(update={"adapter_dir": adapter, "use_adapter": True})
    try:
        data = esco()
        embedder = load_embedder(settings)
    except (EscoNotConfigured, ModelMissing) as exc:
        raise fail(str(exc)) from None
    result = {"model": embedder.version, **evaluate_model(data, embedder, seed=seed)}
    typer.echo(f"# {result['model']} on {result['heldout_occupations']} held-out occupations")
    for task, vals in result.items():
        if isinstance(vals, dict):
            typer.echo(f"{task:28s} " + "  ".join(f"{k}={v}" for k, v in vals.items()))
    if output:
        output.write_text(json.dumps(result, indent=2))


def nightly(
    dry_run: Annotated[
        Path | None, typer.Option("--dry-run", help="write the e-mails as .eml files to this folder")
    ] = None,
    since: Annotated[str | None, typer.Option(help="override the window start (ISO date or date-time, UTC)")] = None,
    cluster: Annotated[
        str | None,
        typer.Option(help="rank on Dask: 'local' (a LocalCluster) or tcp://HOST:8786; default the setting (none)"),
    ] = None,
) -> None:
    """E-mail each subscribed user the new matches since the last successful run, each match once."""
    import datetime as dt

    from models.services.mail import DirectoryMailer, Mailer, SmtpMailer
    from models.services.nightly import LockBusy, run_nightly
    from werkmatch.context import engine
    from werkmatch.runtime import make_store
    from werkmatch.settings import get_settings

    settings = get_settings()
    from models.services.distributed import valid_cluster

    if cluster is not None:
        if not valid_cluster(cluster):
            raise fail(f"--cluster: '{cluster}' is not none, local or a scheduler address tcp://HOST:PORT")
        settings = settings.model_copy(update={"nightly_cluster": cluster})
    window = None
    if since:
        try:
            window = dt.datetime.fromisoformat(since)
        except ValueError:
            raise fail(f"--since: '{since}' is not an ISO date or date-time") from None
        if window.tzinfo is None:
            window = window.replace(tzinfo=dt.UTC)
    mailer: Mailer
    if dry_run:
        mailer = DirectoryMailer(dry_run)
    else:
        mailer = SmtpMailer(
            host=settings.smtp_host,
            port=settings.smtp_port,
            security=settings.smtp_security,
            username=settings.smtp_username,
            password=settings.smtp_password,
            retries=settings.smtp_retries,
            backoff=settings.smtp_backoff_seconds,
        )
    store = make_store(settings)
    try:
        with progress_bar() as bar:
            task = bar.add_task("e-mails", total=None)
            summary = run_nightly(
                engine=engine(settings),
                store=store,
                settings=settings,
                mailer=mailer,
                lock_dir=settings.data_dir,
                since=window,
                dry_run=dry_run is not None,
                progress=lambda n: bar.advance(task, n),
                cluster=settings.nightly_cluster,
                cluster_workers=settings.nightly_workers,
            )
    except LockBusy as exc:
        raise fail(exc.detail, 3) from None
    store.save()
    if dry_run is None:  # the nightly job also applies the audit log's retention rule
        import datetime as dt

        from models.services.audit import prune
        from werkmatch.context import transaction

        with transaction() as session:
            prune(session, older_than=dt.timedelta(days=settings.audit_retention_days))
    typer.echo(summary.line())
    for f in summary.failed_recipients:
        err.print(f"failed: {f}", highlight=False, soft_wrap=True)
    for d in summary.deferred_recipients:
        err.print(f"deferred to the next run: {d}", highlight=False, soft_wrap=True)
    if summary.stopped:
        err.print(f"stopped: {summary.stopped}", highlight=False, soft_wrap=True)
    if not summary.ok:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    """Add the index, taxonomy, eval and nightly commands to the operator CLI."""
    app.add_typer(index_app, name="index")
    app.add_typer(taxonomy_app, name="taxonomy")
    app.add_typer(eval_app, name="eval")
    app.command()(nightly)
