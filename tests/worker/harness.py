"""Helpers for the cv-worker integration tests: the private stack, jobs, messages, workers.

PostgreSQL and the development broker are started by scripts/pg.sh and
scripts/broker.sh (see prepare_stack()); this module writes the worker's configuration
file from their state and starts and stops cv-worker processes. Everything listens on
127.0.0.1 only.
"""

import glob
import hashlib
import json
import os
import signal
import subprocess
import time
import urllib.error
import urllib.request
import uuid

import psycopg2

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
VAR_DIR = os.path.abspath(os.environ.get("VAR_DIR", os.path.join(ROOT, "var", "worker-test")))
BUILD = os.path.join(ROOT, os.environ.get("BUILD", "build"))
CV_ENV = os.path.join(VAR_DIR, "worker-test.env")
STATE = os.path.join(VAR_DIR, "state.env")
LOG_DIR = os.path.join(VAR_DIR, "log", "worker-tests")
CORPUS = os.path.abspath(os.path.join(ROOT, "..", "shared", "corpus"))

# Short timings so that recovery paths run within seconds.
FAST_TIMINGS = {
    "JOB_HEARTBEAT_INTERVAL_MS": "300",
    "JOB_STALE_AFTER_MS": "2000",
    "JOB_SWEEP_INTERVAL_MS": "300",
    "JOB_REQUEUE_AFTER_MS": "1000",
    "WORKER_DRAIN_TIMEOUT_MS": "15000",
    # PostgreSQL measures statement_timeout on the wall clock. A virtual machine whose
    # clock stepped 9.5 s forward cancelled statements the tests keep waiting on a lock.
    "DB_STATEMENT_TIMEOUT_MS": "60000",
    "LOG_LEVEL": "info",
}


def read_env(path=CV_ENV):
    """Returns the KEY=value pairs of an env file as a dict; the last value wins."""
    values = {}
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            line = line.strip()
            if line and not line.startswith("#") and "=" in line:
                key, value = line.split("=", 1)
                values[key] = value
    return values


def script(name, action):
    """Runs scripts/NAME.sh ACTION with our VAR_DIR and BUILD."""
    env = dict(os.environ, VAR_DIR=VAR_DIR, BUILD=BUILD)
    subprocess.run([os.path.join(ROOT, "scripts", name + ".sh"), action], cwd=ROOT, env=env,
                   check=True, stdout=subprocess.DEVNULL)


def write_env():
    """Writes the configuration file of the tested programs from the stack's state."""
    state = read_env(STATE)
    lines = [
        "DB_HOST=127.0.0.1",
        "DB_PORT=" + state["DB_PORT"],
        "DB_NAME=cv_evaluator",
        "DB_USER=cv_evaluator",
        "DB_PASSWORD_FILE=" + os.path.join(VAR_DIR, "secrets", "db_password"),
        "KAFKA_BROKERS=" + state["KAFKA_BROKERS"],
        # The mock cluster rebalances only after a session timeout: keep it short.
        "KAFKA_SESSION_TIMEOUT_MS=6000",
        "KB_DIR=" + os.path.join(ROOT, "kb"),
        "PROMPTS_DIR=" + os.path.join(ROOT, "prompts"),
    ]
    with open(CV_ENV + ".tmp", "w", encoding="utf-8") as handle:
        handle.write("\n".join(lines) + "\n")
    os.replace(CV_ENV + ".tmp", CV_ENV)


def cvctl(*args, timeout=90):
    """Runs cvctl with the test configuration; returns the CompletedProcess."""
    return subprocess.run([os.path.join(BUILD, "cvctl")] + list(args), cwd=ROOT,
                          capture_output=True, timeout=timeout,
                          env=dict(os.environ, CV_CONFIG_FILE=CV_ENV))


def start_broker():
    """Starts the development broker (new ports when it was stopped) and rewrites the env."""
    script("broker", "start")
    write_env()
    out = cvctl("wait-ready", "--timeout-ms", "60000")
    if out.returncode != 0:
        raise RuntimeError("stack not ready: " + out.stderr.decode())


