"""The budget ledger: SQLite schema and migrations, holds that never overspend, periods, reports, and the
records of jobs and their results. SQL stops here: nothing outside this package opens a cursor.

How it is built: `Ledger` (ledger.py) is a facade. Its parts are plain classes, each constructed with the one
shared `Context` (context.py: the `Database`, the operator's `Terms` and the clock) and nothing else; no part
inherits from another or reaches into one:

- `Holds` (holds.py): hold, settle (capture, write-off, uncertain, release), failure settlement, recovery;
- `Budgets` (budgets.py): allowances, the server default and cap, grants, refunds, moderator roles;
- `Reports` (reports.py): balances, period reports, the operator's usage, ledger lines;
- `JobRecords` (jobs.py): jobs and their result images (no money), and the bot's small `state`.

Adding a part (member settings, per-server policy, …): write its migration `migrations/V{n}__{name}.sql`,
a class whose `__init__(self, context: Context)` keeps `context.db` and whose methods each run one statement
(`await context.db.statement(sql, parameters)`) or one unit of work (`await context.db.run(work)` with
`async with transaction(conn):` inside), with its SQL in its own module; then construct it in `Ledger.__init__`
(`self.policy = Policy(self.context)`) and expose its methods there by name. Use `context.now_us()` for the time
and `context.parameters(guild_id, user_id, now_us)` for statements about a member's terms.
"""

from bot.ledger.checks import MAX_AMOUNT
from bot.ledger.context import Context, Terms
from bot.ledger.db import LATEST_VERSION, Migration, load_migrations, migrate
from bot.ledger.errors import AmountTooLarge, BudgetExceeded, BudgetScope, HoldSettled, LedgerError, RefundRefused
from bot.ledger.export import CSV_COLUMNS, entries_csv
from bot.ledger.holds import CRASH_RELEASE_REASON, CRASH_UNCERTAIN_REASON, CRASH_WRITE_OFF_REASON
from bot.ledger.ledger import Ledger
from bot.ledger.member_settings import MemberSettings
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
    UsageRow,
)
from bot.ledger.periods import PERIODS, Period, period_bounds, utc_now
from bot.ledger.policy import Policy, ServerPolicy
from bot.ledger.sqlite.member_settings import SETTING_NAMES

__all__ = [
    "CRASH_RELEASE_REASON",
    "CRASH_UNCERTAIN_REASON",
    "CRASH_WRITE_OFF_REASON",
    "CSV_COLUMNS",
    "LATEST_VERSION",
    "MAX_AMOUNT",
    "PERIODS",
    "SETTING_NAMES",
    "AllowanceSource",
    "AmountTooLarge",
    "Balance",
    "BudgetExceeded",
    "BudgetScope",
    "Context",
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
    "RefundRefused",
    "Report",
    "ResultImage",
    "ServerPolicy",
    "ServerSettings",
    "Spender",
    "Terms",
    "UsageRow",
    "entries_csv",
    "load_migrations",
    "migrate",
    "period_bounds",
    "utc_now",
]
