"""One small connection interface over the two warehouse engines: DuckDB (embedded) and PostgreSQL.

The dbt project runs on either (profile target ``duckdb`` or ``postgres``), so code that keeps state
next to the models (activation's sync state, run logs and failures) must run its SQL on both. This
module gives it exactly what it needs and no more:

- :class:`WarehouseTarget`: *where* the warehouse is (a DuckDB file, or PostgreSQL connection
  settings), chosen the way the dbt profile chooses (``LIFECYCLE_DBT_TARGET``, ``LIFECYCLE_PG_*``);
  :meth:`WarehouseTarget.describe` never shows the password.
- :class:`Db`: an open connection with one parameter style (``?`` placeholders, translated to
  psycopg2's ``%s``), transactions, Arrow results, a bulk insert from Arrow (DuckDB: a registered
  view; PostgreSQL: ``COPY ... FROM STDIN``) and a dialect-aware :meth:`Db.ensure_tables` that creates
  ``ops`` tables and adds columns a newer registry declares.

The SQL callers write stays portable: standard ``insert``/``update``/``delete ... where exists``,
``md5``, ``concat_ws``, ``coalesce``, temporary tables; nothing engine-specific.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa

from warehouse_io.connection import WarehouseError, resolve_path
from warehouse_io.connection import connect as duckdb_connect
from warehouse_io.tables import Table

TARGET_ENV = "LIFECYCLE_DBT_TARGET"
PG_ENV = {"host": "LIFECYCLE_PG_HOST", "port": "LIFECYCLE_PG_PORT", "user": "LIFECYCLE_PG_USER",
          "password": "LIFECYCLE_PG_PASSWORD", "dbname": "LIFECYCLE_PG_DBNAME"}
PG_DEFAULTS = {"host": "127.0.0.1", "port": "5432", "user": "postgres", "password": "", "dbname": "lifecycle"}
DIALECTS = ("duckdb", "postgres")


@dataclass(frozen=True)
class WarehouseTarget:
    """Where the warehouse is: a DuckDB file or a PostgreSQL database."""

    dialect: str = "duckdb"
    path: Path | None = None
    host: str = PG_DEFAULTS["host"]
    port: int = int(PG_DEFAULTS["port"])
    user: str = PG_DEFAULTS["user"]
    password: str = ""
    dbname: str = PG_DEFAULTS["dbname"]

    def __post_init__(self) -> None:
        if self.dialect not in DIALECTS:
            raise ValueError(f"warehouse target {self.dialect!r} is not one of {', '.join(DIALECTS)}")

    def __repr__(self) -> str:  # never the password, in tracebacks or logs
        return f"WarehouseTarget({self.describe()})"

    @classmethod
    def duckdb(cls, path: Path | str | None = None) -> WarehouseTarget:
        return cls("duckdb", path=resolve_path(path))

    @classmethod
    def postgres(cls, *, host: str = PG_DEFAULTS["host"], port: int | str = PG_DEFAULTS["port"],
                 user: str = PG_DEFAULTS["user"], password: str = "", dbname: str = PG_DEFAULTS["dbname"]
                 ) -> WarehouseTarget:
        return cls("postgres", host=host, port=int(port), user=user, password=password, dbname=dbname)

    @classmethod
    def from_settings(cls, settings: Mapping[str, str | None], duckdb_path: Path | str | None = None
                      ) -> WarehouseTarget:
        """The target the dbt profile would use, from variable values (``LIFECYCLE_DBT_TARGET``, ``LIFECYCLE_PG_*``).

        Callers pass the values they read when their run starts (Dagster resources, the CLI); nothing
        here reads the environment by itself.
        """
        kind = (settings.get(TARGET_ENV) or "duckdb").strip().lower()
        if kind == "duckdb":
            return cls.duckdb(duckdb_path)
        if kind != "postgres":
            raise ValueError(f"{TARGET_ENV}={kind!r}: expected duckdb or postgres")
        values = {k: (settings.get(env) if settings.get(env) not in (None, "") else PG_DEFAULTS[k])
                  for k, env in PG_ENV.items()}
        try:
            port = int(values["port"])
        except ValueError:
            raise ValueError(f"{PG_ENV['port']}={values['port']!r} is not a port number") from None
        return cls.postgres(host=values["host"], port=port, user=values["user"], password=values["password"],
                            dbname=values["dbname"])

    @classmethod
    def from_environment(cls, duckdb_path: Path | str | None = None) -> WarehouseTarget:
        """As :meth:`from_settings`, from this process's environment, read now (call it at run time)."""
        names = [TARGET_ENV, *PG_ENV.values()]
        return cls.from_settings({n: os.environ.get(n) for n in names}, duckdb_path)

    def describe(self) -> str:
        if self.dialect == "duckdb":
            return f"duckdb:{self.path}"
        return f"postgres://{self.user}@{self.host}:{self.port}/{self.dbname}"

    def dsn(self) -> str:
        parts = {"host": self.host, "port": self.port, "user": self.user, "dbname": self.dbname}
        if self.password:
            parts["password"] = self.password
        return " ".join(f"{k}='{str(v).replace(chr(92), chr(92) * 2).replace(chr(39), chr(92) + chr(39))}'"
                        for k, v in parts.items())

    @contextlib.contextmanager
    def open(self, read_only: bool = False) -> Iterator[Db]:
        """An open :class:`Db`, always closed (DuckDB allows one writer: keep the block short)."""
        if self.dialect == "duckdb":
            with duckdb_connect(self.path, read_only=read_only) as con:
                yield Db("duckdb", con)
            return
        try:
            import psycopg2
        except ImportError as exc:  # pragma: no cover - declared in the postgres extra
            raise WarehouseError("the PostgreSQL warehouse needs psycopg2 (pip install psycopg2-binary)") from exc
        try:
            con = psycopg2.connect(self.dsn(), connect_timeout=15)
        except psycopg2.Error as exc:
            raise WarehouseError(f"cannot connect to {self.describe()}: {str(exc).strip().splitlines()[0]}") from None
        try:
            con.autocommit = True
            if read_only:
                with con.cursor() as cur:
                    cur.execute("set session characteristics as transaction read only")
            with con.cursor() as cur:
                cur.execute("set time zone 'UTC'")
            yield Db("postgres", con)
        finally:
            con.close()


