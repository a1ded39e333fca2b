"""The `Ledger` is a facade: every public method others call is there, each a method of one part, and the
parts share one `Context` instead of inheriting from each other."""

from __future__ import annotations

import inspect

from bot.ledger import Ledger
from bot.ledger.budgets import Budgets
from bot.ledger.holds import Holds
from bot.ledger.jobs import JobRecords
from bot.ledger.reports import Reports

PUBLIC = {
    Holds: ["hold", "holding", "request_sent", "answered", "capture", "settle", "uncertain", "release", "recover"],
    Budgets: [
        "grant",
        "refund",
        "set_allowance",
        "set_role_allowance",
        "role_allowance",
        "set_default",
        "set_cap",
        "server_settings",
        "moderator_roles",
        "set_moderator_roles",
    ],
    Reports: ["balance", "report", "usage", "entries", "period_entries", "history"],
    JobRecords: ["create_job", "finish_job", "fail_job", "job", "find_result", "get_state", "set_state"],
}


async def test_every_public_method_is_a_parts_method_on_the_facade(ledger: Ledger) -> None:
    parts = {Holds: ledger.holds, Budgets: ledger.budgets, Reports: ledger.reports, JobRecords: ledger.jobs}
    for part, names in PUBLIC.items():
        assert parts[part].__class__ is part
        for name in names:
            method = getattr(ledger, name)
            assert method.__self__ is parts[part], name
            assert inspect.signature(method) == inspect.signature(getattr(parts[part], name))
    assert all(part.__bases__ == (object,) for part in PUBLIC)
    assert Ledger.__bases__ == (object,)
    assert {ledger.holds._context, ledger.budgets._context, ledger.reports._context, ledger.jobs._context} == {
        ledger.context
    }
