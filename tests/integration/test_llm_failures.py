"""The LLM evaluator end to end against providers that fail: 429 with Retry-After, 5xx,
replies slower than the timeout, 401, refused connections, the fallback to a second
provider and the circuit breaker. Each test asserts the job's final state and error
code, the calls made, the provenance, and the worker's log lines."""

import re
import time

from llm_support import (FAKE_KEY, assert_key_never_logged, closed_port_url, evaluate, fakes,
                         llm_worker, provider_settings, worker_lines)
from test_llm_replies import CV_TEXT, PROJECT_TEXT, assert_completed, step


def test_llm_rate_limited_then_success(stack):
    with fakes(stack, "fake") as fake, \
            llm_worker(stack, provider_settings(1, "fake", fake.base_url)):
        fake.script([{"status": 429, "headers": {"Retry-After": "1"},
                      "body": {"error": {"message": "rate limit reached"}}}],
                    default={"reply": "good"})
        job_id, doc = evaluate(stack, CV_TEXT, PROJECT_TEXT)
        requests = fake.requests()
    result = assert_completed(doc)
    cv_step = step(result["provenance"], "cv")
    assert cv_step["attempts"] == 2, cv_step
    assert [(c["status"], c["outcome"]) for c in cv_step["calls"]] == \
        [(429, "upstream_rate_limited"), (200, "ok")], cv_step
    # Retry-After: 1 is honoured, whatever the backoff draw was.
    assert requests[1]["at"] - requests[0]["at"] >= 0.95, requests[:2]
    retry = worker_lines(stack, job_id, "llm.retry")
    assert len(retry) == 1, retry
    assert "delay_ms=1000" in retry[0], retry


def test_llm_rate_limited_fails(stack):
    with fakes(stack, "fake") as fake, \
            llm_worker(stack, provider_settings(1, "fake", fake.base_url)):
        fake.script(default={"status": 429, "headers": {"Retry-After": "0"}})
        job_id, doc = evaluate(stack, CV_TEXT, PROJECT_TEXT)
        requests = fake.requests()
    assert doc["status"] == "failed", doc
    assert doc["error"]["code"] == "upstream_rate_limited", doc
    assert "gave up after 3 attempts" in doc["error"]["message"], doc
    assert len(requests) == 3, requests


def test_llm_retry_after_too_long_gives_up(stack):
    with fakes(stack, "fake") as fake, \
            llm_worker(stack, provider_settings(1, "fake", fake.base_url)):
        fake.script(default={"status": 429, "headers": {"Retry-After": "120"}})
        started = time.monotonic()
        _, doc = evaluate(stack, CV_TEXT, PROJECT_TEXT)
        elapsed = time.monotonic() - started
        requests = fake.requests()
    assert doc["error"]["code"] == "upstream_rate_limited", doc
    assert "Retry-After asks for 120000 ms" in doc["error"]["message"], doc
    assert len(requests) == 1, (requests, elapsed)
    assert elapsed < 30, (requests, elapsed)


def test_llm_server_error_then_success(stack):
    with fakes(stack, "fake") as fake, \
            llm_worker(stack, provider_settings(1, "fake", fake.base_url)):
        fake.script([{"status": 500}], default={"reply": "good"})
        job_id, doc = evaluate(stack, CV_TEXT, PROJECT_TEXT)
    result = assert_completed(doc)
    cv_step = step(result["provenance"], "cv")
    assert [(c["status"], c["outcome"]) for c in cv_step["calls"]] == \
        [(500, "upstream_unavailable"), (200, "ok")], cv_step
    assert result["provenance"]["attempts"] == 4, result["provenance"]
    failed = worker_lines(stack, job_id, "llm.attempt_failed")
    assert len(failed) == 1, failed
    assert re.search(r"step=cv provider=fake attempt=1 status=500 latency_ms=\d+ "
                     r"code=upstream_unavailable", failed[0]), failed[0]


def test_llm_server_error_fails(stack):
    with fakes(stack, "fake") as fake, \
            llm_worker(stack, provider_settings(1, "fake", fake.base_url)):
        fake.script(default={"status": 503})
        job_id, doc = evaluate(stack, CV_TEXT, PROJECT_TEXT)
        requests = fake.requests()
    assert doc["status"] == "failed", doc
    assert doc["error"]["code"] == "upstream_unavailable", doc
    assert "HTTP 503" in doc["error"]["message"], doc
    assert len(requests) == 3, requests
    attempts = [re.search(r"attempt=(\d+)", line).group(1)
                for line in worker_lines(stack, job_id, "llm.attempt_failed")]
    assert attempts == ["1", "2", "3"], attempts


def test_llm_reply_slower_than_timeout(stack):
    settings = {"LLM_TIMEOUT_MS": "700", "LLM_MAX_RETRIES": "1"}
    with fakes(stack, "fake") as fake:
        settings.update(provider_settings(1, "fake", fake.base_url))
        with llm_worker(stack, settings):
            fake.script(default={"reply": "good", "delay_ms": 3000})
            job_id, doc = evaluate(stack, CV_TEXT, PROJECT_TEXT)
            requests = fake.requests()
    assert doc["status"] == "failed", doc
    assert doc["error"]["code"] == "upstream_timeout", doc
    assert "timed out" in doc["error"]["message"].lower(), doc
    assert len(requests) == 2, requests
    failed = worker_lines(stack, job_id, "llm.attempt_failed")
    assert len(failed) == 2, failed
    assert all("code=upstream_timeout" in l for l in failed), failed
    latencies = [int(re.search(r"latency_ms=(\d+)", l).group(1)) for l in failed]
    assert all(600 <= ms < 2000 for ms in latencies), latencies


