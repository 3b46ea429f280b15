"""The result store of a sweep: one SQLite file, one row per design point.

Each row holds the point (candidate, workload, pruning, hardware overrides as JSON), every metric, the
status (ok / infeasible / error) with its reason, and the cosim version. Rows are written a chunk per
transaction and keyed by the point's index in the design space, with INSERT OR IGNORE: a sweep killed
at any moment (SIGKILL included) leaves whole chunks only, and a resumed sweep skips the indices it
finds, so every point is stored exactly once. The ``meta`` table records the space (its YAML and
digest), the sampler and its seed: a store can only be resumed with the space that wrote it.
"""

from __future__ import annotations

import csv
import json
import math
import sqlite3
from pathlib import Path
from typing import Any, Iterable, Iterator, Mapping, Sequence

import numpy as np

from cosim import __version__
from cosim.outputs import atomic_output
from cosim.errors import CosimError, require
from cosim.metrics import COLUMNS, METRICS

_TEXT = {"candidate", "kind", "workload", "sparsity", "allocation", "recipe", "hw", "status", "reason"}
_INT = {"id", "bits"}
STORE_FILENAME = "sweep.sqlite"


def _sql_type(col: str) -> str:
    return "INTEGER" if col in _INT else "TEXT" if col in _TEXT else "REAL"


