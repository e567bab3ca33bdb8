#!/usr/bin/python3
"""HTTP throughput of the API through nginx, with two baselines measured in the same run.

Starts a stack of this checkout (PostgreSQL, the development broker, responders, nginx,
worker) in its own VAR_DIR. It creates one completed job, then stops the worker for the
rest of the run, so queued jobs only accumulate and no evaluation competes for the two
cores. It adds two baseline servers to the same nginx (tests/bench/bench-nginx.conf.in):
(a) nginx returning a constant JSON body, and (b) tests/bench/minimal_fcgi.c, spawned
by spawn-fcgi with the same options and the same N as cv-api. Then, for each run and
each responder count N, it restarts both sets of responders with N processes and
drives every row with wrk: the same threads, connections, warm-up and duration for all.

Each row reports requests/s, p50 and p99 latency, and its throughput as a fraction of
the two baselines measured in the same run and block. It also reports the status codes
from nginx's access log, wrk's socket errors, and the peak RSS (VmHWM) of the busiest
responder during the row. A second table shows the CPU time per request of each process
group, from /proc/<pid>/stat, and what the rest of the machine used. The PDF extraction of
samples/cv.pdf is compared with pdftotext by tests/bench/pdf-compare.sh --files.

    tests/bench/bench_api.py [--build DIR] [--responders 2,4] [--runs 3] [--duration 10]
                             [--warmup 2] [--connections 16] [--threads 2]
                             [--rows NAME,...] [--pdf-runs 5] [--var-dir DIR]

Exit status: 0 when every row got only its expected statuses and wrk saw no socket
error, 1 otherwise.
"""

import argparse
import collections
import datetime
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))

from harness import Stack, encode_multipart  # noqa: E402  (needs the path above)
from harness.stack import free_port  # noqa: E402

WRK = "/usr/bin/wrk"
SPAWN_FCGI = "/usr/bin/spawn-fcgi"
NGINX = "/usr/sbin/nginx"
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")

# Seconds wrk waits for one response before counting a timeout. A PDF upload queued
# behind 16 others on two responders takes well under this.
WRK_TIMEOUT_S = 10

# Seconds to wait after wrk ends, so that nginx has logged the requests that were still
# in flight (as 499) before the access log is read.
SETTLE_S = 0.5

# Seconds the completed job of the result rows may take to be evaluated.
JOB_TIMEOUT_S = 120

# Where the nginx of the stack reaches the bench servers, and the rate limit that keeps
# the API server's limit_req from rejecting benchmark traffic while it still runs.
BENCH_ADDR = "127.0.0.1"
RATE_LIMIT = "1000000r/s"
RATE_LIMIT_BURST = "1000000"

# Uploads one client address may have in progress, far above --connections.
UPLOADS_PER_CLIENT = 4096

# Status 499 is nginx's record of a client that closed its connection first. wrk does
# that to the requests in flight when its time is up, so 499 is counted apart.
CLIENT_CLOSED = 499


class Row:
    """One wrk run: a request sent to one server, and the statuses it must return."""

    def __init__(self, name, label, server, method, path, expected, rss, headers=(),
                 body=None):
        self.name = name
        self.label = label
        self.server = server          # "const", "minimal" or "api"
        self.method = method
        self.path = path              # may contain {job}
        self.expected = expected      # set of statuses
        self.rss = rss                # responders whose peak RSS is reported, or None
        self.headers = headers        # "Name: value" lines, may contain {etag}
        self.body = body              # key of a body file, or None