def test_llm_unauthorized_not_retried(stack):
    with fakes(stack, "fake") as fake, \
            llm_worker(stack, provider_settings(1, "fake", fake.base_url)):
        fake.script(default={"status": 401,
                             "body": {"error": {"message": f"Incorrect API key {FAKE_KEY}"}}})
        job_id, doc = evaluate(stack, CV_TEXT, PROJECT_TEXT)
        requests = fake.requests()
    assert doc["status"] == "failed", doc
    assert doc["error"]["code"] == "provider_misconfigured", doc
    assert "HTTP 401" in doc["error"]["message"], doc
    assert "LLM_1_API_KEY" in doc["error"]["message"], doc
    assert FAKE_KEY not in doc["error"]["message"], doc
    assert len(requests) == 1, requests
    assert worker_lines(stack, job_id, "llm.retry") == []
    assert_key_never_logged(stack)


def test_llm_not_found_not_retried(stack):
    with fakes(stack, "fake") as fake, \
            llm_worker(stack, provider_settings(1, "fake", fake.base_url)):
        fake.script(default={"status": 404})
        _, doc = evaluate(stack, CV_TEXT, PROJECT_TEXT)
        requests = fake.requests()
    assert doc["error"]["code"] == "provider_misconfigured", doc
    assert len(requests) == 1, requests


def test_llm_connection_refused(stack):
    with llm_worker(stack, provider_settings(1, "down", closed_port_url())):
        job_id, doc = evaluate(stack, CV_TEXT, PROJECT_TEXT)
    assert doc["status"] == "failed", doc
    assert doc["error"]["code"] == "upstream_unavailable", doc
    assert "connect" in doc["error"]["message"].lower(), doc
    failed = worker_lines(stack, job_id, "llm.attempt_failed")
    assert len(failed) == 3, failed
    assert all("provider=down" in l for l in failed), failed


def test_llm_dropped_connection_retried(stack):
    with fakes(stack, "fake") as fake, \
            llm_worker(stack, provider_settings(1, "fake", fake.base_url)):
        fake.script([{"close": True}], default={"reply": "good"})
        _, doc = evaluate(stack, CV_TEXT, PROJECT_TEXT)
    calls = step(assert_completed(doc)["provenance"], "cv")["calls"]
    assert [(c["status"], c["outcome"]) for c in calls] == \
        [(0, "upstream_unavailable"), (200, "ok")], calls


def test_llm_fallback_provider(stack):
    settings = {"LLM_MAX_RETRIES": "1"}
    settings.update(provider_settings(1, "primary", closed_port_url()))
    with fakes(stack, "backup") as backup:
        settings.update(provider_settings(2, "backup", backup.base_url, model="backup-model"))
        with llm_worker(stack, settings):
            backup.script(default={"reply": "good"})
            job_id, doc = evaluate(stack, CV_TEXT, PROJECT_TEXT)
    result = assert_completed(doc)
    prov = result["provenance"]
    assert prov["path"] == "fallback_provider", prov
    assert prov["provider"] == "backup", prov
    assert prov["model"] == "backup-model", prov
    assert prov["providers"] == ["backup"], prov
    cv_step = step(prov, "cv")
    assert [(c["provider"], c["outcome"]) for c in cv_step["calls"]] == \
        [("primary", "upstream_unavailable"), ("primary", "upstream_unavailable"),
         ("backup", "ok")], cv_step
    assert worker_lines(stack, job_id, "llm.fallback"), "no llm.fallback line"


def test_llm_circuit_breaker_skips_failing_provider(stack):
    settings = {"LLM_MAX_RETRIES": "1", "LLM_BREAKER_FAILURES": "2",
                "LLM_BREAKER_COOLDOWN_MS": "600000"}
    with fakes(stack, "flaky", "backup") as (flaky, backup):
        settings.update(provider_settings(1, "flaky", flaky.base_url))
        settings.update(provider_settings(2, "backup", backup.base_url))
        with llm_worker(stack, settings):
            flaky.script(default={"status": 502})
            backup.script(default={"reply": "good"})
            job_id, doc = evaluate(stack, CV_TEXT, PROJECT_TEXT)
            _, second = evaluate(stack, CV_TEXT, PROJECT_TEXT)
            flaky_requests = flaky.requests()
    result = assert_completed(doc)
    assert_completed(second)
    # Two failures open the circuit; every later step goes straight to the backup.
    assert len(flaky_requests) == 2, flaky_requests
    project_step = step(result["provenance"], "project")
    assert [c["provider"] for c in project_step["calls"]] == ["backup"], project_step
    assert any("state=open" in line for line in worker_lines(stack, job_id, "llm.breaker"))


def test_llm_all_providers_fail_reports_each(stack):
    settings = {"LLM_MAX_RETRIES": "0"}
    with fakes(stack, "first", "second") as (first, second):
        settings.update(provider_settings(1, "first", first.base_url))
        settings.update(provider_settings(2, "second", second.base_url))
        with llm_worker(stack, settings):
            first.script(default={"status": 403})
            second.script(default={"status": 500})
            _, doc = evaluate(stack, CV_TEXT, PROJECT_TEXT)
    assert doc["status"] == "failed", doc
    assert doc["error"]["code"] == "upstream_unavailable", doc
    message = doc["error"]["message"]
    assert 'provider "first"' in message, message
    assert "HTTP 403" in message, message
    assert 'provider "second"' in message, message
    assert "HTTP 500" in message, message