def prepare_stack():
    """Starts PostgreSQL and the broker, applies migrations and loads the knowledge base."""
    script("pg", "start")
    start_broker()
    for step in (("migrate",), ("kb-load",)):
        out = cvctl(*step)
        if out.returncode != 0:
            raise RuntimeError("cvctl %s failed: %s" % (step[0], out.stderr.decode()))


def connect():
    """Opens an autocommit connection as the service's database role."""
    env = read_env()
    with open(env["DB_PASSWORD_FILE"], encoding="utf-8") as handle:
        password = handle.read().strip()
    conn = psycopg2.connect(host=env["DB_HOST"], port=env["DB_PORT"], dbname=env["DB_NAME"],
                            user=env["DB_USER"], password=password,
                            options="-c statement_timeout=30000")
    conn.autocommit = True
    return conn


def sql(query, params=None):
    """Runs one statement on a fresh connection and returns its rows (or [])."""
    conn = connect()
    try:
        with conn.cursor() as cur:
            cur.execute(query, params)
            return cur.fetchall() if cur.description is not None else []
    finally:
        conn.close()


def reset_jobs():
    """Deletes every job and result, keeping uploads and the knowledge base."""
    sql("DELETE FROM results")
    sql("DELETE FROM kb_documents WHERE job_id IS NOT NULL")
    sql("DELETE FROM jobs")


def _document(kind):
    """Returns (name, text) of a real text document of kind 'cv' or 'project'."""
    folder = "cv" if kind == "cv" else "report"
    names = sorted(glob.glob(os.path.join(CORPUS, folder, "*.txt")))
    if names:
        with open(names[0], encoding="utf-8") as handle:
            return os.path.basename(names[0]), handle.read()
    # Without ../shared the project's own knowledge-base files stand in.
    path = os.path.join(ROOT, "kb", "job_description.md" if kind == "cv" else
                        "case_study_brief.md")
    with open(path, encoding="utf-8") as handle:
        return os.path.basename(path), handle.read()


def make_uploads():
    """Inserts a CV and a project upload; returns their ids."""
    ids = []
    for kind in ("cv", "project"):
        name, text = _document(kind)
        upload_id = str(uuid.uuid4())
        data = text.encode("utf-8")
        sql("INSERT INTO uploads (id, kind, filename, media_type, size_bytes, sha256, "
            "text_content) VALUES (%s, %s, %s, 'text/plain', %s, %s, %s)",
            (upload_id, kind, name, len(data), hashlib.sha256(data).hexdigest(), text))
        ids.append(upload_id)
    return ids[0], ids[1]


def insert_job(uploads, status="queued", **columns):
    """Inserts a job row with the given status and extra columns; returns its id."""
    job_id = str(uuid.uuid4())
    values = {"id": job_id, "cv_id": uploads[0], "project_id": uploads[1], "status": status,
              "request_id": "req-" + job_id[:8]}
    values.update(columns)
    names = ", ".join(values)
    marks = ", ".join("%s" for _ in values)
    sql("INSERT INTO jobs (%s) VALUES (%s)" % (names, marks), tuple(values.values()))
    return job_id


def send_messages(job_ids, brokers=None, request_id="test"):
    """Produces the wake-up message of each job, keyed by job id, with kcat."""
    brokers = brokers or read_env()["KAFKA_BROKERS"]
    lines = "".join("%s|%s\n" % (job_id, json.dumps({"job_id": job_id,
                                                      "request_id": "req-" + job_id[:8]}))
                    for job_id in job_ids)
    subprocess.run(["kcat", "-P", "-b", brokers, "-t", "evaluate-jobs", "-K", "|",
                    "-H", "request_id=" + request_id], input=lines.encode(), check=True,
                   timeout=30)


def send_raw(value, brokers=None):
    """Produces one message with an arbitrary value and no key."""
    brokers = brokers or read_env()["KAFKA_BROKERS"]
    subprocess.run(["kcat", "-P", "-b", brokers, "-t", "evaluate-jobs"], input=value,
                   check=True, timeout=30)


