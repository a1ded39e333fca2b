"""The English the ledger and the job runner store, declared as catalogue messages word for word.

They write these texts in English (a ledger entry's reason, a failed job's error: the audit trail, and the CSV's
`reason` column). Declaring each here, with the stored wording as its message id, gives it a translation, and
`bot.i18n.readback` finds it again when a member or a moderator reads it (`/job`, `/budget show`). Nothing here
is used directly: a wording that changes at its source needs its entry changed here (tests/i18n/test_readback.py
writes every one through the real ledger and runner and fails on English left over).
"""

from __future__ import annotations

from typing import Final

from bot.i18n import Message, _

STORED: Final[tuple[Message, ...]] = (
    # bot/ledger/holds.py: how a job's hold was settled when the job did not deliver (and why).
    _("released: {why}"),
    _("written off: {why} after the image service answered"),
    _("uncertain: {why} while the request was at the service"),
    _("the job was cancelled"),
    _("the job failed ({error})"),
    _("the job was cancelled while reserving"),
    _("the job ended without a charge"),
    _("released at start-up after a crash"),
    _("written off at start-up: the provider billed images the member never received"),
    _("uncertain at start-up: the request had reached the image service"),
    _("interrupted: the bot stopped before the job finished"),
    # bot/jobs/runner.py: a hold released while waiting for the API; a job cancelled by a shutdown.
    _("cancelled while waiting for the image service"),
    _("cancelled at shutdown"),
    # bot/jobs/runner.py: a job that failed unexpectedly stores the `bot.errors.Incident` its member was told
    # ("Incident: Something went wrong on our side (incident `…`)."), a message of bot/errors.py already.
    # bot/jobs/runner.py: a delivered job whose record could not be written (RECORD_FAILED).
    _("the result was posted and charged, but recording it failed"),
    # bot/ledger/budgets.py: a member's own allowance changed (the entry shown in /budget show).
    _("allowance set to {amount} {per_period}"),
    _("per the server's period"),
    _("own allowance removed; the server default applies"),
)
