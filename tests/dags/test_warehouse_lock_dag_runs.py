"""dag.test() runs that touch the DuckDB warehouse: the Cosmos dbt task queues behind another process's
write instead of failing on DuckDB's lock, and sales_ingest reads the feed for the TikTok connection's
advertisers (the ``TIKTOK_ADVERTISER_IDS`` env var only when there is no connection)."""
from __future__ import annotations

import contextlib
import logging
import os
import threading
from datetime import timedelta

import duckdb
import pytest
import requests

from adops.loadlock import WAREHOUSE_POOL
from tests.integration.loads.support import query
from tests.integration.loads.warehouse_holder import released_at

pytestmark = pytest.mark.dags
HOLD_S = 60.0  # the longest the other process holds; it lets go ~1 s after the dbt task says it waits
MODEL = "stg_tiktok_ads__orders"  # builds on an empty warehouse (missing raw tables stage as empty relations)
FEED_TIME = "%Y-%m-%d %H:%M:%S"


def test_the_tasks_that_open_the_warehouse_run_in_its_one_slot_pool():
    from adops.airflow_runner import load_dags

    dags = load_dags()
    in_pool = {d: sorted(t.task_id for t in dags[d].tasks if t.pool == WAREHOUSE_POOL)
               for d in ("build_marts", "feast_features", "sales_ingest", "events_ingest", "optimize")}
    assert in_pool["build_marts"] == sorted(t.task_id for t in dags["build_marts"].tasks)  # dbt group included
    assert in_pool["feast_features"] == ["publish_features"]
    assert in_pool["sales_ingest"] == ["load_orders"]  # not the task asking the hook for advertiser ids
    assert in_pool["events_ingest"] == ["load_events"]
    assert in_pool["optimize"] == ["load_decisions"]  # the cycles read under the shared lock, in the API pool
    assert {t.pool for t in dags["tiktok_ingest"].tasks if t.task_id != "advertisers"} == {"tiktok_api"}


COSMOS_DAG = """
from pathlib import Path

import pendulum
from airflow.sdk import DAG, task
from cosmos import DbtTaskGroup

from adops.cosmos_config import marts_task_group_args
from adops.settings import load

args = marts_task_group_args()  # the build_marts group as configured for production, narrowed to one model
args["render_config"].select = ["{model}"]
args["operator_args"]["dbt_cmd_flags"] = ["--exclude-resource-type", "unit_test"]


@task
def another_process_writes():
    from tests.integration.loads.warehouse_holder import start_logged

    start_logged(load().warehouse_path, {hold_s}, Path("{log}"), Path("{release}"))  # returns while it holds


with DAG("warehouse_lock_cosmos", schedule=None, start_date=pendulum.datetime(2026, 1, 1, tz="UTC")) as dag:
    another_process_writes() >> DbtTaskGroup(group_id="marts", **args)
"""


def cosmos_dag(folder, log, release):
    """A one-model copy of build_marts' Cosmos group behind a task that starts another process writing to the
    warehouse; parsed from a file and registered in the metadata DB (``dag.test()`` needs the DAG serialized)."""
    from airflow.dag_processing.bundles.manager import DagBundlesManager
    from airflow.dag_processing.dagbag import DagBag, sync_bag_to_db

    (folder / "warehouse_lock_cosmos.py").write_text(COSMOS_DAG.format(model=MODEL, hold_s=HOLD_S, log=log,
                                                                       release=release))
    bag = DagBag(dag_folder=str(folder))
    assert not bag.import_errors, bag.import_errors
    DagBundlesManager().sync_bundles_to_db()
    sync_bag_to_db(bag, "dags-folder", None)
    return bag.dags["warehouse_lock_cosmos"]