class ResultStore:
    """Open (or create) the store at ``path``. Use as a context manager or call ``close``."""

    def __init__(self, path: str | Path, create: bool = False):
        self.path = Path(path)
        if not create:
            require(self.path.is_file(), f"store '{self.path}' does not exist; run `cosim sweep` to create it")
        else:
            require(self.path.parent.is_dir(), f"output folder '{self.path.parent}' does not exist; create it first")
        try:
            self.conn = sqlite3.connect(str(self.path), isolation_level=None, timeout=30.0)
            # WAL: a killed writer leaves the last committed transaction intact; NORMAL sync is durable
            # against process death (only an OS crash can lose the last commits, never corrupt).
            self.conn.execute("PRAGMA journal_mode=WAL")
            self.conn.execute("PRAGMA synchronous=NORMAL")
            if create:
                cols = ", ".join(f'"{c}" {_sql_type(c)}' + (" PRIMARY KEY" if c == "id" else "") for c in COLUMNS)
                self.conn.execute(f"CREATE TABLE IF NOT EXISTS points ({cols}, cosim_version TEXT)")
                self.conn.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT)")
            tables = {r[0] for r in self.conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        except sqlite3.DatabaseError as e:
            raise CosimError(f"store '{self.path}' is not a cosim sweep store ({e}); "
                             "give the sweep.sqlite file") from None
        require({"points", "meta"} <= tables,
                f"store '{self.path}' is not a cosim sweep store; give its sweep.sqlite file")
        have = [r[1] for r in self.conn.execute("PRAGMA table_info(points)")]
        self.columns = tuple(c for c in have if c != "cosim_version")
        self._insert = (f"INSERT OR IGNORE INTO points ({', '.join(map(_q, COLUMNS))}, cosim_version) "
                        f"VALUES ({', '.join('?' * (len(COLUMNS) + 1))})")

    def __enter__(self) -> "ResultStore":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self.conn.close()

    # ---- meta ----------------------------------------------------------------------------------
    def set_meta(self, values: Mapping[str, Any]) -> None:
        with self._transaction():
            self.conn.executemany("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)",
                                  [(k, json.dumps(v)) for k, v in values.items()])

    def meta(self) -> dict[str, Any]:
        return {k: json.loads(v) for k, v in self.conn.execute("SELECT key, value FROM meta")}

    # ---- writing ---------------------------------------------------------------------------------
    def write_rows(self, rows: Sequence[Mapping[str, Any]]) -> int:
        """Insert a chunk of rows in one transaction; rows whose id exists are ignored. Returns inserted."""
        data = [tuple(_sql_value(r.get(c)) for c in COLUMNS) + (__version__,) for r in rows]
        try:
            with self._transaction():
                before = self.conn.total_changes
                self.conn.executemany(self._insert, data)
                return self.conn.total_changes - before
        except sqlite3.OperationalError as e:  # a full disk or quota: the chunk rolls back, earlier ones stay
            raise CosimError(f"store '{self.path}': writing a chunk failed ({str(e)[:80]}); the points stored so far "
                             "are intact: free disk space, then rerun with --resume") from None

    def _transaction(self):
        conn = self.conn

        class _Tx:
            def __enter__(self):
                conn.execute("BEGIN IMMEDIATE")

            def __exit__(self, exc_type, *_):
                conn.execute("COMMIT" if exc_type is None else "ROLLBACK")

        return _Tx()

    # ---- reading ---------------------------------------------------------------------------------
    def count(self, status: str | None = None) -> int:
        if status is None:
            return self.conn.execute("SELECT COUNT(*) FROM points").fetchone()[0]
        return self.conn.execute("SELECT COUNT(*) FROM points WHERE status = ?", (status,)).fetchone()[0]

    def status_counts(self) -> dict[str, int]:
        return dict(self.conn.execute("SELECT status, COUNT(*) FROM points GROUP BY status ORDER BY status"))

    def existing_ids(self, ids: Iterable[int]) -> set[int]:
        ids = [int(i) for i in ids]
        found: set[int] = set()
        for s in range(0, len(ids), 900):  # SQLite's variable limit is 999 in old builds
            part = ids[s:s + 900]
            q = f"SELECT id FROM points WHERE id IN ({', '.join('?' * len(part))})"
            found.update(r[0] for r in self.conn.execute(q, part))
        return found

    def rows_by_id(self, ids: Iterable[int]) -> dict[int, dict[str, Any]]:
        ids = [int(i) for i in ids]
        out: dict[int, dict[str, Any]] = {}
        for s in range(0, len(ids), 900):
            part = ids[s:s + 900]
            q = f"SELECT * FROM points WHERE id IN ({', '.join('?' * len(part))})"
            for row in self._dicts(self.conn.execute(q, part)):
                out[row["id"]] = row
        return out

    def iter_rows(self, status: str | None = None, batch: int = 10_000) -> Iterator[dict[str, Any]]:
        """All rows in id order, streamed."""
        q = "SELECT * FROM points" + (" WHERE status = ?" if status else "") + " ORDER BY id"
        cur = self.conn.execute(q, (status,) if status else ())
        while True:
            chunk = cur.fetchmany(batch)
            if not chunk:
                return
            yield from self._dicts_from(cur.description, chunk)

    def metric_arrays(self, metrics: Sequence[str], status: str = "ok") -> tuple[np.ndarray, np.ndarray]:
        """(ids, values n × len(metrics)) of the rows with ``status``; NULL → NaN."""
        for m in metrics:
            require(m in self.columns, f"metric '{m}' is not in the store; use one of {', '.join(METRICS)}")
        q = f"SELECT id, {', '.join(map(_q, metrics))} FROM points WHERE status = ? ORDER BY id"
        rows = self.conn.execute(q, (status,)).fetchall()
        if not rows:
            return np.zeros(0, dtype=np.int64), np.zeros((0, len(metrics)))
        arr = np.array([[np.nan if v is None else v for v in r[1:]] for r in rows], dtype=np.float64)
        return np.array([r[0] for r in rows], dtype=np.int64), arr

    def column(self, name: str, status: str = "ok") -> tuple[np.ndarray, np.ndarray]:
        """(ids, values) of one column (any type) over the rows with ``status``, in id order."""
        require(name in self.columns, f"column '{name}' is not in the store; use one of {', '.join(self.columns)}")
        q = f"SELECT id, {_q(name)} FROM points WHERE status = ? ORDER BY id"
        rows = self.conn.execute(q, (status,)).fetchall()
        vals = [r[1] for r in rows]
        arr = np.array([np.nan if v is None else v for v in vals], dtype=np.float64) if name in METRICS \
            else np.array(vals, dtype=object)
        return np.array([r[0] for r in rows], dtype=np.int64), arr

    def _dicts(self, cur) -> list[dict[str, Any]]:
        return list(self._dicts_from(cur.description, cur.fetchall()))

    @staticmethod
    def _dicts_from(description, rows) -> Iterator[dict[str, Any]]:
        names = [d[0] for d in description]
        for r in rows:
            yield {n: (math.nan if v is None and n in METRICS else v) for n, v in zip(names, r)}

    # ---- export ----------------------------------------------------------------------------------
    def export_csv(self, path: str | Path, status: str | None = None) -> int:
        """Every row (or those with ``status``) as CSV, written atomically; returns the row count."""
        path = Path(path)
        require(path.parent.is_dir() or str(path.parent) == "", f"output folder '{path.parent}' does not exist")
        n = 0
        with atomic_output(path) as tmp, open(tmp, "w", newline="") as f:
            w = csv.writer(f)
            w.writerow(list(self.columns) + ["cosim_version"])
            for row in self.iter_rows(status):
                w.writerow([row[c] for c in self.columns] + [row["cosim_version"]])
                n += 1
        return n

    def export_parquet(self, path: str | Path, status: str | None = None, batch: int = 50_000) -> int:
        """The same table as Parquet (needs pyarrow: pip install 'cosim[parquet]')."""
        try:
            import pyarrow as pa
            import pyarrow.parquet as pq
        except ImportError:
            raise CosimError("Parquet export needs pyarrow; pip install 'cosim[parquet]' or export CSV") from None
        names = list(self.columns) + ["cosim_version"]
        schema = pa.schema([(c, pa.int64() if c in _INT else pa.string() if c in _TEXT | {"cosim_version"}
                             else pa.float64()) for c in names])
        path = Path(path)
        n = 0
        with atomic_output(path) as tmp, pq.ParquetWriter(str(tmp), schema) as w:
            buf: list[dict] = []
            for row in self.iter_rows(status):
                buf.append(row)
                if len(buf) >= batch:
                    w.write_table(pa.Table.from_pylist(buf, schema=schema))
                    n += len(buf)
                    buf = []
            if buf:
                w.write_table(pa.Table.from_pylist(buf, schema=schema))
                n += len(buf)
        return n


def _q(name: str) -> str:
    return f'"{name}"'


def _sql_value(v: Any) -> Any:
    if isinstance(v, float) and not math.isfinite(v):
        return None
    if isinstance(v, (np.floating, np.integer)):
        return v.item()
    return v


def resolve_store(path: str | Path) -> Path:
    """A sweep's output folder or its sweep.sqlite file → the store file."""
    p = Path(path)
    if p.is_dir():
        p = p / STORE_FILENAME
    require(p.is_file(), f"store '{path}' not found; give a sweep's output folder or its {STORE_FILENAME}")
    return p
