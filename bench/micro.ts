// In-process micro benchmarks of the server's hot paths, on the compiled code.
import { randomBytes } from 'node:crypto';
import { Bench, type Task } from 'tinybench';
import { TaskTable } from '../src/core/task-table.js';
import { RingBuffer } from '../src/core/ring-buffer.js';
import { TaskState, TASK_STATE_COUNT } from '../src/core/task-state.js';
import { AssignTasks } from '../src/transport/generated/protocol.js';
import { ASSIGNMENT_WORDS, assignmentWords, decodeServerMessage, encodeAssign } from '../src/transport/worker-codec.js';
import { FrameCipher, FRAME_KEY_BYTES } from '../src/transport/frame-cipher.js';

export interface MicroResult {
  name: string;
  /** Median time of one call. */
  msPerOp: number;
  /** Items one call processes (rows, records, tasks, bytes). */
  itemsPerOp: number;
  itemName: string;
}

export const TABLE_ROWS = 1_000_000;
export const RING_RECORDS = 256;
export const RING_RECORD_WORDS = 16;
export const ASSIGN_BATCH = 4096;
export const FRAME_BYTES = 64 * 1024;

export async function runMicroBenchmarks(quick: boolean): Promise<MicroResult[]> {
  const bench = new Bench(
    quick
      ? { time: 0, iterations: 5, warmupTime: 0, warmupIterations: 2 }
      : { time: 1000, iterations: 20, warmupTime: 200, warmupIterations: 5 },
  );
  const items = new Map<string, { count: number; name: string }>();
  const add = (name: string, count: number, itemName: string, fn: () => void) => {
    items.set(name, { count, name: itemName });
    bench.add(name, fn);
  };
  // Results are folded into this so the work cannot be optimised away.
  let sink = 0;

  const table = TaskTable.create();
  table.allocate(TABLE_ROWS);
  add(`TaskTable.fillJob, ${TABLE_ROWS} rows`, TABLE_ROWS, 'row', () => {
    table.fillJob(0, TABLE_ROWS, 1, null, 0, 0);
  });
  add(`TaskTable.state reads, ${TABLE_ROWS} rows`, TABLE_ROWS, 'row', () => {
    let finished = 0;
    for (let row = 0; row < TABLE_ROWS; row++) if (table.state(row) === TaskState.Finished) finished++;
    sink += finished;
  });
  const counts = new Uint32Array(TASK_STATE_COUNT);
  add(`TaskTable.countStates, ${TABLE_ROWS} rows`, TABLE_ROWS, 'row', () => {
    table.countStates(0, TABLE_ROWS, counts);
    sink += counts[0];
  });

  const ring = RingBuffer.create(1 << 16);
  const record = new Int32Array(RING_RECORD_WORDS).fill(7);
  const onRecord = (_kind: number, data: Int32Array, offset: number) => {
    sink += data[offset];
  };
  add(`RingBuffer push+drain, ${RING_RECORDS} records x ${RING_RECORD_WORDS} words`, RING_RECORDS, 'record', () => {
    for (let i = 0; i < RING_RECORDS; i++) {
      if (!ring.tryPush(1, record)) throw new Error('ring unexpectedly full');
    }
    if (ring.drain(onRecord) !== RING_RECORDS) throw new Error('ring lost records');
  });

  const assignment = new Uint32Array(ASSIGN_BATCH * ASSIGNMENT_WORDS);
  for (let i = 0; i < assignment.length; i++) assignment[i] = i;
  add(`flatbuffers encodeAssign+decode, ${ASSIGN_BATCH} tasks`, ASSIGN_BATCH, 'task', () => {
    const bytes = encodeAssign(assignment, ASSIGN_BATCH);
    const words = assignmentWords(decodeServerMessage(bytes).payload(new AssignTasks()) as AssignTasks);
    if (words.length !== assignment.length) throw new Error('assignment batch did not round-trip');
    sink += words[words.length - 1];
  });

  const keyA = randomBytes(FRAME_KEY_BYTES);
  const keyB = randomBytes(FRAME_KEY_BYTES);
  const sender = new FrameCipher(keyA, keyB);
  const receiver = new FrameCipher(keyB, keyA);
  const frame = randomBytes(FRAME_BYTES);
  add(`FrameCipher seal+open, ${FRAME_BYTES / 1024} KiB frame`, FRAME_BYTES, 'byte', () => {
    sink += receiver.open(sender.seal(frame)).byteLength;
  });

  await bench.run();
  if (sink === -1) console.log(''); // keeps `sink` observable
  return bench.tasks.map((task) => toResult(task, items.get(task.name)!));
}

function toResult(task: Task, items: { count: number; name: string }): MicroResult {
  const result = task.result;
  if (result.state === 'errored') throw result.error;
  if (result.state !== 'completed') throw new Error(`micro benchmark '${task.name}' ended as ${result.state}`);
  return { name: task.name, msPerOp: result.latency.p50, itemsPerOp: items.count, itemName: items.name };
}
