#!/usr/bin/python3
"""Worker throughput and memory against the fake LLM provider.

Starts a stack of this checkout (PostgreSQL, broker, responders, nginx) in its own
VAR_DIR, and a fake provider whose every reply takes a fixed latency. For each
concurrency it queues jobs through the API with the worker stopped, starts the worker
with CONSUMER_MAX_CONCURRENCY set to that concurrency, and waits until every job has
ended. Throughput is the number of jobs divided by the time from the first claim to the
last finish, read from the jobs table, so the worker's start and the consumer group's
join are not counted. One job makes three sequential provider calls, so the ideal is
concurrency / (3 x latency). Peak RSS is the worker's VmHWM from /proc. The evaluation
time per job, from each result's provenance, shows how much of a job's run the LLM chain
itself takes.

    tests/bench/bench_worker.py [--build DIR] [--latency-ms 100] [--concurrency 1,8,24,64]
                                [--jobs-per-thread 20] [--var-dir DIR]

Exit status: 0 when every job completed, 1 otherwise.
"""

import argparse
import concurrent.futures
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))

from harness import Stack  # noqa: E402  (needs the path above)
from harness.stack import free_port  # noqa: E402
from llm_support import FakeProvider  # noqa: E402

# Minimum jobs of one run, so that the slowest concurrency still measures seconds of work.
JOBS_MIN = 40

# Seconds one run may take before the benchmark gives up on it.
RUN_TIMEOUT_S = 300

CV_TEXT = ("Backend engineer with six years of Python, Golang and PostgreSQL, REST APIs on "
           "AWS with Docker and Kubernetes, Kafka pipelines, and RAG search with OpenAI "
           "embeddings. Reduced API latency by 40%. Mentored two engineers.\n")
PROJECT_TEXT = ("The report describes prompt chaining with retrieval, JSON validation, "
                "retries with backoff, timeouts, a circuit breaker, unit tests, a README "
                "with the architecture and trade-offs, and a metrics dashboard.\n")


def stack_settings():
    return {
        "HTTP_ADDR": "127.0.0.1",
        "HTTP_PORT": str(free_port()),
        "NGINX_STRICT_PORT": str(free_port()),
        "WORKER_HTTP_PORT": str(free_port()),
        "DB_PORT": str(free_port()),
        "WEB_SERVER": "nginx",
        "API_RESPONDERS": "3",
        "RATE_LIMIT": "10000r/s",
        "RATE_LIMIT_BURST": "10000",
    }


def worker_script(stack, command, env_extra):
    env = dict(os.environ)
    env.update(stack.settings)
    env.update(env_extra)
    env["VAR_DIR"] = stack.var_dir
    env["BUILD"] = stack.build
    env["CV_CONFIG_FILE"] = os.path.join(stack.var_dir, "cv.env")
    proc = subprocess.run([os.path.join(stack.root, "scripts", "worker.sh"), command],
                          env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                          timeout=120, check=False)
    if command == "start" and proc.returncode != 0:
        raise RuntimeError("the worker did not start:\n" + proc.stdout + proc.stderr)
    return proc


def worker_pid(stack):
    with open(os.path.join(stack.var_dir, "run", "worker.pid"), encoding="ascii") as fp:
        return int(fp.read())


def memory_kib(pid):
    """Return (VmHWM, VmRSS) of pid in KiB: the peak and the current resident size."""
    values = {}
    with open(f"/proc/{pid}/status", encoding="ascii") as fp:
        for line in fp:
            name, _, rest = line.partition(":")
            if name in ("VmHWM", "VmRSS"):
                values[name] = int(rest.split()[0])
    return values["VmHWM"], values["VmRSS"]


def queue_jobs(stack, count):
    """Upload one CV and report, queue count evaluations of them; return the job ids."""
    resp = stack.api.post_multipart("/v1/upload", [
        ("cv", "cv.txt", CV_TEXT, "text/plain"),
        ("project", "project.txt", PROJECT_TEXT, "text/plain"),
    ])
    if resp.status != 200:
        raise RuntimeError(f"upload failed: {resp}")
    ids = resp.json()
    body = {"cv_id": ids["cv_id"], "project_id": ids["project_id"]}

    def one(_):
        answer = stack.api.post_json("/v1/evaluate", body)
        if answer.status not in (200, 202):
            raise RuntimeError(f"evaluate failed: {answer}")
        return answer.json()["id"]

    with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
        return list(pool.map(one, range(count)))