ROWS = [
    Row("const", "(a) nginx constant", "const", "GET", "/healthz", {200}, None),
    Row("minimal", "(b) minimal libfcgi", "minimal", "GET", "/healthz", {200}, "minimal"),
    Row("healthz", "GET /healthz", "api", "GET", "/healthz", {200}, "api"),
    Row("result", "GET /v1/result/{id}", "api", "GET", "/v1/result/{job}", {200}, "api"),
    Row("result_304", "GET /v1/result/{id}, If-None-Match", "api", "GET",
        "/v1/result/{job}", {304}, "api", headers=("If-None-Match: {etag}",)),
    Row("evaluate", "POST /v1/evaluate", "api", "POST", "/v1/evaluate", {202}, "api",
        headers=("Content-Type: application/json",), body="evaluate"),
    Row("upload_text", "POST /v1/upload, text pair", "api", "POST", "/v1/upload", {200},
        "api", body="upload_text"),
    Row("upload_docs", "POST /v1/upload, PDF + DOCX", "api", "POST", "/v1/upload", {200},
        "api", body="upload_docs"),
]

# Process groups of the CPU table, in column order.
GROUPS = ("responders", "postgres", "nginx", "broker", "wrk")


def stack_settings(first_count):
    return {
        "HTTP_ADDR": "127.0.0.1",
        "HTTP_PORT": str(free_port()),
        "WORKER_HTTP_PORT": str(free_port()),
        "DB_PORT": str(free_port()),
        "WEB_SERVER": "nginx",
        "API_RESPONDERS": str(first_count),
        "RATE_LIMIT": RATE_LIMIT,
        "RATE_LIMIT_BURST": RATE_LIMIT_BURST,
        # wrk's connections all come from one address.
        "UPLOADS_PER_CLIENT": str(UPLOADS_PER_CLIENT),
    }


def script_env(stack, extra=None):
    env = dict(os.environ)
    env.update(stack.settings)
    env.update(extra or {})
    env["VAR_DIR"] = stack.var_dir
    env["BUILD"] = stack.build
    env["CV_CONFIG_FILE"] = os.path.join(stack.var_dir, "cv.env")
    return env


def run_script(stack, name, command, extra=None):
    """Run scripts/<name>.sh command; raise RuntimeError with its output on failure."""
    proc = subprocess.run([os.path.join(ROOT, "scripts", name + ".sh"), command],
                          env=script_env(stack, extra), stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, timeout=120, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"scripts/{name}.sh {command} failed:\n{proc.stdout}{proc.stderr}")


def read_pids(path):
    try:
        with open(path, encoding="ascii") as fp:
            return [int(word) for word in fp.read().split()]
    except (OSError, ValueError):
        return []


# ---- the baseline servers ----

class Minimal:
    """The minimal responders: spawn-fcgi -F N on their own socket, as api.sh does."""

    def __init__(self, stack):
        self.binary = os.path.join(stack.build, "bench", "minimal_fcgi")
        self.socket = os.path.join(stack.state["WEB_DIR"], "bench-minimal.sock")
        self.pid_file = os.path.join(stack.var_dir, "run", "bench-minimal.pids")
        self.log = os.path.join(stack.var_dir, "log", "bench-minimal.log")

    def pids(self):
        return [pid for pid in read_pids(self.pid_file) if os.path.exists(f"/proc/{pid}")]

    def start(self, count):
        # The socket options of scripts/api.sh: the web server's group may connect.
        options = ["-M", "0600"]
        if os.geteuid() == 0:
            options = ["-M", "0660", "-G", "www-data"]
        with open(self.log, "a", encoding="utf-8") as log:
            subprocess.run([SPAWN_FCGI, "-F", str(count), "-s", self.socket, *options,
                            "-P", self.pid_file, "--", self.binary],
                           stdin=subprocess.DEVNULL, stdout=log, stderr=log, timeout=30,
                           check=True)
        if len(self.pids()) != count:
            raise RuntimeError(f"only {len(self.pids())} of {count} minimal responders run; "
                               f"see {self.log}")

    def stop(self):
        pids = self.pids()
        for pid in pids:
            os.kill(pid, 15)
        deadline = time.monotonic() + 10
        while any(os.path.exists(f"/proc/{pid}") for pid in pids):
            if time.monotonic() > deadline:
                for pid in pids:
                    if os.path.exists(f"/proc/{pid}"):
                        os.kill(pid, 9)
                break
            time.sleep(0.05)
        for path in (self.pid_file, self.socket):
            if os.path.exists(path):
                os.unlink(path)


