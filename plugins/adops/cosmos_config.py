"""The thin Cosmos adapter for the ``build_marts`` DAG: how the dbt project becomes a ``DbtTaskGroup``.

Why these choices:
- ONE ``dbt build`` per run: dbt's own threads, one parse, the incremental marts and every data test
  in one invocation. Cosmos' default (a task and a dbt process per model) would multiply dbt's
  start-up cost, and under ``dag.test()`` (``adops run``) every extra task costs seconds.
  ``ExecutionMode.WATCHER`` (one producer build + a sensor per model) is Cosmos' answer to the
  first problem, but it still adds a task per declared model and its sensors did not finish under
  ``dag.test()`` here (Cosmos marks WATCHER experimental).
- So the group declares one node, ``ENTRY`` (the mart ``optimize`` reads, the DAG's Asset), with
  ``TestBehavior.BUILD``, and the build also selects ``+tag:published``: every published mart with
  its staging and intermediate parents (dbt unions repeated ``--select`` flags).
- ``LoadMode.DBT_MANIFEST`` from ``adops.transform.ensure_manifest``: rendering needs no ``dbt deps``,
  no warehouse and no network. ``InvocationMode.SUBPROCESS``: dbt's DuckDB handle closes with its
  process, so ``publish`` (same worker process under ``dag.test()``) is the only one holding the file.
- dbt writes into ``<marts>__wap``; ``adops.publish.publish_built`` copies into the marts schema.
- DuckDB has one writer: the build runs as ``LockedDbtBuildLocalOperator``, Cosmos' own build operator
  holding the warehouse's file lock around the dbt invocation (so it queues behind a load or a CLI
  build instead of failing on DuckDB's lock). Cosmos picks operator classes by execution mode, so the
  class is swapped in through ``RenderConfig.node_converters``, which builds the task from Cosmos' own
  task metadata. Every task of the group also runs in the warehouse pool (one slot on DuckDB).

Imports Airflow (through Cosmos): only the DAG file calls this module.
"""
from __future__ import annotations

import os
import sys
from dataclasses import replace
from functools import partial, update_wrapper
from pathlib import Path
from typing import Any

from adops.loadlock import warehouse_lock, warehouse_pool
from adops.settings import Settings

# Cosmos reports usage to an outside endpoint unless told not to (read when cosmos is imported, so
# import cosmos through this module). The platform runs offline; an operator can still opt in.
os.environ.setdefault("AIRFLOW__COSMOS__ENABLE_TELEMETRY", "False")

PUBLISHED = "tag:published"
ENTRY = "fct_adgroup_performance_daily"

from cosmos.operators.local import DbtBuildLocalOperator  # noqa: E402  (after the telemetry opt-out above)


class LockedDbtBuildLocalOperator(DbtBuildLocalOperator):
    """Cosmos' ``dbt build`` operator, holding the DuckDB warehouse's write lock while dbt runs."""

    def __init__(self, *, warehouse_path: str, lock_timeout_s: float, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.warehouse_path = warehouse_path
        self.lock_timeout_s = lock_timeout_s

    def build_and_run_cmd(self, context: Any, cmd_flags: list[str] | None = None, **kwargs: Any) -> Any:
        with warehouse_lock(Path(self.warehouse_path), self.lock_timeout_s):
            return super().build_and_run_cmd(context, cmd_flags, **kwargs)


def dbt_executable() -> str:
    """The dbt next to this interpreter (the project's virtualenv), else whatever is on PATH."""
    beside = Path(sys.executable).with_name("dbt")
    return str(beside) if beside.exists() else "dbt"


def marts_task_group_args(settings: Settings | None = None) -> dict[str, Any]:
    """Keyword arguments for ``DbtTaskGroup`` building every model into the side schema."""
    from cosmos import ExecutionConfig, ProfileConfig, ProjectConfig
    from cosmos.constants import ExecutionMode, InvocationMode

    from adops.publish import build_schema
    from adops.settings import load
    from adops.transform import dbt_env, ensure_manifest

    settings = settings or load()
    env = dbt_env(replace(settings, marts_schema=build_schema(settings)))
    project = settings.dbt_project_dir
    render = _render_config(settings)
    return {
        "project_config": ProjectConfig(dbt_project_path=project, manifest_path=ensure_manifest(settings),
                                        project_name="adops", install_dbt_deps=False, env_vars=env),
        "profile_config": ProfileConfig(profile_name="adops", target_name=settings.dbt_target,
                                        profiles_yml_filepath=project / "profiles.yml"),
        "execution_config": ExecutionConfig(execution_mode=ExecutionMode.LOCAL,
                                            invocation_mode=InvocationMode.SUBPROCESS,
                                            dbt_executable_path=dbt_executable()),
        "render_config": render,
        "operator_args": {  # no dbt deps: ProjectConfig(install_dbt_deps=False) says so (Cosmos ≥ 1.9)
            # the published marts and their parents in the same build; unit tests run in CI, not here
            "dbt_cmd_flags": ["--select", f"+{PUBLISHED}", "--exclude-resource-type", "unit_test"],
            "pool": warehouse_pool(settings),
        },
    }


def _render_config(settings: Settings) -> Any:
    """One BUILD node (``ENTRY``); on DuckDB its task is the locked build operator."""
    from cosmos import RenderConfig
    from cosmos.constants import DbtResourceType, LoadMode, TestBehavior

    render = RenderConfig(load_method=LoadMode.DBT_MANIFEST, select=[ENTRY], test_behavior=TestBehavior.BUILD,
                          emit_datasets=False)
    if settings.dbt_target == "duckdb":
        converter = partial(locked_build_task, render_config=render, warehouse_path=str(settings.warehouse_path),
                            lock_timeout_s=settings.warehouse_lock_timeout_s)
        render.node_converters = {DbtResourceType.MODEL: update_wrapper(converter, locked_build_task)}  # Cosmos logs __name__
    return render


def locked_build_task(*, dag: Any, task_group: Any, node: Any, execution_mode: Any, task_args: dict[str, Any],
                      test_indirect_selection: Any, on_warning_callback: Any, render_config: Any,
                      warehouse_path: str, lock_timeout_s: float, **_: Any) -> Any:
    """A Cosmos node converter: the task Cosmos would render for ``node``, as ``LockedDbtBuildLocalOperator``.

    Cosmos' own ``create_task_metadata`` computes the task id, selection and context, so only the class and
    the lock's arguments differ from the stock task.
    """
    from cosmos.airflow.graph import create_task_metadata
    from cosmos.core.airflow import get_airflow_task

    group = "__".join(i for i in (dag.dag_id, task_group.group_id if task_group else None) if i)
    meta = create_task_metadata(node=node, execution_mode=execution_mode, args=task_args,
                                dbt_dag_task_group_identifier=group, render_config=render_config,
                                test_indirect_selection=test_indirect_selection,
                                on_warning_callback=on_warning_callback)
    if meta is None:  # a node Cosmos does not render
        return None
    meta = replace(meta, operator_class=f"{__name__}.{LockedDbtBuildLocalOperator.__name__}",
                   arguments={**meta.arguments, "warehouse_path": warehouse_path, "lock_timeout_s": lock_timeout_s})
    return get_airflow_task(meta, dag, task_group)


def marts_task_group(group_id: str = "marts", settings: Settings | None = None) -> Any:
    """The ``DbtTaskGroup`` of ``build_marts`` (call inside the DAG's context)."""
    from cosmos import DbtTaskGroup

    return DbtTaskGroup(group_id=group_id, **marts_task_group_args(settings))
