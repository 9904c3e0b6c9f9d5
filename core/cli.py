"""The ``makker`` command line."""

from __future__ import annotations

import asyncio
import dataclasses
import os
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, Literal, NoReturn, TypeVar

import click
from sqlalchemy.engine import make_url

from core.settings import (
    Settings,
    SettingsError,
    check_bind_address,
    load_keycloak_admin,
    load_settings,
)

T = TypeVar("T")


def _settings(default_env: Literal["development", "production"] = "production") -> Settings:
    try:
        settings = load_settings(default_env=default_env)
    except SettingsError as exc:
        _configuration_error(exc)
    from core.db.encryption import configure_from

    configure_from(settings)  # the data keys of encrypted free text (issue 15)
    return settings


def _configuration_error(exc: SettingsError) -> NoReturn:
    click.echo(f"makker: configuration error: {exc}", err=True)
    sys.exit(2)


async def _with_sessionmaker(settings: Settings, work: Callable[[Any], Awaitable[T]]) -> T:
    import core.db.models  # noqa: F401 - every model, so foreign keys resolve (invitation -> person)
    from core.db.session import create_engine, create_sessionmaker

    engine = create_engine(settings.database_url)
    try:
        return await work(create_sessionmaker(engine))
    finally:
        await engine.dispose()


#: ``--dir``: where the tenant files are (shared by every command that reads them).
tenant_dir_option = click.option(
    "--dir",
    "directory",
    type=click.Path(path_type=Path),
    default=None,
    help="Directory of tenant files (default: MAKKER_TENANTS_DIR).",
)


@click.group()
def main() -> None:
    """Makker: peer-mentor programmes for municipalities and their partners."""


# -- database -------------------------------------------------------------------------------
@main.group()
def db() -> None:
    """Database schema (Alembic migrations)."""


@db.command("upgrade")
@click.argument("revision", default="head")
def db_upgrade(revision: str) -> None:
    """Upgrade the schema to REVISION (default: head)."""
    from core.db import migrate

    settings = _settings()
    try:
        migrate.upgrade(settings.migration_database_url, revision, settings.db_app_role)
    except migrate.MigrationRefused as refused:  # what to correct, not a traceback
        click.echo(f"makker: {refused}", err=True)
        sys.exit(1)
    click.echo(f"database upgraded to {revision}")


@db.command("downgrade")
@click.argument("revision", default="-1")
def db_downgrade(revision: str) -> None:
    """Downgrade the schema to REVISION (default: one step back; 'base' removes all)."""
    from core.db import migrate

    settings = _settings()
    migrate.downgrade(settings.migration_database_url, revision, settings.db_app_role)
    click.echo(f"database downgraded to {revision}")


@db.command("current")
@click.option("--check", is_flag=True, help="Exit 1 when this code cannot run against the schema.")
def db_current(check: bool) -> None:
    """Print the schema revision of the database (MAKKER_DATABASE_URL) and whether this code
    runs against it."""
    from core.db import schema_compat
    from core.db.session import create_engine

    settings = _settings()

    async def read() -> tuple[str | None, str | None]:
        engine = create_engine(settings.database_url)
        try:
            return await schema_compat.read_state(engine)
        finally:
            await engine.dispose()

    try:
        revision, oldest_code = asyncio.run(read())
    except Exception as exc:  # noqa: BLE001 - one line, not a traceback
        shown = make_url(settings.database_url).render_as_string(hide_password=True)
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        click.echo(f"makker: cannot read the schema revision from {shown}: {first}", err=True)
        sys.exit(1)
    verdict = schema_compat.judge(revision, oldest_code)
    click.echo(f"{revision or 'none'} ({verdict.note})")
    if check and not verdict.ready:
        sys.exit(1)


@db.command("revision")
@click.option("-m", "--message", required=True, help="What the migration does.")
def db_revision(message: str) -> None:
    """Autogenerate a new migration from the models (review it by hand)."""
    from alembic import command

    from core.db import migrate

    settings = _settings()
    command.revision(
        migrate.alembic_config(settings.migration_database_url), message=message, autogenerate=True
    )


