"""Job records and their result images, so a later reaction or button can find a result by message id.
No money here: holds and their settlements are the `Holds` part's."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, Literal

import aiosqlite

from bot.ledger.context import Context
from bot.ledger.db import transaction
from bot.ledger.errors import LedgerError
from bot.ledger.models import Job, JobResult, ResultImage
from bot.ledger.periods import from_us
from bot.ledger.sqlite import jobs as sql
from bot.ledger.sqlite.jobs import JOB_COLUMNS as _JOB_COLUMNS
from bot.ledger.sqlite.jobs import JOB_FIELDS as _JOB_FIELDS


def _job(row: Any) -> Job:
    record = dict(zip(_JOB_FIELDS, row, strict=True))
    record["parameters"] = json.loads(record["parameters"])
    record["created_at"] = from_us(record["created_at"])
    for moment in ("finished_at", "request_sent_at"):
        if record[moment] is not None:
            record[moment] = from_us(record[moment])
    return Job(**record)


class JobRecords:
    """The job records part of the `Ledger`, and the small facts the bot keeps between runs (`state`)."""

    def __init__(self, context: Context) -> None:
        self._context = context
        self._db = context.db

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
        source_job_id: int | None = None,
    ) -> int:
        """Record a job as running (before holding money for it); `parameters` must be JSON-serialisable.
        `source_job_id`: the job it was derived from, if any."""
        rows = await self._db.statement(
            sql.CREATE_JOB,
            (
                guild_id,
                channel_id,
                user_id,
                command,
                operation,
                json.dumps(dict(parameters), sort_keys=True, separators=(",", ":")),
                prompt,
                self._context.now_us(),
                source_job_id,
                self._context.terms.instance_id,
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
        now_us = self._context.now_us()

        async def work(conn: aiosqlite.Connection) -> None:
            async with transaction(conn):
                updated = await conn.execute_fetchall(
                    sql.FINISH_JOB,
                    (status, cost, message_id, seed, now_us, job_id),
                )
                if not list(updated):
                    raise LedgerError(f"job {job_id} is not running")
                await conn.executemany(
                    sql.ADD_IMAGE,
                    [
                        (job_id, i.index, i.attachment_id, i.url, i.sha256, int(i.is_safe), i.seed, i.prompt)
                        for i in images
                    ],
                )

        await self._db.run(work)

    async def fail_job(self, job_id: int, *, error: str, cost: int | None = None) -> bool:
        """Mark a running job failed; returns False if it was not running (already finished or failed). `cost`:
        what it charged, when it did (a result posted and charged whose record failed)."""
        if cost is not None and cost < 0:
            raise ValueError(f"a job's cost cannot be negative, got {cost}")
        rows = await self._db.statement(
            sql.FAIL_JOB,
            (error, cost, self._context.now_us(), job_id),
        )
        return bool(rows)

    async def job(self, job_id: int) -> Job | None:
        rows = await self._db.statement(sql.JOB, (job_id,))
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
        rows = await self._db.statement(sql.GET_STATE, (key,))
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
