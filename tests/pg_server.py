"""A private PostgreSQL server for tests: initdb + pg_ctl in a temp dir, on 127.0.0.1 and a free port.

As root (CI), the server runs as the ``postgres`` system user (initdb refuses root).
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path


def pg_bin() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class PgServer:
    datadir: Path
    port: int
    bindir: Path
    user: str = "postgres"

    def _run(self, *args: str) -> subprocess.CompletedProcess:
        cmd = [str(self.bindir / args[0]), *args[1:]]
        if os.geteuid() == 0:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        return subprocess.run(cmd, capture_output=True, text=True, check=True)

    @classmethod
    def start(cls, folder: Path) -> PgServer:
        bindir = pg_bin()
        if bindir is None:
            raise RuntimeError("PostgreSQL server binaries not found (apt-get install postgresql)")
        folder.mkdir(parents=True, exist_ok=True)
        server = cls(folder / "data", _free_port(), bindir)
        if os.geteuid() == 0:
            shutil.chown(folder, "postgres")
            os.chmod(folder, 0o755)
            parent = folder
            while parent != parent.parent:  # postgres must be able to reach its data dir
                os.chmod(parent, os.stat(parent).st_mode | 0o011)
                parent = parent.parent
        server._run("initdb", "-D", str(server.datadir), "-U", "postgres", "--auth=trust", "-E", "UTF8",
                    "--no-sync")
        server._run("pg_ctl", "-D", str(server.datadir), "-l", str(folder / "pg.log"), "-w", "-o",
                    f"-p {server.port} -h 127.0.0.1 -k {folder} -F", "start")
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", server.port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.2)
        return server

    def stop(self) -> None:
        try:
            self._run("pg_ctl", "-D", str(self.datadir), "-m", "immediate", "stop")
        except subprocess.CalledProcessError:
            pass

    def dsn(self, dbname: str = "postgres") -> str:
        return f"host=127.0.0.1 port={self.port} user=postgres dbname={dbname}"

    def create_database(self, name: str, icu_locale: str | None = None) -> None:
        """``icu_locale`` (e.g. ``en-US``): the database sorts text by that ICU collation, as most production
        servers do, instead of the test machine's C locale (code point order, the order DuckDB uses)."""
        import psycopg2

        con = psycopg2.connect(self.dsn())
        con.autocommit = True
        with con.cursor() as cur:
            if icu_locale:
                cur.execute(f"create database \"{name}\" template template0 locale_provider icu "
                            f"icu_locale '{icu_locale}' locale 'C.UTF-8'")
            else:
                cur.execute(f'create database "{name}"')
        con.close()

    def env(self, dbname: str) -> dict[str, str]:
        return {"LIFECYCLE_DBT_TARGET": "postgres", "LIFECYCLE_PG_HOST": "127.0.0.1",
                "LIFECYCLE_PG_PORT": str(self.port), "LIFECYCLE_PG_USER": "postgres",
                "LIFECYCLE_PG_PASSWORD": "", "LIFECYCLE_PG_DBNAME": dbname}
