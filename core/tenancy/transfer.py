"""``makker tenants export`` / ``import``: move one municipality with all its data to another
Makker instance (docs/operations.md, "Moving a tenant to another instance").

The file is JSON lines, one JSON object a line:

* line 1, the header: ``{"makker_tenant_export": 1, "schema_revision": ..., "tenant": slug,
  "exported_at": ..., "tables": {table: rows}}``;
* one line per row: ``{"table": name, "row": {column: value}}`` - the tenant's own ``tenant``
  row first, then every tenant-owned table (each table of ``Base.metadata`` with a
  ``tenant_id`` column, the tables the schema guard protects) parents before children, but
  the summary tables the database's triggers keep (``meeting_day_count``), then
  the shared tables that belong to the tenant: its calendar links and the partner grants it gave
  (``programme_partnership``, with ``"partner": slug``);
* the last line: ``{"end": {"rows": n, "sha256": ...}}``, the SHA-256 of every line before it.
  A file cut short, edited or damaged is refused.

Rows keep their ids (UUIDs, unique across instances). Encrypted free text (``EncryptedText``)
is read through the column type, so the file holds it **in clear**, and the import encrypts it
again with the target's ``MAKKER_DATA_KEYS``: the file is special-category data (Art. 9).

Not moved: the audit log (its hash chain is per instance; the source keeps the tenant's rows
for their retention period), web sessions and rate-limit counters (short-lived), and grants
other tenants gave this one (their owner grants again on the target). A grant this tenant gave
to a partner that does not exist on the target is skipped and said so.

The import is one transaction: on any refusal nothing is stored.
"""

from __future__ import annotations

import base64
import datetime as dt
import decimal
import enum
import hashlib
import json
import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from sqlalchemy import Column, Table, insert, inspect, select, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

FORMAT_VERSION = 1
#: Shared tables (no tenant_id) whose rows of the tenant move with it, and the column naming it.
SHARED_OWNED_BY = {"calendar_link": "owner_tenant_id", "programme_partnership": "owner_tenant_id"}
#: Tenant-owned tables the database keeps itself (triggers): not in the file; the import's
#: inserts into their source tables fill them again.
DERIVED_TABLES = {"meeting_day_count": "meeting"}
_SET_TENANT = text("SELECT set_config('app.tenant_id', :tenant, true)")
_BATCH = 500


class TransferError(Exception):
    """An export or import was refused; the message is one line and names the file."""


def _metadata_tables() -> list[Table]:
    import core.db.models  # noqa: F401 - every model, so Base.metadata is complete
    from core.db.base import Base

    return list(Base.metadata.sorted_tables)


def tenant_owned(tables: list[Table]) -> list[Table]:
    """The tables with a ``tenant_id`` column, parents before children, but those the
    database keeps itself (:data:`DERIVED_TABLES`)."""
    return [t for t in tables if "tenant_id" in t.c and t.name not in DERIVED_TABLES]


def moved_tables() -> list[Table]:
    """Every table a file may hold rows of, in the order they are inserted."""
    tables = _metadata_tables()
    by_name = {t.name: t for t in tables}
    return [
        by_name["tenant"],
        *tenant_owned(tables),
        *(by_name[name] for name in SHARED_OWNED_BY),
    ]


# -- values ------------------------------------------------------------------------------------
def _encode(value: Any) -> Any:
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    return value


def _python_type(column: Column[Any]) -> type | None:
    try:
        return column.type.python_type  # type: ignore[no-any-return]
    except NotImplementedError:
        return None


def _decode(column: Column[Any], value: Any) -> Any:
    """``value`` from the file as ``column`` takes it; :class:`ValueError` if it cannot be."""
    if value is None:
        if not column.nullable:
            raise ValueError(f"{column.name} is empty")
        return None
    kind = _python_type(column)
    if kind is None or kind in (dict, list):
        return value
    if kind is bool:
        if not isinstance(value, bool):
            raise ValueError(f"{column.name} is not true or false")
        return value
    if kind is int or kind is float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError(f"{column.name} is not a number")
        return kind(value)
    if kind is str:
        if not isinstance(value, str):
            raise ValueError(f"{column.name} is not text")
        return value
    if not isinstance(value, str):
        raise ValueError(f"{column.name} is not a {kind.__name__} in text")
    if kind is uuid.UUID:
        return uuid.UUID(value)
    if kind is dt.datetime:
        return dt.datetime.fromisoformat(value)
    if kind is dt.date:
        return dt.date.fromisoformat(value)
    if kind is dt.time:
        return dt.time.fromisoformat(value)
    if kind is decimal.Decimal:
        return decimal.Decimal(value)
    if kind is bytes:
        return base64.b64decode(value, validate=True)
    if issubclass(kind, enum.Enum):
        return kind(value)
    return value


# -- export ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ExportResult:
    path: Path
    tenant: str
    schema_revision: str
    rows: dict[str, int]


async def _begin(conn: AsyncConnection, tenant_id: uuid.UUID) -> None:
    if conn.dialect.name == "postgresql":
        await conn.execute(_SET_TENANT, {"tenant": str(tenant_id)})


