"""Fault rules: flag parsing, validation, and seeded, reproducible draws."""
from __future__ import annotations

from types import SimpleNamespace

import pytest

from tiktok_emulator import errors
from tiktok_emulator.faults import normalize, parse_fault_flag
from tiktok_emulator.traffic import Traffic

pytestmark = pytest.mark.unit
UNLIMITED = {"rate_limits": {"enabled": False}}


@pytest.mark.parametrize(("flag", "expected"), [
    ("campaign/get/:40100:0.2", {"path": "campaign/get/", "code": 40100, "rate": 0.2}),
    ("adgroup/update/:drop", {"path": "adgroup/update/", "drop_after_apply": True, "rate": 1.0}),
    ("*:http504:0.05", {"path": "*", "http_status": 504, "rate": 0.05}),
    ("report/integrated/get/:slow=1500", {"path": "report/integrated/get/", "delay_ms": 1500, "rate": 1.0}),
    ("campaign/create/:revoke:1", {"path": "campaign/create/", "revoke_token": True, "rate": 1.0}),
])
def test_parse_fault_flag(flag: str, expected: dict) -> None:
    assert parse_fault_flag(flag) == expected


@pytest.mark.parametrize(("flag", "named"), [
    ("campaign/get/", "PATH:KIND"),
    ("campaign/get/:teapot", "kind 'teapot'"),
    ("campaign/get/:40100:1.5", "rate"),
    ("campaign/get/:http418", "http_status"),
    ("campaign/get/:slow=abc", "delay_ms"),
    ("campaign/get/:42", "code"),
])
def test_parse_fault_flag_names_the_bad_part(flag: str, named: str) -> None:
    with pytest.raises(ValueError, match=named) as exc:
        parse_fault_flag(flag)
    assert "\n" not in str(exc.value)


def test_normalize_rejects_two_kinds_and_unknown_fields() -> None:
    with pytest.raises(ValueError, match="exactly one"):
        normalize({"path": "*", "code": 50000, "http_status": 503})
    with pytest.raises(ValueError, match="unknown field"):
        normalize({"path": "*", "code": 50000, "probability": 0.5})
    assert normalize({"path": "/open_api/v1.3/campaign/get/", "code": 50000, "methods": ["get"]}) == {
        "path": "campaign/get/", "code": 50000, "rate": 1.0, "methods": ["GET"]}


def _call(traffic: Traffic, path: str = "campaign/get/", method: str = "GET", write: bool = False):
    ctx = SimpleNamespace(token=None, params={}, method=method)
    route = SimpleNamespace(path=path, write=write)
    try:
        return traffic.before(ctx, route, SimpleNamespace(app_id="7300000000000000001"))
    except errors.ApiError as exc:
        return exc.code


def test_same_seed_draws_the_same_faults_and_reset_restarts_the_sequence() -> None:
    rules = [{"path": "campaign/*", "code": 40100, "rate": 0.3}]
    a = Traffic({**UNLIMITED, "faults": rules}, seed=11)
    b = Traffic({**UNLIMITED, "faults": rules}, seed=11)
    run_a = [_call(a) for _ in range(200)]
    assert run_a == [_call(b) for _ in range(200)]
    assert 30 < run_a.count(40100) < 90
    a.set_faults(rules)
    assert [_call(a) for _ in range(200)] == run_a
    c = Traffic({**UNLIMITED, "faults": rules}, seed=12)
    assert [_call(c) for _ in range(200)] != run_a


def test_decisions_for_gateway_slow_and_drop_faults() -> None:
    traffic = Traffic({**UNLIMITED, "faults": [
        {"path": "campaign/get/", "http_status": 503},
        {"path": "adgroup/*", "delay_ms": 20},
        {"path": "adgroup/update/", "drop_after_apply": True},
    ]}, seed=1)
    assert _call(traffic).http_status == 503
    slow = _call(traffic, "adgroup/get/")
    assert slow.delay_s == pytest.approx(0.02) and not slow.drop
    dropped = _call(traffic, "adgroup/update/", "POST", write=True)
    assert dropped.drop and dropped.delay_s == pytest.approx(0.02)
    assert _call(traffic, "ad/get/") is None


def test_methods_and_max_count_limit_a_rule() -> None:
    traffic = Traffic({**UNLIMITED, "faults": [{"path": "*", "code": 50002, "methods": ["POST"], "max_count": 2}]},
                      seed=1)
    assert _call(traffic, method="GET") is None
    assert [_call(traffic, method="POST") for _ in range(3)] == [50002, 50002, None]
    assert traffic.faults[0]["fired"] == 2