def wait_done(stack, ids, pid):
    """Poll until every job of ids (a PostgreSQL array literal) has ended; return their
    status counts and the worker's peak RSS."""
    deadline = time.monotonic() + RUN_TIMEOUT_S
    count = ids.count(",") + 1
    while True:
        rows = stack.db.query("SELECT status, count(*) AS n FROM jobs"
                              " WHERE id = ANY(:'ids'::uuid[]) GROUP BY status", ids=ids)
        counts = {row["status"]: row["n"] for row in rows}
        if counts.get("completed", 0) + counts.get("failed", 0) >= count:
            return counts, memory_kib(pid)[0]
        if time.monotonic() > deadline:
            raise RuntimeError(f"jobs still running after {RUN_TIMEOUT_S} s: {counts}")
        time.sleep(0.5)


def run_one(stack, fake, concurrency, jobs, latency_ms):
    """Queue jobs with the worker stopped, run them at concurrency; return the figures."""
    worker_script(stack, "stop", {})
    job_ids = queue_jobs(stack, jobs)

    worker_script(stack, "start", {
        "EVALUATOR": "llm",
        "LLM_1_NAME": "fake",
        "LLM_1_BASE_URL": fake.base_url,
        "LLM_1_MODEL": "fake-model",
        "LLM_TIMEOUT_MS": "10000",
        "CONSUMER_MAX_CONCURRENCY": str(concurrency),
        # Kafka alone hands out the jobs: the sweeper would also claim them, since they
        # waited in the queue while the worker was stopped.
        "JOB_REQUEUE_AFTER_MS": "3600000",
        "LOG_LEVEL": "warn",
    })

    pid = worker_pid(stack)
    ids = "{" + ",".join(job_ids) + "}"
    counts, peak_kib = wait_done(stack, ids, pid)
    span = stack.db.query(
        "SELECT extract(epoch FROM max(finished_at) - min(started_at)) AS seconds"
        " FROM jobs WHERE id = ANY(:'ids'::uuid[])", ids=ids)[0]["seconds"]
    # The evaluator's own time per job, from the provenance, beside the job's whole run.
    timing = stack.db.query(
        "SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY e) AS eval_p50,"
        "       percentile_cont(0.95) WITHIN GROUP (ORDER BY e) AS eval_p95"
        "  FROM (SELECT (result->'provenance'->>'latency_ms')::int AS e FROM results"
        "         WHERE job_id = ANY(:'ids'::uuid[])) AS t", ids=ids)[0]
    worker_script(stack, "stop", {})

    ideal = concurrency / (3 * latency_ms / 1000.0)
    rate = jobs / span
    return {
        "concurrency": concurrency,
        "jobs": jobs,
        "completed": counts.get("completed", 0),
        "seconds": span,
        "jobs_per_s": rate,
        "ideal": ideal,
        "ratio": rate / ideal,
        "peak_rss_mib": peak_kib / 1024.0,
        "eval_p50_ms": timing["eval_p50"] or 0,
        "eval_p95_ms": timing["eval_p95"] or 0,
    }