def nginx_command(stack, *args):
    nginx_dir = os.path.join(stack.var_dir, "nginx")
    return [NGINX, "-p", nginx_dir, "-c", os.path.join(nginx_dir, "nginx.conf"),
            "-e", os.path.join(stack.var_dir, "log", "nginx-error.log"), *args]


def add_bench_servers(stack, minimal, const_port, minimal_port):
    """Render the baseline servers into the stack's nginx and reload it."""
    nginx_dir = os.path.join(stack.var_dir, "nginx")
    values = {
        "BENCH_ADDR": BENCH_ADDR,
        "CONST_PORT": str(const_port),
        "MINIMAL_PORT": str(minimal_port),
        "MINIMAL_SOCKET": minimal.socket,
        "NGINX_DIR": nginx_dir,
    }
    with open(os.path.join(HERE, "bench-nginx.conf.in"), encoding="utf-8") as fp:
        text = fp.read()
    for name, value in values.items():
        text = text.replace(f"@{name}@", value)
    with open(os.path.join(nginx_dir, "servers", "bench.conf"), "w", encoding="utf-8") as fp:
        fp.write(text)
    for args in (("-t", "-q"), ("-s", "reload")):
        proc = subprocess.run(nginx_command(stack, *args), capture_output=True, text=True,
                              timeout=30, check=False)
        if proc.returncode != 0:
            raise RuntimeError(f"nginx {' '.join(args)} failed: {proc.stderr}")


def wait_status(url, status, timeout_s=30):
    """Poll url until it returns status; raise RuntimeError after timeout_s."""
    deadline = time.monotonic() + timeout_s
    last = None
    while time.monotonic() < deadline:
        proc = subprocess.run(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}",
                               "--max-time", "2", url], capture_output=True, text=True,
                              timeout=10, check=False)
        last = proc.stdout
        if last == str(status):
            return
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not return {status} within {timeout_s} s (last: {last})")


# ---- the data the rows need ----

def sample_paths():
    samples = os.path.join(ROOT, "samples")
    return {
        "cv_text": os.path.join(samples, "src", "cv.md"),
        "project_text": os.path.join(samples, "src", "project-report.md"),
        "cv_doc": os.path.join(samples, "cv.pdf"),
        "project_doc": os.path.join(samples, "project-report.docx"),
    }


def read_bytes(path):
    with open(path, "rb") as fp:
        return fp.read()


def write_bodies(folder, paths, ids):
    """Write the request bodies; return {key: (path, content type, size in bytes)}."""
    os.makedirs(folder, exist_ok=True)
    bodies = {}
    pairs = {
        "upload_text": [("cv", "cv.md", read_bytes(paths["cv_text"]), "text/markdown"),
                        ("project", "project-report.md", read_bytes(paths["project_text"]),
                         "text/markdown")],
        "upload_docs": [("cv", "cv.pdf", read_bytes(paths["cv_doc"]), "application/pdf"),
                        ("project", "project-report.docx", read_bytes(paths["project_doc"]),
                         "application/vnd.openxmlformats-officedocument."
                         "wordprocessingml.document")],
    }
    for key, fields in pairs.items():
        body, content_type = encode_multipart(fields, boundary="bench-api-" + key)
        bodies[key] = (body, content_type)
    bodies["evaluate"] = (json.dumps({"cv_id": ids["cv_id"],
                                      "project_id": ids["project_id"]}).encode("utf-8"),
                          "application/json")
    files = {}
    for key, (body, content_type) in bodies.items():
        path = os.path.join(folder, key + ".body")
        with open(path, "wb") as fp:
            fp.write(body)
        files[key] = (path, content_type, len(body))
    return files


