"""Report pages fetched in parallel load the same rows as one at a time, with no probe and nothing lost.

Against the emulator: a load with ten workers equals a load with one (every raw table's checksum);
pages after the first really overlap (the limiter saw more than one call in flight, never more than
its cap); page 1 decides sync vs async, so a 4-page request costs 4 calls; TikTok throttling (40100)
part-way through a window is retried without losing or duplicating a row; a refused page stops the
load with nothing published; and a table written by the earlier row-dict loader takes Arrow pages.
"""
from __future__ import annotations

from datetime import date

import dlt
import pytest
import requests
from dlt.pipeline.exceptions import PipelineStepFailed

from adops.warehouse import run_load
from tests.integration.loads.support import checksums, settings_in
from tiktok.api import RetryPolicy, TikTokClient, static_token
from tiktok.api.ratelimit import RateLimitConfig, RateLimiter
from tiktok.extract import fetch_advertiser
from tiktok.report_fetch import flatten, request_params
from tiktok.report_specs import SPECS
from tiktok.sources import REPORT_CONTRACT, tiktok_reports

pytestmark = pytest.mark.integration
DAYS = (date(2026, 10, 29), date(2026, 10, 30))
RANGES = dict.fromkeys(SPECS, DAYS)


def client_on(server, **kwargs) -> tuple[TikTokClient, dict]:
    creds = requests.get(f"{server.url}/__emulator/credentials", timeout=30).json()["data"]
    client = TikTokClient(server.base_url, token_provider=static_token(creds["access_token"]), **kwargs)
    return client, fetch_advertiser(client, str(creds["advertiser_ids"][0]))


def load(server, home, workers: int = 10, ranges=RANGES, **kwargs) -> dict:
    client, advertiser = client_on(server, **kwargs)
    settings = settings_in(home)
    run_load(settings, tiktok_reports(client, advertiser, ranges, workers=workers), "reports")
    return checksums(settings)


def report_calls(server) -> dict[str, int]:
    counts = requests.get(f"{server.url}/__emulator/requests", timeout=30).json()["data"]["by_endpoint"]
    return {k: v for k, v in counts.items() if "report/" in k}


@pytest.fixture(scope="module")
def one_at_a_time(shared_server, tmp_path_factory) -> dict:
    sums = load(shared_server, tmp_path_factory.mktemp("serial"), workers=1)
    assert set(sums) == set(SPECS) and all(n > 0 for n, _ in sums.values())
    return sums


def test_parallel_pages_load_the_same_rows_as_one_at_a_time(shared_server, tmp_path, one_at_a_time):
    limiter = RateLimiter(RateLimitConfig(tier="ultimate"), max_in_flight=10)
    assert load(shared_server, tmp_path, workers=10, limiter=limiter) == one_at_a_time
    assert 1 < limiter.peak_in_flight <= 10


def test_page_one_sizes_the_request_so_no_probe_call_is_spent(fresh_server, tmp_path):
    ranges = {"ad_report_hourly": (DAYS[0], DAYS[0])}  # 3,840 rows: four 1,000-row pages
    before = sum(report_calls(fresh_server).values())
    load(fresh_server, tmp_path / "sync", ranges=ranges)
    assert sum(report_calls(fresh_server).values()) - before == 4
    client, advertiser = client_on(fresh_server)
    settings = settings_in(tmp_path / "async")
    run_load(settings, tiktok_reports(client, advertiser, ranges, async_rows=1000), "reports")
    calls = report_calls(fresh_server)
    assert sum(v for k, v in calls.items() if "integrated" in k) - before == 5  # 4 sync + page 1 only
    assert sum(v for k, v in calls.items() if "task/create" in k) == 1
    assert checksums(settings) == checksums(settings_in(tmp_path / "sync"))


def test_a_40100_throttle_mid_window_loses_nothing(fresh_server, tmp_path, one_at_a_time):
    rule = {"path": "report/integrated/get/", "code": 40100, "rate": 0.5, "max_count": 6}
    requests.post(f"{fresh_server.url}/__emulator/faults", json={"faults": [rule]}, timeout=30).raise_for_status()
    fast = RetryPolicy(initial=0.01, maximum=0.05, max_attempts=10)
    assert load(fresh_server, tmp_path, workers=10, retry_policy=fast) == one_at_a_time
    fired = requests.get(f"{fresh_server.url}/__emulator/faults", timeout=30).json()["data"]["faults"]
    assert fired[0]["fired"] == 6  # the throttles really happened, mid-window


def test_a_table_first_written_by_the_row_loader_takes_arrow_pages(shared_server, tmp_path, one_at_a_time):
    """Warehouses loaded before the Arrow path: the frozen contract must not refuse the first Arrow load."""
    client, advertiser = client_on(shared_server)
    spec = SPECS["ad_report_daily"]
    params = request_params(spec, str(advertiser["advertiser_id"]), *DAYS)
    rows = [flatten(spec, r, advertiser, n) for n, r in enumerate(client.paginate("report.integrated.get", params))]
    columns = {c: {"data_type": t} for c, t in spec.column_types().items()}

    @dlt.source(name="tiktok_ads", max_table_nesting=0)
    def row_loader():
        yield dlt.resource(rows[:100], name=spec.table, write_disposition="merge", primary_key=spec.primary_key,
                           columns=columns, schema_contract=REPORT_CONTRACT)

    settings = settings_in(tmp_path)
    run_load(settings, row_loader(), "reports")
    run_load(settings, tiktok_reports(client, advertiser, {spec.table: DAYS}), "reports")
    assert checksums(settings)[spec.table] == one_at_a_time[spec.table]


def test_a_refused_page_stops_the_load_and_publishes_nothing(fresh_server, tmp_path):
    settings = settings_in(tmp_path)
    client, advertiser = client_on(fresh_server)
    run_load(settings, tiktok_reports(client, advertiser, RANGES), "reports")
    before = checksums(settings)
    requests.post(f"{fresh_server.url}/__emulator/clock/advance", json={"hours": 40}, timeout=60).raise_for_status()
    rule = {"path": "report/integrated/get/", "code": 40002, "max_count": 1}  # not retryable
    requests.post(f"{fresh_server.url}/__emulator/faults", json={"faults": [rule]}, timeout=30).raise_for_status()
    with pytest.raises(PipelineStepFailed, match="40002|InvalidRequest"):
        run_load(settings, tiktok_reports(client, advertiser, RANGES), "reports")
    assert checksums(settings) == before  # the restated rows were not half-published
    run_load(settings, tiktok_reports(client, advertiser, RANGES), "reports")  # and the next run recovers
    assert checksums(settings) != before
