"""The budget ledger: SQLite schema and migrations, holds that never overspend, periods, reports, and the
records of jobs and their results. SQL stops here: nothing outside this package opens a cursor."""

from bot.ledger.db import LATEST_VERSION, Migration, load_migrations, migrate
from bot.ledger.errors import BudgetExceeded, HoldSettled, LedgerError
from bot.ledger.holds import CRASH_RELEASE_REASON
from bot.ledger.ledger import Ledger
from bot.ledger.member_settings import SETTING_NAMES, MemberSettings
from bot.ledger.models import (
    AllowanceSource,
    Balance,
    Entry,
    EntryKind,
    Hold,
    Job,
    JobResult,
    JobStatus,
    Report,
    ResultImage,
    ServerSettings,
    Spender,
)
from bot.ledger.periods import PERIODS, Period, period_bounds, utc_now
from bot.ledger.policy import Policy, ServerPolicy

__all__ = [
    "CRASH_RELEASE_REASON",
    "LATEST_VERSION",
    "PERIODS",
    "SETTING_NAMES",
    "AllowanceSource",
    "Balance",
    "BudgetExceeded",
    "Entry",
    "EntryKind",
    "Hold",
    "HoldSettled",
    "Job",
    "JobResult",
    "JobStatus",
    "Ledger",
    "LedgerError",
    "MemberSettings",
    "Migration",
    "Period",
    "Policy",
    "Report",
    "ResultImage",
    "ServerPolicy",
    "ServerSettings",
    "Spender",
    "load_migrations",
    "migrate",
    "period_bounds",
    "utc_now",
]