def prepare_job(stack, paths):
    """Upload the text pair and evaluate it with the worker running; return the upload
    ids, the completed job's id and its ETag."""
    client = stack.api
    resp = client.upload(paths["cv_text"], paths["project_text"])
    if resp.status != 200:
        raise RuntimeError(f"upload failed: {resp}")
    ids = resp.json()
    resp = client.post_json("/v1/evaluate", {"cv_id": ids["cv_id"],
                                             "project_id": ids["project_id"]})
    if resp.status not in (200, 202):
        raise RuntimeError(f"evaluate failed: {resp}")
    job = resp.json()["id"]
    doc = client.poll_result(job, timeout_s=JOB_TIMEOUT_S)
    if doc.get("status") != "completed":
        raise RuntimeError(f"job {job} ended {doc.get('status')}: {doc}")
    resp = client.get(f"/v1/result/{job}")
    etag = resp.header("ETag")
    if resp.status != 200 or not etag:
        raise RuntimeError(f"result of {job} has no ETag: {resp}")
    return ids, job, etag


# ---- measurements from /proc ----

def proc_ticks(pid, with_children=False):
    """CPU clock ticks of pid (user + system), plus those of its reaped children when
    with_children is set; 0 when the process is gone."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as fp:
            fields = fp.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0
    # fields[0] is field 3 of proc(5): utime is field 14, stime 15, cutime 16, cstime 17.
    ticks = int(fields[11]) + int(fields[12])
    if with_children:
        ticks += int(fields[13]) + int(fields[14])
    return ticks


def children_of(parent):
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="ascii") as fp:
                fields = fp.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == parent:
            found.append(int(entry))
    return found


def machine_ticks():
    """(busy, total) clock ticks of all cores since boot, from /proc/stat."""
    with open("/proc/stat", encoding="ascii") as fp:
        values = [int(v) for v in fp.readline().split()[1:]]
    idle = values[3] + values[4]   # idle and iowait
    return sum(values) - idle, sum(values)


class Processes:
    """The pids of each process group of the stack, looked up when sampled."""

    def __init__(self, stack, minimal):
        self.stack = stack
        self.minimal = minimal
        run = os.path.join(stack.var_dir, "run")
        self.api_pid_file = os.path.join(run, "api.pids")
        self.broker_pid_file = os.path.join(run, "broker.pid")
        self.nginx_pid_file = os.path.join(stack.var_dir, "nginx", "nginx.pid")
        self.pg_pid_file = os.path.join(stack.state["PG_DATA_DIR"], "postmaster.pid")

    def responders(self, kind):
        if kind == "minimal":
            return self.minimal.pids()
        return [pid for pid in read_pids(self.api_pid_file) if os.path.exists(f"/proc/{pid}")]

    def with_children(self, pid_file):
        """The process whose pid is the first line of pid_file, and its children."""
        try:
            with open(pid_file, encoding="utf-8") as fp:
                pid = int(fp.readline())
        except (OSError, ValueError):
            return []
        return [pid] + children_of(pid)

    def sample(self):
        """Return {group: ticks} and the machine's (busy, total) ticks."""
        ticks = {
            # The forked PDF extraction children are reaped, so they count here.
            "responders": sum(proc_ticks(p, True) for p in self.responders("api")
                              + self.minimal.pids()),
            "postgres": sum(proc_ticks(p) for p in self.with_children(self.pg_pid_file)),
            "nginx": sum(proc_ticks(p) for p in self.with_children(self.nginx_pid_file)),
            "broker": sum(proc_ticks(p) for p in read_pids(self.broker_pid_file)[:1]),
            "wrk": resource.getrusage(resource.RUSAGE_CHILDREN),
        }
        usage = ticks["wrk"]
        ticks["wrk"] = round((usage.ru_utime + usage.ru_stime) * CLOCK_TICKS)
        return ticks, machine_ticks()


def reset_peak(pids):
    """Reset the VmHWM of pids to their current RSS (proc(5), clear_refs value 5)."""
    for pid in pids:
        try:
            with open(f"/proc/{pid}/clear_refs", "w", encoding="ascii") as fp:
                fp.write("5")
        except OSError:
            pass


