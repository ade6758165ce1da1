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

Imports Airflow (through Cosmos): only the DAG file calls this module.
"""
from __future__ import annotations

import os
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

from adops.settings import Settings

# Cosmos reports usage to an outside endpoint unless told not to (read when cosmos is imported, so
# import cosmos through this module). The platform runs offline; an operator can still opt in.
os.environ.setdefault("AIRFLOW__COSMOS__ENABLE_TELEMETRY", "False")

PUBLISHED = "tag:published"
ENTRY = "fct_adgroup_performance_daily"


def dbt_executable() -> str:
    """The dbt next to this interpreter (the project's virtualenv), else whatever is on PATH."""
    beside = Path(sys.executable).with_name("dbt")
    return str(beside) if beside.exists() else "dbt"


def marts_task_group_args(settings: Settings | None = None) -> dict[str, Any]:
    """Keyword arguments for ``DbtTaskGroup`` building every model into the side schema."""
    from cosmos import ExecutionConfig, ProfileConfig, ProjectConfig, RenderConfig
    from cosmos.constants import ExecutionMode, InvocationMode, LoadMode, TestBehavior

    from adops.publish import build_schema
    from adops.settings import load
    from adops.transform import dbt_env, ensure_manifest

    settings = settings or load()
    env = dbt_env(replace(settings, marts_schema=build_schema(settings)))
    project = settings.dbt_project_dir
    return {
        "project_config": ProjectConfig(dbt_project_path=project, manifest_path=ensure_manifest(settings),
                                        project_name="adops", install_dbt_deps=False, env_vars=env),
        "profile_config": ProfileConfig(profile_name="adops", target_name=settings.dbt_target,
                                        profiles_yml_filepath=project / "profiles.yml"),
        "execution_config": ExecutionConfig(execution_mode=ExecutionMode.LOCAL,
                                            invocation_mode=InvocationMode.SUBPROCESS,
                                            dbt_executable_path=dbt_executable()),
        "render_config": RenderConfig(load_method=LoadMode.DBT_MANIFEST, select=[ENTRY],
                                      test_behavior=TestBehavior.BUILD, emit_datasets=False),
        "operator_args": {  # no dbt deps: ProjectConfig(install_dbt_deps=False) says so (Cosmos ≥ 1.9)
            # the published marts and their parents in the same build; unit tests run in CI, not here
            "dbt_cmd_flags": ["--select", f"+{PUBLISHED}", "--exclude-resource-type", "unit_test"],
        },
    }


def marts_task_group(group_id: str = "marts", settings: Settings | None = None) -> Any:
    """The ``DbtTaskGroup`` of ``build_marts`` (call inside the DAG's context)."""
    from cosmos import DbtTaskGroup

    return DbtTaskGroup(group_id=group_id, **marts_task_group_args(settings))
