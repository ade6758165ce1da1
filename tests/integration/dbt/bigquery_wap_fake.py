"""An in-memory ``google.cloud.bigquery.Client`` for write-audit-publish: datasets are DuckDB schemas.

Only the client is replaced. Copy jobs really copy rows, the status-table SQL really runs (BigQuery SQL
translated by sqlglot, query parameters bound by name), and what BigQuery refuses is refused here too:
a copy into a missing dataset, a query on a missing table (``NotFound``), a copy the test marks as failing.
Every call is appended to ``FakeWapClient.calls`` in order, so a test can check what happened when.
"""
from __future__ import annotations

from typing import Any, ClassVar

import duckdb
import sqlglot
from google.api_core import exceptions as google_errors
from google.cloud.bigquery.table import Row

_TYPES = {"STRING": "varchar", "TIMESTAMP": "timestamptz", "INTEGER": "bigint", "FLOAT": "double"}


def _parts(ref: Any) -> list[str]:
    """``project.dataset[.table]`` (a string or a Dataset/Table object) → [dataset, table?]."""
    if not isinstance(ref, str):
        return [ref.dataset_id, ref.table_id] if hasattr(ref, "table_id") else [ref.dataset_id]
    return ref.split(".")[1:]


class FakeRows(list):
    """A query's rows, with ``to_dataframe()`` like BigQuery's ``RowIterator``."""

    def __init__(self, rows: list, frame: Any = None) -> None:
        super().__init__(rows)
        self._frame = frame

    def to_dataframe(self, *args: Any, **kwargs: Any) -> Any:
        return self._frame()


class FakeJob:
    def __init__(self, run: Any) -> None:
        self._run = run

    def result(self, *args: Any, **kwargs: Any) -> Any:
        return self._run()


class FakeWapClient:
    """All instances share one DuckDB database (the project), the call log, and the copies told to fail."""

    con: ClassVar[Any] = None
    calls: ClassVar[list[tuple]] = []
    failing_copies: ClassVar[set[str]] = set()
    locations: ClassVar[dict[str, str]] = {}

    def __init__(self, project: str | None = None, credentials: Any = None, location: str | None = None,
                 **kwargs: Any) -> None:
        self.project = project or getattr(credentials, "project_id", None)
        self.credentials, self.location = credentials, location
        FakeWapClient.calls.append(("client", self.project, location, credentials))

    @classmethod
    def reset(cls) -> None:
        cls.con, cls.calls, cls.failing_copies, cls.locations = duckdb.connect(), [], set(), {}

    @classmethod
    def sql(cls, statement: str) -> list[tuple]:
        return cls.con.execute(statement).fetchall()

    def _has(self, dataset: str, table: str | None = None) -> bool:
        if table is None:
            return bool(self.sql(f"select 1 from information_schema.schemata where schema_name = '{dataset}'"))
        return bool(self.sql(f"select 1 from information_schema.tables where table_schema = '{dataset}' "
                             f"and table_name = '{table}'"))

    def create_dataset(self, dataset: Any, exists_ok: bool = False, **kwargs: Any) -> Any:
        (name,) = _parts(dataset)
        self.calls.append(("create_dataset", name, dataset.location))
        if self._has(name) and not exists_ok:
            raise google_errors.Conflict(f"Already Exists: Dataset {name}")
        self.sql(f'create schema if not exists "{name}"')
        self.locations.setdefault(name, dataset.location)
        return dataset

    def delete_dataset(self, dataset: Any, delete_contents: bool = False, not_found_ok: bool = False,
                       **kwargs: Any) -> None:
        (name,) = _parts(dataset)
        self.calls.append(("delete_dataset", name, delete_contents))
        if not self._has(name) and not not_found_ok:
            raise google_errors.NotFound(f"Not found: Dataset {name}")
        self.sql(f'drop schema if exists "{name}" {"cascade" if delete_contents else ""}')

    def create_table(self, table: Any, exists_ok: bool = False, **kwargs: Any) -> Any:
        dataset, name = _parts(table)
        self.calls.append(("create_table", dataset, name))
        if not self._has(dataset):
            raise google_errors.NotFound(f"Not found: Dataset {dataset}")
        columns = ", ".join(f"{f.name} {_TYPES[f.field_type]}" for f in table.schema)
        self.sql(f'create table {"if not exists" if exists_ok else ""} "{dataset}"."{name}" ({columns})')
        return table

    def list_tables(self, dataset: Any, **kwargs: Any) -> list[Any]:
        (name,) = _parts(dataset)
        self.calls.append(("list_tables", name))
        if not self._has(name):
            raise google_errors.NotFound(f"Not found: Dataset {name}")
        rows = self.sql(f"select table_name, table_type from information_schema.tables where table_schema = '{name}'")
        return [type("TableListItem", (), {"table_id": t, "table_type": "TABLE" if kind == "BASE TABLE" else "VIEW"})
                for t, kind in rows]

    def get_table(self, ref: Any, **kwargs: Any) -> Any:
        dataset, name = _parts(ref)
        if not self._has(dataset, name):
            raise google_errors.NotFound(f"Not found: Table {dataset}.{name}")
        return type("Table", (), {"table_id": name, "dataset_id": dataset})

    def copy_table(self, source: str, destination: str, job_config: Any = None, **kwargs: Any) -> FakeJob:
        (src_ds, src), (dst_ds, dst) = _parts(source), _parts(destination)
        self.calls.append(("copy_table", src_ds, src, dst_ds, dst, job_config.write_disposition))

        def run() -> None:
            if src in self.failing_copies:
                raise google_errors.Forbidden(f"Access Denied: Table {src_ds}.{src}")
            if not self._has(dst_ds):
                raise google_errors.NotFound(f"Not found: Dataset {dst_ds}")
            if self._has(dst_ds, dst) and job_config.write_disposition != "WRITE_TRUNCATE":
                raise google_errors.Conflict(f"Already Exists: Table {dst_ds}.{dst}")
            self.sql(f'create or replace table "{dst_ds}"."{dst}" as select * from "{src_ds}"."{src}"')
        return FakeJob(run)

    def query(self, sql: str, job_config: Any = None, **kwargs: Any) -> FakeJob:
        self.calls.append(("query", sql))
        statement = sqlglot.parse_one(sql, read="bigquery")
        for table in statement.find_all(sqlglot.exp.Table):
            table.set("catalog", None)  # the project: one DuckDB database here
        params = {p.name: p.values if hasattr(p, "values") else p.value
                  for p in (job_config.query_parameters if job_config else [])}

        def run() -> list[Row]:
            try:
                cursor = self.con.execute(statement.sql("duckdb"), params)
            except duckdb.CatalogException as exc:
                raise google_errors.NotFound(str(exc)) from exc
            if cursor.description is None:
                return FakeRows([])
            names = {d[0]: i for i, d in enumerate(cursor.description)}
            rows = [Row(values, names) for values in cursor.fetchall()]
            # typed columns, as the real RowIterator.to_dataframe() gives them (db-dtypes): a read, so re-run
            return FakeRows(rows, lambda: self.con.execute(statement.sql("duckdb"), params).df())
        return FakeJob(run)