def peak_kib(pids):
    """The largest VmHWM among pids, in KiB."""
    peak = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/status", encoding="ascii") as fp:
                for line in fp:
                    if line.startswith("VmHWM:"):
                        peak = max(peak, int(line.split()[1]))
        except OSError:
            pass
    return peak


# ---- one wrk run ----

def run_wrk(args, url, row_env, seconds, out_path):
    """Run wrk for seconds against url; return the figures of wrk_report.lua."""
    command = [WRK, "-t", str(args.threads), "-c", str(args.connections), "-d", f"{seconds}s",
               "--timeout", f"{WRK_TIMEOUT_S}s", "--latency",
               "-s", os.path.join(HERE, "wrk_report.lua"), url]
    proc = subprocess.run(command, env=dict(os.environ, **row_env), capture_output=True,
                          text=True, timeout=seconds + 60, check=False)
    with open(out_path, "w", encoding="utf-8") as fp:
        fp.write(" ".join(command) + "\n" + proc.stdout + proc.stderr)
    if proc.returncode != 0:
        raise RuntimeError(f"wrk failed with status {proc.returncode}: {proc.stderr}")
    for line in proc.stdout.splitlines():
        if line.startswith("BENCH_RESULT "):
            return json.loads(line[len("BENCH_RESULT "):])
    raise RuntimeError(f"wrk printed no BENCH_RESULT line; see {out_path}")


def count_statuses(log_path):
    counts = collections.Counter()
    with open(log_path, encoding="utf-8", errors="replace") as fp:
        for line in fp:
            start = line.find(" status=")
            if start >= 0:
                counts[int(line[start + 8:start + 11])] += 1
    return counts


def measure(args, ctx, row, run_index, count):
    """Warm up, then measure row once; return a dict of its figures."""
    port = ctx["ports"][row.server]
    url = f"http://127.0.0.1:{port}" + row.path.format(job=ctx["job"])
    row_env = {"BENCH_METHOD": row.method, "BENCH_BODY_FILE": "", "BENCH_HEADERS": ""}
    headers = [h.format(etag=ctx["etag"]) for h in row.headers]
    body_len = 0
    if row.body is not None:
        path, content_type, body_len = ctx["bodies"][row.body]
        row_env["BENCH_BODY_FILE"] = path
        if not any(h.lower().startswith("content-type:") for h in headers):
            headers.append("Content-Type: " + content_type)
    row_env["BENCH_HEADERS"] = "\n".join(headers)
    stem = os.path.join(ctx["out_dir"], f"run{run_index}-n{count}-{row.name}")

    if args.warmup > 0:
        run_wrk(args, url, row_env, args.warmup, stem + "-warmup.txt")
        time.sleep(SETTLE_S)
    procs = ctx["procs"]
    rss_pids = procs.responders(row.rss) if row.rss else []
    reset_peak(rss_pids)
    with open(ctx["access_log"], "w", encoding="utf-8"):
        pass   # nginx appends (O_APPEND), so it goes on writing at the new end
    before, machine_before = procs.sample()
    figures = run_wrk(args, url, row_env, args.duration, stem + ".txt")
    after, machine_after = procs.sample()
    time.sleep(SETTLE_S)
    statuses = count_statuses(ctx["access_log"])

    requests = max(figures["requests"], 1)
    seconds = figures["duration_us"] / 1e6
    cpu_us = {g: (after[g] - before[g]) / CLOCK_TICKS * 1e6 / requests for g in GROUPS}
    busy = machine_after[0] - machine_before[0]
    total = max(machine_after[1] - machine_before[1], 1)
    cpu_us["other"] = max(busy - sum(after[g] - before[g] for g in GROUPS), 0) \
        / CLOCK_TICKS * 1e6 / requests
    unexpected = sum(n for s, n in statuses.items()
                     if s not in row.expected and s != CLIENT_CLOSED)
    return {
        "rps": figures["requests"] / seconds,
        "p50_ms": figures["p50_us"] / 1000.0,
        "p99_ms": figures["p99_us"] / 1000.0,
        "mb_s": (figures["requests"] * body_len / seconds / 1e6
                 if row.body is not None and row.body.startswith("upload") else None),
        "statuses": dict(statuses),
        "unexpected": unexpected,
        "socket_errors": figures["connect_errors"] + figures["read_errors"]
                         + figures["write_errors"] + figures["timeouts"],
        "peak_mib": peak_kib(rss_pids) / 1024.0 if rss_pids else None,
        "cpu_us": cpu_us,
        "busy": busy / total,
    }