# -- backups (docs/operations.md) ---------------------------------------------------------------
pg_bin_option = click.option(
    "--pg-bin",
    envvar="MAKKER_PG_BIN",
    default=None,
    help="Directory of pg_dump/pg_restore (default: PATH) [env: MAKKER_PG_BIN].",
)


def _backup_step(work: Callable[[], T]) -> T:
    from core.db.backup import BackupError

    try:
        return work()
    except (BackupError, ValueError) as exc:
        click.echo(f"makker: {exc}", err=True)
        sys.exit(1)


@db.command("create-backup-role")
@click.option(
    "--admin-url",
    envvar="MAKKER_ADMIN_DATABASE_URL",
    required=True,
    help="A superuser, connected to the Makker database [env: MAKKER_ADMIN_DATABASE_URL].",
)
@click.option("--role", default="makker_backup", show_default=True)
@click.option(
    "--owner-role",
    default="makker_owner",
    show_default=True,
    help="Tables it creates later are readable by the backup role too.",
)
def db_create_backup_role(admin_url: str, role: str, owner_role: str) -> None:
    """Create the backup role, or bring it back to its definition (idempotent): LOGIN,
    BYPASSRLS, read-only (SELECT on every table). Password: MAKKER_BACKUP_DB_PASSWORD (needed
    when the role is new; left unchanged when unset)."""
    from core.db.backup import create_backup_role

    password = os.environ.get("MAKKER_BACKUP_DB_PASSWORD") or None
    for line in _backup_step(lambda: create_backup_role(admin_url, role, owner_role, password)):
        click.echo(line)


@db.command("backup")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--database-url",
    envvar="MAKKER_BACKUP_DATABASE_URL",
    required=True,
    help="The backup role's URL [env: MAKKER_BACKUP_DATABASE_URL].",
)
@pg_bin_option
@click.option("--force", is_flag=True, help="Overwrite FILE if it exists.")
def db_backup(file: Path, database_url: str, pg_bin: str | None, force: bool) -> None:
    """Dump the database to FILE (pg_dump's custom format) as the backup role. Refuses a role
    that row-level security binds: its dump would miss every tenant's rows."""
    from core.db.backup import backup

    result = _backup_step(lambda: backup(database_url, file, bin_dir=pg_bin, force=force))
    click.echo(
        f"backup written: {result.path} ({result.size} bytes, {result.tables} tables' data, "
        f"as {result.role})"
    )


@db.command("restore")
@click.argument("file", type=click.Path(dir_okay=False, exists=True, path_type=Path))
@click.option(
    "--database-url",
    envvar="MAKKER_MIGRATION_DATABASE_URL",
    required=True,
    help="The owner role's URL, on an empty database [env: MAKKER_MIGRATION_DATABASE_URL].",
)
@click.option(
    "--app-role",
    envvar="MAKKER_DB_APP_ROLE",
    required=True,
    help="Granted DML after the restore [env: MAKKER_DB_APP_ROLE].",
)
@click.option(
    "--backup-role",
    default="makker_backup",
    show_default=True,
    help="Granted SELECT after the restore, if it exists.",
)
@pg_bin_option
@click.option("--force", is_flag=True, help="Restore into a database that is not empty.")
def db_restore(
    file: Path, database_url: str, app_role: str, backup_role: str, pg_bin: str | None, force: bool
) -> None:
    """Restore FILE (from makker db backup) as the owner into an empty database, in one
    transaction; then grant the app and backup roles and check row-level security."""
    from core.db.backup import restore

    result = _backup_step(
        lambda: restore(
            database_url,
            file,
            app_role=app_role,
            backup_role=backup_role,
            bin_dir=pg_bin,
            force=force,
        )
    )
    click.echo(
        f"restored {file} into {result.database}: {result.tables} tables, schema "
        f"{result.revision}; granted {', '.join(result.granted)}; row-level security forced"
    )


# -- tenants --------------------------------------------------------------------------------
def _load_tenant_files(directory: Path, settings: Settings | None = None) -> list[Any]:
    from core.tenancy.config import TenantFileError, load_tenant_dir

    try:
        return load_tenant_dir(directory, _plugin_manager(settings))
    except TenantFileError as exc:
        click.echo(f"makker: {exc}", err=True)
        click.echo("makker: nothing was changed", err=True)
        sys.exit(1)


