"""What each raw report table asks TikTok for: report type, level, dimensions, metrics and key.

One table per grain, named like Fivetran's TikTok schema. Hourly tables carry no reach or
frequency: unique users cannot be added up over hours, so reach lives only in daily tables.
"""
from __future__ import annotations

from dataclasses import dataclass

COUNTS = ("impressions", "clicks", "conversion", "video_play_actions", "video_watched_2s", "video_watched_6s",
          "video_views_p25", "video_views_p50", "video_views_p75", "video_views_p100",
          "likes", "comments", "shares", "follows", "profile_visits")
AMOUNTS = ("spend", "total_purchase_value")
REACH = ("reach", "frequency")
FLOATS = frozenset(AMOUNTS + ("frequency",))
INTS = frozenset(COUNTS + ("reach",))
ATTRIBUTES = {
    "AUCTION_AD": ("campaign_id", "adgroup_id", "campaign_name", "adgroup_name", "ad_name"),
    "AUCTION_ADGROUP": ("campaign_id", "campaign_name", "adgroup_name"),
    "AUCTION_CAMPAIGN": ("campaign_name",),
}
ID_DIM = {"AUCTION_AD": "ad_id", "AUCTION_ADGROUP": "adgroup_id", "AUCTION_CAMPAIGN": "campaign_id"}


@dataclass(frozen=True)
class ReportSpec:
    """One raw report table: what to request and which columns make a row unique."""

    table: str
    report_type: str
    data_level: str
    time_dim: str  # stat_time_day or stat_time_hour
    breakdowns: tuple[str, ...] = ()

    @property
    def hourly(self) -> bool:
        return self.time_dim == "stat_time_hour"

    @property
    def dimensions(self) -> list[str]:
        return [ID_DIM[self.data_level], self.time_dim, *self.breakdowns]

    @property
    def primary_key(self) -> list[str]:
        return self.dimensions

    @property
    def metrics(self) -> list[str]:
        return [*ATTRIBUTES[self.data_level], *COUNTS, *AMOUNTS, *(() if self.hourly else REACH)]

    def column_types(self) -> dict[str, str]:
        """dlt data types for every column the table may hold (declared, so schema drift is caught)."""
        types = {d: "text" for d in self.dimensions}
        types.update({m: "text" for m in ATTRIBUTES[self.data_level]})
        types.update({m: ("double" if m in FLOATS else "bigint") for m in self.metrics if m in INTS | FLOATS})
        types.update({"advertiser_id": "text", "currency": "text", "timezone": "text"})
        return types


SPECS: dict[str, ReportSpec] = {s.table: s for s in (
    ReportSpec("ad_report_hourly", "BASIC", "AUCTION_AD", "stat_time_hour"),
    ReportSpec("adgroup_report_hourly", "BASIC", "AUCTION_ADGROUP", "stat_time_hour"),
    ReportSpec("campaign_report_hourly", "BASIC", "AUCTION_CAMPAIGN", "stat_time_hour"),
    ReportSpec("ad_report_daily", "BASIC", "AUCTION_AD", "stat_time_day"),
    ReportSpec("ad_report_daily_country", "BASIC", "AUCTION_AD", "stat_time_day", ("country_code",)),
    ReportSpec("ad_report_daily_audience", "AUDIENCE", "AUCTION_AD", "stat_time_day", ("age", "gender")),
    ReportSpec("ad_report_daily_platform", "AUDIENCE", "AUCTION_AD", "stat_time_day", ("platform",)),
)}
HOURLY_TABLES = tuple(t for t, s in SPECS.items() if s.hourly)
DAILY_TABLES = tuple(t for t, s in SPECS.items() if not s.hourly)