# ---- one block: N responders, every row ----

def set_responders(stack, ctx, count):
    run_script(stack, "api", "stop")
    run_script(stack, "api", "start", {"API_RESPONDERS": str(count)})
    ctx["minimal"].stop()
    ctx["minimal"].start(count)
    wait_status(f"http://127.0.0.1:{ctx['ports']['api']}/readyz", 200)
    wait_status(f"http://127.0.0.1:{ctx['ports']['minimal']}/healthz", 200)


def run_block(args, stack, ctx, rows, run_index, count):
    set_responders(stack, ctx, count)
    results = {}
    for row in rows:
        result = measure(args, ctx, row, run_index, count)
        results[row.name] = result
        base = results.get("const")
        minimal = results.get("minimal")
        print(f"  run {run_index} N={count} {row.label:<36} {result['rps']:>9.1f} req/s"
              f"  p50 {result['p50_ms']:.2f} ms  p99 {result['p99_ms']:.2f} ms"
              f"  vs (a) {ratio_text(result['rps'], base)}  vs (b) "
              f"{ratio_text(result['rps'], minimal)}  statuses {format_statuses(result)}"
              f"  load {os.getloadavg()[0]:.2f}", flush=True)
    return results


def ratio_text(rps, base):
    if base is None:
        return "-"
    return f"{rps / base['rps']:.3f}"


def format_statuses(result):
    return " ".join(f"{s}x{n}" for s, n in sorted(result["statuses"].items()))


# ---- the tables ----

def median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def summarise(rows, blocks):
    """Medians over the runs of one N: {row name: figures}."""
    summary = {}
    for row in rows:
        runs = [block[row.name] for block in blocks]
        ratios_a = [b[row.name]["rps"] / b["const"]["rps"] for b in blocks if "const" in b]
        ratios_b = [b[row.name]["rps"] / b["minimal"]["rps"] for b in blocks if "minimal" in b]
        summary[row.name] = {
            "rps": median([r["rps"] for r in runs]),
            "rps_all": [r["rps"] for r in runs],
            "p50_ms": median([r["p50_ms"] for r in runs]),
            "p99_ms": median([r["p99_ms"] for r in runs]),
            "mb_s": median([r["mb_s"] for r in runs]),
            "ratio_a": median(ratios_a),
            "ratio_b": median(ratios_b),
            "unexpected": sum(r["unexpected"] for r in runs),
            "socket_errors": sum(r["socket_errors"] for r in runs),
            "expected": sum(n for r in runs for s, n in r["statuses"].items()
                            if s in row.expected),
            "peak_mib": median([r["peak_mib"] for r in runs]),
            "cpu_us": {g: median([r["cpu_us"][g] for r in runs]) for g in GROUPS + ("other",)},
            "busy": median([r["busy"] for r in runs]),
        }
    return summary


def fmt(value, spec, empty="-"):
    return empty if value is None else format(value, spec)


