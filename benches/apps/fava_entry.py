"""Fava on a Beancount ledger written by ``setup``, for ``bench_apps.py``.

``BENCH_APP_DIR`` names the folder of the app's data: ``setup`` writes a
ledger of a few accounts and a year of transactions there, and ``app`` is
Fava serving it, read-only as a shared bench must not change it.
"""

from __future__ import annotations

import datetime
import os
import typing as t
from pathlib import Path

_ACCOUNTS = (
    "Assets:Bank:Checking",
    "Assets:Bank:Savings",
    "Expenses:Food:Groceries",
    "Expenses:Food:Restaurant",
    "Expenses:Home:Rent",
    "Expenses:Transport",
    "Income:Salary",
    "Equity:Opening-Balances",
)
_PAYEES = ("Corner Shop", "Market Hall", "Trattoria", "City Transit")


def _ledger() -> str:
    lines = ['option "title" "Bench ledger"', 'option "operating_currency" "EUR"', ""]
    lines += [f"2024-01-01 open {account}" for account in _ACCOUNTS]
    lines += [
        "",
        '2024-01-01 * "Opening balance"',
        "  Assets:Bank:Checking  2500.00 EUR",
        "  Equity:Opening-Balances",
        "",
    ]
    day = datetime.date(2024, 1, 2)
    for number in range(360):
        date = day + datetime.timedelta(days=number)
        payee = _PAYEES[number % len(_PAYEES)]
        expense = _ACCOUNTS[2 + number % 4]
        amount = 3 + (number * 37) % 90
        tag = " #trip" if number % 29 == 0 else ""
        lines += [
            f'{date} * "{payee}" "purchase {number}"{tag}',
            f"  {expense}  {amount}.{number % 100:02d} EUR",
            "  Assets:Bank:Checking",
            "",
        ]
        if date.day == 1:
            lines += [
                f'{date} * "Employer" "salary"',
                "  Assets:Bank:Checking  3200.00 EUR",
                "  Income:Salary",
                "",
                f'{date} * "Landlord" "rent"',
                "  Expenses:Home:Rent  1100.00 EUR",
                "  Assets:Bank:Checking",
                "",
            ]
    lines.append("2024-12-31 balance Assets:Bank:Savings  0.00 EUR")
    return "\n".join(lines) + "\n"


def _ledger_path() -> Path:
    return Path(os.environ["BENCH_APP_DIR"]) / "ledger.beancount"


def setup() -> dict[str, str]:
    """Write the ledger; nothing to fill into the requests."""
    _ledger_path().write_text(_ledger(), encoding="utf-8")
    return {}


def _create() -> t.Any:
    from fava.application import create_app

    return create_app([_ledger_path()], load=True, read_only=True)


app = _create() if "BENCH_APP_DIR" in os.environ else None
