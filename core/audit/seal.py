"""The audit log's hash chain: sealing, verifying, and removing whole sealed blocks.

Requests only *insert* audit rows (:mod:`core.audit.service`); they never wait for the chain.
The **sealer** (:func:`seal_pending`) takes the unsealed rows in order of time and id and gives
each the next number (``seq``) and ``hash = SHA-256(previous hash || canonical row content)``.
It runs in batches from the periodic job (:mod:`core.jobs.tick`: ``makker worker`` every
minute on PostgreSQL, the in-process jobs every 30 s on SQLite) and once more when the app
shuts down. Sealers never run at once: on PostgreSQL each batch is one transaction under one
transaction-level advisory lock (:data:`ADVISORY_LOCK`), which only sealers take - so a request
never queues on it; in one process an :class:`asyncio.Lock` does the same on SQLite.

The database keeps the rows insert-only for the app role (migration 0021): it may INSERT and
SELECT, and UPDATE only ``seq`` and ``hash`` of a row not yet sealed (a trigger refuses every
other change and every DELETE, for every role, except removing rows of a block that an
:class:`~core.audit.models.AuditSealAnchor` closes - retention, as the owner).

:func:`verify` walks the whole chain and names the first row that was altered, inserted or
removed. What a hash chain cannot show by itself: rows cut off at the *end*, or a tail
recomputed by someone who can write the table. ``makker audit verify`` therefore prints the
head (number and hash); keep it outside the database and compare (docs/operations.md).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import json
import weakref
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Table, bindparam, delete, func, select, text, update
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from core import clock
from core.audit.models import AuditEvent, AuditSealAnchor

#: The hash "before" the first row of the chain.
GENESIS = "0" * 64
#: The key of the sealers' transaction-level advisory lock on PostgreSQL ("makker audit seal").
ADVISORY_LOCK = 0x6D616B6B_61756474
#: Rows sealed per transaction (one batch).
BATCH = 1000

_table: Table = AuditEvent.__table__  # type: ignore[assignment]
_anchor: Table = AuditSealAnchor.__table__  # type: ignore[assignment]
#: The columns a seal covers, in this order (``seq`` and ``hash`` are the seal itself).
CONTENT_COLUMNS = (
    "id",
    "at",
    "actor",
    "tenant_slug",
    "action",
    "route",
    "object_type",
    "object_id",
    "detail",
    "request_id",
    "client_address",
)
_content = [_table.c[name] for name in CONTENT_COLUMNS]
#: One sealer per process and event loop on SQLite (PostgreSQL also has the advisory lock).
_locks: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = (
    weakref.WeakKeyDictionary()
)


def _process_lock() -> asyncio.Lock:
    loop = asyncio.get_running_loop()
    lock = _locks.get(loop)
    if lock is None:
        lock = _locks[loop] = asyncio.Lock()
    return lock


def canonical(row: Any) -> bytes:
    """The row's content as the seal covers it: a JSON array of :data:`CONTENT_COLUMNS`,
    times in UTC with microseconds, ``detail`` with sorted keys - the same bytes whatever
    database the row was read from."""
    at: dt.datetime = row.at
    if at.tzinfo is None:
        at = at.replace(tzinfo=dt.UTC)
    values = [
        str(row.id),
        at.astimezone(dt.UTC).isoformat(timespec="microseconds"),
        row.actor,
        row.tenant_slug,
        row.action,
        row.route,
        row.object_type,
        row.object_id,
        row.detail,
        row.request_id,
        row.client_address,
    ]
    return json.dumps(
        values, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str
    ).encode()


def chain_hash(previous: str, row: Any) -> str:
    """``SHA-256(previous hash || canonical content)`` in hex."""
    return hashlib.sha256(previous.encode() + b"\n" + canonical(row)).hexdigest()


async def _lock(conn: AsyncConnection) -> None:
    if conn.dialect.name == "postgresql":
        await conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": ADVISORY_LOCK})


async def _head(conn: AsyncConnection) -> tuple[int, str]:
    """The last sealed number and hash (after retention: from the newest anchor)."""
    last = (
        await conn.execute(
            select(_table.c.seq, _table.c.hash)
            .where(_table.c.seq.is_not(None))
            .order_by(_table.c.seq.desc())
            .limit(1)
        )
    ).first()
    anchor = (
        await conn.execute(
            select(_anchor.c.through_seq, _anchor.c.through_hash)
            .order_by(_anchor.c.through_seq.desc())
            .limit(1)
        )
    ).first()
    if last is not None and (anchor is None or last.seq > anchor.through_seq):
        return int(last.seq), str(last.hash)
    if anchor is not None:
        return int(anchor.through_seq), str(anchor.through_hash)
    return 0, GENESIS


async def _seal_batch(conn: AsyncConnection, batch: int) -> int:
    await _lock(conn)
    seq, previous = await _head(conn)
    rows = (
        await conn.execute(
            select(*_content)
            .where(_table.c.seq.is_(None))
            .order_by(_table.c.at, _table.c.id)
            .limit(batch)
        )
    ).all()
    if not rows:
        return 0
    seals = []
    for row in rows:
        seq += 1
        previous = chain_hash(previous, row)
        seals.append({"row_id": row.id, "new_seq": seq, "new_hash": previous})
    await conn.execute(
        update(_table)
        .where(_table.c.id == bindparam("row_id"), _table.c.seq.is_(None))
        .values(seq=bindparam("new_seq"), hash=bindparam("new_hash")),
        seals,
    )
    return len(rows)


async def seal_pending(engine: AsyncEngine, *, batch: int = BATCH) -> int:
    """Seal every row not sealed yet, ``batch`` rows per transaction; the number sealed.

    Safe to call from several processes at once (they take turns on the advisory lock) and
    while requests write audit rows (they do not take the lock)."""
    sealed = 0
    async with _process_lock():
        while True:
            async with engine.begin() as conn:
                done = await _seal_batch(conn, batch)
            sealed += done
            if done < batch:
                return sealed


@dataclass(frozen=True)
class Verdict:
    """What :func:`verify` found. ``problem`` is ``None`` when the chain is intact."""

    problem: str | None
    sealed: int
    unsealed: int
    head_seq: int
    head_hash: str
    #: The number the chain starts after (the newest anchor's ``through_seq``), 0 if none.
    starts_after: int

    @property
    def ok(self) -> bool:
        return self.problem is None

    def summary(self) -> str:
        if self.problem is not None:
            return self.problem
        after = (
            f", continuing after row {self.starts_after} (older rows removed by retention)"
            if self.starts_after
            else ""
        )
        return (
            f"audit log intact: {self.sealed} sealed rows{after}; head "
            f"{self.head_seq}:{self.head_hash}; {self.unsealed} rows not sealed yet"
        )


async def _groups(conn: AsyncConnection, after: int, page: int) -> AsyncIterator[list[Row[Any]]]:
    """The sealed rows after number ``after``, grouped by number (a group of more than one
    row means a row was inserted with a number already taken), read in pages."""
    columns = [*_content, _table.c.seq, _table.c.hash]
    while True:
        rows = list(
            (
                await conn.execute(
                    select(*columns)
                    .where(_table.c.seq > after)
                    .order_by(_table.c.seq, _table.c.id)
                    .limit(page)
                )
            ).all()
        )
        full = len(rows) == page
        if full:
            # the page's last number may go on in the next page: read its rows whole
            last = rows[-1].seq
            rows = [r for r in rows if r.seq != last]
            rows += (
                await conn.execute(
                    select(*columns).where(_table.c.seq == last).order_by(_table.c.id)
                )
            ).all()
        group: list[Row[Any]] = []
        for row in rows:
            if group and row.seq != group[0].seq:
                yield group
                group = []
            group.append(row)
        if group:
            yield group
        if not full:
            return
        after = int(rows[-1].seq)


async def verify(
    engine: AsyncEngine, *, page: int = 5000, head: tuple[int, str] | None = None
) -> Verdict:
    """Check the whole chain, from the newest anchor (or the first row) to the head.

    The problem named is the first one along the chain:

    * ``audit row N is missing ...`` - a sealed row was removed (a gap in the numbers);
    * ``audit row N (id ...) was altered ...`` - its content no longer matches its seal;
    * ``audit row N (id ...) was inserted ...`` - a row that is not part of the chain (a second
      row with a taken number, or a row whose hash does not follow and that nothing follows).

    ``head``: a head printed by an earlier run, ``(number, hash)``, kept outside the database.
    The chain must still reach it with that hash; otherwise rows were cut off its end or the
    chain was recomputed from there or before (which the chain alone cannot show).
    """
    async with engine.connect() as conn:
        anchor = (
            await conn.execute(
                select(_anchor.c.through_seq, _anchor.c.through_hash)
                .order_by(_anchor.c.through_seq.desc())
                .limit(1)
            )
        ).first()
        start = int(anchor.through_seq) if anchor else 0
        previous = str(anchor.through_hash) if anchor else GENESIS
        unsealed = int(
            (
                await conn.execute(
                    select(func.count()).select_from(_table).where(_table.c.seq.is_(None))
                )
            ).scalar_one()
        )
        expected = start + 1
        sealed = 0
        pending: list[Row[Any]] | None = None  # a group waiting for its successor

        def verdict(problem: str | None) -> Verdict:
            return Verdict(problem, sealed, unsealed, expected - 1, previous, start)

        at_head: str | None = None  # the hash the chain has at ``head``'s number

        async for group in _groups(conn, start, page):
            if pending is not None:
                problem, previous = _settle(pending, previous, group)
                if problem:
                    return verdict(problem)
                if head is not None and expected == head[0]:
                    at_head = previous
                sealed += 1
                expected += 1
                pending = None
            seq = int(group[0].seq)
            if seq != expected:
                return verdict(
                    f"audit row {expected} is missing: removed from the sealed chain "
                    f"(the chain goes from row {expected - 1} to row {seq})"
                )
            pending = group
        if pending is not None:
            problem, previous = _settle(pending, previous, None)
            if problem:
                return verdict(problem)
            if head is not None and expected == head[0]:
                at_head = previous
            sealed += 1
            expected += 1
        if head is not None:
            return verdict(await _check_head(conn, head, at_head, start, expected - 1))
        return verdict(None)


async def _check_head(
    conn: AsyncConnection, head: tuple[int, str], at_head: str | None, start: int, last: int
) -> str | None:
    number, recorded = head
    if number <= start:
        anchored = (
            await conn.execute(
                select(_anchor.c.through_hash).where(_anchor.c.through_seq == number)
            )
        ).scalar_one_or_none()
        if anchored == recorded:
            return None
        return (
            f"audit row {number} (the head given) was removed by retention and no anchor "
            "records its hash: give a head newer than the last removal"
        )
    if number > last:
        return (
            f"audit row {number} (the head given) is missing: the chain ends at row {last}, "
            "so rows were removed from its end"
        )
    if at_head != recorded:
        return (
            f"audit row {number} (the head given) no longer has the hash recorded: the chain "
            f"was recomputed from row {number} or before"
        )
    return None


def _settle(
    group: Sequence[Row[Any]], previous: str, successors: Sequence[Row[Any]] | None
) -> tuple[str | None, str]:
    """Decide which row of ``group`` (one number) is the chain's, from the previous hash and
    the next number's rows; ``(problem, this number's hash)``."""
    matching = [row for row in group if row.hash == chain_hash(previous, row)]

    def followed(row: Row[Any]) -> bool:
        return successors is None or any(s.hash == chain_hash(row.hash, s) for s in successors)

    if len(group) == 1 and matching:
        return None, str(group[0].hash)
    if len(group) == 1:
        row = group[0]
        if successors is not None and not followed(row):
            # neither this row's content nor its hash fits: a row put in the place of one
            return (
                f"audit row {row.seq} (id {row.id}) was inserted: it is not part of the "
                "sealed chain (its hash does not follow row "
                f"{row.seq - 1}, and row {row.seq + 1} does not follow it)",
                "",
            )
        return (
            f"audit row {row.seq} (id {row.id}) was altered: its content no longer matches "
            "its seal",
            "",
        )
    # two or more rows with one number: the chain's is the one the next number follows
    genuine = [row for row in matching if followed(row)] or [r for r in group if followed(r)]
    keep = genuine[0] if genuine else None
    for row in group:
        if row is not keep:
            return (
                f"audit row {row.seq} (id {row.id}) was inserted: a second row with the "
                "number of a sealed row",
                "",
            )
    return None, str(group[0].hash)  # pragma: no cover - a group of one is handled above


async def remove_sealed_before(engine: AsyncEngine, before: dt.datetime) -> AuditSealAnchor | None:
    """Retention: remove the whole sealed block of rows older than ``before`` and record where
    the chain continues (an :class:`AuditSealAnchor`); ``None`` when nothing is old enough.

    Run with the **owner** role (the app role may not delete audit rows). It seals what is
    pending first, then removes rows ``1..N`` of the chain (after the previous anchor) where
    ``N`` is the last number before the first sealed row at or after ``before`` - so a block is
    always whole, and a row newer than ``before`` is never removed. One transaction, under the
    sealers' lock."""
    await seal_pending(engine)
    async with _process_lock(), engine.begin() as conn:
        await _lock(conn)
        head_seq, _ = await _head(conn)
        start = int(
            (
                await conn.execute(select(func.coalesce(func.max(_anchor.c.through_seq), 0)))
            ).scalar_one()
        )
        first_young = (
            await conn.execute(
                select(func.min(_table.c.seq)).where(
                    _table.c.seq.is_not(None), _table.c.at >= before
                )
            )
        ).scalar_one()
        through = head_seq if first_young is None else int(first_young) - 1
        if through <= start:
            return None
        last = (
            await conn.execute(select(_table.c.hash).where(_table.c.seq == through))
        ).scalar_one()
        removed = int(
            (
                await conn.execute(
                    select(func.count())
                    .select_from(_table)
                    .where(_table.c.seq > start, _table.c.seq <= through)
                )
            ).scalar_one()
        )
        anchor = AuditSealAnchor(
            through_seq=through,
            through_hash=last,
            removed_rows=removed,
            removed_before=before,
            at=clock.now(),
        )
        await conn.execute(
            _anchor.insert().values(
                through_seq=anchor.through_seq,
                through_hash=anchor.through_hash,
                removed_rows=anchor.removed_rows,
                removed_before=anchor.removed_before,
                at=anchor.at,
            )
        )
        await conn.execute(delete(_table).where(_table.c.seq <= through))
        return anchor
