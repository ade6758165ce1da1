"""``adops approvals``: list, show (plan, reasons, what-if), reject, and approve's configuration errors."""
from __future__ import annotations

from datetime import UTC, datetime

import pytest
from click.testing import CliRunner
from sqlalchemy.orm import Session

from adops import approvals, changelog
from adops.cli import main
from adops.db import make_engine, migrate
from ml.plan import ADGROUP, BUDGET, Change, Plan, Prediction

pytestmark = pytest.mark.unit
NOW = datetime(2026, 11, 1, 6, tzinfo=UTC)


@pytest.fixture
def home(tmp_path, monkeypatch):
    for name in ("TIKTOK_BASE_URL", "TIKTOK_ACCESS_TOKEN", "ADOPS_CONTROL_DB_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("ADOPS_HOME", str(tmp_path))
    url = f"sqlite:///{tmp_path / 'control.db'}"
    migrate(url)
    change = Change(BUDGET, ADGROUP, "g7", 100.0, 180.0, "best marginal CPA")
    plan = Plan("adv", NOW, (change,), current=Prediction(300.0, 15.0, 12.0, 18.0),
                predicted=Prediction(300.0, 18.0, 14.0, 22.0))
    with Session(make_engine(url)) as s, s.begin():
        req = approvals.request(s, plan, "plan-1", change, ["budget step +80 % > max 20 %"], NOW)
        changelog.log_change(s, "plan-1", "adv", NOW, change, "approve", ["budget step +80 % > max 20 %"],
                             changelog.AWAITING, approval_id=req.id)
    return url


def test_list_and_show_print_the_change_the_reasons_and_the_what_if(home):
    listed = CliRunner().invoke(main, ["approvals", "list"])
    assert listed.exit_code == 0 and "g7" in listed.output and "100.0 → 180.0" in listed.output
    shown = CliRunner().invoke(main, ["approvals", "show", "1"])
    assert shown.exit_code == 0, shown.output
    assert "budget step +80 % > max 20 %" in shown.output and "best marginal CPA" in shown.output
    assert "current" in shown.output and "predicted" in shown.output and "20.00" in shown.output  # CPA 300/15
    assert "16.67" in shown.output  # predicted CPA 300/18
    assert "the plan (1 changes" in shown.output and "[approve, awaiting_approval]" in shown.output


def test_reject_records_who_and_a_second_decision_is_refused(home):
    out = CliRunner().invoke(main, ["approvals", "reject", "1", "--by", "erin", "--note", "not now"])
    assert out.exit_code == 0 and "rejected" in out.output and "erin" in out.output
    assert changelog.rows(make_engine(home))[0]["outcome"] == changelog.REJECTED
    again = CliRunner().invoke(main, ["approvals", "reject", "1", "--by", "erin"])
    assert again.exit_code == 2 and "already rejected" in again.output


def test_unknown_ids_and_missing_tiktok_settings_exit_2_naming_the_fix(home):
    missing = CliRunner().invoke(main, ["approvals", "show", "99"])
    assert missing.exit_code == 2 and "approval 99 does not exist" in missing.output
    approve = CliRunner().invoke(main, ["approvals", "approve", "1", "--by", "frank"])
    assert approve.exit_code == 2 and "TIKTOK_BASE_URL" in approve.output
    assert approvals.get(make_engine(home), 1)["status"] == approvals.PENDING  # nothing decided
