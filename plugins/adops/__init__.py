"""The media-agnostic core: settings, warehouse loads, control plane, executor, CLI.

Airflow-free: only ``adops.airflow_runner`` (imported lazily by ``adops run``) touches Airflow.
"""