@main.group()
def tenants() -> None:
    """Tenant configuration files (tenants/*.toml)."""


@tenants.command("check")
@tenant_dir_option
def tenants_check(directory: Path | None) -> None:
    """Validate the tenant files without changing anything."""
    settings = _settings()
    configs = _load_tenant_files(directory or settings.tenants_dir)
    click.echo(f"{len(configs)} tenant files are valid")


@tenants.command("sync")
@tenant_dir_option
@click.option(
    "--keycloak",
    is_flag=True,
    help="Also create/update one Keycloak Organization per tenant, roles and clients.",
)
def tenants_sync(directory: Path | None, keycloak: bool) -> None:
    """Apply the tenant files to the database (idempotent)."""
    from core.tenancy.sync import sync_tenants

    settings = _settings()
    credentials = None
    if keycloak:  # read only here: the web app has no Keycloak admin credential
        try:
            credentials = load_keycloak_admin(settings)
        except SettingsError as exc:
            _configuration_error(exc)
    configs = _load_tenant_files(directory or settings.tenants_dir)
    report = asyncio.run(_with_sessionmaker(settings, lambda sm: sync_tenants(sm, configs)))
    for line in report.lines():
        click.echo(line)
    click.echo("changes applied" if report.changed else "nothing to change")
    if credentials is not None:
        from keycloak.exceptions import KeycloakError

        from core.identity.keycloak_sync import sync_keycloak

        try:
            lines = asyncio.run(sync_keycloak(settings, credentials, configs))
        except KeycloakError as exc:
            click.echo(f"makker: Keycloak at {settings.oidc_issuer}: {exc}", err=True)
            sys.exit(1)
        for line in lines:
            click.echo(f"keycloak {line}")


def _add_tenant_transfer() -> None:
    from core.tenancy.transfer_cli import tenants_export, tenants_import

    tenants.add_command(tenants_export)
    tenants.add_command(tenants_import)


_add_tenant_transfer()


# -- invitations ----------------------------------------------------------------------------
@main.group()
def invitations() -> None:
    """Invitations tenant admins stored in Makker (docs/access.md)."""


@invitations.command("send")
def invitations_send() -> None:
    """Have Keycloak e-mail every pending invitation (its Organization invitation API).

    Runs with the Keycloak admin credential, like ``tenants sync --keycloak``: the web app has
    none. Idempotent: an invitation is sent once; a failed one is tried again next run."""
    from keycloak.exceptions import KeycloakError

    from core.access.keycloak_invitations import send_invitations

    settings = _settings()
    try:
        credentials = load_keycloak_admin(settings, command="makker invitations send")
    except SettingsError as exc:
        _configuration_error(exc)
    try:
        lines = asyncio.run(
            _with_sessionmaker(settings, lambda sm: send_invitations(settings, credentials, sm))
        )
    except KeycloakError as exc:
        click.echo(f"makker: Keycloak at {settings.oidc_issuer}: {exc}", err=True)
        sys.exit(1)
    for line in lines:
        click.echo(line)
    click.echo(f"{len(lines)} pending invitations handled")


# -- GDPR (docs/gdpr.md) ----------------------------------------------------------------------
@main.group()
def gdpr() -> None:
    """GDPR: the record of processing activities (Art. 30)."""


@gdpr.command("register")
@click.option("--tenant", "tenant_slug", default=None, help="One tenant (default: every tenant).")
@click.option(
    "--output",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Write to this file (default: standard output).",
)
@tenant_dir_option
def gdpr_register(tenant_slug: str | None, output: Path | None, directory: Path | None) -> None:
    """Write the record of processing (Markdown) from the model tags, the partner grants in
    the database and the tenant files' retention."""
    from core.gdpr.register import register_markdown

    settings = _settings()
    configs = {c.slug: c for c in _load_tenant_files(directory or settings.tenants_dir, settings)}
    try:
        text = asyncio.run(
            _with_sessionmaker(settings, lambda sm: register_markdown(sm, configs, tenant_slug))
        )
    except LookupError:
        click.echo(f"makker: no tenant {tenant_slug!r} in the database", err=True)
        sys.exit(1)
    if output is None:
        click.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")
        click.echo(f"wrote {output}")