def print_tables(rows, count, summary):
    minimal_mib = summary.get("minimal", {}).get("peak_mib")
    print(f"\n{count} responders, medians of the runs:\n")
    print("| row | req/s | p50 ms | p99 ms | vs (a) | vs (b) | MB/s | expected status | "
          "other status | socket errors | peak RSS MiB (x minimal) |")
    print("|---|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|")
    for row in rows:
        s = summary[row.name]
        rss = fmt(s["peak_mib"], ".1f")
        if s["peak_mib"] is not None and minimal_mib and row.name != "minimal":
            rss += f" (x{s['peak_mib'] / minimal_mib:.1f})"
        expected = "/".join(str(x) for x in sorted(row.expected))
        print(f"| {row.label} | {s['rps']:.0f} | {s['p50_ms']:.2f} | {s['p99_ms']:.2f} | "
              f"{fmt(s['ratio_a'], '.3f')} | {fmt(s['ratio_b'], '.3f')} | "
              f"{fmt(s['mb_s'], '.1f')} | {expected} x {s['expected']} | {s['unexpected']} | "
              f"{s['socket_errors']} | {rss} |")
    print(f"\n{count} responders, CPU time per request in microseconds (medians), and how "
          "busy both cores were:\n")
    print("| row | " + " | ".join(GROUPS) + " | other processes | cores busy |")
    print("|---|" + "---:|" * (len(GROUPS) + 2))
    for row in rows:
        s = summary[row.name]
        cells = " | ".join(f"{s['cpu_us'][g]:.0f}" for g in GROUPS)
        print(f"| {row.label} | {cells} | {s['cpu_us']['other']:.0f} | {s['busy']:.0%} |")
    print(f"\nreq/s of every run: " + "; ".join(
        f"{row.name} " + ", ".join(f"{v:.0f}" for v in summary[row.name]["rps_all"])
        for row in rows))


# ---- PDF extraction alone ----

def pdf_extraction(runs, pdf):
    """Run pdf-compare.sh --files on one PDF; return a line to print."""
    proc = subprocess.run([os.path.join(HERE, "pdf-compare.sh"), "--files", str(runs), pdf],
                          capture_output=True, text=True, timeout=600, check=False)
    if proc.returncode != 0:
        tail = (proc.stdout + proc.stderr).strip().splitlines()[-3:]
        return "PDF extraction: pdf-compare.sh failed, no figure: " + " / ".join(tail)
    totals = {}
    for line in proc.stdout.splitlines():
        words = line.split()
        if len(words) > 2 and words[1] == "total" and words[0] in ("pdftotext", "poppler"):
            totals[words[0]] = float(words[2])
    if len(totals) != 2:
        return "PDF extraction: no totals in the output of pdf-compare.sh:\n" + proc.stdout
    return (f"PDF extraction alone, {os.path.relpath(pdf, ROOT)} (pdf-compare.sh --files, "
            f"median of {runs} runs, each a new process): pdftotext {totals['pdftotext']:.1f} ms, "
            f"poppler-glib {totals['poppler']:.1f} ms, ratio "
            f"{totals['poppler'] / totals['pdftotext']:.2f}")


# ---- the run ----

