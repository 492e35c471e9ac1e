"""Table definitions shared by every writer: columns with portable logical types, DDL per engine.

The raw-table registry (:mod:`ingestion.raw_tables`) and the ``ops`` registry (:mod:`warehouse_io.ops`)
are both lists of :class:`Table`. Types are written the DuckDB way (``varchar``, ``bigint``,
``decimal(18,2)``...) and translated for PostgreSQL and Spark by :meth:`Column.sql_type`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

TS = "timestamp"
MONEY = "decimal(18,2)"
LOADED_AT = "_loaded_at"

_POSTGRES_TYPES = {"varchar": "text", "double": "double precision", "decimal(18,2)": "numeric(18,2)"}
_SPARK_TYPES = {"varchar": "string"}  # Spark's varchar needs a length; the others are spelled alike


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    description: str = ""

    def sql_type(self, dialect: str = "duckdb") -> str:
        if dialect == "postgres":
            return _POSTGRES_TYPES.get(self.type, self.type)
        if dialect == "spark":
            return _SPARK_TYPES.get(self.type, self.type)
        return self.type


@dataclass(frozen=True)
class Table:
    """One warehouse table: ``schema.name``, its columns, primary key and personal-data columns.

    ``loaded_at`` adds the ``_loaded_at`` column that loaders stamp (raw tables have it; ops tables
    keep their own timestamps).
    """

    schema: str
    name: str
    description: str
    columns: tuple[Column, ...]
    primary_key: tuple[str, ...] = ()
    sensitive: frozenset[str] = field(default_factory=frozenset)
    loaded_at: bool = False

    def __post_init__(self) -> None:
        missing = [k for k in (*self.primary_key, *self.sensitive) if k not in self.column_names]
        if missing:  # a registry typo must fail at import, not at load time
            raise ValueError(f"table {self.qualified_name}: unknown columns {missing}")

    @property
    def qualified_name(self) -> str:
        return f"{self.schema}.{self.name}"

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(f"{self.qualified_name} has no column {name!r}")

    def all_columns(self) -> tuple[Column, ...]:
        """The declared columns, plus ``_loaded_at`` for loader-stamped tables."""
        return (*self.columns, Column(LOADED_AT, TS)) if self.loaded_at else self.columns

    def create_sql(self, dialect: str = "duckdb") -> str:
        cols = [f"{c.name} {c.sql_type(dialect)}" for c in self.all_columns()]
        if self.primary_key and not self.loaded_at:  # ops tables enforce their key; raw tables merge on it
            cols.append(f"primary key ({', '.join(self.primary_key)})")
        body = ",\n  ".join(cols)
        return f"create table if not exists {self.qualified_name} (\n  {body}\n)"