# -- plugins --------------------------------------------------------------------------------
def _plugin_manager(settings: Settings | None = None) -> Any:
    """The plugins of ``settings`` (default: the environment's, as production unless said)."""
    from core.plugin_api import PluginError, create_plugin_manager

    try:
        return create_plugin_manager((settings or _settings()).plugins)
    except PluginError as exc:
        click.echo(f"makker: {exc}", err=True)
        sys.exit(2)


@main.group()
def plugins() -> None:
    """Plugins: built-in ones and those allow-listed in MAKKER_PLUGINS."""


@plugins.command("list")
@tenant_dir_option
def plugins_list(directory: Path | None) -> None:
    """Each plugin, its version, the hooks it implements and who enables it."""
    from core.programmes.listing import format_rows, plugin_rows

    configs = _load_tenant_files(directory or _settings().tenants_dir)
    for line in format_rows(plugin_rows(_plugin_manager(), configs)):
        click.echo(line)


@plugins.command("new")
@click.argument("name")
@click.option(
    "--directory",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("."),
    show_default=True,
    help="Where to write the package makker-NAME.",
)
def plugins_new(name: str, directory: Path) -> None:
    """Write a new plugin package makker-NAME (pyproject with the entry point, a rule, an
    intake field, tests with the harness, README) that passes its own tests."""
    from core.scaffold import ScaffoldError, write_plugin

    try:
        target = write_plugin(name, directory)
    except ScaffoldError as exc:
        click.echo(f"makker: {exc}", err=True)
        sys.exit(2)
    click.echo(f"created {target}")
    click.echo(f"test it: cd {target} && pytest")


def _reset_demo_database(settings: Any) -> None:
    """``demo --reset``: the SQLite file is deleted; a PostgreSQL database is migrated down to
    nothing (as the owner role), so the upgrade that follows starts it over."""
    from core.db import migrate

    url = make_url(settings.database_url)
    if url.get_backend_name() == "sqlite":
        if url.database and url.database != ":memory:":
            for suffix in ("", "-wal", "-shm", "-journal"):
                Path(url.database + suffix).unlink(missing_ok=True)
    else:
        migrate.downgrade(settings.migration_database_url, "base", settings.db_app_role)
    click.echo("demo database reset")


# -- running --------------------------------------------------------------------------------
def _app_or_exit(settings: Settings) -> Any:
    """The app; a plugin that cannot be loaded (missing, incompatible, broken) stops start-up
    with one line naming it."""
    from core.app import create_app
    from core.plugin_api import PluginError

    try:
        return create_app(settings)
    except PluginError as exc:
        click.echo(f"makker: {exc}", err=True)
        sys.exit(2)


