import { test } from 'node:test';
import assert from 'node:assert/strict';
import { benchEnv, hasCommand, median, runChecked, runCommand } from '../../bench/processes.js';
import { cpuMilliseconds, peakRssBytes, rssBytes } from '../../bench/proc-stats.js';

test('median of odd and even counts, independent of order', () => {
  assert.equal(median([3]), 3);
  assert.equal(median([5, 1, 3]), 3);
  assert.equal(median([4, 1, 3, 2]), 2.5);
  assert.throws(() => median([]), RangeError);
});

test('children run without NODE_EXTRA_CA_CERTS but with everything else', () => {
  const saved = process.env.NODE_EXTRA_CA_CERTS;
  process.env.NODE_EXTRA_CA_CERTS = '/some/bundle.pem';
  try {
    const env = benchEnv({ EXTRA: '1' });
    assert.equal(env.NODE_EXTRA_CA_CERTS, undefined);
    assert.equal(env.EXTRA, '1');
    assert.equal(env.PATH, process.env.PATH);
  } finally {
    if (saved === undefined) delete process.env.NODE_EXTRA_CA_CERTS;
    else process.env.NODE_EXTRA_CA_CERTS = saved;
  }
});

test('runCommand collects output and exit status; runChecked turns failures into errors', async () => {
  const ok = await runCommand('sh', ['-c', 'echo out; echo err >&2']);
  assert.equal(ok.code, 0);
  assert.equal(ok.stdout, 'out\n');
  assert.equal(ok.stderr, 'err\n');
  assert.ok(ok.seconds >= 0);
  const failed = await runCommand('sh', ['-c', 'exit 3']);
  assert.equal(failed.code, 3);
  await assert.rejects(runChecked('sh', ['-c', 'echo broken >&2; exit 4']), /exited with 4\nbroken/);
});

test('hasCommand finds sh and not a made-up program', async () => {
  assert.equal(await hasCommand('sh'), true);
  assert.equal(await hasCommand('no-such-program-for-hq-bench'), false);
});

test('memory and CPU figures of a live process are read from /proc', () => {
  let x = 0;
  for (let i = 0; i < 1e6; i++) x += i;
  assert.ok(x > 0);
  const rss = rssBytes(process.pid);
  assert.ok(rss > 1024 * 1024);
  assert.ok(peakRssBytes(process.pid) >= rss);
  const cpu = cpuMilliseconds(process.pid);
  assert.ok(Number.isFinite(cpu) && cpu >= 0);
  assert.throws(() => rssBytes(2 ** 30));
});
