"""SQL of the `JobRecords` part: jobs, their result images, and the bot's small `state`."""

from __future__ import annotations

from dataclasses import fields
from typing import Final

from bot.ledger.models import Job

# Job's fields in order; the jobs table names them the same, except its key `id`.
JOB_FIELDS: Final = tuple(field.name for field in fields(Job))
JOB_COLUMNS: Final = ", ".join(("id", *JOB_FIELDS[1:]))

CREATE_JOB: Final = (
    "INSERT INTO jobs (guild_id, channel_id, user_id, command, operation, parameters, prompt, created_at,"
    " source_job_id, instance_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id"
)
FINISH_JOB: Final = (
    "UPDATE jobs SET status = ?, cost = ?, message_id = ?, seed = ?, finished_at = ?"
    " WHERE id = ? AND status = 'running' RETURNING id"
)
ADD_IMAGE: Final = (
    "INSERT INTO result_images (job_id, idx, attachment_id, url, sha256, is_safe, seed, prompt)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
)
FAIL_JOB: Final = (
    "UPDATE jobs SET status = 'failed', error = ?, cost = ?, finished_at = ? WHERE id = ? AND status = 'running'"
    " RETURNING id"
)
JOB: Final = f"SELECT {JOB_COLUMNS} FROM jobs WHERE id = ?"
JOB_BY_MESSAGE: Final = f"SELECT {JOB_COLUMNS} FROM jobs WHERE message_id = ?"
IMAGES: Final = (
    "SELECT idx, attachment_id, url, sha256, is_safe, seed, prompt FROM result_images WHERE job_id = ? ORDER BY idx"
)
GET_STATE: Final = "SELECT value FROM state WHERE key = ?"
SET_STATE: Final = "INSERT INTO state (key, value) VALUES (?, ?) ON CONFLICT DO UPDATE SET value = excluded.value"
