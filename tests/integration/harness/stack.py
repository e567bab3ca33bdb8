"""The service under test: a stack of this checkout started by scripts/stack.sh with its
own VAR_DIR and free ports, and what the tests need to reach it."""

import os
import socket
import subprocess

from harness.client import Client
from harness.db import Db
from harness.logs import Logs


class Skip(Exception):
    """Raised by a test, or by Stack.require, when the test cannot run here."""


def free_port():
    """Return a TCP port of 127.0.0.1 that was free when checked."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def read_state(path):
    """Parse the KEY=value lines of a state file; a later line wins."""
    state = {}
    try:
        with open(path, encoding="utf-8") as fp:
            for line in fp:
                key, sep, value = line.rstrip("\n").partition("=")
                if sep:
                    state[key] = value
    except FileNotFoundError:
        pass
    return state


class Stack:
    """One stack of the service, driven through scripts/stack.sh.

    settings are extra environment variables for stack.sh (ports, limits); the
    environment of this process passes through as well, so sanitizer options reach
    every program.
    """

    def __init__(self, root, build, var_dir, settings=None):
        self.root = os.path.abspath(root)
        self.build = os.path.join(self.root, build) if not os.path.isabs(build) else build
        self.var_dir = os.path.join(self.root, var_dir) if not os.path.isabs(var_dir) else var_dir
        self.settings = dict(settings or {})
        self.state = {}
        self.log_path = os.path.join(self.var_dir, "stack.log")

    def _run_script(self, command, timeout_s):
        env = dict(os.environ)
        env.update(self.settings)
        env["VAR_DIR"] = self.var_dir
        env["BUILD"] = self.build
        # A sanitizer whose log_path folder is missing aborts the program it runs in.
        os.makedirs(os.path.join(self.var_dir, "log"), exist_ok=True)
        with open(self.log_path, "a", encoding="utf-8") as log:
            log.write(f"$ scripts/stack.sh {command}\n")
            log.flush()
            # A session of its own keeps Ctrl-C away from stack.sh: killed halfway, it
            # could leave a process whose pid file is not written yet, which stop would
            # miss. On an interruption the script is left to finish, then re-raised.
            proc = subprocess.Popen(
                [os.path.join(self.root, "scripts", "stack.sh"), command],
                env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True)
            try:
                return proc.wait(timeout=timeout_s)
            except BaseException:
                print(f"waiting for scripts/stack.sh {command} to finish", flush=True)
                try:
                    proc.wait(timeout=timeout_s)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
                raise

    def log_tail(self, lines=30):
        """Return the last lines of what stack.sh printed."""
        try:
            with open(self.log_path, encoding="utf-8", errors="replace") as fp:
                return "".join(fp.readlines()[-lines:])
        except FileNotFoundError:
            return ""

    def clean(self):
        """Stop whatever an earlier run left and delete VAR_DIR, for a fresh database."""
        if not os.path.isdir(self.var_dir):
            return
        env = dict(os.environ, VAR_DIR=self.var_dir, BUILD=self.build)
        subprocess.run([os.path.join(self.root, "scripts", "stack.sh"), "clean"],
                       env=env, stdin=subprocess.DEVNULL, timeout=300, check=True)

    def start(self):
        """Start every component; raise RuntimeError with stack.sh's output on failure."""
        status = self._run_script("start", 600)
        self.state = read_state(os.path.join(self.var_dir, "state.env"))
        if status != 0:
            raise RuntimeError(f"scripts/stack.sh start failed with status {status}:\n"
                               + self.log_tail())

    def stop(self):
        """Stop every component that start started; return stack.sh's exit status."""
        return self._run_script("stop", 300)

    def require(self, *programs):
        """Fail the calling test unless every program named (cv-api, cv-worker) runs.

        A test that needs a program which crashed earlier then fails with that reason
        instead of with a confusing status code."""
        pid_files = {"cv-api": "api.pids", "cv-worker": "worker.pid"}
        for program in programs:
            path = os.path.join(self.var_dir, "run", pid_files[program])
            try:
                with open(path) as fh:
                    pids = [int(line) for line in fh.read().split() if line.strip()]
            except (OSError, ValueError):
                pids = []
            alive = [pid for pid in pids if os.path.exists(f"/proc/{pid}")]
            assert alive, f"{program} is not running (pid file {path})"

    def client(self, port_key="HTTP_PORT"):
        """Return a client of the web server whose port the state records under port_key."""
        port = self.state.get(port_key)
        if not port:
            raise Skip(f"{port_key} is not set for this run")
        return Client(self.state.get("HTTP_ADDR", "127.0.0.1"), int(port))

    @property
    def api(self):
        """Client of the public port (nginx unless WEB_SERVER names lighttpd)."""
        return self.client("HTTP_PORT")

    @property
    def strict(self):
        """Client of the nginx server with the tight rate limit."""
        return self.client("NGINX_STRICT_PORT")

    @property
    def lighttpd(self):
        """Client of lighttpd, which serves the same socket beside nginx."""
        return self.client("LIGHTTPD_PORT")

    @property
    def db(self):
        return Db(self.state, self.var_dir)

    @property
    def logs(self):
        return Logs(self.var_dir)

    def samples(self):
        """Return (cv, project report) paths: the repository's samples/, else documents
        of the shared corpus beside the checkout; Skip when neither exists."""
        folder = os.path.join(self.root, "samples")
        names = sorted(os.listdir(folder)) if os.path.isdir(folder) else []
        cv = next((n for n in names if n.startswith("cv.")), None)
        project = next((n for n in names if n.startswith("project-report.")), None)
        if cv and project:
            return os.path.join(folder, cv), os.path.join(folder, project)
        corpus = self.corpus_dir()
        if corpus:
            return (os.path.join(corpus, "cv", "sb2nov_sourabh_bajaj_resume.pdf"),
                    os.path.join(corpus, "report", "rchmt_study_case_submission.docx"))
        raise Skip("no samples/cv.* and samples/project-report.*, and no corpus")

    def corpus_dir(self):
        """Return the shared corpus folder beside the checkout, or None."""
        path = os.path.normpath(os.path.join(self.root, "..", "shared", "corpus"))
        return path if os.path.isfile(os.path.join(path, "MANIFEST.tsv")) else None
