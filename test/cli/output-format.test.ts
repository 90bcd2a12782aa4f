import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatDurationSeconds, formatDurationMs, humanDuration } from '../../src/cli/output/durations.js';
import {
  formatLocalTime,
  formatLogTimestamp,
  formatRfc3339,
  formatUtcRounded,
  formatUtcTruncated,
} from '../../src/cli/output/datetimes.js';
import { compactIds, formatIdRanges, mergeIdRanges } from '../../src/cli/output/id-ranges.js';
import { formatFixed, pluralize, truncateEnd, truncateMiddle, wrapText } from '../../src/cli/output/text.js';
import {
  formatAmount,
  formatMemory,
  formatResourceRequests,
  resourcesFullDescription,
  resourcesSummary,
} from '../../src/cli/output/resources-text.js';
import { JsonFloat, toPrettyJson } from '../../src/cli/output/json-text.js';
import { colorsEnabled, parseColorChoice, parseOutputMode } from '../../src/cli/output/output-mode.js';
import { UserError } from '../../src/common/errors.js';
import type { WorkerResource } from '../../src/client/types.js';

test('full-precision durations', () => {
  assert.equal(formatDurationSeconds(0), '0s');
  assert.equal(formatDurationSeconds(8), '8s');
  assert.equal(formatDurationSeconds(90), '1m 30s');
  assert.equal(formatDurationSeconds(3600), '1h');
  assert.equal(formatDurationSeconds(1.5), '1s 500ms');
  assert.equal(formatDurationSeconds(0.000123456), '123us 456ns');
  assert.equal(formatDurationSeconds(7 * 86400 + 8 * 3600 + 9 * 60 + 11), '7days 8h 9m 11s');
  assert.equal(formatDurationSeconds(86400), '1day');
  assert.equal(formatDurationSeconds(31_557_600 + 2_630_016 * 2), '1year 2months');
  assert.equal(formatDurationMs(1234), '1s 234ms');
});

test('makespan durations are truncated to a readable precision', () => {
  assert.equal(humanDuration(0), '0s');
  assert.equal(humanDuration(0.5), '0s');
  assert.equal(humanDuration(1500), '1s 500ms');
  assert.equal(humanDuration(1000), '1s');
  assert.equal(humanDuration(62_111), '1m 2s');
  assert.equal(humanDuration(123_456), '2m 3s');
  assert.equal(humanDuration(11_111_000), '3h 5m');
  assert.equal(humanDuration((7 * 86400 + 8 * 3600 + 9 * 60 + 11) * 1000), '7days 8h 9m');
  assert.equal(humanDuration(-5), 'Invalid duration');
});

test('timestamps', () => {
  const t = Date.UTC(2021, 11, 20, 8, 45, 41);
  assert.equal(formatRfc3339(t), '2021-12-20T08:45:41Z');
  assert.equal(formatRfc3339(t + 775), '2021-12-20T08:45:41.775Z');
  assert.equal(formatRfc3339(t + 5), '2021-12-20T08:45:41.005Z');
  assert.equal(formatUtcTruncated(t + 999), '2021-12-20 08:45:41 UTC');
  assert.equal(formatUtcRounded(t + 499), '2021-12-20 08:45:41 UTC');
  assert.equal(formatUtcRounded(t + 500), '2021-12-20 08:45:42 UTC');
  assert.equal(formatLogTimestamp(t + 999), '2021-12-20T08:45:41Z');
  const local = new Date(2021, 0, 2, 3, 4, 5).getTime();
  assert.equal(formatLocalTime(local), '02.01.2021 03:04:05');
});

test('id ranges', () => {
  assert.equal(
    formatIdRanges([
      { start: 1, end: 10, step: 1 },
      { start: 20, end: 20, step: 1 },
      { start: 30, end: 40, step: 2 },
    ]),
    '1-10,20,30-40:2',
  );
  assert.equal(formatIdRanges([]), '');
  assert.equal(compactIds(new Uint32Array([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 20])), '1-10,20');
  assert.equal(compactIds([0, 2, 3, 3, 4, 9]), '0,2-4,9');
  assert.equal(compactIds([]), '');
  // Ids of several submissions: sorted, adjacent unit ranges joined, stepped ones kept.
  const r = (start: number, end: number, step = 1) => ({ start, end, step });
  assert.equal(formatIdRanges(mergeIdRanges([r(2, 2), r(0, 0), r(1, 1), r(3, 9), r(20, 30, 5), r(31, 31)])), '0-9,20-30:5,31');
  assert.equal(formatIdRanges(mergeIdRanges([r(0, 5), r(3, 4), r(7, 7)])), '0-5,7');
});

