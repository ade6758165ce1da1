"""Every return code in spec/tiktok-api.md §1.5 maps to the class, retry and refresh behaviour we chose.

The expectations below are written out independently of ``errors.CODE_TABLE`` so a careless edit
of the table shows up here; the last test reads the spec itself and fails when it lists a code
this table forgot.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from tiktok.api import errors as E
from tiktok.api.retry import is_retryable

pytestmark = pytest.mark.unit

R, W = False, True  # the request was a read / a write
# code, is_write, expected class, retryable, refreshable
EXPECTED = [
    (20001, R, E.PartialSuccess, False, False),
    (40000, R, E.InvalidRequest, False, False),
    (40001, R, E.PermissionDenied, False, False),
    (40002, R, E.InvalidRequest, False, False),
    (40006, R, E.ConfigurationError, False, False),
    (40007, R, E.NotFound, False, False),
    (40008, R, E.ConfigurationError, False, False),
    (40009, R, E.ConfigurationError, False, False),
    (40010, R, E.ConfigurationError, False, False),
    (40011, R, E.InvalidRequest, False, False),
    (40013, R, E.ConfigurationError, False, False),
    (40014, R, E.ConfigurationError, False, False),
    (40016, R, E.RateLimited, True, False),
    (40050, R, E.Transient, True, False),
    (40050, W, E.UnknownOutcome, False, False),
    (40051, R, E.ConfigurationError, False, False),
    (40100, R, E.RateLimited, True, False),
    (40100, W, E.RateLimited, True, False),
    (40101, R, E.AuthError, False, False),
    (40102, R, E.TokenExpired, False, True),
    (40103, R, E.AuthError, False, False),
    (40104, R, E.AuthError, False, False),
    (40105, R, E.AuthError, False, False),
    (40106, R, E.PermissionDenied, False, False),
    (40107, R, E.AuthError, False, False),
    (40108, R, E.AuthError, False, False),
    (40109, R, E.InvalidRequest, False, False),
    (40110, R, E.AuthError, False, False),
    (40113, R, E.PermissionDenied, False, False),
    (40118, R, E.PermissionDenied, False, False),
    (40119, R, E.PermissionDenied, False, False),
    (40125, R, E.PermissionDenied, False, False),
    (40132, R, E.RateLimited, True, False),
    (40133, R, E.RateLimited, True, False),
    (40200, R, E.Transient, True, False),
    (40201, R, E.TaskNotReady, True, False),
    (40202, W, E.WriteConflict, True, False),
    (40300, R, E.NotFound, False, False),
    (40301, R, E.PermissionDenied, False, False),
    (40502, W, E.InvalidRequest, False, False),
    (40700, R, E.Transient, True, False),
    (40900, W, E.InvalidRequest, False, False),
    (40907, W, E.InvalidRequest, False, False),
    (40908, W, E.InvalidRequest, False, False),
    (40911, W, E.InvalidRequest, False, False),
    (40916, W, E.InvalidRequest, False, False),
    (41000, R, E.ConfigurationError, False, False),
    (50000, R, E.Transient, True, False),
    (50000, W, E.Transient, True, False),
    (50002, R, E.Transient, True, False),
    (51000, R, E.Transient, True, False),
    (51021, R, E.Transient, True, False),
    (51099, R, E.Transient, True, False),
    (52001, R, E.Transient, True, False),
    (53999, R, E.Transient, True, False),
    (60001, R, E.Transient, True, False),
    (61000, R, E.RateLimited, True, False),
    (40999, R, E.InvalidRequest, False, False),  # unlisted 4xxxx: our fault, never retried
    (59999, R, E.Transient, True, False),        # unlisted 5xxxx: theirs
]


@pytest.mark.parametrize("code, is_write, cls, retryable, refreshable", EXPECTED,
                         ids=[f"{row[0]}-{'write' if row[1] else 'read'}" for row in EXPECTED])
def test_code_maps_to_class_retry_and_refresh(code, is_write, cls, retryable, refreshable):
    err = E.error_for_code(code, "msg", request_id="rid-9", path="x/y/", is_write=is_write)
    assert type(err) is cls
    assert (err.retryable, err.refreshable) == (retryable, refreshable)
    assert is_retryable(err) is retryable  # the retry policy agrees with the class attribute
    assert (err.code, err.message, err.request_id, err.http_status) == (code, "msg", "rid-9", 200)


def test_write_ness_is_inferred_from_the_endpoint_path():
    assert type(E.error_for_code(40050, "dup", path="campaign/create/")) is E.UnknownOutcome
    assert type(E.error_for_code(40050, "dup", path="campaign/get/")) is E.Transient


def test_every_row_documents_why_and_exact_rows_come_before_ranges():
    assert all(rule.why and rule.name for rule in E.CODE_TABLE)
    assert E.rule_for(40016).name == "BIZ_FC_ERROR" and E.rule_for(40999).name == "OTHER_4XXXX"
    assert E.rule_for(0) is None and E.classify(12345) is E.InvalidRequest


def test_auth_family_is_never_retried_and_only_expiry_refreshes():
    auth = [r for r in E.CODE_TABLE if issubclass(r.error, E.AuthError)]
    assert {r.first for r in auth if r.error.refreshable} == {40102}
    assert not any(r.error.retryable for r in auth)
    assert {40001, 40104, 40105, 40106} <= E.AUTH_CODES and {40100, 40016, 40133, 40132} <= E.RATE_LIMIT_CODES


def test_partial_success_carries_the_data():
    err = E.error_for_code(20001, "Partial success.", data={"error_list": [{"adgroup_id": "1"}]})
    assert isinstance(err, E.PartialSuccess) and err.data["error_list"][0]["adgroup_id"] == "1"


@pytest.mark.parametrize("status, cls, retryable", [
    (429, E.RateLimited, True), (500, E.Transient, True), (502, E.Transient, True), (503, E.Transient, True),
    (504, E.Transient, True), (401, E.AuthError, False), (403, E.AuthError, False), (404, E.NotFound, False),
    (400, E.InvalidRequest, False),
])
def test_http_status_classification(status, cls, retryable):
    err = E.error_for_http(status, "<html>Gateway Timeout</html>", path="campaign/get/")
    assert type(err) is cls and err.retryable is retryable and err.http_status == status


def test_non_json_bodies_are_transient_on_200_and_follow_the_status_otherwise():
    assert type(E.error_for_non_json("<html>")) is E.Transient
    assert type(E.error_for_non_json("<html>", http_status=504)) is E.Transient
    assert type(E.error_for_non_json("nope", http_status=404)) is E.NotFound


def _spec_codes(text: str) -> set[int]:
    section = text.split("### 1.5", 1)[1].split("### 1.6", 1)[0]
    codes: set[int] = set()
    for line in section.splitlines():
        if not line.startswith("| ") or line.startswith("| code"):
            continue
        codes.update(int(c) for c in re.findall(r"\b([1-6]\d{4})\b", line.split("|")[1]))
    return codes


def test_the_spec_table_has_no_code_this_test_forgot():
    spec = next((p for p in (Path(__file__).resolve().parents[3] / "spec" / "tiktok-api.md",
                             Path("/work/shared/spec/tiktok-api.md")) if p.exists()), None)
    if spec is None:
        pytest.skip("spec/tiktok-api.md is not checked out next to the code")
    listed = _spec_codes(spec.read_text())
    assert len(listed) > 40
    covered = {row[0] for row in EXPECTED}
    assert listed - covered == set()
