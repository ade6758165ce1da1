"""Hook and trigger tests import Airflow: give it a throw-away home so nothing lands in ~/airflow."""
from __future__ import annotations

import os
import tempfile

os.environ.setdefault("AIRFLOW_HOME", tempfile.mkdtemp(prefix="adops-airflow-integration-"))
os.environ.setdefault("AIRFLOW__CORE__LOAD_EXAMPLES", "False")