def read_dead_letters(brokers=None):
    """Returns the dead-letter topic's messages as 'headers|value' lines."""
    brokers = brokers or read_env()["KAFKA_BROKERS"]
    out = subprocess.run(["kcat", "-C", "-b", brokers, "-t", "evaluate-jobs-dlq", "-o",
                          "beginning", "-e", "-q", "-f", "%h|%s\\n"], capture_output=True,
                         check=True, timeout=30)
    return out.stdout.decode(errors="replace").splitlines()


def free_port():
    return int(cvctl("free-port").stdout.decode().strip())


def wait_until(predicate, timeout_s, what):
    """Polls predicate until it returns a true value; raises AssertionError on timeout."""
    deadline = time.monotonic() + timeout_s
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("timed out after %ss waiting for %s" % (timeout_s, what))
        time.sleep(0.1)


def statuses(job_ids):
    """Returns {job_id: status} for the given jobs."""
    rows = sql("SELECT id::text, status FROM jobs WHERE id = ANY(%s::uuid[])", (list(job_ids),))
    return dict(rows)


def all_status(job_ids, status):
    current = statuses(job_ids)
    return len(current) == len(job_ids) and all(s == status for s in current.values())


class Worker:
    """One cv-worker process with its own log file and HTTP port."""

    def __init__(self, name, group, **settings):
        self.name = name
        self.port = free_port()
        self.log_path = os.path.join(LOG_DIR, "%s.log" % name)
        os.makedirs(LOG_DIR, exist_ok=True)
        env = dict(os.environ)
        env.update(FAST_TIMINGS)
        env.update({"CV_CONFIG_FILE": CV_ENV, "KAFKA_GROUP_ID": group, "WORKER_ID": name,
                    "WORKER_HTTP_PORT": str(self.port), "CONSUMER_MAX_CONCURRENCY": "4"})
        env.update({key: str(value) for key, value in settings.items()})
        self.log = open(self.log_path, "w", encoding="utf-8")
        self.proc = subprocess.Popen([os.path.join(BUILD, "cv-worker")], env=env,
                                     stdout=self.log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL)

    def lines(self, event=None):
        """Returns the log lines so far, only those of event when given."""
        with open(self.log_path, encoding="utf-8", errors="replace") as handle:
            lines = handle.read().splitlines()
        if event is not None:
            lines = [line for line in lines if (" event=%s " % event) in line + " "]
        return lines

    def http(self, path):
        """Returns (status, body) of GET path on the worker's endpoint."""
        try:
            with urllib.request.urlopen("http://127.0.0.1:%d%s" % (self.port, path),
                                        timeout=5) as reply:
                return reply.status, reply.read().decode()
        except urllib.error.HTTPError as err:
            return err.code, err.read().decode()

    def metric(self, name):
        """Returns the value of one metric line ('jobs_total{outcome="completed"}')."""
        status, body = self.http("/metrics")
        if status != 200:
            return None
        for line in body.splitlines():
            if line.startswith(name + " "):
                return float(line.split()[-1])
        return None

    def wait_ready(self, timeout_s=30):
        wait_until(lambda: self._ready(), timeout_s, "%s /readyz" % self.name)

    def _ready(self):
        try:
            return self.http("/readyz")[0] == 200 and bool(self.lines("consumer.assign"))
        except OSError:
            return False

    def stop(self, timeout_s=40):
        """Sends SIGTERM and returns the exit status."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            status = self.proc.wait(timeout=timeout_s)
        finally:
            self.log.close()
        return status

    def kill(self):
        """Kills the process with SIGKILL, as a crash would."""
        self.proc.kill()
        self.proc.wait(timeout=10)
        self.log.close()

    def ensure_stopped(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)
        if not self.log.closed:
            self.log.close()


class TableLock:
    """Holds a table lock in an open transaction, to keep jobs in flight on demand."""

    def __init__(self, table, mode):
        self.conn = connect()
        self.conn.autocommit = False
        with self.conn.cursor() as cur:
            cur.execute("LOCK TABLE %s IN %s MODE" % (table, mode))

    def release(self):
        if self.conn is not None:
            self.conn.rollback()
            self.conn.close()
            self.conn = None
