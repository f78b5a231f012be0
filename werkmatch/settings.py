"""Application settings: one pydantic-settings class, read from ``WERKMATCH_*`` environment variables."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

_REPO_ROOT = Path(__file__).resolve().parents[1]
_DEV_SECRET = "dev-secret-change-me"


def is_loopback(host: str) -> bool:
    """Whether a host name or address stays on this machine."""
    import ipaddress

    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


class VumParty(BaseModel):
    """A party that may connect to werkmatch's VUM source."""

    name: str = ""
    exchange: bool = False
    per_minute: int = Field(default=60, ge=1, le=100_000)


class Settings(BaseSettings):
    """Every setting of werkmatch; see the README's configuration table."""

    model_config = SettingsConfigDict(env_prefix="WERKMATCH_", env_file=".env", extra="ignore")

    environment: Literal["development", "test", "production"] = "development"
    data_dir: Path = Field(default=_REPO_ROOT / "var", description="Folder for the SQLite file, model, index")
    database_url: str | None = Field(default=None, description="SQLAlchemy URL; default SQLite in data_dir")
    esco_dir: Path | None = Field(
        default=_REPO_ROOT.parent / "shared" / "esco", description="ESCO reference data folder"
    )
    model_dir: Path | None = Field(default=None, description="Embedding model folder; default data_dir/model")
    model_name: str | None = Field(
        default=None, description="sentence-transformers model name or folder to use instead of the built one"
    )
    adapter_dir: Path = Field(
        default=_REPO_ROOT / "data" / "adapters" / "esco-nl",
        description="LoRA adapter (stage 2, tuned on Dutch ESCO) merged into the model on load",
    )
    use_adapter: bool = Field(default=True, description="Apply the adapter; false gives the stage-1 base model")
    embedder: Literal["auto", "onnx", "torch"] = Field(
        default="auto",
        description="auto: the int8 ONNX export of the model when `werkmatch model build` made a current, accepted "
        "one (about 3x faster, no torch in the process), else torch; onnx: require it; torch: never use it",
    )
    index_dir: Path | None = Field(default=None, description="Vector index folder; default data_dir/index")
    request_threads: int = Field(
        default=40,
        ge=1,
        le=200,
        description="Requests a worker handles at once (anyio's thread pool). Keep it above the number of "
        "concurrent clients on SQLite: a request's COMMIT needs a thread too, and with fewer threads than "
        "requests waiting for SQLite's write lock the holder cannot commit (a 30 s stall, measured with 8)",
    )
    indexer_in_process: bool = Field(
        default=True,
        description="`werkmatch serve` runs the indexer in-process (one worker at a time does the work); set "
        "false when a separate `werkmatch worker` process indexes",
    )
    database_pool_size: int = Field(
        default=10, ge=1, le=200, description="Connections a worker keeps open (PostgreSQL); as many more on demand"
    )
    database_wait_seconds: float = Field(
        default=5.0,
        gt=0,
        le=120,
        description="How long a request waits for a pooled connection (PostgreSQL) or SQLite's write lock before "
        "it answers 503 with Retry-After",
    )
    stuck_request_seconds: float = Field(
        default=30.0, gt=0, description="/ready fails while a request has been running longer than this"
    )
    shutdown_grace_seconds: float = Field(
        default=10.0,
        ge=0,
        le=300,
        description="After SIGTERM, requests in flight get this long to finish; then the worker exits anyway",
    )
    search_floor: float = Field(
        default=10.0,
        ge=0,
        le=100,
        description="The web UI's search shows no hit scored under this (0–100): 'niets gevonden' rather than "
        "twenty unrelated results",
    )
    base_url: str = "http://127.0.0.1:8000"
    secret_key: str = _DEV_SECRET
    smtp_host: str = "127.0.0.1"
    smtp_port: int = Field(default=25, ge=1, le=65535)
    smtp_security: Literal["none", "starttls", "ssl"] = "none"
    smtp_username: str | None = None
    smtp_password: str | None = None
    mail_from: str = "werkmatch@groningen.example"
    smtp_retries: int = Field(default=3, ge=1, le=10)
    smtp_backoff_seconds: float = Field(default=2.0, ge=0, le=300)
    mail_max_attempts: int = Field(
        default=5,
        ge=1,
        le=100,
        description="nightly runs that try one recipient's e-mail before giving up on it (a recipient refused "
        "for now, e.g. greylisted, is tried again next run; one refused for good is never tried again)",
    )
    nightly_cluster: str = Field(
        default="none",
        pattern=r"^(none|local|(tcp|tls)://\S+)$",
        description="Where the nightly job ranks: none (this process: fastest for one gemeente), local (a Dask "
        "LocalCluster of WERKMATCH_NIGHTLY_WORKERS processes) or a Dask scheduler address tcp://HOST:8786",
    )
    nightly_workers: int = Field(default=2, ge=1, le=256, description="Worker processes of a local Dask cluster")
    token_ttl_days: int = Field(default=365, ge=1, le=3650)
    audit_retention_days: int = Field(default=730, ge=30, le=3650)
    """Audit events older than this are removed by the nightly job (``werkmatch audit prune``)."""
    oidc_issuer: str | None = Field(
        default=None,
        description="Issuer URL of the municipality's OpenID provider (Entra ID: "
        "https://login.microsoftonline.com/TENANT/v2.0; Keycloak: https://HOST/realms/REALM); set, the web UI "
        "signs in through it and the API accepts its access tokens",
    )
    oidc_client_id: str | None = Field(default=None, description="werkmatch's client id at the provider")
    oidc_client_secret: str | None = Field(default=None, description="werkmatch's client secret at the provider")
    oidc_scopes: str = Field(default="openid email profile", description="Scopes asked for at sign-in")
    oidc_audience: str | None = Field(
        default=None,
        description="Audience of the provider's access tokens the API accepts (Entra ID: api://CLIENT-ID; Keycloak: "
        "the audience a mapper adds); unset, the API takes personal tokens only",
    )
    oidc_email_claim: str = Field(default="email", description="Claim with the user's e-mail address")
    oidc_role_claim: str = Field(
        default="groups", description="Claim listing the user's groups or app roles (Entra ID: groups or roles)"
    )
    oidc_roles: dict[str, str] = Field(
        default_factory=dict,
        description="Group or role name -> werkmatch role, with the gebied where the role needs one, as JSON, e.g. "
        '{"wm-coach-oost": "coach:oost", "wm-beheer": "admin"}; the first entry the user holds wins. A user whose '
        "claim holds none of them is refused; when the claim is absent, the role an admin gave is kept",
    )
    oidc_email_domains: list[str] = Field(
        default_factory=list,
        description='Only these e-mail domains may sign in through the provider (JSON list, e.g. ["groningen.nl"]); '
        "empty: any",
    )
    oidc_clock_skew_seconds: int = Field(
        default=30, ge=0, le=300, description="Clock difference allowed when checking a provider token's expiry"
    )
    token_sign_in: bool = Field(
        default=True,
        description="The web UI's sign-in form takes personal tokens; set false in production when everyone signs in "
        "through the provider (the API keeps taking personal tokens, for scripts and service accounts)",
    )
    english_skills: bool = Field(
        default=True,
        description="After start-up, also index the ESCO skills that have only an English label (about 8,500; half "
        "a minute once, then cached in the data folder), so the vacancy parser spots them too",
    )
    geo_dir: Path | None = Field(
        default=_REPO_ROOT.parent / "shared" / "geo",
        description="Folder with nl-pc4-centroids.csv, the centre points of all Dutch four-digit postcodes (VUM's "
        "selectiegebied, travel distances); without it only the gemeente's own postcodes are known",
    )
    vum_oin: str | None = Field(
        default=None,
        pattern=r"^[0-9]{20}$",
        description="The gemeente's OIN (20 digits); set, werkmatch answers VUM as a source (`werkmatch vum serve`) "
        "and can ask VUM as an intermediary",
    )
    vum_via_oin: str | None = Field(
        default=None,
        pattern=r"^[0-9]{20}$",
        description="OIN of the processor (verwerker) that runs werkmatch for the gemeente; default: WERKMATCH_VUM_OIN",
    )
    vum_parties: dict[str, VumParty] = Field(
        default_factory=dict,
        description="Parties whose certificate may connect to the VUM source, by OIN, as JSON: "
        '{"00000001003214345000": {"name": "Inlichtingenbureau", "exchange": true, "per_minute": 120}}; '
        "exchange: it asks on behalf of others (the VUM exchange), else X-VUM-fromParty must be its own OIN",
    )
    vum_prefix: str = Field(default="/vum/v3", pattern=r"^(/[A-Za-z0-9._-]+)*$", description="Path of the VUM API")
    vum_max_results: int = Field(default=100, ge=1, le=1000, description="Most results of one VUM selection")
    vum_max_details: int = Field(
        default=25, ge=0, le=1000, description="Detail requests a party may make for the results of one selection"
    )
    vum_selection_hours: int = Field(
        default=24, ge=1, le=720, description="How long the results of a selection can be asked for in detail"
    )
    vum_host: str = Field(default="127.0.0.1", description="Address `werkmatch vum serve` listens on")
    vum_port: int = Field(default=8443, ge=1, le=65535, description="Port `werkmatch vum serve` listens on")
    vum_tls_certfile: Path | None = Field(
        default=None, description="The gemeente's certificate (PEM; PKIoverheid in production), server and client"
    )
    vum_tls_keyfile: Path | None = Field(default=None, description="Its private key (PEM)")
    vum_tls_ca: Path | None = Field(
        default=None,
        description="CA certificates (PEM) a VUM party's certificate must chain to (PKIoverheid roots in "
        "production); also the CAs the intermediary trusts for the exchange's server certificate",
    )
    vum_exchange_url: str | None = Field(
        default=None,
        description="Base URL of the VUM exchange (or of one source) the intermediary asks, e.g. "
        "https://vum.example/api/v3",
    )
    vum_exchange_oin: str | None = Field(
        default=None, pattern=r"^[0-9]{20}$", description="OIN of the party at WERKMATCH_VUM_EXCHANGE_URL (toParty)"
    )
    vum_occupation_crosswalk: Path | None = Field(
        default=None,
        description="CSV (esco_uri,code) mapping ESCO occupations to the codes VUM exchanges (CompetentNL); "
        "without it, and for occupations it lacks, the ESCO URI is sent",
    )
    max_body_bytes: int = Field(default=1_000_000, ge=1024)
    cors_origins: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _fail_fast(self) -> Settings:
        if self.environment == "production":
            if self.secret_key == _DEV_SECRET or len(self.secret_key) < 32:
                raise ValueError("WERKMATCH_SECRET_KEY must be set to 32+ random characters in production")
            if self.database_url is None:
                raise ValueError("WERKMATCH_DATABASE_URL must be set in production")
        self._check_oidc()
        if self.smtp_username and self.smtp_security == "none" and not is_loopback(self.smtp_host):
            raise ValueError(
                "SMTP credentials would travel unencrypted: set WERKMATCH_SMTP_SECURITY to starttls or ssl"
            )
        return self

    def _check_oidc(self) -> None:
        from urllib.parse import urlsplit

        from models.enums import Role

        if self.oidc_issuer is None:
            if not self.token_sign_in:
                raise ValueError("WERKMATCH_TOKEN_SIGN_IN=false needs WERKMATCH_OIDC_ISSUER: nobody could sign in")
            return
        parts = urlsplit(self.oidc_issuer)
        if parts.scheme != "https" and not (parts.scheme == "http" and is_loopback(parts.hostname or "")):
            raise ValueError("WERKMATCH_OIDC_ISSUER must be an https:// URL (http only on this machine)")
        if not self.oidc_client_id:
            raise ValueError("WERKMATCH_OIDC_CLIENT_ID must be set with WERKMATCH_OIDC_ISSUER")
        for group, grant in self.oidc_roles.items():
            role, _, area = grant.partition(":")
            if role not in Role.__members__:
                raise ValueError(f"WERKMATCH_OIDC_ROLES: {group!r} maps to unknown role {role!r}")
            if role != Role.admin and not area:
                raise ValueError(f"WERKMATCH_OIDC_ROLES: {group!r}: a {role} needs a gebied ('{role}:oost')")

    @property
    def vum_enabled(self) -> bool:
        """Whether werkmatch takes part in VUM (as a source, and as an intermediary where an exchange is set)."""
        return self.vum_oin is not None

    @property
    def resolved_vum_via_oin(self) -> str | None:
        """The processor's OIN: the gemeente's own where it runs werkmatch itself."""
        return self.vum_via_oin or self.vum_oin

    @property
    def oidc_enabled(self) -> bool:
        """Whether users sign in through an OpenID provider."""
        return self.oidc_issuer is not None

    def check_listening_on(self, host: str) -> None:
        """Refuse to serve beyond this machine with the development secret (anyone could forge sessions and
        unsubscribe links)."""
        if not is_loopback(host) and (self.secret_key == _DEV_SECRET or len(self.secret_key) < 32):
            raise ValueError(
                f"serving on {host} needs WERKMATCH_SECRET_KEY set to 32+ random characters "
                "(the development secret is accepted on 127.0.0.1 only)"
            )

    @property
    def resolved_database_url(self) -> str:
        """Database URL, defaulting to a SQLite file in the data folder."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.data_dir / 'werkmatch.db'}"

    @property
    def resolved_model_dir(self) -> Path:
        """Folder of the built embedding model."""
        return self.model_dir or self.data_dir / "model"

    @property
    def resolved_adapter(self) -> Path | None:
        """The adapter to apply, or None for the base model."""
        return self.adapter_dir if self.use_adapter else None

    @property
    def resolved_index_dir(self) -> Path:
        """Folder of the persisted vector indexes."""
        return self.index_dir or self.data_dir / "index"

    @property
    def esco_available(self) -> bool:
        """Whether the ESCO folder is configured and present."""
        return self.esco_dir is not None and self.esco_dir.is_dir()


@lru_cache
def get_settings() -> Settings:
    """Return the process-wide settings (cached; tests clear the cache)."""
    return Settings()
