"""Report rows as typed Arrow columns: what dlt loads without its per-row JSON normalisation.

A page of TikTok rows (``{dimensions, metrics}`` dicts) or an async task's CSV becomes one
``pyarrow.Table`` with exactly the table's declared columns, in order: ``"-"`` is null (never 0),
IDs stay text, counts are ``int64`` and amounts ``float64``, and the advertiser's currency and time
zone are on every row. The vectorised path covers what TikTok sends; any cell it cannot convert is
re-done in Python with the same functions as ``report_fetch.flatten``, so a bad value still stops
the load naming the table, column and row, and odd-but-valid values convert exactly as before.
"""
from __future__ import annotations

import csv
import io
from collections.abc import Callable, Sequence
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv

from adops.rowcheck import BadInput, convert, require_currency
from tiktok.api.encoding import none_if_dash, to_float, to_int
from tiktok.report_specs import FLOATS, INTS, ReportSpec

ARROW_TYPES = {"text": pa.string(), "bigint": pa.int64(), "double": pa.float64()}
CONSTANTS = ("advertiser_id", "currency", "timezone")


def arrow_schema(spec: ReportSpec) -> pa.Schema:
    """The table's declared columns as Arrow fields; primary-key columns are never null."""
    keys = set(spec.primary_key)
    return pa.schema([pa.field(name, ARROW_TYPES[kind], nullable=name not in keys)
                      for name, kind in spec.column_types().items()])


def constants(spec: ReportSpec, advertiser: dict[str, Any]) -> dict[str, str | None]:
    """What every row carries: the advertiser, its (checked) currency and its time zone."""
    return {"advertiser_id": str(advertiser["advertiser_id"]),
            "currency": require_currency(spec.table, advertiser.get("currency"), "advertiser"),
            "timezone": advertiser.get("timezone")}


def rows_table(spec: ReportSpec, rows: Sequence[dict[str, Any]], consts: dict[str, Any], where: str,
               offset: int, slow: Callable[[dict[str, Any], str], dict[str, Any]]) -> pa.Table:
    """One page of API rows; rows whose keys differ from the first row's go through ``slow`` (flatten)."""
    if not rows:
        return arrow_schema(spec).empty_table()
    dkeys, mkeys = list(rows[0].get("dimensions") or {}), list(rows[0].get("metrics") or {})
    try:  # same key count and every first-row key present in every row = the same keys everywhere
        if any(len(r["dimensions"]) != len(dkeys) or len(r["metrics"]) != len(mkeys) for r in rows):
            raise KeyError("shape")
        columns: dict[str, list[Any]] = {k: [r["dimensions"][k] for r in rows] for k in dkeys}
        for key in mkeys:
            if key not in columns:
                columns[key] = [r["metrics"][key] for r in rows]
    except (KeyError, TypeError):  # rows of different shapes: the row-at-a-time path, exact errors included
        flat = [slow(r, f"{where}#{offset + n}") for n, r in enumerate(rows)]
        return pa.Table.from_pylist(flat, schema=arrow_schema(spec))
    _refuse_unexpected(spec, [*dkeys, *mkeys], f"{where}#{offset}")
    return _typed(spec, columns, len(rows), consts, where, offset)


def csv_table(spec: ReportSpec, text: str, consts: dict[str, Any], where: str) -> pa.Table:
    """An async task's CSV (header of raw field names), every cell read as text, then typed."""
    if not text.strip():
        return arrow_schema(spec).empty_table()
    names = next(csv.reader(io.StringIO(text)))
    _refuse_unexpected(spec, names, f"{where}#0")
    options = pa_csv.ConvertOptions(column_types=dict.fromkeys(names, pa.string()), strings_can_be_null=False,
                                    quoted_strings_can_be_null=False)  # every cell as text: IDs must not become numbers
    read = pa_csv.read_csv(pa.py_buffer(text.encode()), convert_options=options)
    columns = {name: read.column(i).combine_chunks() for i, name in enumerate(read.column_names)}
    return _typed(spec, columns, read.num_rows, consts, where, 0)


def _refuse_unexpected(spec: ReportSpec, names: Sequence[str], where: str) -> None:
    unexpected = set(names) - set(spec.column_types())
    if unexpected:
        raise BadInput(spec.table, sorted(unexpected)[0], where, "column not in the table's schema")


def _typed(spec: ReportSpec, columns: dict[str, Any], n: int, consts: dict[str, Any], where: str,
           offset: int) -> pa.Table:
    """Declared columns in order: converted when sent, null when not, constants repeated."""
    schema = arrow_schema(spec)
    arrays = []
    for field in schema:
        if field.name in CONSTANTS:
            arrays.append(pa.array([consts[field.name]] * n, pa.string()))
        elif field.name in columns:
            arrays.append(_column(spec.table, field.name, columns[field.name], where, offset))
        else:
            arrays.append(pa.nulls(n, field.type))
    _require_keys(spec, dict(zip(schema.names, arrays, strict=True)), where, offset)
    return pa.Table.from_arrays(arrays, schema=schema)


def _column(table: str, name: str, values: Any, where: str, offset: int) -> pa.Array:
    """Text with ``"-"`` as null, then int64 / float64 for counts and amounts (Python on any miss)."""
    text = _text(values)
    if name in INTS:
        return _numeric(table, name, text, values, where, offset, pa.int64(), to_int)
    if name in FLOATS:
        return _numeric(table, name, text, values, where, offset, pa.float64(), to_float)
    return text


def _text(values: Any) -> pa.Array:
    if isinstance(values, pa.Array):
        text = values
    else:
        try:
            text = pa.array(values, pa.string())
        except (pa.ArrowTypeError, pa.ArrowInvalid):  # numbers or other JSON values: str() them like flatten
            text = pa.array([None if v is None else str(v) for v in map(none_if_dash, values)], pa.string())
    dash = pc.equal(pc.utf8_trim_whitespace(text), "-")
    return pc.if_else(dash, pa.scalar(None, pa.string()), text)


def _numeric(table: str, name: str, text: pa.Array, values: Any, where: str, offset: int,
             kind: pa.DataType, fn: Callable[[Any], Any]) -> pa.Array:
    """Arrow's cast for well-formed numbers; otherwise each cell through ``fn`` (naming a bad one)."""
    blank = pc.if_else(pc.equal(text, ""), pa.scalar(None, pa.string()), text)
    try:
        if kind == pa.float64():
            return pc.cast(blank, kind)
        try:
            return pc.cast(blank, kind)
        except pa.ArrowInvalid:  # "12.0": counts arrive as decimals sometimes, round like to_int
            return pc.cast(pc.round(pc.cast(blank, pa.float64())), kind)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        cells = values.to_pylist() if isinstance(values, pa.Array) else values
        return pa.array([convert(table, name, f"{where}#{offset + i}", fn, v) for i, v in enumerate(cells)], kind)


def _require_keys(spec: ReportSpec, arrays: dict[str, pa.Array], where: str, offset: int) -> None:
    """Primary-key cells present and non-empty, or merge-by-key would collapse rows; the first bad row is named."""
    worst: tuple[int, int, str] | None = None
    for rank, key in enumerate(spec.primary_key):
        bad = pc.or_kleene(pc.is_null(arrays[key]), pc.equal(arrays[key], ""))
        if pc.any(bad).as_py():
            first = pc.index(bad, True).as_py()
            worst = min(worst, (first, rank, key)) if worst else (first, rank, key)
    if worst:
        raise BadInput(spec.table, worst[2], f"{where}#{offset + worst[0]}", "primary-key column is missing or empty")
