// Task records survive the trip through the worker protocol exactly: the
// struct vectors are written and read as whole blocks of words.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fb from 'flatbuffers';
import { writeStructWords } from '../../src/transport/struct-vector.js';
import {
  ASSIGNMENT_WORDS,
  TASK_REF_WORDS,
  assignmentWords,
  decodeServerMessage,
  decodeWorkerMessage,
  encodeAssign,
  encodeForgetJobs,
  encodeJobDefinition,
  decodeJobDefinition,
  forEachDefinition,
  forgottenJobs,
  encodeUpdates,
  finishedWords,
  startedWords,
} from '../../src/transport/worker-codec.js';
import {
  AssignTasks,
  ForgetJobs,
  JobDefinitionT,
  ServerPayload,
  TaskUpdates,
} from '../../src/transport/generated/protocol.js';

function randomWords(n: number, seed: number): Uint32Array {
  const out = new Uint32Array(n);
  let x = seed;
  for (let i = 0; i < n; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    out[i] = i % 7 === 0 ? 0xffffffff - i : x;
  }
  return out;
}

test('assignment batches of any size decode to the same words', () => {
  for (const count of [1, 2, 3, 1000, 4096]) {
    // Only the first `count` records of a larger buffer are sent.
    const words = randomWords((count + 5) * ASSIGNMENT_WORDS, count);
    const message = decodeServerMessage(encodeAssign(words, count));
    const decoded = assignmentWords(message.payload(new AssignTasks()) as AssignTasks);
    assert.deepEqual(decoded, words.subarray(0, count * ASSIGNMENT_WORDS));
  }
});

test('task updates keep started, finished and failed records apart', () => {
  const started = randomWords(3 * TASK_REF_WORDS, 1);
  const finished = randomWords(10 * TASK_REF_WORDS, 2);
  // A failure text before the vectors shifts their position in the buffer.
  const bytes = encodeUpdates(started, 3, finished, 7, [{ row: 5, instance: 2, error: 'exit code 3' }]);
  const updates = decodeWorkerMessage(bytes).payload(new TaskUpdates()) as TaskUpdates;
  assert.deepEqual(startedWords(updates), started);
  assert.deepEqual(finishedWords(updates), finished.subarray(0, 7 * TASK_REF_WORDS));
  assert.equal(updates.failedLength(), 1);
  assert.equal(updates.failed(0)!.error(), 'exit code 3');
});

/** The message's bytes as they are, and copied to an odd address (as a frame may leave them). */
function alignedAndNot(bytes: Uint8Array): Uint8Array[] {
  const shifted = new Uint8Array(bytes.length + 1).subarray(1);
  shifted.set(bytes);
  return [bytes, shifted];
}

test('an assignment is read as sent, also out of an unaligned buffer', () => {
  const words = randomWords(3 * ASSIGNMENT_WORDS, 9);
  for (const plain of alignedAndNot(encodeAssign(words, 3))) {
    const msg = decodeServerMessage(plain);
    assert.equal(msg.payloadType(), ServerPayload.AssignTasks);
    assert.deepEqual(assignmentWords(msg.payload(new AssignTasks()) as AssignTasks), words);
  }
});

test('the ended jobs a worker may forget arrive as sent, also out of an unaligned buffer', () => {
  const ids = Uint32Array.of(1, 7, 4_000_000_000, 42);
  for (const plain of alignedAndNot(encodeForgetJobs(ids))) {
    const msg = decodeServerMessage(plain);
    assert.equal(msg.payloadType(), ServerPayload.ForgetJobs);
    assert.deepEqual(forgottenJobs(msg.payload(new ForgetJobs()) as ForgetJobs), ids);
  }
});

test('the job definitions an assignment carries come out whole, in the order sent, ahead of its tasks', () => {
  const words = randomWords(4 * ASSIGNMENT_WORDS, 11);
  const parts: Array<[number, Uint8Array]> = [
    [3, encodeJobDefinition(new JobDefinitionT(3, '/home/u/a', '', []))],
    [4_000_000_000, encodeJobDefinition(new JobDefinitionT(4_000_000_000, '/scratch/'.padEnd(300, 'x'), '/s', []))],
    // A second part of job 3 (tasks added to an open job).
    [3, encodeJobDefinition(new JobDefinitionT(3, '/home/u/b', '', []))],
  ];
  for (const plain of alignedAndNot(encodeAssign(words, 4, parts))) {
    const assign = decodeServerMessage(plain).payload(new AssignTasks()) as AssignTasks;
    const seen: Array<[number, string]> = [];
    forEachDefinition(assign, (jobId, encoded) => {
      const def = decodeJobDefinition(encoded);
      assert.equal(def.jobId, jobId);
      seen.push([jobId, String(def.submitDir)]);
    });
    assert.deepEqual(seen, [
      [3, '/home/u/a'],
      [4_000_000_000, '/scratch/'.padEnd(300, 'x')],
      [3, '/home/u/b'],
    ]);
    assert.deepEqual(assignmentWords(assign), words);
  }
  // Without definitions the field is left out.
  const bare = decodeServerMessage(encodeAssign(words, 4)).payload(new AssignTasks()) as AssignTasks;
  assert.equal(bare.definitionsArray(), null);
  forEachDefinition(bare, () => assert.fail('no definition was sent'));
});

test('a definition whose length runs past the assignment is refused', () => {
  const words = randomWords(ASSIGNMENT_WORDS, 12);
  const plain = encodeAssign(words, 1, [[9, encodeJobDefinition(new JobDefinitionT(9, '/d', '', []))]]);
  const assign = decodeServerMessage(plain).payload(new AssignTasks()) as AssignTasks;
  // Claim one byte more than the definition has.
  const bytes = assign.definitionsArray()!;
  new DataView(bytes.buffer, bytes.byteOffset).setUint32(4, bytes.length - 8 + 1, true);
  assert.throws(() => forEachDefinition(assign, () => {}), /truncated job definition/);
});

test('struct vectors land at their source offset modulo 8, so copies out of shared memory go word by word', () => {
  for (const sourceOffset of [0, 4, 8, 12]) {
    for (const before of [0, 1, 3, 6]) {
      const shared = new Uint32Array(new SharedArrayBuffer(64 + 10 * ASSIGNMENT_WORDS * 4), sourceOffset, 10 * ASSIGNMENT_WORDS);
      shared.set(randomWords(10 * ASSIGNMENT_WORDS, sourceOffset + before));
      const builder = new fb.Builder(64);
      if (before > 0) builder.createByteVector(new Uint8Array(before).fill(7));
      const vector = writeStructWords(builder, shared, 10, ASSIGNMENT_WORDS);
      // The vector's length word, then its structs.
      const start = builder.dataBuffer().capacity() - vector + 4;
      assert.equal((start - sourceOffset) % 8, 0, `source at ${sourceOffset}, ${before} bytes before`);
      const copied = new Uint32Array(builder.dataBuffer().bytes().slice(start, start + shared.byteLength).buffer);
      assert.deepEqual(copied, shared.slice());
    }
  }
});
