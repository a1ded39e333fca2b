"""Job records and their result images, so a later reaction or button can find a result by message id."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import fields
from datetime import datetime
from typing import Any, Final, Literal

import aiosqlite

from bot.ledger.db import Database, transaction
from bot.ledger.errors import LedgerError
from bot.ledger.models import Job, JobResult, ResultImage
from bot.ledger.periods import from_us, to_us

# Job's fields in order; the jobs table names them the same, except its key `id`.
_JOB_FIELDS: Final = tuple(field.name for field in fields(Job))
_JOB_COLUMNS: Final = ", ".join(("id", *_JOB_FIELDS[1:]))


def _job(row: Any) -> Job:
    record = dict(zip(_JOB_FIELDS, row, strict=True))
    record["parameters"] = json.loads(record["parameters"])
    record["created_at"] = from_us(record["created_at"])
    if record["finished_at"] is not None:
        record["finished_at"] = from_us(record["finished_at"])
    return Job(**record)


class JobRecords:
    """The job and state half of the `Ledger` (it shares the ledger's database and clock)."""

    _db: Database
    _clock: Callable[[], datetime]

    async def create_job(
        self,
        *,
        guild_id: int,
        channel_id: int,
        user_id: int,
        command: str,
        operation: str,
        parameters: Mapping[str, object],
        prompt: str | None,
    ) -> int:
        """Record a job as running (before holding money for it); `parameters` must be JSON-serialisable."""
        rows = await self._db.statement(
            "INSERT INTO jobs (guild_id, channel_id, user_id, command, operation, parameters, prompt, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
            (
                guild_id,
                channel_id,
                user_id,
                command,
                operation,
                json.dumps(dict(parameters), sort_keys=True, separators=(",", ":")),
                prompt,
                to_us(self._clock()),
            ),
        )
        return int(rows[0][0])

    async def finish_job(
        self,
        job_id: int,
        *,
        status: Literal["succeeded"] = "succeeded",
        cost: int,
        message_id: int | None,
        seed: int | None,
        images: Sequence[ResultImage],
    ) -> None:
        """Record a running job's success: its cost, the message showing it, and its images."""
        if cost < 0:
            raise ValueError(f"a job's cost cannot be negative, got {cost}")
        now_us = to_us(self._clock())

        async def work(conn: aiosqlite.Connection) -> None:
            async with transaction(conn):
                updated = await conn.execute_fetchall(
                    "UPDATE jobs SET status = ?, cost = ?, message_id = ?, seed = ?, finished_at = ?"
                    " WHERE id = ? AND status = 'running' RETURNING id",
                    (status, cost, message_id, seed, now_us, job_id),
                )
                if not list(updated):
                    raise LedgerError(f"job {job_id} is not running")
                await conn.executemany(
                    "INSERT INTO result_images (job_id, idx, attachment_id, url, sha256, is_safe, seed, prompt)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    [
                        (job_id, i.index, i.attachment_id, i.url, i.sha256, int(i.is_safe), i.seed, i.prompt)
                        for i in images
                    ],
                )

        await self._db.run(work)

    async def fail_job(self, job_id: int, *, error: str) -> bool:
        """Mark a running job failed; returns False if it was not running (already finished or failed)."""
        rows = await self._db.statement(
            "UPDATE jobs SET status = 'failed', error = ?, finished_at = ?"
            " WHERE id = ? AND status = 'running' RETURNING id",
            (error, to_us(self._clock()), job_id),
        )
        return bool(rows)

    async def job(self, job_id: int) -> Job | None:
        rows = await self._db.statement(f"SELECT {_JOB_COLUMNS} FROM jobs WHERE id = ?", (job_id,))
        return _job(rows[0]) if rows else None

    async def member_jobs(self, guild_id: int, user_id: int, *, limit: int, offset: int = 0) -> list[tuple[Job, int]]:
        """The member's jobs in this server, newest first (`limit` of them after skipping `offset`), each with
        the number of images it posted."""
        rows = await self._db.statement(
            f"SELECT {_JOB_COLUMNS}, (SELECT COUNT(*) FROM result_images AS r"
            " WHERE r.job_id = jobs.id AND r.attachment_id IS NOT NULL)"
            " FROM jobs WHERE guild_id = ? AND user_id = ? ORDER BY id DESC LIMIT ? OFFSET ?",
            (guild_id, user_id, limit, offset),
        )
        return [(_job(row[:-1]), int(row[-1])) for row in rows]

    async def count_member_jobs(self, guild_id: int, user_id: int) -> int:
        rows = await self._db.statement(
            "SELECT COUNT(*) FROM jobs WHERE guild_id = ? AND user_id = ?", (guild_id, user_id)
        )
        return int(rows[0][0])

    async def last_job_started(self, guild_id: int, user_id: int) -> datetime | None:
        """When the member last started a job in this server (for the cooldown), or None."""
        rows = await self._db.statement(
            "SELECT created_at FROM jobs WHERE guild_id = ? AND user_id = ? ORDER BY id DESC LIMIT 1",
            (guild_id, user_id),
        )
        return from_us(rows[0][0]) if rows else None

    async def find_result(self, message_id: int) -> JobResult | None:
        """The job whose result is shown by `message_id`, with its images in order, or None."""
        return await self._db.run(lambda conn: _result(conn, "message_id", message_id))

    async def job_result(self, job_id: int) -> JobResult | None:
        """The job `job_id` with its images in order (none unless it succeeded), or None."""
        return await self._db.run(lambda conn: _result(conn, "id", job_id))

    async def get_state(self, key: str) -> str | None:
        rows = await self._db.statement("SELECT value FROM state WHERE key = ?", (key,))
        return str(rows[0][0]) if rows else None

    async def set_state(self, key: str, value: str) -> None:
        await self._db.statement(
            "INSERT INTO state (key, value) VALUES (?, ?) ON CONFLICT DO UPDATE SET value = excluded.value",
            (key, value),
        )


async def _result(conn: aiosqlite.Connection, column: Literal["id", "message_id"], value: int) -> JobResult | None:
    async with transaction(conn, "DEFERRED"):
        jobs = list(await conn.execute_fetchall(f"SELECT {_JOB_COLUMNS} FROM jobs WHERE {column} = ?", (value,)))
        if not jobs:
            return None
        images = await conn.execute_fetchall(
            "SELECT idx, attachment_id, url, sha256, is_safe, seed, prompt FROM result_images"
            " WHERE job_id = ? ORDER BY idx",
            (jobs[0][0],),
        )
    job = _job(jobs[0])
    return JobResult(
        **{name: getattr(job, name) for name in _JOB_FIELDS},
        images=tuple(
            ResultImage(index, attachment, url, digest, bool(safe), seed, prompt)
            for index, attachment, url, digest, safe, seed, prompt in images
        ),
    )
