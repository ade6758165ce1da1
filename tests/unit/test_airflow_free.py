"""The core is Airflow-free: importing tiktok.api, adops and ml must not import airflow."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit
ROOT = Path(__file__).resolve().parents[2]
MODULES = ["tiktok", "tiktok.api", "tiktok.extract", "tiktok.sources", "tiktok.budgets", "tiktok.ingest",
           "tiktok.optimize", "adops", "adops.settings", "adops.warehouse", "adops.control", "adops.executor",
           "adops.transform", "adops.embedded", "adops.cli", "ml", "ml.rules",
           "tiktok.api.errors", "tiktok.api.batching", "tiktok.api.cache", "tiktok.changes",
           "adops.platform_load", "adops.publish", "adops.publish_bigquery", "adops.loadlock", "adops.marts",
           "adops.cycle", "adops.quality", "adops.sales", "adops.canonical", "adops.cli_common",
           "ml.decide", "ml.allocation"]


def test_core_modules_leave_airflow_out_of_sys_modules():
    code = (f"import sys; sys.path[:0] = {[str(ROOT / 'plugins'), str(ROOT)]!r}\n"
            f"import importlib\nfor m in {MODULES!r}: importlib.import_module(m)\n"
            "bad = sorted(m for m in sys.modules if m == 'airflow' or m.startswith('airflow.'))\n"
            "print(bad[:5]); sys.exit(1 if bad else 0)")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
