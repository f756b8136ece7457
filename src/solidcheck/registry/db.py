"""Where the registry lives and how it is opened: SQLite in the data folder by default,
PostgreSQL (or another SQLAlchemy URL) through ``SOLIDCHECK_DATABASE_URL``."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, inspect
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from ..errors import DatabaseError

__all__ = ["absent_sqlite_file", "data_dir", "database_url", "make_engines", "migrate",
           "refuse_absent_registry", "schema_revision"]

HEAD_REVISION = "0007"
_MIGRATION_LOCK = 0x50_1D_C4_EC  # an arbitrary constant naming solidcheck's migration lock


def data_dir() -> Path:
    """``SOLIDCHECK_DATA_DIR``, else the platform's user data folder (on Linux
    ``~/.local/share/solidcheck``)."""
    configured = os.environ.get("SOLIDCHECK_DATA_DIR")
    if configured:
        return Path(configured).expanduser()
    from platformdirs import user_data_dir

    return Path(user_data_dir("solidcheck", appauthor=False))


def database_url(url: str | None = None) -> str:
    """The URL given, else ``SOLIDCHECK_DATABASE_URL``, else SQLite in :func:`data_dir`."""
    url = url or os.environ.get("SOLIDCHECK_DATABASE_URL")
    if url:
        return url
    return f"sqlite:///{data_dir() / 'registry.sqlite3'}"


def absent_sqlite_file(url: str) -> Path | None:
    """The file of a SQLite URL when it does not exist (connecting would create it, and
    its folder); None for an existing file, memory, or another database."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        return None  # make_engines says what is wrong with it
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    path = Path(parsed.database).expanduser()
    return None if path.exists() else path


def _chosen_by(url: str) -> str:
    """Which setting made ``url`` the registry's (for the message of a missing one)."""
    if os.environ.get("SOLIDCHECK_DATABASE_URL") == url:
        return "chosen by SOLIDCHECK_DATABASE_URL"
    if url != f"sqlite:///{data_dir() / 'registry.sqlite3'}":
        return "chosen by --database"
    if os.environ.get("SOLIDCHECK_DATA_DIR"):
        return "in the data folder SOLIDCHECK_DATA_DIR names"
    return "the default place: the user data folder, as SOLIDCHECK_DATA_DIR is not set"


def refuse_absent_registry(url: str) -> None:
    """A registry that is to be used, not created, must exist: opening a missing SQLite file
    would create it (and its folder) empty. The message says where it looked and how to
    point elsewhere."""
    absent = absent_sqlite_file(url)
    if absent is None:
        return
    raise DatabaseError(
        f"there is no registry at {absent} ({_chosen_by(url)}); nothing was created — "
        "create one there with `solidcheck registry init`, or point to an existing one with "
        "SOLIDCHECK_DATA_DIR=FOLDER (`make demo` keeps its registry in out/demo-registry), "
        "SOLIDCHECK_DATABASE_URL=URL or --database URL")


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None  # SQLAlchemy's BEGIN below, not the driver's
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")  # readers never wait for the writer
    cursor.execute("PRAGMA synchronous=FULL")  # a committed write survives a power cut
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def make_engines(url: str) -> tuple[Engine, Engine]:
    """An engine for reads and one for writes. On SQLite a write transaction starts with
    ``BEGIN IMMEDIATE``, taking the write lock at once: two writers then queue instead of
    failing when one upgrades a read lock; on other databases both share one pool, row locks
    serialise the chain, and reads run in one snapshot (REPEATABLE READ) so that a read made
    of several queries never mixes states (a result without its version, a log without the
    entries it is checked against)."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise DatabaseError(f"cannot understand the database URL {url!r} — give a SQLAlchemy "
                            "URL such as sqlite:///path/registry.sqlite3 or "
                            "postgresql+psycopg://user@host/db") from None
    if parsed.get_backend_name() != "sqlite":
        try:
            engine = create_engine(parsed, pool_pre_ping=True)
        except (SQLAlchemyError, ImportError) as exc:
            raise DatabaseError(f"cannot use the database {parsed.render_as_string()}: "
                                f"{exc} — for PostgreSQL install the driver with "
                                "pip install 'solidcheck[postgres]'") from None
        return engine.execution_options(isolation_level="REPEATABLE READ"), engine
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    engines = []
    for begin in ("BEGIN", "BEGIN IMMEDIATE"):
        engine = create_engine(parsed, connect_args={"timeout": 30, "check_same_thread": False})
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin",
                     lambda connection, sql=begin: connection.exec_driver_sql(sql))
        engines.append(engine)
    return engines[0], engines[1]


def _alembic_config(url: str) -> Any:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(Path(__file__).parent / "migrations"))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def migrate(engine: Engine) -> None:
    """Create or upgrade the schema to this version's (Alembic ``upgrade head``)."""
    from alembic import command

    url = engine.url.render_as_string(hide_password=False)
    config = _alembic_config(url)
    try:
        with engine.begin() as connection:
            if engine.dialect.name == "postgresql":
                # servers started together on a new database take turns creating the tables
                connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_MIGRATION_LOCK})")
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
    except SQLAlchemyError as exc:
        raise DatabaseError(f"cannot create the registry's tables in "
                            f"{engine.url.render_as_string()}: {exc.__class__.__name__}: "
                            f"{str(exc).splitlines()[0]}") from None


def schema_revision(engine: Engine) -> str | None:
    """The Alembic revision the database is at, or None for an empty database."""
    try:
        with engine.connect() as connection:
            if not inspect(connection).has_table("alembic_version"):
                return None
            row = connection.exec_driver_sql("SELECT version_num FROM alembic_version").first()
    except SQLAlchemyError as exc:
        raise DatabaseError(f"cannot open the registry database "
                            f"{engine.url.render_as_string()}: {str(exc).splitlines()[0]} — "
                            "check SOLIDCHECK_DATABASE_URL and that the server is "
                            "running") from None
    return None if row is None else str(row[0])