@main.command()
@click.option(
    "--concurrency",
    default=1,
    show_default=True,
    type=click.IntRange(1, 32),
    help="Jobs this worker runs at once.",
)
def worker(concurrency: int) -> None:
    """Run the background jobs (reminders, notifications) from the PostgreSQL queue.

    Run as many as you like: each minute's periodic job runs once (docs/notifications.md). On
    SQLite there is no queue: the app runs the jobs itself, so this refuses."""
    from core.jobs.queue import main as run_worker

    settings = _settings()
    if not settings.database_url.startswith("postgresql"):
        _configuration_error(
            SettingsError(
                "makker worker needs PostgreSQL (MAKKER_DATABASE_URL); on SQLite the app "
                "(makker demo, makker serve) runs the jobs itself"
            )
        )
    from core.web.logs import logging_config

    # the app's one log format (JSON in production); job arguments are timestamps only
    logging_config(settings, quiet_traces=set()).configure()
    run_worker(settings, concurrency=concurrency)


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option(
    "--workers",
    default=1,
    show_default=True,
    type=click.IntRange(1, 64),
    help="Worker processes (uvicorn); more than one needs PostgreSQL.",
)
def serve(host: str, port: int, workers: int) -> None:
    """Serve Makker (production: behind a TLS-terminating proxy).

    With no settings this refuses to start and names what production needs; with
    MAKKER_ENV=development it serves only on a loopback address. On SIGTERM running requests
    get MAKKER_GRACEFUL_SHUTDOWN_SECONDS to finish (docs/deploy.md)."""
    import uvicorn

    settings = _settings()
    try:
        check_bind_address(settings, host)
    except SettingsError as exc:
        _configuration_error(exc)
    if workers > 1 and not settings.database_url.startswith("postgresql"):
        _configuration_error(
            SettingsError(
                "--workers above 1 needs PostgreSQL (MAKKER_DATABASE_URL): on SQLite one "
                "process runs the jobs and counts the rate limits"
            )
        )
    app = _app_or_exit(settings)  # a plugin that cannot load stops here, before any worker
    # uvicorn configures no logging of its own (log_config=None): its lines go through the
    # app's handler and format. uvicorn's own access log stays off.
    options: dict[str, Any] = {
        "host": host,
        "port": port,
        "proxy_headers": False,
        "server_header": False,
        "access_log": False,
        "log_config": None,
        "timeout_graceful_shutdown": settings.graceful_shutdown_seconds,
    }
    if workers == 1:
        uvicorn.run(app, **options)
    else:
        if settings.metrics_token and not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
            # the workers' metrics in files of one directory: /metrics answers their sum
            import tempfile

            os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="makker-metrics-")
        # each worker process builds its own app from the same environment
        uvicorn.run("core.app:create_app", factory=True, workers=workers, **options)


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--no-serve", is_flag=True, help="Prepare the database only; do not serve.")
@click.option(
    "--reset", is_flag=True, help="Start the demo database over (everything in it is deleted)."
)
def demo(host: str, port: int, no_serve: bool, reset: bool) -> None:
    """Create or upgrade a local database, sync the tenants, seed demo people and serve."""
    from core.db import migrate
    from core.demo import seed_demo
    from core.tenancy.sync import sync_tenants

    settings = _settings(default_env="development")  # the demo is the explicit request
    if settings.is_production:
        click.echo("makker: demo refuses to run when MAKKER_ENV=production", err=True)
        sys.exit(2)
    try:
        check_bind_address(settings, host)
    except SettingsError as exc:
        _configuration_error(exc)
    if not os.environ.get("MAKKER_LOG_LEVEL"):  # a quiet terminal: no access log unless asked
        settings = dataclasses.replace(settings, log_level="WARNING")
    if not os.environ.get("MAKKER_BASE_URL"):  # the embedded issuer lives at the demo's address
        base = f"http://{f'[{host}]' if ':' in host else host}:{port}"
        issuer = os.environ.get("MAKKER_OIDC_ISSUER") or f"{base}/realms/makker"
        settings = dataclasses.replace(settings, base_url=base, oidc_issuer=issuer)
    if reset:
        _reset_demo_database(settings)
    migrate.upgrade(settings.migration_database_url, "head", settings.db_app_role)
    configs = _load_tenant_files(settings.tenants_dir, settings)

    async def prepare(sm: Any) -> tuple[Any, dict[str, int]]:
        return await sync_tenants(sm, configs), await seed_demo(sm, settings.oidc_issuer)

    report, added = asyncio.run(_with_sessionmaker(settings, prepare))
    shown = make_url(settings.database_url).render_as_string(hide_password=True)
    click.echo(f"database ready ({shown})")
    click.echo("tenants: " + ("changes applied" if report.changed else "unchanged"))
    click.echo("demo people added: " + ", ".join(f"{k} {v}" for k, v in added.items()))
    if no_serve:
        return
    import uvicorn

    from core.identity.dev_users import DEMO_USERS

    click.echo("demo users (password 'demo'): " + ", ".join(u.username for u in DEMO_USERS))
    click.echo(f"Makker demo: {settings.base_url}/t/kolding/", err=False)
    sys.stdout.flush()
    uvicorn.run(
        _app_or_exit(settings),
        host=host,
        port=port,
        server_header=False,
        access_log=False,
        log_config=None,
        log_level="warning",
    )


def _add_commands() -> None:
    """Command groups that live with their domain."""
    from core.audit.cli import audit
    from core.db.keys_cli import keys
    from core.gdpr.retention_cli import retention

    main.add_command(audit)
    main.add_command(keys)
    main.add_command(retention)


_add_commands()


if __name__ == "__main__":
    main()
