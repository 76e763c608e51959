"""Configuration from the environment: one URL chooses the store."""

from __future__ import annotations

import os
from dataclasses import dataclass
from urllib.parse import unquote, urlparse

DEFAULT_DATABASE_URL = "sqlite:///ruraleval.db"
# How long a write, or an as-of read's barrier, may wait for the store's write lock (ADR 16).
COMMIT_WAIT_SECONDS = 5


class ConfigurationError(ValueError):
    """The environment asks for something the service cannot do."""


@dataclass(frozen=True)
class Store:
    """A parsed ``RURALEVAL_DATABASE_URL``: which kind of store and where."""

    kind: str  # "memory", "sqlite" or "postgresql"
    url: str
    path: str = ""
    host: str = ""
    port: int = 5432
    user: str = ""
    password: str = ""
    dbname: str = ""

    def eventsourcing_env(self) -> dict[str, str]:
        """The eventsourcing library's settings for this store."""
        if self.kind == "memory":
            return {"PERSISTENCE_MODULE": "eventsourcing.popo"}
        if self.kind == "sqlite":
            return {
                "PERSISTENCE_MODULE": "eventsourcing.sqlite",
                "SQLITE_DBNAME": self.path,
                "SQLITE_LOCK_TIMEOUT": str(COMMIT_WAIT_SECONDS),
            }
        return {
            "PERSISTENCE_MODULE": "eventsourcing.postgres",
            "POSTGRES_DBNAME": self.dbname,
            "POSTGRES_HOST": self.host,
            "POSTGRES_PORT": str(self.port),
            "POSTGRES_USER": self.user,
            "POSTGRES_PASSWORD": self.password,
            "POSTGRES_POOL_SIZE": "4",
            "POSTGRES_MAX_OVERFLOW": "8",
            "POSTGRES_LOCK_TIMEOUT": str(COMMIT_WAIT_SECONDS),
        }

    def conninfo(self) -> str:
        """A libpq connection string (PostgreSQL only)."""
        parts = {"dbname": self.dbname, "host": self.host, "port": str(self.port), "user": self.user}
        if self.password:
            parts["password"] = self.password
        return " ".join(f"{key}={value}" for key, value in parts.items() if value)

    def redacted(self) -> str:
        """The URL with any password hidden, fit for logs."""
        parsed = urlparse(self.url)
        if parsed.password is None:
            return self.url
        netloc = f"{parsed.username}:***@{parsed.hostname}" + (f":{parsed.port}" if parsed.port else "")
        return parsed._replace(netloc=netloc).geturl()


def parse_database_url(url: str) -> Store:
    """``memory://``, ``sqlite:///path/file.db`` or ``postgresql://user:pw@host:port/db``."""
    parsed = urlparse(url)
    if parsed.scheme == "memory":
        return Store("memory", url)
    if parsed.scheme == "sqlite":
        path = unquote(parsed.netloc + parsed.path)
        if url.startswith("sqlite:///"):
            path = unquote(url[len("sqlite:///") :])
        if not path:
            raise ConfigurationError("RURALEVAL_DATABASE_URL: sqlite:/// needs a file path")
        return Store("sqlite", url, path=path)
    if parsed.scheme in ("postgresql", "postgres"):
        dbname = parsed.path.lstrip("/")
        if not dbname:
            raise ConfigurationError("RURALEVAL_DATABASE_URL: postgresql:// needs a database name")
        return Store(
            "postgresql",
            url,
            host=parsed.hostname or "127.0.0.1",
            port=parsed.port or 5432,
            user=unquote(parsed.username or "postgres"),
            password=unquote(parsed.password or ""),
            dbname=dbname,
        )
    raise ConfigurationError(
        f"RURALEVAL_DATABASE_URL: unsupported scheme {parsed.scheme!r}; use memory://, sqlite:/// or postgresql://"
    )


def database_url() -> str:
    return os.environ.get("RURALEVAL_DATABASE_URL", DEFAULT_DATABASE_URL)


def read_database_url() -> str | None:
    """``RURALEVAL_READ_DATABASE_URL``: a PostgreSQL streaming replica for read-model queries
    (ADR 28); None when reads go to the primary."""
    return os.environ.get("RURALEVAL_READ_DATABASE_URL") or None


def projections_mode() -> str:
    """``RURALEVAL_PROJECTIONS``: ``thread`` (default: this process keeps the read models in a
    background thread) or ``external`` (a ``ruraleval projections run`` process does; this one
    only follows their positions)."""
    mode = os.environ.get("RURALEVAL_PROJECTIONS", "thread")
    if mode not in ("thread", "external"):
        raise ConfigurationError("RURALEVAL_PROJECTIONS: use thread or external")
    return mode


def production() -> bool:
    return os.environ.get("RURALEVAL_ENV", "development") == "production"


# The CJK font the reports embed (ADR 25): Debian's fonts-noto-cjk, installed by `.ci/run`.
DEFAULT_REPORT_FONT = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"


def report_font() -> str:
    """The Noto Sans CJK file the reports' PDFs and charts embed (``RURALEVAL_REPORT_FONT``);
    refused with a message in Chinese and English when it is not there."""
    path = os.environ.get("RURALEVAL_REPORT_FONT", DEFAULT_REPORT_FONT)
    if not os.path.isfile(path):
        raise ConfigurationError(
            f"找不到报告所用的中文字体 {path}：请安装 fonts-noto-cjk（apt-get install fonts-noto-cjk），"
            f"或用 RURALEVAL_REPORT_FONT 指向 NotoSansCJK-Regular.ttc / "
            f"the report font {path} is missing: install fonts-noto-cjk or set RURALEVAL_REPORT_FONT"
        )
    return path
