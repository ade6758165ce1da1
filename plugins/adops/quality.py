"""Write-audit-publish, step "audit" for raw data: Great Expectations checks on every raw table.

Media-agnostic: a channel declares a small ``TableSpec`` per raw table (key, columns, non-negative
metrics, allowed values, freshness) and this module turns each spec into a GE ``ExpectationSuite``,
runs them through one ``Checkpoint`` over an ephemeral context, and returns a ``Verdict`` whose
failures name table, column and an example row key, so a blocked ``build_marts`` says what to fix.
Great Expectations is imported inside functions: it takes seconds to import and the Airflow-free
core (``adops run``, the CLI) must not pay for it unless a gate actually runs.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from adops.settings import Settings

NUMERIC_TYPES = ["int8", "int16", "int32", "int64", "Int64", "float32", "float64", "Float64", "uint64"]


@dataclass(frozen=True)
class TableSpec:
    """What a raw table must satisfy before any mart is built from it."""

    table: str
    key: tuple[str, ...]
    columns: tuple[str, ...] = ()  # must exist, like every column named below (else: schema change)
    not_null: tuple[str, ...] = ()  # besides the key (e.g. currency travels with every row)
    numeric: tuple[str, ...] = ()  # must hold numbers
    non_negative: tuple[str, ...] = ()  # spend, impressions, ...: never below zero
    allowed: dict[str, frozenset[str]] = field(default_factory=dict)  # e.g. currency -> ISO 4217
    fresh_column: str | None = None  # a date/time column (ISO text or timestamp)
    max_age_days: int | None = None  # newest value must be within this many days of the run


@dataclass(frozen=True)
class Failure:
    table: str
    column: str | None
    check: str
    row: dict[str, Any] | None = None
    detail: str = ""

    def __str__(self) -> str:
        where = f"{self.table}.{self.column}" if self.column else self.table
        row = f" (row {self.row})" if self.row is not None else ""
        return f"{where}{row}: {self.check} failed{(' — ' + self.detail) if self.detail else ''}"


@dataclass(frozen=True)
class Verdict:
    tables: tuple[str, ...]
    failures: tuple[Failure, ...]

    @property
    def passed(self) -> bool:
        return not self.failures

    def summary(self) -> str:
        if self.passed:
            return f"raw data passed the quality gate ({', '.join(self.tables) or 'no tables'})"
        return "raw data failed the quality gate:\n" + "\n".join(f"  - {f}" for f in self.failures)


class QualityGateFailed(RuntimeError):
    """Raised so the marts are never built on raw data that failed its checks."""

    def __init__(self, verdict: Verdict) -> None:
        super().__init__(verdict.summary())
        self.verdict = verdict


def expectations(spec: TableSpec, as_of: datetime | date) -> list[Any]:
    """The GE expectations for one spec (schema, keys, types, ranges, allowed values, freshness)."""
    import great_expectations as gx

    gxe = gx.expectations
    named = (*spec.key, *spec.columns, *spec.not_null, *spec.numeric, *spec.non_negative, *spec.allowed, spec.fresh_column)
    found: list[Any] = [gxe.ExpectColumnToExist(column=c) for c in dict.fromkeys(named) if c]
    found += [gxe.ExpectColumnValuesToNotBeNull(column=c) for c in dict.fromkeys((*spec.key, *spec.not_null))]
    found += [gxe.ExpectColumnValuesToBeInTypeList(column=c, type_list=NUMERIC_TYPES) for c in spec.numeric]
    found += [gxe.ExpectColumnValuesToBeBetween(column=c, min_value=0) for c in spec.non_negative]
    found += [gxe.ExpectColumnValuesToBeInSet(column=c, value_set=sorted(v)) for c, v in spec.allowed.items()]
    if spec.fresh_column and spec.max_age_days is not None:
        day = as_of.date() if isinstance(as_of, datetime) else as_of
        oldest = (day - timedelta(days=spec.max_age_days)).isoformat()
        found.append(gxe.ExpectColumnMaxToBeBetween(column=spec.fresh_column, min_value=oldest))
    return found


def check_frames(frames: dict[str, Any], specs: Iterable[TableSpec], as_of: datetime | date) -> Verdict:
    """Validate each present table's DataFrame with one GE checkpoint; absent tables are skipped."""
    import great_expectations as gx

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = {"globally": False}
    source = context.data_sources.add_pandas("raw")
    specs = [s for s in specs if s.table in frames]
    failures: list[Failure] = []
    for spec in specs:
        batch = source.add_dataframe_asset(spec.table).add_batch_definition_whole_dataframe("all")
        suite = context.suites.add(gx.ExpectationSuite(name=f"{spec.table}_raw"))
        for expectation in expectations(spec, as_of):
            suite.add_expectation(expectation)
        definition = context.validation_definitions.add(
            gx.ValidationDefinition(name=f"{spec.table}_raw", data=batch, suite=suite))
        checkpoint = context.checkpoints.add(gx.Checkpoint(
            name=f"{spec.table}_gate", validation_definitions=[definition],
            result_format={"result_format": "COMPLETE", "unexpected_index_column_names": row_id(spec, frames)}))
        result = checkpoint.run(batch_parameters={"dataframe": frames[spec.table]})
        for run in result.run_results.values():
            failures += [_failure(spec.table, r) for r in run.results if not r.success]
    return Verdict(tuple(s.table for s in specs), tuple(failures))


