"""Arrow pages hold exactly what the row-at-a-time ``flatten`` produced: nulls, types, keys, named errors."""
from __future__ import annotations

import pyarrow as pa
import pytest

from adops.rowcheck import BadInput
from tiktok.report_arrow import arrow_schema, constants, csv_table, rows_table
from tiktok.report_fetch import flatten
from tiktok.report_specs import SPECS

pytestmark = pytest.mark.unit
ADV = {"advertiser_id": "7", "currency": "usd", "timezone": "America/Los_Angeles"}
HOURLY = SPECS["ad_report_hourly"]
DAILY = SPECS["ad_report_daily"]


def row(ad: str = "1", **metrics: object) -> dict:
    return {"dimensions": {"ad_id": ad, "stat_time_hour": "2026-10-30 05:00:00"},
            "metrics": {"spend": "1.50", "conversion": "2", "impressions": "10", "ad_name": "A", **metrics}}


def page(spec, rows, where="2026-10-30..2026-10-30", offset=0):
    return rows_table(spec, rows, constants(spec, ADV), where, offset,
                      lambda r, w: flatten(spec, r, ADV, w))


def as_flat(spec, rows):
    """What flatten made of the same rows, with every declared column (absent ones null)."""
    names = arrow_schema(spec).names
    return [{n: f.get(n) for n in names} for f in (flatten(spec, r, ADV, i) for i, r in enumerate(rows))]


def test_a_page_equals_flatten_row_for_row_with_dash_as_null_and_currency_on_every_row():
    rows = [row("1"), row("2", conversion="-", spend="-", ad_name="-"), row("3", impressions="12.0", spend="")]
    table = page(HOURLY, rows)
    assert table.schema == arrow_schema(HOURLY)
    assert table.to_pylist() == as_flat(HOURLY, rows)
    second = table.to_pylist()[1]
    assert second["conversion"] is None and second["spend"] is None and second["ad_name"] is None
    assert {r["currency"] for r in table.to_pylist()} == {"USD"}
    assert {r["timezone"] for r in table.to_pylist()} == {"America/Los_Angeles"}


def test_numbers_sent_as_json_numbers_convert_like_strings():
    rows = [row("1", spend=2.25, impressions=7), row("2", spend="3", impressions="8")]
    assert page(HOURLY, rows).to_pylist() == as_flat(HOURLY, rows)


@pytest.mark.parametrize(("bad", "column", "where"), [
    ({"spend": "12,3"}, "spend", "d#1001"),
    ({"impressions": "lots"}, "impressions", "d#1001"),
])
def test_a_malformed_cell_is_refused_naming_table_column_and_the_rows_place_in_the_request(bad, column, where):
    rows = [row("1"), row("2", **bad)]
    with pytest.raises(BadInput, match=rf"ad_report_hourly\.{column} \(row {where}\)"):
        page(HOURLY, rows, where="d", offset=1000)


def test_a_missing_key_and_an_unexpected_column_are_refused():
    keyless = [row("1"), row("-")]
    with pytest.raises(BadInput, match=r"ad_report_hourly\.ad_id \(row d#1\): primary-key"):
        page(HOURLY, keyless, where="d")
    with pytest.raises(BadInput, match=r"ad_report_hourly\.new_metric"):
        page(HOURLY, [row("1", new_metric="1")], where="d")


def test_rows_of_different_shapes_fall_back_to_flatten():
    rows = [row("1"), {"dimensions": row("2")["dimensions"], "metrics": {"spend": "4.00"}}]
    assert page(HOURLY, rows).to_pylist() == as_flat(HOURLY, rows)


def test_an_unknown_currency_stops_before_any_row():
    with pytest.raises(BadInput, match="currency"):
        constants(HOURLY, {**ADV, "currency": "ZZZ"})


def test_an_async_csv_keeps_long_ids_as_text_and_dash_as_null():
    text = ("ad_id,stat_time_day,spend,conversion,reach,ad_name\n"
            "18446744073709551617,2026-10-30 00:00:00,1.50,-,12,\"Sale, 50%\"\n"
            "0042,2026-10-30 00:00:00,-,3,-,-\n")
    table = csv_table(DAILY, text, constants(DAILY, ADV), "2026-10-30..2026-10-30")
    first, second = table.to_pylist()
    assert first["ad_id"] == "18446744073709551617" and second["ad_id"] == "0042"
    assert (first["spend"], first["conversion"], first["reach"], first["ad_name"]) == (1.5, None, 12, "Sale, 50%")
    assert (second["spend"], second["reach"], second["ad_name"]) == (None, None, None)
    assert table.schema == arrow_schema(DAILY)


def test_primary_key_fields_are_not_nullable_and_metrics_are_typed():
    schema = arrow_schema(DAILY)
    assert not schema.field("ad_id").nullable and schema.field("spend").nullable
    assert schema.field("reach").type == pa.int64() and schema.field("frequency").type == pa.float64()
    assert page(DAILY, []).num_rows == 0
