"""SQL queries against the stack's PostgreSQL through psql, with the port from the state
file and the password from VAR_DIR/secrets."""

import json
import os
import subprocess

PSQL = "/usr/lib/postgresql/15/bin/psql"


class Db:
    """The stack's database, reached as the service's own role."""

    def __init__(self, state, var_dir):
        self.port = state.get("DB_PORT", "5432")
        self.password_file = os.path.join(var_dir, "secrets", "db_password")

    def _psql(self, text, **params):
        """Run text through psql as the service's role; return its output. A parameter
        name=value becomes the psql variable name."""
        with open(self.password_file, encoding="utf-8") as fp:
            password = fp.read().strip()
        args = [PSQL, "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1",
                "-h", "127.0.0.1", "-p", str(self.port), "-U", "cv_evaluator", "-d", "cv_evaluator"]
        for name, value in params.items():
            args += ["-v", f"{name}={value}"]
        proc = subprocess.run(args, input=text, capture_output=True, text=True, timeout=60,
                              env=dict(os.environ, PGPASSWORD=password), check=False)
        if proc.returncode != 0:
            raise AssertionError(f"query failed: {proc.stderr.strip()}\n{text}")
        return proc.stdout

    def execute(self, sql):
        """Run one statement that returns no rows, such as ALTER TABLE."""
        self._psql(sql.rstrip(";") + ";\n")

    def query(self, sql, **params):
        """Run one SELECT and return its rows as a list of dicts.

        A parameter name=value is passed as a psql variable; write it as :'name' in sql
        (psql quotes it as a literal), never by formatting it into the text.
        """
        wrapped = f"SELECT coalesce(json_agg(row_to_json(q)), '[]') FROM ({sql}) AS q;\n"
        return json.loads(self._psql(wrapped, **params))

    def scalar(self, sql, **params):
        """Run a query of one row and one column and return that value."""
        rows = self.query(sql, **params)
        assert len(rows) == 1, f"expected one row, got {len(rows)}: {sql}"
        return next(iter(rows[0].values()))