test('text helpers', () => {
  assert.equal(pluralize('job', 1), 'job');
  assert.equal(pluralize('job', 0), 'jobs');
  assert.equal(truncateMiddle('abcde', 5), 'abcde');
  assert.equal(truncateMiddle('abcdef', 5), 'a...f');
  assert.equal(truncateMiddle('a'.repeat(30) + 'b'.repeat(30), 11), 'aaaa...bbbb');
  assert.deepEqual(truncateEnd('short', 16), { text: 'short', truncated: false });
  assert.deepEqual(truncateEnd('0123456789abcdefXYZ', 16), { text: '0123456789abcdef...', truncated: true });
  assert.equal(wrapText('one  two', 80), 'one  two');
  assert.equal(wrapText('aaa bbb ccc', 7), 'aaa bbb\nccc');
  assert.equal(wrapText('x'.repeat(10), 4), 'xxxx\nxxxx\nxx');
  assert.equal(formatFixed(4.125, 2), '4.12');
  assert.equal(formatFixed(4.375, 2), '4.38');
  assert.equal(formatFixed(1.005, 2), (1.005).toFixed(2));
});

test('resource text', () => {
  assert.equal(formatAmount(4), '4');
  assert.equal(formatAmount(0.5), '0.5');
  assert.equal(formatAmount(1.2345), '1.2345');
  assert.equal(formatMemory(4 * 1024 + 123), '4.12 GiB');
  assert.equal(formatMemory(100), '100.00 MiB');
  const resources: WorkerResource[] = [
    { name: 'cpus', kind: 'groups', groups: [['0', '1', '2', '4'], ['10', '11', '12', '14']], sum: 0 },
    { name: 'gpus', kind: 'list', groups: [['4', '7']], sum: 0 },
    { name: 'mmmem', kind: 'sum', groups: [], sum: 1234 },
    {
      name: 'zzz',
      kind: 'groups',
      groups: [['0', '1'], ['10', '11'], ['20', '21'], ['30', '31'], ['40', '41'], ['50', '51', '52', '53', '54', '55']],
      sum: 0,
    },
  ];
  assert.equal(resourcesSummary(resources, true), 'cpus: 2x4\ngpus: 2\nmmmem: 1234\nzzz: 5x2 1x6');
  assert.equal(resourcesSummary(resources, false), 'cpus 2x4; gpus 2; mmmem 1234; zzz 5x2 1x6');
  assert.equal(
    resourcesFullDescription(resources.slice(0, 3)),
    'cpus: [[0,1,2,4],[10,11,12,14]]\ngpus: [4,7]\nmmmem: sum(1234)',
  );
  const range: WorkerResource = { name: 'cpus', kind: 'range', groups: [['0', '1', '2', '3']], sum: 0 };
  assert.equal(resourcesSummary([range], false), 'cpus 4');
  assert.equal(resourcesFullDescription([range]), 'cpus: range(0-3)');
  assert.equal(resourcesFullDescription([{ ...range, groups: [['5']] }]), 'cpus: [5]');
  assert.equal(
    formatResourceRequests([
      { name: 'gpus', amount: 1, policy: 'scatter' },
      { name: 'cpus', amount: 0, policy: 'all' },
    ]),
    'cpus: all\ngpus: 1 scatter',
  );
});

test('pretty json: sorted keys, floats keep a decimal point, undefined keys dropped', () => {
  assert.equal(
    toPrettyJson({ b: [1, new JsonFloat(8)], a: { z: null, y: 'x"y' }, c: [], d: {}, e: undefined }),
    '{\n  "a": {\n    "y": "x\\"y",\n    "z": null\n  },\n  "b": [\n    1,\n    8.0\n  ],\n  "c": [],\n  "d": {}\n}',
  );
  assert.equal(toPrettyJson(new JsonFloat(1.25)), '1.25');
});

test('output mode and colour choices', () => {
  assert.equal(parseOutputMode('json'), 'json');
  assert.equal(parseOutputMode('QUIET'), 'quiet');
  assert.throws(() => parseOutputMode('xml'), (e: unknown) => e instanceof UserError && /'xml'/.test(e.message));
  assert.equal(parseColorChoice('never'), 'never');
  assert.throws(() => parseColorChoice('sometimes'), UserError);
  assert.equal(colorsEnabled('always', { isTTY: false }, {}), true);
  assert.equal(colorsEnabled('never', { isTTY: true }, {}), false);
  assert.equal(colorsEnabled('auto', { isTTY: true }, {}), true);
  assert.equal(colorsEnabled('auto', { isTTY: false }, {}), false);
  assert.equal(colorsEnabled('auto', { isTTY: true }, { NO_COLOR: '1' }), false);
});