_PLACEHOLDER = re.compile(r"'(?:[^']|'')*'|\?|%")


def _to_pyformat(sql: str) -> str:
    """``?`` placeholders to psycopg2's ``%s`` (literal ``%`` doubled; quoted strings left alone)."""
    def sub(m: re.Match[str]) -> str:
        tok = m.group(0)
        if tok == "?":
            return "%s"
        if tok == "%":
            return "%%"
        return tok.replace("%", "%%")
    return _PLACEHOLDER.sub(sub, sql)


_PG_TYPES = {"varchar": "text", "double": "double precision", "decimal(18,2)": "numeric(18,2)"}


def sql_type(logical: str, dialect: str) -> str:
    return _PG_TYPES.get(logical, logical) if dialect == "postgres" else logical


class Db:
    """An open warehouse connection: DuckDB or PostgreSQL, one parameter style (``?``)."""

    def __init__(self, dialect: str, con: Any):
        self.dialect = dialect
        self.con = con
        self._in_tx = False

    # --- statements ------------------------------------------------------------------------------
    def execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        if self.dialect == "duckdb":
            self.con.execute(sql, list(params))
            return
        with self.con.cursor() as cur:
            cur.execute(_to_pyformat(sql), tuple(params))

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple]:
        if self.dialect == "duckdb":
            return self.con.execute(sql, list(params)).fetchall()
        with self.con.cursor() as cur:
            cur.execute(_to_pyformat(sql), tuple(params))
            return cur.fetchall() if cur.description else []

    def query_one(self, sql: str, params: Sequence[Any] = ()) -> tuple | None:
        rows = self.query(sql, params)
        return rows[0] if rows else None

    def query_arrow(self, sql: str, params: Sequence[Any] = ()) -> pa.Table:
        """The result as an Arrow table (compact columns; callers slice it into batches)."""
        if self.dialect == "duckdb":
            rel = self.con.sql(sql, params=list(params) or None)
            return rel.to_arrow_table() if rel is not None else pa.table({})
        with self.con.cursor() as cur:
            cur.execute(_to_pyformat(sql), tuple(params))
            names = [d[0] for d in cur.description]
            rows = cur.fetchall()
        columns = list(zip(*rows, strict=True)) if rows else [[] for _ in names]
        arrays = []
        for col in columns:
            values = [float(v) if _is_decimal(v) else v for v in col]
            try:
                arrays.append(pa.array(values))
            except (pa.ArrowInvalid, pa.ArrowTypeError):
                arrays.append(pa.array([None if v is None else str(v) for v in values], pa.string()))
        if not rows:
            arrays = [pa.array([], pa.string()) for _ in names]
        return pa.Table.from_arrays(arrays, names=names)

    def columns_of(self, sql: str) -> list[str]:
        """Column names a query returns (runs it with ``limit 0``)."""
        if self.dialect == "duckdb":
            return [d[0] for d in self.con.execute(f"select * from ({sql}) as q limit 0").description]
        with self.con.cursor() as cur:
            cur.execute(_to_pyformat(f"select * from ({sql}) as q limit 0"))
            return [d[0] for d in cur.description]

    # --- transactions ----------------------------------------------------------------------------
    @contextlib.contextmanager
    def transaction(self) -> Iterator[Db]:
        """Everything in the block commits together or not at all."""
        if self._in_tx:
            yield self
            return
        self._in_tx = True
        try:
            if self.dialect == "duckdb":
                self.con.execute("begin")
                try:
                    yield self
                    self.con.execute("commit")
                except BaseException:
                    self.con.execute("rollback")
                    raise
            else:
                self.con.autocommit = False
                try:
                    yield self
                    self.con.commit()
                except BaseException:
                    self.con.rollback()
                    raise
                finally:
                    self.con.autocommit = True
        finally:
            self._in_tx = False

    # --- catalog ---------------------------------------------------------------------------------
    def relation_exists(self, schema: str, name: str) -> bool:
        row = self.query_one(
            "select count(*) from information_schema.tables where table_schema = ? and table_name = ?",
            [schema, name])
        return bool(row and row[0])

    def relation_columns(self, schema: str, name: str) -> list[tuple[str, str]]:
        return [(r[0], r[1]) for r in self.query(
            "select column_name, data_type from information_schema.columns "
            "where table_schema = ? and table_name = ? order by ordinal_position", [schema, name])]

    def relations(self, schema: str, prefix: str = "") -> list[str]:
        return [r[0] for r in self.query(
            "select table_name from information_schema.tables where table_schema = ? order by table_name", [schema])
            if r[0].startswith(prefix)]

    def ensure_tables(self, tables: Sequence[Table]) -> None:
        """Create each table if missing, and add the columns its definition gained since."""
        for t in tables:
            self.execute(f"create schema if not exists {t.schema}")
            self.execute(t.create_sql(self.dialect))
            existing = {c for c, _ in self.relation_columns(t.schema, t.name)}
            for c in t.all_columns():
                if c.name not in existing:
                    self.execute(f"alter table {t.qualified_name} add column {c.name} {sql_type(c.type, self.dialect)}")

    # --- bulk ------------------------------------------------------------------------------------
    def insert_arrow(self, table: str, data: pa.Table, columns: Sequence[str] | None = None) -> int:
        """Append the rows of an Arrow table to ``table`` (columns by name); returns the row count."""
        if data.num_rows == 0:
            return 0
        cols = list(columns or data.column_names)
        data = data.select(cols)
        col_list = ", ".join(cols)
        if self.dialect == "duckdb":
            name = "_lc_incoming"
            self.con.register(name, data)
            try:
                self.con.execute(f"insert into {table} ({col_list}) select {col_list} from {name}")
            finally:
                self.con.unregister(name)
            return data.num_rows
        import pyarrow.csv as pacsv

        buf = io.BytesIO()
        pacsv.write_csv(data, buf, write_options=pacsv.WriteOptions(include_header=False,
                                                                    quoting_style="all_valid"))
        buf.seek(0)
        with self.con.cursor() as cur:
            cur.copy_expert(f"copy {table} ({col_list}) from stdin with (format csv)", buf)
        return data.num_rows

    def create_temp_table(self, name: str, select_sql: str, params: Sequence[Any] = ()) -> None:
        """A temporary table of this connection, from a query (replaced if it exists)."""
        self.execute(f"drop table if exists {name}")
        self.execute(f"create temporary table {name} as {select_sql}", params)

    def create_temp_from_arrow(self, name: str, data: pa.Table, types: Mapping[str, str]) -> None:
        """A temporary table with the given logical column types, filled from Arrow."""
        self.execute(f"drop table if exists {name}")
        cols = ", ".join(f"{c} {sql_type(types[c], self.dialect)}" for c in data.column_names)
        self.execute(f"create temporary table {name} ({cols})")
        self.insert_arrow(name, data)


def _is_decimal(value: Any) -> bool:
    from decimal import Decimal

    return isinstance(value, Decimal)


def hash_expression(columns: Sequence[str], salt: str, alias: str | None = None) -> str:
    """A portable SQL expression: the md5 of ``salt`` and the columns' text values, nulls told apart.

    Both engines have ``md5(text)`` and ``concat_ws``; a null becomes a control character no text
    value holds, so ``null`` and ``''`` hash differently. The salt carries what else decides the
    payload (the sync's mapping and destination settings), so changing them resends every row.
    """
    prefix = f"{alias}." if alias else ""
    parts = [f"coalesce(cast({prefix}{c} as varchar), chr(1))" for c in columns]
    salt_literal = "'" + salt.replace("'", "''") + "'"
    return f"md5(concat_ws(chr(31), {salt_literal}, {', '.join(parts)}))"
