import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatDuration, formatElapsed, parseDuration, parseHmsOrDuration } from '../../src/common/duration.js';
import { expectUserError } from './expect-user-error.js';

test('every humantime unit', () => {
  const cases: Array<[string, number]> = [
    ['17nsec', 17e-9],
    ['17nanos', 17e-9],
    ['33ns', 33e-9],
    ['3usec', 3e-6],
    ['78us', 78e-6],
    ['163µs', 163e-6],
    ['31msec', 0.031],
    ['31millis', 0.031],
    ['6ms', 0.006],
    ['3000s', 3000],
    ['300sec', 300],
    ['300secs', 300],
    ['50seconds', 50],
    ['1second', 1],
    ['100m', 6000],
    ['12min', 720],
    ['12mins', 720],
    ['1minute', 60],
    ['7minutes', 420],
    ['2h', 7200],
    ['7hr', 25200],
    ['7hrs', 25200],
    ['1hour', 3600],
    ['24hours', 86400],
    ['1day', 86400],
    ['2days', 172800],
    ['365d', 31536000],
    ['1week', 604800],
    ['7weeks', 4233600],
    ['52w', 31449600],
    ['1month', 2630016],
    ['3months', 3 * 2630016],
    ['12M', 31560192],
    ['1year', 31557600],
    ['7years', 7 * 31557600],
    ['17y', 536479200],
  ];
  for (const [text, seconds] of cases) assert.ok(Math.abs(parseDuration(text) - seconds) < 1e-12, text);
});

test('combinations, spacing and separators', () => {
  assert.equal(parseDuration('2min 30s'), 150);
  assert.equal(parseDuration('1h 30m'), 5400);
  assert.equal(parseDuration('2h15m'), 8100);
  assert.equal(parseDuration('15days 2min 2s'), 15 * 86400 + 122);
  assert.equal(parseDuration('  10 m  '), 600);
  assert.equal(parseDuration('1 0s'), 10);
  assert.equal(parseDuration('0ms'), 0);
  assert.ok(Math.abs(parseDuration('20 min 17 nsec ') - (1200 + 17e-9)) < 1e-9);
  assert.equal(parseDuration('1s 1500ms'), 2.5);
});

test('bad durations name the value and the problem', () => {
  expectUserError(() => parseDuration(''), "''", /empty/);
  expectUserError(() => parseDuration('   '), "'   '", /empty/);
  expectUserError(() => parseDuration('10'), "'10'", /time unit needed, for example 10sec/);
  expectUserError(() => parseDuration('1.5h'), '1.5h', /invalid character '\.'/);
  expectUserError(() => parseDuration('5 parsecs'), '5 parsecs', /unknown time unit 'parsecs'/);
  expectUserError(() => parseDuration('h'), "'h'", /expected a number/);
  expectUserError(() => parseDuration('2 hours min'), '2 hours min', /expected a number/);
  expectUserError(() => parseDuration('-1s'), '-1s', /expected a number/);
  expectUserError(() => parseDuration('1h-'), '1h-', /invalid character '-'/);
  expectUserError(() => parseDuration('00:10:00'), '00:10:00', /invalid character ':'/);
  expectUserError(() => parseDuration('100000000000000000000s'), '100000000000000000000s', /too large/);
  expectUserError(() => parseDuration('1000000000000000000h'), '1000000000000000000h', /too large/);
});

test('walltimes accept [[HH:]MM:]SS as well', () => {
  assert.equal(parseHmsOrDuration('01'), 1);
  assert.equal(parseHmsOrDuration('1:1'), 61);
  assert.equal(parseHmsOrDuration('80:02'), 80 * 60 + 2);
  assert.equal(parseHmsOrDuration('02:03:04'), 2 * 3600 + 3 * 60 + 4);
  assert.equal(parseHmsOrDuration('1_0:00:00'), 36000);
  assert.equal(parseHmsOrDuration('2hours'), 7200);
  expectUserError(() => parseHmsOrDuration('12:'), "'12:'", /HH:MM:SS/);
  expectUserError(() => parseHmsOrDuration('1:2:3:4'), '1:2:3:4');
  expectUserError(() => parseHmsOrDuration('x'), "'x'");
});

test('formatDuration prints like humantime', () => {
  assert.equal(formatDuration(0), '0s');
  assert.equal(formatDuration(9420), '2h 37m');
  assert.equal(formatDuration(0.032), '32ms');
  assert.equal(formatDuration(150), '2m 30s');
  assert.equal(formatDuration(3723), '1h 2m 3s');
  assert.equal(formatDuration(86400), '1day');
  assert.equal(formatDuration(2 * 86400 + 1), '2days 1s');
  assert.equal(formatDuration(31557600 + 2 * 2630016 + 86400), '1year 2months 1day');
  assert.equal(formatDuration(1.000_002_003), '1s 2us 3ns');
});

test('formatDuration output parses back to the same value', () => {
  for (const seconds of [0, 1, 59, 61, 3599, 3601, 86399, 90061, 1e7, 1234567890, 0.5, 12.25]) {
    assert.equal(parseDuration(formatDuration(seconds)), seconds, String(seconds));
  }
});

test('formatElapsed truncates like HyperQueue tables', () => {
  assert.equal(formatElapsed(0.000123456), '0s');
  assert.equal(formatElapsed(123.456890123), '2m 3s');
  assert.equal(formatElapsed(1.5), '1s 500ms');
  assert.equal(formatElapsed(1), '1s');
  assert.equal(formatElapsed(62.111), '1m 2s');
  assert.equal(formatElapsed(100.0000001), '1m 40s');
  assert.equal(formatElapsed(11111), '3h 5m');
  assert.equal(formatElapsed(7 * 86400 + 8 * 3600 + 9 * 60 + 11), '7days 8h 9m');
  assert.equal(formatElapsed(-1), 'Invalid duration');
});