def row_id(spec: TableSpec, frames: dict[str, Any]) -> list[str]:
    """Columns that identify a row in a failure: the primary key plus dlt's row id when present."""
    present = set(frames[spec.table].columns)
    return [c for c in (*spec.key, "_dlt_id") if c in present]


def _failure(table: str, result: Any) -> Failure:
    """A failed GE result as table/column/row; the first offending row stands for the rest."""
    config, found = result.expectation_config, dict(result.result or {})
    column = config.kwargs.get("column")
    rows = found.get("unexpected_index_list") or found.get("partial_unexpected_index_list") or []
    row = {k: _plain(v) for k, v in rows[0].items()} if rows else None
    count = found.get("unexpected_count")
    detail = f"{count} row(s)" if count else ""
    if "observed_value" in found:
        detail = f"observed {_plain(found['observed_value'])!r}"
    if result.exception_info and result.exception_info.get("raised_exception"):
        detail = str(result.exception_info.get("exception_message", ""))[:200]
    return Failure(table, column, config.type, row, detail)


def _plain(value: Any) -> Any:
    """numpy scalars and dates as plain Python values, so messages and XCom stay readable."""
    value = value.item() if hasattr(value, "item") else value
    return value.isoformat() if isinstance(value, (date, datetime)) else value


def check_warehouse(settings: Settings, specs: Iterable[TableSpec], as_of: datetime | date) -> Verdict:
    """Read each spec'd raw table that exists in the warehouse and validate it.

    The tables are read in one read-only connection under the warehouse's shared lock (a load or build in
    another process is waited for, other readers are not); the checkpoint then runs on the DataFrames
    with the lock released, so Great Expectations' seconds never hold up a load.
    """
    from adops.warehouse import read_frames

    specs = list(specs)
    return check_frames(read_frames(settings, [s.table for s in specs]), specs, as_of)


def gate_raw(settings: Settings, specs: Iterable[TableSpec], as_of: datetime | date, build_id: str) -> dict[str, Any]:
    """The ``quality_gate`` task: pass, or record the failure (so ``optimize`` refuses) and raise."""
    from adops.warehouse import record_build

    verdict = check_warehouse(settings, specs, as_of)
    if not verdict.passed:
        record_build(settings, build_id, "gate_failed", verdict.summary())
        raise QualityGateFailed(verdict)
    return {"tables": list(verdict.tables), "passed": True}