def describe_machine(args, counts):
    with open("/proc/cpuinfo", encoding="utf-8") as fp:
        model = next((line.split(":", 1)[1].strip() for line in fp
                      if line.startswith("model name")), "unknown")
    nginx = subprocess.run([NGINX, "-v"], capture_output=True, text=True, check=False)
    commit = subprocess.run(["git", "-C", ROOT, "describe", "--always", "--dirty"],
                            capture_output=True, text=True, check=False).stdout.strip()
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    print(f"bench-api: {now}, commit {commit or 'unknown'}")
    print(f"machine: {os.cpu_count()} cores, {model}, Linux {platform.release()}, "
          f"{nginx.stderr.strip().replace('nginx version: ', '')}")
    print(f"load average at start: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
    print(f"wrk: {args.threads} threads, {args.connections} connections, {args.warmup} s "
          f"warm-up then {args.duration} s per row, timeout {WRK_TIMEOUT_S} s; "
          f"responders {','.join(map(str, counts))}; {args.runs} runs; worker stopped",
          flush=True)


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build", default=os.environ.get("BUILD", "build"),
                        help="folder of cv-api, cvctl and bench/minimal_fcgi (default: build)")
    parser.add_argument("--var-dir", default=None,
                        help="runtime folder, emptied first (default: var/bench-api-<build>)")
    parser.add_argument("--responders", default="2,4",
                        help="responder counts N to measure, separated by commas")
    parser.add_argument("--runs", type=int, default=3, help="runs of every row and N (1-9)")
    parser.add_argument("--duration", type=int, default=10, help="seconds measured per row")
    parser.add_argument("--warmup", type=int, default=2,
                        help="seconds of unmeasured load before each row")
    parser.add_argument("--connections", type=int, default=16, help="wrk connections")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--rows", default="all",
                        help="rows to run, separated by commas: "
                             + ",".join(r.name for r in ROWS) + " (the baselines always run)")
    parser.add_argument("--pdf-runs", type=int, default=5,
                        help="runs of the PDF extraction comparison, 0 to leave it out")
    args = parser.parse_args()
    if not 1 <= args.runs <= 9 or not 1 <= args.duration <= 120 or not 0 <= args.warmup <= 30:
        parser.error("--runs must be 1-9, --duration 1-120 and --warmup 0-30")
    if not 1 <= args.threads <= args.connections <= 1024:
        parser.error("--threads must be at least 1 and at most --connections (at most 1024)")
    return args


def select_rows(spec):
    if spec == "all":
        return ROWS
    names = set(spec.split(",")) | {"const", "minimal"}
    unknown = names - {r.name for r in ROWS}
    if unknown:
        raise SystemExit(f"bench-api: unknown rows: {', '.join(sorted(unknown))}")
    return [r for r in ROWS if r.name in names]


def main():
    args = parse_args()
    rows = select_rows(args.rows)
    counts = [int(c) for c in args.responders.split(",")]
    for program in (WRK, SPAWN_FCGI, NGINX):
        if not os.access(program, os.X_OK):
            print(f"bench-api: {program} is missing; run scripts/deps.sh", file=sys.stderr)
            return 1
    var_dir = args.var_dir or os.path.join("var", "bench-api-" + os.path.basename(args.build))
    stack = Stack(ROOT, args.build, var_dir, stack_settings(counts[0]))
    minimal = None
    blocks = {count: [] for count in counts}
    describe_machine(args, counts)
    try:
        stack.clean()
        print(f"bench-api: starting the stack in {stack.var_dir}", flush=True)
        stack.start()
        paths = sample_paths()
        ids, job, etag = prepare_job(stack, paths)
        run_script(stack, "worker", "stop")

        minimal = Minimal(stack)
        ports = {"api": int(stack.state["HTTP_PORT"]), "const": free_port(),
                 "minimal": free_port()}
        add_bench_servers(stack, minimal, ports["const"], ports["minimal"])
        out_dir = os.path.join(stack.var_dir, "bench")
        ctx = {
            "ports": ports,
            "job": job,
            "etag": etag,
            "bodies": write_bodies(out_dir, paths, ids),
            "out_dir": out_dir,
            "minimal": minimal,
            "procs": Processes(stack, minimal),
            "access_log": os.path.join(stack.var_dir, "log", "nginx-access.log"),
        }
        for run_index in range(1, args.runs + 1):
            for count in counts:
                blocks[count].append(run_block(args, stack, ctx, rows, run_index, count))
    finally:
        if minimal is not None:
            minimal.stop()
        stack.stop()

    failed = False
    for count in counts:
        summary = summarise(rows, blocks[count])
        print_tables(rows, count, summary)
        failed |= any(s["unexpected"] or s["socket_errors"] for s in summary.values())
    print(f"\nload average at the end: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
    if args.pdf_runs > 0:
        print(pdf_extraction(args.pdf_runs, sample_paths()["cv_doc"]), flush=True)
    if failed:
        print("bench-api: some rows got unexpected statuses or socket errors; the wrk "
              f"output of every row is in {os.path.join(stack.var_dir, 'bench')}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
