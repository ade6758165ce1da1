"""An in-process dbt call must not leave its schema in the environment for later calls."""
from __future__ import annotations

import os

import pytest

from adops.transform import scoped_env

pytestmark = pytest.mark.unit


def test_scoped_env_restores_changed_and_removes_added_variables(monkeypatch):
    monkeypatch.setenv("ADOPS_MARTS_SCHEMA", "analytics")
    monkeypatch.delenv("ADOPS_DBT_SCHEMA", raising=False)
    with scoped_env({"ADOPS_DBT_SCHEMA": "full_marts", "ADOPS_MARTS_SCHEMA": "analytics__wap"}):
        assert os.environ["ADOPS_DBT_SCHEMA"] == "full_marts"
        assert os.environ["ADOPS_MARTS_SCHEMA"] == "analytics__wap"
    assert "ADOPS_DBT_SCHEMA" not in os.environ
    assert os.environ["ADOPS_MARTS_SCHEMA"] == "analytics"


def test_scoped_env_restores_after_an_error(monkeypatch):
    monkeypatch.setenv("ADOPS_DBT_SCHEMA", "analytics")
    with pytest.raises(RuntimeError), scoped_env({"ADOPS_DBT_SCHEMA": "x"}):
        raise RuntimeError("dbt failed")
    assert os.environ["ADOPS_DBT_SCHEMA"] == "analytics"
