// When a job ends, the control plane tells the I/O threads once, so that they
// and the workers drop what they kept to run it. Announcements are gathered
// for a short while; the tests send them at once with flushEndedJobs().
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InProcessServer } from './in-process-server.js';

/** A server with one simulated worker of 2 cpus whose tasks end as `outcome` says, stopped after `body`. */
async function withServer(outcome: InProcessServer['outcome'], body: (s: InProcessServer) => Promise<void>): Promise<void> {
  const s = new InProcessServer();
  try {
    s.outcome = outcome;
    await s.addWorker(2, 4);
    await body(s);
  } finally {
    await s.stop();
  }
}

test('jobs are announced as ended once, when their last task ends', async () => {
  await withServer((_job, task) => (task === 2 ? 'fail' : 'finish'), async (s) => {
    const first = await s.submit({ count: 5 });
    const second = await s.submit({ count: 1 });
    assert.deepEqual(s.endedJobs, []);
    await s.run();
    s.cp.flushEndedJobs();
    assert.deepEqual([...s.endedJobs].sort(), [first, second].sort());
    // Later work touches neither again.
    const third = await s.submit({ count: 3 });
    await s.run();
    s.cp.flushEndedJobs();
    assert.deepEqual([...s.endedJobs].sort(), [first, second, third].sort());
    await s.forget([first]);
    s.cp.flushEndedJobs();
    assert.equal(s.endedJobs.length, 3);
  });
});

test('an open job is not announced until it is closed, however many of its tasks ended', async () => {
  await withServer(() => 'finish', async (s) => {
    const id = s.cp.openJob({ name: 'open', maxFails: null, submitDir: '/tmp', streamDir: '' });
    await s.submit({ jobId: id, count: 3 });
    await s.run();
    assert.equal((await s.jobInfo(id)).finished, 3);
    s.cp.flushEndedJobs();
    assert.deepEqual(s.endedJobs, [], 'an open job can still get tasks');
    await s.submit({ jobId: id, ids: [{ start: 3, end: 4, step: 1 }] });
    await s.run();
    s.cp.flushEndedJobs();
    assert.deepEqual(s.endedJobs, []);
    assert.equal(s.cp.closeJob(s.cp.jobs.get(id)!), true);
    s.cp.flushEndedJobs();
    assert.deepEqual(s.endedJobs, [id]);
  });
});

test('a canceled job is announced once its tasks are canceled, held ones included', async () => {
  await withServer(() => 'hold', async (s) => {
    const id = await s.submit({ count: 10 });
    await s.run();
    s.cp.flushEndedJobs();
    assert.deepEqual(s.endedJobs, [], 'its tasks are still running');
    await s.cancel(id);
    await s.settle();
    s.cp.flushEndedJobs();
    assert.deepEqual(s.endedJobs, [id]);
  });
});

test('jobs ending in quick succession reach the I/O threads together, without anyone flushing', async () => {
  await withServer(() => 'finish', async (s) => {
    const ids = [await s.submit({ count: 1 }), await s.submit({ count: 2 })];
    await s.run();
    const more = await s.submit({ count: 1 });
    await s.run();
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.deepEqual([...s.endedJobs].sort(), [...ids, more].sort());
  });
});

test('a job forgotten right after it ended is announced to the I/O threads at once', async () => {
  await withServer(() => 'finish', async (s) => {
    const id = await s.submit({ count: 2 });
    await s.run();
    assert.deepEqual(await s.forget([id]), [id]);
    // Forgetting sends the pending announcement: that is what tells the job's workers.
    assert.deepEqual(s.ioCalls, [`ended ${id}`]);
  });
});
