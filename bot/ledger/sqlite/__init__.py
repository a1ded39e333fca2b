"""The ledger's SQL for SQLite: one module per part of the ledger (`terms` holds what several share).

Every statement any part runs is a constant here, named for what it does; the parts import their module and
never build SQL themselves. A second dialect (PostgreSQL) sits beside this package with modules of the same
names and constants, and the parts choose one at construction. The schema is `bot/ledger/migrations/`.
"""
