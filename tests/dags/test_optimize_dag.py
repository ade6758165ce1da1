"""The optimize DAG is a declaration: marts check → advertisers → one cycle call per advertiser."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

pytestmark = pytest.mark.dags
DAG_FILE = Path(__file__).resolve().parents[2] / "dags" / "optimize.py"


def test_optimize_dag_runs_every_two_hours_or_on_the_kpi_mart_and_maps_over_advertisers():
    from airflow.dag_processing.dagbag import DagBag

    dagbag = DagBag(dag_folder=str(DAG_FILE))
    assert dagbag.import_errors == {}
    dag = dagbag.dags["optimize"]
    assert "0 */2 * * *" in repr(dag.timetable.summary) or "0 */2 * * *" in str(dag.timetable.description)
    assert {t.task_id for t in dag.tasks} == {"marts_published", "advertisers", "propose_and_apply", "load_decisions"}
    assert dag.get_task("propose_and_apply").pool == "tiktok_api"
    assert dag.get_task("load_decisions").upstream_task_ids == {"propose_and_apply"}


def test_the_per_advertiser_task_is_one_call_into_the_cycle():
    tree = ast.parse(DAG_FILE.read_text())
    task = next(n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef) and n.name == "propose_and_apply")
    body = [n for n in task.body if not isinstance(n, (ast.Import, ast.ImportFrom, ast.Expr))]
    assert len(body) == 1 and isinstance(body[0], ast.Return)
    assert ast.unparse(body[0]).startswith("return optimize_advertiser(")
