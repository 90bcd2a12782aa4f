// The command host's request format, as hq-exec writes it (command-host-client.c).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeRequest, MAX_REQUEST_BYTES, replyFrame, requestLength } from '../../src/command-host/wire.js';

const strings = (...items: string[]) => Buffer.from(items.map((s) => `${s}\0`).join(''));

test('a request carries build, directory, terminals, arguments and environment', () => {
  const r = decodeRequest(strings('b1', '/home/u/run', '10', '3', 'job', 'list', '', 'HOME=/home/u', 'A=x=y', 'junk'));
  assert.deepEqual(r, {
    buildId: 'b1',
    cwd: '/home/u/run',
    stdoutTTY: true,
    stderrTTY: false,
    args: ['job', 'list', ''],
    env: { HOME: '/home/u', A: 'x=y' },
  });
});

test('malformed requests are refused', () => {
  assert.throws(() => decodeRequest(Buffer.from('b1\0/x\x0000\x000')), /NUL/);
  assert.throws(() => decodeRequest(strings('b1', '/x', '2', '0')));
  assert.throws(() => decodeRequest(strings('b1', '/x', '00', '5', 'only-one')));
  assert.throws(() => decodeRequest(strings('b1', '/x', '00', '-1')));
  assert.throws(() => decodeRequest(Buffer.alloc(0)));
});

test('a header names the payload length, or the caller is not hq', () => {
  const header = Buffer.alloc(8);
  header.write('HQH1');
  header.writeUInt32LE(1234, 4);
  assert.equal(requestLength(header), 1234);
  header.writeUInt32LE(MAX_REQUEST_BYTES + 1, 4);
  assert.equal(requestLength(header), null);
  assert.equal(requestLength(Buffer.from('GET / HT')), null);
  assert.equal(requestLength(Buffer.from('HQH1')), null);
});

test('reply frames: kind, little-endian length, data', () => {
  assert.deepEqual([...replyFrame('o', 'hé')], [0x6f, 3, 0, 0, 0, 0x68, 0xc3, 0xa9]);
  assert.deepEqual([...replyFrame('x', 2)], [0x78, 4, 0, 0, 0, 2, 0, 0, 0]);
  assert.deepEqual([...replyFrame('d')], [0x64, 0, 0, 0, 0]);
});