def run_chain(stack, fake, concurrency, evaluations, latency_ms):
    """Run build/bench/bench_llm_chain: the LLM chain alone, without Kafka or job rows."""
    env = dict(os.environ)
    env.update({
        "CV_CONFIG_FILE": os.path.join(stack.var_dir, "cv.env"),
        "LLM_1_NAME": "fake",
        "LLM_1_BASE_URL": fake.base_url,
        "LLM_1_MODEL": "fake-model",
        "LLM_TIMEOUT_MS": "10000",
        "PROMPTS_DIR": os.path.join(ROOT, "prompts"),
    })
    proc = subprocess.run([os.path.join(stack.build, "bench", "bench_llm_chain"),
                           str(concurrency), str(evaluations), str(latency_ms)],
                          env=env, capture_output=True, text=True, timeout=RUN_TIMEOUT_S,
                          check=False)
    if proc.returncode != 0:
        raise RuntimeError("bench_llm_chain failed:\n" + proc.stdout + proc.stderr)
    fields = proc.stdout.split()
    return {
        "concurrency": int(fields[0]),
        "jobs": int(fields[1]),
        "seconds": float(fields[2]),
        "jobs_per_s": float(fields[3]),
        "ideal": float(fields[4]),
        "ratio": float(fields[5]),
        "peak_rss_mib": float(fields[7]),
        "eval_mean_ms": float(fields[8]),
        "call_mean_ms": float(fields[9]),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build", default=os.environ.get("BUILD", "build"),
                        help="folder of cv-api, cv-worker and cvctl (default: build)")
    parser.add_argument("--var-dir", default=None,
                        help="runtime folder, emptied first (default: var/bench-<build>)")
    parser.add_argument("--latency-ms", type=int, default=100,
                        help="delay of every fake provider reply in milliseconds")
    parser.add_argument("--concurrency", default="1,8,24,64",
                        help="worker thread counts to measure, separated by commas")
    parser.add_argument("--jobs-per-thread", type=int, default=20,
                        help="jobs queued per worker thread in each run")
    args = parser.parse_args()

    var_dir = args.var_dir or os.path.join("var", "bench-" + os.path.basename(args.build))
    stack = Stack(ROOT, args.build, var_dir, stack_settings())
    results = []
    fake = None
    try:
        stack.clean()
        print(f"bench-worker: starting the stack in {stack.var_dir}", flush=True)
        stack.start()
        fake = FakeProvider(ROOT, stack.logs.dir, "bench", args.latency_ms)
        concurrencies = [int(c) for c in args.concurrency.split(",")]
        print(f"cv-worker, jobs through nginx, Kafka and PostgreSQL; replies take "
              f"{args.latency_ms} ms", flush=True)
        print("concurrency  jobs  seconds  jobs/s   ideal   ratio  peak RSS  "
              "evaluation p50/p95", flush=True)
        for concurrency in concurrencies:
            jobs = max(JOBS_MIN, concurrency * args.jobs_per_thread)
            row = run_one(stack, fake, concurrency, jobs, args.latency_ms)
            results.append(row)
            print(f"{row['concurrency']:>11}  {row['jobs']:>4}  {row['seconds']:>7.2f}  "
                  f"{row['jobs_per_s']:>6.1f}  {row['ideal']:>6.1f}  {row['ratio']:>5.0%}  "
                  f"{row['peak_rss_mib']:>5.1f} MiB  "
                  f"{row['eval_p50_ms']:>4.0f}/{row['eval_p95_ms']:.0f} ms", flush=True)

        print("\nLLM chain alone (bench_llm_chain: retrieval and three calls per "
              "evaluation, no Kafka or job rows)", flush=True)
        print("concurrency  evals  seconds  evals/s   ideal   ratio  peak RSS  "
              "mean evaluation / call", flush=True)
        for concurrency in concurrencies:
            count = max(JOBS_MIN, concurrency * args.jobs_per_thread)
            row = run_chain(stack, fake, concurrency, count, args.latency_ms)
            print(f"{row['concurrency']:>11}  {row['jobs']:>5}  {row['seconds']:>7.2f}  "
                  f"{row['jobs_per_s']:>7.1f}  {row['ideal']:>6.1f}  {row['ratio']:>5.0%}  "
                  f"{row['peak_rss_mib']:>5.1f} MiB  "
                  f"{row['eval_mean_ms']:.0f} / {row['call_mean_ms']:.1f} ms", flush=True)
    finally:
        if fake is not None:
            fake.stop()
        stack.stop()
    complete = all(row["completed"] == row["jobs"] for row in results)
    if not complete:
        print("bench-worker: some jobs did not complete; see the worker log in "
              f"{stack.logs.dir}", flush=True)
    return 0 if complete and results else 1


if __name__ == "__main__":
    sys.exit(main())
