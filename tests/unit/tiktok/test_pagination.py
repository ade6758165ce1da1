from __future__ import annotations

import pytest

from tiktok.api import RetryPolicy, TikTokClient

from .fakes import FakeSession, response

pytestmark = pytest.mark.unit


def page(rows: int, page_no: int, total_page: int | None) -> object:
    info = {"page": page_no, "page_size": 3}
    if total_page is not None:
        info["total_page"] = total_page
    return response(data={"list": [{"i": (page_no, n)} for n in range(rows)], "page_info": info})


def rows_of(session: FakeSession) -> list:
    c = TikTokClient("http://e:1", session=session, retry_policy=RetryPolicy.no_retry())
    return list(c.paginate("campaign.get", {"advertiser_id": "1"}, page_size=3))


def test_stops_on_total_page_even_when_last_page_is_full():
    s = FakeSession(page(3, 1, 2), page(3, 2, 2))
    assert len(rows_of(s)) == 6 and len(s.sent) == 2
    assert [c["params"]["page"] for c in s.sent] == ["1", "2"]
    assert s.sent[0]["params"]["page_size"] == "3"


def test_stops_on_a_short_page_without_page_info():
    s = FakeSession(page(3, 1, None), page(1, 2, None))
    assert len(rows_of(s)) == 4 and len(s.sent) == 2


def test_empty_first_page_makes_one_call():
    s = FakeSession(page(0, 1, 0))
    assert rows_of(s) == [] and len(s.sent) == 1


def test_default_page_size_is_tiktoks_maximum():
    s = FakeSession(page(0, 1, 0))
    c = TikTokClient("http://e:1", session=s)
    list(c.paginate("campaign.get", {}))
    assert s.sent[0]["params"]["page_size"] == "1000"
