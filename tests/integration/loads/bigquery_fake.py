"""A stand-in for ``google.cloud.bigquery.Client``: the one boundary the BigQuery load tests replace.

dlt's own BigQuery destination runs unchanged on top of it (SQL generation, load jobs, merge
follow-ups); the fake records what would have reached Google: the client's project, location and
credentials, datasets created, files loaded (with their job config) and every SQL statement.
"""
from __future__ import annotations

from typing import Any, ClassVar

from google.api_core import exceptions as google_errors
from google.cloud.bigquery import SchemaField


class FakeRows:
    """An empty result set: no stored state, no schema, no tables yet (a new project)."""

    schema: ClassVar[list[SchemaField]] = [SchemaField("value", "STRING")]
    total_rows = 0
    num_dml_affected_rows = 0
    job_id = project = location = None

    def __iter__(self) -> Any:
        return iter([])

    def _should_use_bqstorage(self, *args: Any, **kwargs: Any) -> bool:
        return False


class FakeQueryJob:
    session_info = type("SessionInfo", (), {"session_id": "session-1"})()

    def result(self, *args: Any, **kwargs: Any) -> FakeRows:
        return FakeRows()


class FakeLoadJob:
    error_result = errors = None
    state = "DONE"

    def __init__(self, rows: int) -> None:
        self.output_rows = rows

    def done(self, *args: Any, **kwargs: Any) -> bool:
        return True


class FakeBigQueryClient:
    """Records calls across every client dlt opens (one per load thread) in class-level lists."""

    clients: ClassVar[list[FakeBigQueryClient]] = []
    datasets: ClassVar[dict[str, Any]] = {}
    queries: ClassVar[list[str]] = []
    loads: ClassVar[list[tuple[str, Any, bytes]]] = []

    def __init__(self, project: str | None = None, credentials: Any = None, location: str | None = None,
                 **kwargs: Any) -> None:
        self.project, self.credentials, self.location = project, credentials, location
        FakeBigQueryClient.clients.append(self)

    @classmethod
    def reset(cls) -> None:
        cls.clients, cls.datasets, cls.queries, cls.loads = [], {}, [], []

    def _ensure_bqstorage_client(self, *args: Any, **kwargs: Any) -> None:
        return None

    def query(self, sql: str, *args: Any, **kwargs: Any) -> FakeQueryJob:
        FakeBigQueryClient.queries.append(sql)
        return FakeQueryJob()

    def query_and_wait(self, sql: str, *args: Any, **kwargs: Any) -> FakeRows:
        FakeBigQueryClient.queries.append(sql)
        return FakeRows()

    def get_dataset(self, name: str, *args: Any, **kwargs: Any) -> Any:
        if name.split(".")[-1] not in FakeBigQueryClient.datasets:
            raise google_errors.NotFound(f"Dataset {name} not found")
        return FakeBigQueryClient.datasets[name.split(".")[-1]]

    def create_dataset(self, dataset: Any, *args: Any, **kwargs: Any) -> Any:
        FakeBigQueryClient.datasets[dataset.dataset_id] = dataset
        return dataset

    def get_table(self, name: str, *args: Any, **kwargs: Any) -> Any:
        raise google_errors.NotFound(f"Table {name} not found")

    def load_table_from_file(self, handle: Any, table: str, job_id: str | None = None, job_config: Any = None,
                             **kwargs: Any) -> FakeLoadJob:
        FakeBigQueryClient.loads.append((table, job_config, handle.read()))
        return FakeLoadJob(1)

    def close(self) -> None:
        return None