async def _revision(conn: AsyncConnection) -> str:
    """The database's schema revision; a refusal if it was never migrated (asked of the
    catalog first: a missing table would otherwise end in a driver's traceback)."""
    migrated = await conn.run_sync(lambda sync: inspect(sync).has_table("alembic_version"))
    revision = (
        await conn.scalar(text("SELECT version_num FROM alembic_version")) if migrated else None
    )
    if revision is None:
        raise TransferError("the database has no schema revision: run makker db upgrade")
    return str(revision)


def _line(obj: dict[str, Any]) -> bytes:
    return (json.dumps(obj, ensure_ascii=False, separators=(",", ":")) + "\n").encode()


async def export_tenant(
    engine: AsyncEngine, slug: str, path: Path, *, force: bool = False
) -> ExportResult:
    """Write tenant ``slug`` with all its rows to ``path`` (readable by its owner only)."""
    tables = moved_tables()
    by_name = {t.name: t for t in tables}
    if path.exists() and not force:
        raise TransferError(f"{path} exists; pass --force to overwrite it")
    isolated = (  # one snapshot of every table
        engine.execution_options(isolation_level="REPEATABLE READ")
        if engine.dialect.name == "postgresql"
        else engine
    )
    rows: dict[str, list[dict[str, Any]]] = {}
    async with isolated.connect() as conn, conn.begin():
        revision = await _revision(conn)
        tenant_table = by_name["tenant"]
        found = (
            (await conn.execute(select(tenant_table).where(tenant_table.c.slug == slug)))
            .mappings()
            .first()
        )
        if found is None:
            raise TransferError(f"no tenant {slug!r} in this database")
        tenant_id = found["id"]
        await _begin(conn, tenant_id)
        rows["tenant"] = [dict(found)]
        tenant_slugs = {
            r.id: r.slug for r in await conn.execute(select(tenant_table.c.id, tenant_table.c.slug))
        }
        for table in tables[1:]:
            owner = table.c.get("tenant_id")
            if owner is None:
                owner = table.c[SHARED_OWNED_BY[table.name]]
            key = list(table.primary_key.columns) or list(table.c)
            result = await conn.execute(select(table).where(owner == tenant_id).order_by(*key))
            rows[table.name] = [dict(r) for r in result.mappings()]
    counts = {name: len(found_rows) for name, found_rows in rows.items()}
    header = {
        "makker_tenant_export": FORMAT_VERSION,
        "schema_revision": revision,
        "tenant": slug,
        "exported_at": dt.datetime.now(dt.UTC).isoformat(),
        "tables": counts,
    }
    digest = hashlib.sha256()
    count = 0
    partial = path.with_name(path.name + ".partial")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "wb") as out:
            for obj in _export_lines(header, rows, tenant_slugs):
                line = _line(obj)
                digest.update(line)
                out.write(line)
                count += 1
            out.write(_line({"end": {"rows": count - 1, "sha256": digest.hexdigest()}}))
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    partial.replace(path)
    return ExportResult(path, slug, revision, counts)


def _export_lines(
    header: dict[str, Any],
    rows: dict[str, list[dict[str, Any]]],
    tenant_slugs: dict[Any, str],
) -> Iterator[dict[str, Any]]:
    yield header
    for name, table_rows in rows.items():
        for row in table_rows:
            obj: dict[str, Any] = {
                "table": name,
                "row": {column: _encode(value) for column, value in row.items()},
            }
            if name == "programme_partnership":
                obj["partner"] = tenant_slugs.get(row["partner_tenant_id"])
            yield obj


# -- import ------------------------------------------------------------------------------------
@dataclass
class ImportResult:
    tenant: str
    rows: dict[str, int]
    skipped: list[str] = field(default_factory=list)


@dataclass
class _Parsed:
    header: dict[str, Any]
    rows: dict[str, list[dict[str, Any]]]
    partners: list[tuple[int, dict[str, Any], str | None]]


