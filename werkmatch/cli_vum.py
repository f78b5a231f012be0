"""`werkmatch vum`: serve the VUM source over mutual TLS, and ask VUM for vacancies elsewhere for a client."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from werkmatch.cli import err, fail

vum_app = typer.Typer(help="VUM: exchange profiles and vacancies with UWV and other gemeenten.", no_args_is_help=True)


def _need_file(path: Path | None, setting: str) -> str:
    if path is None:
        raise fail(f"{setting} is not set")
    if not path.is_file():
        raise fail(f"{setting}: no file at {path}")
    return str(path)


@vum_app.command("serve")
def serve(
    host: Annotated[str | None, typer.Option(help="default: WERKMATCH_VUM_HOST")] = None,
    port: Annotated[int | None, typer.Option(help="default: WERKMATCH_VUM_PORT")] = None,
) -> None:
    """Answer VUM selection and detail requests as a source, over mutual TLS (a client certificate is required)."""
    import uvicorn

    from api.vum import create_vum_app
    from api.vum_tls import ClientCertificateProtocol, server_context_options
    from models.services.pc4 import PostcodePoints
    from werkmatch.context import engine
    from werkmatch.settings import get_settings

    settings = get_settings()
    if not settings.vum_enabled:
        raise fail("WERKMATCH_VUM_OIN is not set: werkmatch does not take part in VUM")
    if not settings.vum_parties:
        raise fail("WERKMATCH_VUM_PARTIES is empty: no party could connect")
    tls = server_context_options(
        certfile=_need_file(settings.vum_tls_certfile, "WERKMATCH_VUM_TLS_CERTFILE"),
        keyfile=_need_file(settings.vum_tls_keyfile, "WERKMATCH_VUM_TLS_KEYFILE"),
        ca=_need_file(settings.vum_tls_ca, "WERKMATCH_VUM_TLS_CA"),
    )
    points = PostcodePoints.load(settings.geo_dir)
    if not len(points):
        raise fail(f"no postcode centre points in {settings.geo_dir} (WERKMATCH_GEO_DIR): selectiegebied needs them")
    host, port = host or settings.vum_host, port or settings.vum_port
    err.print(f"VUM source for OIN {settings.vum_oin} on https://{host}:{port}{settings.vum_prefix} (mutual TLS)")
    config = uvicorn.Config(
        create_vum_app(settings, engine()),
        host=host,
        port=port,
        http=ClientCertificateProtocol,
        access_log=False,
        log_level="warning",
        **tls,
    )
    uvicorn.Server(config).run()


@vum_app.command("search")
def search(
    candidate: Annotated[int, typer.Option(help="the client's werkmatch id")],
    as_user: Annotated[str, typer.Option("--as", help="e-mail address of the client's coach")],
    top: Annotated[int, typer.Option(min=1, max=100, help="vacancies to rank and fetch in detail")] = 10,
    as_json: Annotated[bool, typer.Option("--json", help="write JSON lines")] = False,
) -> None:
    """Find vacancies elsewhere for a client through VUM and rank them with werkmatch (the coach decides)."""
    from models.services import ServiceError
    from models.services.pc4 import PostcodePoints
    from models.services.users import get_user_by_email
    from models.services.vum import mapping
    from models.services.vum.intermediary import search_vacancies
    from werkmatch.context import esco_label_finder, transaction, vum_client
    from werkmatch.runtime import load_embedder, taxonomy_or_none
    from werkmatch.settings import get_settings

    settings = get_settings()
    try:
        client = vum_client(settings)
    except ServiceError as exc:
        raise fail(exc.detail) from None
    for path, name in ((client.certfile, "CERTFILE"), (client.keyfile, "KEYFILE"), (client.ca, "CA")):
        _need_file(path, f"WERKMATCH_VUM_TLS_{name}")
    taxonomy = taxonomy_or_none(settings)
    label_of = esco_label_finder(settings)

    try:
        with transaction() as session:
            user = get_user_by_email(session, email=as_user)
            found, answered = search_vacancies(
                session,
                user=user,
                candidate_id=candidate,
                client=client,
                embedder=load_embedder(settings),
                taxonomy=taxonomy,
                points=PostcodePoints.load(settings.geo_dir),
                crosswalk=mapping.Crosswalk.load(settings.vum_occupation_crosswalk),
                label_of=label_of,
                top=top,
            )
    except ServiceError as exc:
        raise fail(exc.detail, 1) from None
    err.print(f"VUM answered {answered} vacancies; the best {len(found)} for client {candidate}:")
    for f in found:
        if as_json:
            typer.echo(
                json.dumps({"vum_id": f.vum_id, "score": f.score, "explanation": f.explanation, "record": f.record})
            )
        else:
            name = f.record.get("naamVacature", "?")
            employer = (f.record.get("werkgever") or {}).get("handelsnaamOrganisatie", "")
            place = (f.record.get("adres") or {}).get("postcode", "")
            typer.echo(f"{f.score:5.1f}  {name} — {employer} ({place})  [{f.vum_id}]")
            for reason in f.explanation["reasons"][:3]:
                typer.echo(f"       · {reason}")


@vum_app.command("keep")
def keep(
    vum_id: Annotated[str, typer.Option("--id", help="idVacature from `werkmatch vum search`")],
    as_user: Annotated[str, typer.Option("--as", help="e-mail address of the coach who keeps it")],
) -> None:
    """Keep a vacancy found through VUM as an external vacancy of the coach's gebied."""
    from models.services import ServiceError
    from models.services.pc4 import PostcodePoints
    from models.services.users import get_user_by_email
    from models.services.vum import mapping
    from models.services.vum.intermediary import import_vacancy
    from werkmatch.context import esco_label_finder, transaction, vum_client
    from werkmatch.settings import get_settings

    settings = get_settings()
    try:
        client = vum_client(settings)
        [rec] = client.details("v", [vum_id])
        with transaction() as session:
            vac = import_vacancy(
                session,
                user=get_user_by_email(session, email=as_user),
                record_=rec,
                source_party=client.to_oin,
                points=PostcodePoints.load(settings.geo_dir),
                crosswalk=mapping.Crosswalk.load(settings.vum_occupation_crosswalk),
                label_of=esco_label_finder(settings),
            )
            typer.echo(f"kept as vacancy {vac.id} ({vac.external_id}): {vac.title}")
    except ServiceError as exc:
        raise fail(exc.detail, 1) from None


@vum_app.command("refresh")
def refresh() -> None:
    """Bring the vacancies kept from VUM in step with their source (closed there: closed here). Run it nightly."""
    from models.services import ServiceError
    from models.services.pc4 import PostcodePoints
    from models.services.vum import mapping
    from models.services.vum.intermediary import refresh_imported
    from werkmatch.context import esco_label_finder, transaction, vum_client
    from werkmatch.settings import get_settings

    settings = get_settings()
    try:
        client = vum_client(settings)
        with transaction() as session:
            counts = refresh_imported(
                session,
                client=client,
                points=PostcodePoints.load(settings.geo_dir),
                crosswalk=mapping.Crosswalk.load(settings.vum_occupation_crosswalk),
                label_of=esco_label_finder(settings),
            )
    except ServiceError as exc:
        raise fail(exc.detail, 1) from None
    typer.echo(", ".join(f"{n} {what}" for what, n in counts.items()))


def register(app: typer.Typer) -> None:
    """Add the vum commands to the operator CLI."""
    app.add_typer(vum_app, name="vum")
