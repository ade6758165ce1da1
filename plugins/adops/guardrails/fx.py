"""Currency conversion for the dollar-denominated minimums (requirements §12 states them in USD).

The rates are the warehouse's own FX seed (``dbt/seeds/fx_rates.csv``: USD per unit of currency), so
the guardrails and the marts convert with the same numbers. An unknown currency is an error naming
it, never a silent 1.0: a JPY account judged against "$20" as "¥20" would let budgets collapse.
"""
from __future__ import annotations

import csv
from functools import lru_cache
from pathlib import Path

SEED = Path(__file__).resolve().parents[3] / "dbt" / "seeds" / "fx_rates.csv"


@lru_cache(maxsize=4)
def _rates(path: str) -> dict[str, float]:
    with open(path, newline="", encoding="utf-8") as fh:
        return {row["currency_code"].strip().upper(): float(row["rate_to_usd"]) for row in csv.DictReader(fh)}


def usd_rate(currency: str, path: Path | None = None) -> float:
    """USD per one unit of ``currency`` (1.0 for USD); ``ValueError`` naming the currency if unknown."""
    code = (currency or "").strip().upper()
    if code == "USD":
        return 1.0
    rates = _rates(str(path or SEED))
    if code not in rates or not rates[code] > 0:
        raise ValueError(f"currency {currency!r}: no rate in {path or SEED}; add a row "
                         f"'{code},<USD per unit>' to the FX seed")
    return rates[code]
