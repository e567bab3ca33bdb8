"""Integration tests of cv-worker against the private PostgreSQL and development broker.

Each test starts the workers it needs under a consumer group of its own and stops them.
Jobs are kept in flight on purpose by holding a lock on the results table, which blocks
only the final store of a run; heartbeats and claims go on meanwhile.
"""

import os
import signal
import sys
import time
import unittest
import uuid

import harness as h


def setUpModule():
    h.prepare_stack()


class WorkerTest(unittest.TestCase):

    def setUp(self):
        h.reset_jobs()
        self.uploads = h.make_uploads()
        self.group = "test-%s-%s" % (self._testMethodName, uuid.uuid4().hex[:6])
        self.workers = []
        self.locks = []

    def tearDown(self):
        for lock in self.locks:
            lock.release()
        for worker in self.workers:
            worker.ensure_stopped()

    def start_worker(self, name, **settings):
        worker = h.Worker("%s-%s" % (self._testMethodName, name), self.group, **settings)
        self.workers.append(worker)
        return worker

    def lock_results(self):
        lock = h.TableLock("results", "SHARE")
        self.locks.append(lock)
        return lock

    def count_processing(self, job_ids):
        return sum(1 for s in h.statuses(job_ids).values() if s == "processing")

    def assert_one_result_each(self, job_ids):
        rows = h.sql("SELECT j.id::text, j.status, count(r.job_id) FROM jobs j "
                     "LEFT JOIN results r ON r.job_id = j.id WHERE j.id = ANY(%s::uuid[]) "
                     "GROUP BY j.id, j.status", (list(job_ids),))
        self.assertEqual(len(rows), len(job_ids))
        for job_id, status, results in rows:
            self.assertEqual(status, "completed", job_id)
            self.assertEqual(results, 1, job_id)

    def test_message_job_completes(self):
        worker = self.start_worker("w", JOB_REQUEUE_AFTER_MS=60000)
        worker.wait_ready()
        job_id = h.insert_job(self.uploads)
        h.send_messages([job_id])
        h.wait_until(lambda: h.all_status([job_id], "completed"), 20, "job completed")
        self.assert_one_result_each([job_id])
        claims = [line for line in worker.lines("job.claim") if job_id in line]
        self.assertEqual(len(claims), 1)
        self.assertIn("source=message", claims[0])
        self.assertIn("req_id=test", claims[0])
        self.assertEqual(worker.http("/healthz")[0], 200)
        self.assertGreaterEqual(worker.metric('jobs_total{outcome="completed"}'), 1)
        self.assertEqual(worker.metric("workers_idle_total"), 4)
        self.assertEqual(worker.stop(), 0)

    def test_redelivered_message_is_skipped(self):
        worker = self.start_worker("w", JOB_REQUEUE_AFTER_MS=60000)
        worker.wait_ready()
        job_id = h.insert_job(self.uploads)
        h.send_messages([job_id])
        h.wait_until(lambda: h.all_status([job_id], "completed"), 20, "job completed")
        h.send_messages([job_id])
        h.wait_until(lambda: [l for l in worker.lines("job.skip") if job_id in l], 20,
                     "job.skip of the redelivered message")
        skip = [l for l in worker.lines("job.skip") if job_id in l][0]
        self.assertIn("status=completed", skip)
        self.assert_one_result_each([job_id])
        self.assertEqual(h.sql("SELECT attempts FROM jobs WHERE id = %s", (job_id,))[0][0], 1)
        self.assertGreaterEqual(worker.metric("job_claims_skipped_total"), 1)
        self.assertEqual(worker.stop(), 0)

    def test_unparsable_message_goes_to_dead_letter(self):
        worker = self.start_worker("w")
        worker.wait_ready()
        marker = "not-a-job-%s" % uuid.uuid4().hex[:8]
        h.send_raw(marker.encode())
        job_id = h.insert_job(self.uploads)
        h.send_messages([job_id])
        h.wait_until(lambda: h.all_status([job_id], "completed"), 20, "job after dead letter")
        h.wait_until(lambda: worker.lines("message.dead_letter"), 20, "dead-letter log line")
        letters = [line for line in h.read_dead_letters() if marker in line]
        self.assertEqual(len(letters), 1)
        self.assertIn("error=invalid_message", letters[0])
        self.assertIn("original_topic=evaluate-jobs", letters[0])
        self.assertEqual(worker.metric('dead_letter_messages_total{result="sent"}'), 1)
        self.assertEqual(worker.stop(), 0)

    def test_two_workers_share_partitions(self):
        # Stranded-job recovery is slowed down so that every job runs from its message.
        first = self.start_worker("a", CONSUMER_MAX_CONCURRENCY=2, JOB_REQUEUE_AFTER_MS=60000)
        second = self.start_worker("b", CONSUMER_MAX_CONCURRENCY=2, JOB_REQUEUE_AFTER_MS=60000)
        first.wait_ready()
        second.wait_ready()
        h.wait_until(lambda: self._split_assignment(first, second), 30,
                     "partitions split between both workers")
        job_ids = [h.insert_job(self.uploads) for _ in range(40)]
        h.send_messages(job_ids)
        h.wait_until(lambda: h.all_status(job_ids, "completed"), 60, "40 jobs completed")
        self.assert_one_result_each(job_ids)
        claims = first.lines("job.claim") + second.lines("job.claim")
        for job_id in job_ids:
            self.assertEqual(sum(1 for line in claims if job_id in line), 1, job_id)
        self.assertTrue(any(j in l for l in first.lines("job.complete") for j in job_ids))
        self.assertTrue(any(j in l for l in second.lines("job.complete") for j in job_ids))
        attempts = h.sql("SELECT max(attempts) FROM jobs WHERE id = ANY(%s::uuid[])",
                         (job_ids,))[0][0]
        self.assertEqual(attempts, 1)
        self.assertEqual(first.stop(), 0)
        self.assertEqual(second.stop(), 0)

    @staticmethod
    def _split_assignment(first, second):
        def last(worker):
            lines = worker.lines("consumer.assign")
            if not lines:
                return set()
            text = lines[-1].split("partitions=")[1].split()[0]
            return set() if text == "-" else set(text.split(","))
        one, two = last(first), last(second)
        return one and two and not (one & two) and len(one | two) == 6

    def test_stale_processing_job_is_recovered(self):
        job_id = h.insert_job(self.uploads, status="processing", attempts=1,
                              claim_token=str(uuid.uuid4()), worker_id="dead-worker")
        h.sql("UPDATE jobs SET heartbeat_at = now() - interval '1 hour', "
              "started_at = now() - interval '1 hour' WHERE id = %s", (job_id,))
        worker = self.start_worker("w")
        h.wait_until(lambda: h.all_status([job_id], "completed"), 30, "stale job completed")
        self.assert_one_result_each([job_id])
        recover = [l for l in worker.lines("job.recover") if job_id in l]
        self.assertTrue(any("reason=stale status=queued" in l for l in recover))
        self.assertTrue(any("last_worker=dead-worker" in l for l in recover))
        self.assertEqual(h.sql("SELECT attempts FROM jobs WHERE id = %s", (job_id,))[0][0], 2)
        self.assertEqual(worker.metric('jobs_recovered_total{reason="stale_requeued"}'), 1)
        self.assertEqual(worker.stop(), 0)

    def test_attempts_exhausted_fails_job(self):
        job_id = h.insert_job(self.uploads, status="processing", attempts=3,
                              claim_token=str(uuid.uuid4()), worker_id="dead-worker")
        h.sql("UPDATE jobs SET heartbeat_at = now() - interval '1 hour' WHERE id = %s",
              (job_id,))
        worker = self.start_worker("w", JOB_MAX_ATTEMPTS=3)
        h.wait_until(lambda: h.all_status([job_id], "failed"), 30, "job failed")
        code, message, token = h.sql("SELECT error_code, error_message, claim_token FROM jobs "
                                     "WHERE id = %s", (job_id,))[0]
        self.assertEqual(code, "attempts_exhausted")
        self.assertIn("gave up after 3 attempts", message)
        self.assertIn("dead-worker", message)
        self.assertIsNone(token)
        self.assertEqual(h.sql("SELECT count(*) FROM results WHERE job_id = %s", (job_id,))[0][0],
                         0)
        self.assertEqual(worker.stop(), 0)

    def test_job_queued_while_broker_down_runs(self):
        h.script("broker", "stop")
        try:
            job_id = h.insert_job(self.uploads)
            worker = self.start_worker("w")
            h.wait_until(lambda: h.all_status([job_id], "completed"), 30,
                         "job run by the sweeper without a broker")
            self.assert_one_result_each([job_id])
            recover = [l for l in worker.lines("job.recover") if job_id in l]
            self.assertEqual(len(recover), 1)
            self.assertIn("reason=stranded", recover[0])
            status, body = worker.http("/readyz")
            self.assertEqual(status, 503)
            self.assertIn('"broker":"down"', body)
            self.assertEqual(worker.stop(), 0)
        finally:
            # A new development broker on new ports, written into the test configuration.
            h.start_broker()

    def test_kill9_and_restart_loses_nothing(self):
        lock = self.lock_results()
        worker = self.start_worker("first")
        worker.wait_ready()
        job_ids = [h.insert_job(self.uploads) for _ in range(12)]
        h.send_messages(job_ids)
        h.wait_until(lambda: self.count_processing(job_ids) >= 4, 20, "jobs in flight")
        worker.kill()
        # The server rolls back the dead worker's blocked statements when it notices the
        # closed sockets. Released earlier, the lock would let them commit.
        h.wait_until(lambda: h.sql("SELECT count(*) FROM pg_stat_activity "
                                   "WHERE application_name LIKE 'cv-worker%'")[0][0] == 0,
                     20, "the killed worker's sessions ended")
        lock.release()
        second = self.start_worker("second")
        h.wait_until(lambda: h.all_status(job_ids, "completed"), 60,
                     "all jobs completed after the restart")
        self.assert_one_result_each(job_ids)
        recovered = [l for l in second.lines("job.recover") if "reason=stale" in l]
        self.assertGreaterEqual(len(recovered), 4)
        self.assertEqual(second.stop(), 0)

    def test_sigterm_drains_jobs_in_flight(self):
        lock = self.lock_results()
        worker = self.start_worker("first", JOB_REQUEUE_AFTER_MS=60000)
        worker.wait_ready()
        job_ids = [h.insert_job(self.uploads) for _ in range(6)]
        h.send_messages(job_ids)
        h.wait_until(lambda: self.count_processing(job_ids) == 4, 20, "four jobs in flight")
        # The other two wait in the prefetch queue, perhaps behind messages of earlier
        # tests whose jobs are gone.
        h.wait_until(lambda: worker.metric("consumer_prefetch_depth") >= 2, 20,
                     "two messages prefetched")
        worker.proc.send_signal(signal.SIGTERM)
        h.wait_until(lambda: worker.lines("worker.drain"), 10, "drain start")
        self.assertEqual(worker.http("/readyz")[0], 503)
        time.sleep(1)
        lock.release()
        self.assertEqual(worker.stop(), 0)
        self.assertEqual(worker.lines("job.release"), [])
        drained = worker.lines("worker.drained")[0]
        self.assertGreaterEqual(int(drained.split("unstarted=")[1].split()[0]), 2, drained)
        done = [j for j, s in h.statuses(job_ids).items() if s == "completed"]
        self.assertGreaterEqual(len(done), 4)
        # The rest was never started: its messages were not committed and come again.
        second = self.start_worker("second", JOB_REQUEUE_AFTER_MS=60000)
        h.wait_until(lambda: h.all_status(job_ids, "completed"), 60, "all jobs completed")
        self.assert_one_result_each(job_ids)
        self.assertEqual(second.stop(), 0)

    def test_drain_timeout_releases_running_jobs(self):
        lock = self.lock_results()
        worker = self.start_worker("first", WORKER_DRAIN_TIMEOUT_MS=500,
                                   JOB_REQUEUE_AFTER_MS=60000)
        worker.wait_ready()
        job_ids = [h.insert_job(self.uploads) for _ in range(4)]
        h.send_messages(job_ids)
        h.wait_until(lambda: self.count_processing(job_ids) == 4, 20, "four jobs in flight")
        worker.proc.send_signal(signal.SIGTERM)
        h.wait_until(lambda: len(worker.lines("job.release")) == 4, 15, "four releases")
        rows = h.sql("SELECT status, attempts, claim_token FROM jobs WHERE id = ANY(%s::uuid[])",
                     (job_ids,))
        for status, attempts, token in rows:
            self.assertEqual(status, "queued")
            self.assertEqual(attempts, 0)
            self.assertIsNone(token)
        lock.release()
        self.assertEqual(worker.stop(), 0)
        second = self.start_worker("second")
        h.wait_until(lambda: h.all_status(job_ids, "completed"), 60, "released jobs completed")
        self.assert_one_result_each(job_ids)
        attempts = h.sql("SELECT max(attempts) FROM jobs WHERE id = ANY(%s::uuid[])",
                         (job_ids,))[0][0]
        self.assertEqual(attempts, 1)
        self.assertEqual(second.stop(), 0)

    def test_full_pool_pauses_partitions(self):
        lock = self.lock_results()
        worker = self.start_worker("w", CONSUMER_MAX_CONCURRENCY=2, CONSUMER_PREFETCH=2,
                                   JOB_REQUEUE_AFTER_MS=60000)
        worker.wait_ready()
        job_ids = [h.insert_job(self.uploads) for _ in range(8)]
        h.send_messages(job_ids)

        # Both runs block on the locked results table, so the pool stays full and two
        # more messages wait in the prefetch queue: the bound is 2 + 2. Messages of
        # earlier tests are skipped first, and each skip may resume the consumer briefly.
        h.wait_until(lambda: self.count_processing(job_ids) == 2, 20, "two jobs claimed")
        h.wait_until(lambda: worker.metric("consumer_paused") == 1 and
                     worker.metric("consumer_prefetch_depth") == 2, 20,
                     "consumer paused with two messages prefetched")
        self.assertEqual(worker.metric("workers_active_total"), 2)
        self.assertEqual(worker.metric("workers_idle_total"), 0)
        self.assertEqual(worker.metric("consumer_paused"), 1)
        self.assertEqual(worker.metric("consumer_prefetch_depth"), 2)
        pauses = worker.lines("consumer.pause")
        self.assertTrue(any("reason=prefetch_full" in l and "prefetched=2" in l for l in pauses),
                        pauses)

        # Four more messages are in the topic, and none of them is taken while paused.
        time.sleep(1)
        self.assertEqual(self.count_processing(job_ids), 2)
        self.assertEqual(sum(1 for s in h.statuses(job_ids).values() if s == "queued"), 6)
        self.assertEqual(worker.metric("consumer_prefetch_depth"), 2)
        self.assertEqual(worker.metric("consumer_paused"), 1)
        lag = worker.metric('queue_lag_seconds{topic="evaluate-jobs",partition="0"}')
        self.assertIsNotNone(lag)

        lock.release()
        h.wait_until(lambda: h.all_status(job_ids, "completed"), 60, "all jobs completed")
        self.assert_one_result_each(job_ids)
        self.assertGreaterEqual(worker.metric("consumer_pauses_total"), 1)
        self.assertTrue(worker.lines("consumer.resume"))
        self.assertEqual(worker.metric("consumer_prefetch_depth"), 0)
        self.assertEqual(worker.stop(), 0)

    def test_revoke_drops_prefetched_messages(self):
        # The lock is held through a rebalance, which may outlast the default statement
        # timeout. A store that timed out would make its job run a second time.
        slow = {"JOB_REQUEUE_AFTER_MS": 60000, "DB_STATEMENT_TIMEOUT_MS": 120000}
        lock = self.lock_results()
        first = self.start_worker("a", CONSUMER_MAX_CONCURRENCY=2, CONSUMER_PREFETCH=2, **slow)
        first.wait_ready()
        job_ids = [h.insert_job(self.uploads) for _ in range(8)]
        h.send_messages(job_ids)
        h.wait_until(lambda: self.count_processing(job_ids) == 2, 20, "two jobs claimed")
        h.wait_until(lambda: first.metric("consumer_prefetch_depth") == 2, 20,
                     "two messages prefetched")

        # A second member makes the group rebalance. The eager assignors revoke every
        # partition of the first worker, so both prefetched messages are dropped.
        second = self.start_worker("b", CONSUMER_MAX_CONCURRENCY=4, **slow)
        h.wait_until(lambda: first.lines("consumer.prefetch_drop"), 30,
                     "prefetched messages dropped on revoke")
        self.assertIn("reason=revoke count=2", first.lines("consumer.prefetch_drop")[0])
        h.wait_until(lambda: self._split_assignment(first, second), 30,
                     "partitions split between both workers")

        lock.release()
        h.wait_until(lambda: h.all_status(job_ids, "completed"), 60, "all jobs completed")
        self.assert_one_result_each(job_ids)
        # A dropped message was never started: each job was claimed exactly once.
        claims = first.lines("job.claim") + second.lines("job.claim")
        for job_id in job_ids:
            self.assertEqual(sum(1 for line in claims if job_id in line), 1, job_id)
        attempts = h.sql("SELECT max(attempts) FROM jobs WHERE id = ANY(%s::uuid[])",
                         (job_ids,))[0][0]
        self.assertEqual(attempts, 1)
        self.assertEqual(first.stop(), 0)
        self.assertEqual(second.stop(), 0)

    def test_deadline_exceeded_fails_job(self):
        worker = self.start_worker("w", JOB_DEADLINE_MS=1000)
        worker.wait_ready()
        job_id = h.insert_job(self.uploads)
        lock = h.TableLock("uploads", "ACCESS EXCLUSIVE")
        self.locks.append(lock)
        h.send_messages([job_id])
        h.wait_until(lambda: h.all_status([job_id], "processing"), 20, "job claimed")
        time.sleep(1.5)
        lock.release()
        h.wait_until(lambda: h.all_status([job_id], "failed"), 20, "job failed")
        code = h.sql("SELECT error_code FROM jobs WHERE id = %s", (job_id,))[0][0]
        self.assertEqual(code, "deadline_exceeded")
        self.assertEqual(worker.metric('jobs_failed_total{error_code="deadline_exceeded"}'), 1)
        self.assertEqual(worker.stop(), 0)

    def test_requeue_failed_job_runs_again(self):
        job_id = h.insert_job(self.uploads, status="failed", attempts=3,
                              error_code="attempts_exhausted", error_message="test")
        worker = self.start_worker("w", JOB_REQUEUE_AFTER_MS=60000)
        worker.wait_ready()
        out = h.cvctl("requeue", "--failed")
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertIn("%s: failed -> queued, wake-up sent" % job_id, out.stdout.decode())
        h.wait_until(lambda: h.all_status([job_id], "completed"), 20, "requeued job completed")
        row = h.sql("SELECT attempts, error_code FROM jobs WHERE id = %s", (job_id,))[0]
        self.assertEqual(row, (1, None))
        self.assertEqual(worker.stop(), 0)


if __name__ == "__main__":
    program = unittest.main(verbosity=2, exit=False, argv=sys.argv)
    result = program.result
    failed = len(result.failures) + len(result.errors)
    passed = max(0, result.testsRun - failed - len(result.skipped))
    print("%d passed, %d failed" % (passed, failed))
    sys.exit(1 if failed else 0)