def test_the_cosmos_dbt_build_waits_for_a_writer_in_another_process_then_builds(airflow_db, tmp_path, monkeypatch):
    from adops.cosmos_config import LockedDbtBuildLocalOperator
    from adops.settings import load

    for key in [k for k in os.environ if k.startswith("ADOPS_")]:
        monkeypatch.delenv(key)
    monkeypatch.setenv("ADOPS_HOME", str(tmp_path))
    settings, log, release = load(), tmp_path / "holder.log", tmp_path / "release"
    (tmp_path / "dags").mkdir()
    dag = cosmos_dag(tmp_path / "dags", log, release)
    (dbt,) = [t for t in dag.tasks if t.task_id.startswith("marts.")]
    assert isinstance(dbt, LockedDbtBuildLocalOperator) and dbt.pool == WAREHOUSE_POOL
    duckdb.connect(str(settings.warehouse_path)).close()

    with releasing_when_waited_for(release):
        run = dag.test()
    released = released_at(log)
    tis = {ti.task_id: ti for ti in run.get_task_instances()}
    assert str(run.state).endswith("success"), [(t, ti.state) for t, ti in tis.items()]
    built = tis[dbt.task_id]
    assert built.start_date.timestamp() < released < built.end_date.timestamp()  # started while held, waited
    assert query(settings, f"select count(*) from information_schema.tables where table_name = '{MODEL}'") == [(1,)]


class _ReleaseWhenWaitedFor(logging.Handler):
    """Lets the holder go ~1 s after this process logs that it waits for the warehouse lock. Nothing
    waits if the dbt task does not take the lock: the holder then keeps the file, and dbt fails."""

    def __init__(self, release) -> None:
        super().__init__(logging.INFO)
        self.release_file = release

    def emit(self, record: logging.LogRecord) -> None:
        if "waiting up to" in record.getMessage():
            threading.Timer(1.0, self.release_file.touch).start()


@contextlib.contextmanager
def releasing_when_waited_for(release):
    logger, handler = logging.getLogger("adops.loadlock"), _ReleaseWhenWaitedFor(release)
    level = logger.level
    logger.setLevel(logging.INFO)
    logger.addHandler(handler)
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
        release.touch()  # never leave the holder behind


def orders_by_advertiser(server, ids: list[str], start, end) -> dict[str, int]:
    """The emulator's truth: how many orders each advertiser has in the window."""
    return {adv: requests.get(f"{server.url}/__emulator/sales", timeout=30, params={
        "advertiser_id": adv, "start": start.strftime(FEED_TIME), "end": end.strftime(FEED_TIME), "page_size": 1,
    }).json()["data"]["page_info"]["total_number"] for adv in ids}


def test_sales_ingest_reads_the_feed_for_the_tiktok_connections_advertisers(dag_env, monkeypatch):
    monkeypatch.setenv("ADOPS_SALES_FEED_URL", f"{dag_env.server.url}/__emulator/sales")
    assert "TIKTOK_ADVERTISER_IDS" not in os.environ  # the connection is the only source of ids here
    out = dag_env.run("sales_ingest", "sales_ingest.py")

    assert out["advertisers"] == dag_env.advertiser_ids
    assert out["load_orders"]["advertiser_ids"] == dag_env.advertiser_ids
    start = dag_env.interval_end - timedelta(days=dag_env.settings.sales_lookback_days)
    truth = orders_by_advertiser(dag_env.server, dag_env.advertiser_ids, start, dag_env.interval_end)
    landed = dict(query(dag_env.settings, "select advertiser_id, count(*) from tiktok_ads.orders group by 1"))
    assert landed == {adv: n for adv, n in truth.items() if n} and sum(truth.values()) > 0


def test_sales_ingest_without_a_tiktok_connection_falls_back_to_the_env_var(dag_env, monkeypatch):
    first = dag_env.advertiser_ids[0]
    monkeypatch.delenv("AIRFLOW_CONN_TIKTOK_DEFAULT")
    monkeypatch.setenv("TIKTOK_ADVERTISER_IDS", first)
    monkeypatch.setenv("ADOPS_SALES_FEED_URL", f"{dag_env.server.url}/__emulator/sales")
    out = dag_env.run("sales_ingest", "sales_ingest.py")

    assert out["advertisers"] == [] and out["load_orders"]["advertiser_ids"] == [first]
    assert query(dag_env.settings, "select distinct advertiser_id from tiktok_ads.orders") == [(first,)]
