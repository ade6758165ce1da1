"""Row checks shared by every raw load: a bad row stops the load and names table, column and row.

Checks run while rows are extracted, before dlt writes anything, so a failed load publishes nothing
(dlt only commits a load package once it has been fully normalised) and the previous marts stay.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

# ISO 4217 active codes: an unknown currency would silently break FX normalisation in the marts.
ISO_4217 = frozenset("""
AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BRL BSD BTN BWP BYN BZD CAD
CDF CHF CLP CNY COP CRC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD GNF GTQ
GYD HKD HNL HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY KES KGS KHR KMF KPW KRW KWD KYD KZT LAK LBP LKR
LRD LSL LYD MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN
PGK PHP PKR PLN PYG QAR RON RSD RUB RWF SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SVC SYP SZL THB
TJS TMT TND TOP TRY TTD TWD TZS UAH UGX USD UYU UZS VES VND VUV WST XAF XCD XOF XPF YER ZAR ZMW ZWL
""".split())


class BadInput(ValueError):
    """A row that must not be loaded; the message names table, column and row so it can be fixed."""

    def __init__(self, table: str, column: str, row: Any, problem: str) -> None:
        super().__init__(f"{table}.{column} (row {row}): {problem}")
        self.table, self.column, self.row = table, column, row


def require_keys(table: str, row: dict[str, Any], keys: Iterable[str], where: Any) -> None:
    """Primary-key columns must be present and non-null, or merge-by-key would collapse rows."""
    for key in keys:
        if row.get(key) in (None, ""):
            raise BadInput(table, key, where, "primary-key column is missing or empty")


def require_currency(table: str, value: Any, where: Any, column: str = "currency") -> str:
    """A known ISO 4217 code (upper-cased), else the load stops."""
    code = str(value or "").strip().upper()
    if code not in ISO_4217:
        raise BadInput(table, column, where, f"unknown currency {value!r}")
    return code


def convert(table: str, column: str, where: Any, fn: Callable[[Any], Any], value: Any) -> Any:
    """``fn(value)``, turning a parse failure into ``BadInput`` for this cell."""
    try:
        return fn(value)
    except (TypeError, ValueError) as exc:
        raise BadInput(table, column, where, f"malformed value {value!r} ({exc})") from exc