def _parse_file(path: Path, handle: IO[bytes]) -> _Parsed:
    tables = {t.name: t for t in moved_tables()}
    digest = hashlib.sha256()
    header: dict[str, Any] | None = None
    rows: dict[str, list[dict[str, Any]]] = {name: [] for name in tables}
    partners: list[tuple[int, dict[str, Any], str | None]] = []
    end: dict[str, Any] | None = None
    number = 0
    for number, raw in enumerate(handle, start=1):  # noqa: B007 - the count is used below
        where = f"{path} line {number}"
        if end is not None:
            raise TransferError(f"{where}: a line after the file's last line")
        try:
            obj = json.loads(raw)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise TransferError(f"{where}: not valid JSON ({exc.args[0]})") from None
        if not isinstance(obj, dict):
            raise TransferError(f"{where}: not a JSON object")
        if number == 1:
            if obj.get("makker_tenant_export") is None:
                raise TransferError(f"{where}: not a Makker tenant export")
            if obj["makker_tenant_export"] != FORMAT_VERSION:
                raise TransferError(
                    f"{where}: export format {obj['makker_tenant_export']!r}; this Makker "
                    f"reads format {FORMAT_VERSION}"
                )
            if not isinstance(obj.get("tenant"), str) or not isinstance(
                obj.get("schema_revision"), str
            ):
                raise TransferError(f"{where}: the header names no tenant or schema revision")
            header = obj
            digest.update(raw)
            continue
        if "end" in obj:
            end = obj["end"] if isinstance(obj["end"], dict) else {}
            if end.get("sha256") != digest.hexdigest() or end.get("rows") != number - 2:
                raise TransferError(
                    f"{where}: the checksum does not match the lines before it: the file was "
                    "changed or damaged"
                )
            continue
        digest.update(raw)
        table = tables.get(obj.get("table"))  # type: ignore[arg-type]
        row = obj.get("row")
        if table is None or not isinstance(row, dict):
            raise TransferError(f"{where}: not a row of a table that moves with a tenant")
        unknown = sorted(set(row) - set(table.c.keys()))
        missing = sorted(set(table.c.keys()) - set(row))
        if unknown or missing:
            raise TransferError(
                f"{where}: the {table.name} row does not fit this schema "
                f"(unknown: {', '.join(unknown) or '-'}; missing: {', '.join(missing) or '-'})"
            )
        try:
            values = {name: _decode(table.c[name], value) for name, value in row.items()}
        except (ValueError, TypeError) as exc:
            raise TransferError(f"{where}: {table.name}: {exc}") from None
        if table.name == "programme_partnership":
            partner = obj.get("partner")
            partners.append((number, values, partner if isinstance(partner, str) else None))
        else:
            rows[table.name].append(values)
    if header is None:
        raise TransferError(f"{path} is empty")
    if end is None:
        raise TransferError(
            f"{path} line {number}: the file ends before its last line: it is incomplete"
        )
    if len(rows["tenant"]) != 1 or rows["tenant"][0]["slug"] != header["tenant"]:
        raise TransferError(f"{path}: the file does not hold exactly the tenant its header names")
    tenant_id = rows["tenant"][0]["id"]
    for name, table_rows in rows.items():
        column = "tenant_id" if "tenant_id" in tables[name].c else SHARED_OWNED_BY.get(name)
        if column and any(r[column] != tenant_id for r in table_rows):
            raise TransferError(f"{path}: {name} holds rows of another tenant")
    if any(values["owner_tenant_id"] != tenant_id for _n, values, _p in partners):
        raise TransferError(f"{path}: programme_partnership holds another tenant's grants")
    return _Parsed(header, rows, partners)


async def import_tenant(engine: AsyncEngine, path: Path) -> ImportResult:
    """Store the tenant of the file at ``path``; one transaction, nothing stored on refusal."""
    try:
        with path.open("rb") as handle:
            parsed = _parse_file(path, handle)
    except OSError as exc:
        raise TransferError(f"{path}: {exc.strerror}") from None
    tables = {t.name: t for t in moved_tables()}
    tenant_row = parsed.rows["tenant"][0]
    slug = str(tenant_row["slug"])
    tenant_table = tables["tenant"]
    result = ImportResult(slug, {})
    async with engine.connect() as conn, conn.begin():
        revision = await _revision(conn)
        if parsed.header["schema_revision"] != revision:
            raise TransferError(
                f"{path} was exported at schema revision {parsed.header['schema_revision']}; "
                f"this database is at {revision}: bring both to the same Makker version "
                "(makker db upgrade) and export again"
            )
        existing = (
            await conn.execute(
                select(tenant_table.c.slug).where(
                    (tenant_table.c.slug == slug) | (tenant_table.c.id == tenant_row["id"])
                )
            )
        ).first()
        if existing is not None:
            raise TransferError(
                f"{path}: a tenant {existing.slug!r} already exists here"
                + ("" if existing.slug == slug else f" with the id of {slug!r}")
                + "; nothing was imported"
            )
        await _begin(conn, tenant_row["id"])
        slugs = {
            r.slug: r.id for r in await conn.execute(select(tenant_table.c.id, tenant_table.c.slug))
        }
        for name, table_rows in parsed.rows.items():
            try:
                for start in range(0, len(table_rows), _BATCH):
                    await conn.execute(insert(tables[name]), table_rows[start : start + _BATCH])
            except SQLAlchemyError as exc:
                first = str(getattr(exc, "orig", None) or exc).strip().splitlines()
                raise TransferError(
                    f"{path}: the database refused the {name} rows ({first[0] if first else exc}); "
                    "nothing was imported"
                ) from None
            result.rows[name] = len(table_rows)
        grants = []
        for number, values, partner in parsed.partners:
            if partner is None or partner not in slugs:
                result.skipped.append(
                    f"line {number}: the grant to {partner or 'an unknown tenant'} is skipped: "
                    "no such tenant here (grant it again once it exists)"
                )
                continue
            grants.append({**values, "partner_tenant_id": slugs[partner]})
        if grants:
            await conn.execute(insert(tables["programme_partnership"]), grants)
        result.rows["programme_partnership"] = len(grants)
    return result
