import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { StreamWriter } from '../../src/worker/stream-writer.js';
import { STREAM_FILE_SUFFIX } from '../../src/common/stream-format.js';
import { formatStreamExport, StreamReader } from '../../src/client/stream-reader.js';
import { expectUserError } from '../common/expect-user-error.js';

const UID = 'srv-uid-1';

function withDir(body: (dir: string) => void): void {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hq-stream-'));
  try {
    body(dir);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const text = (value: string): Buffer => Buffer.from(value, 'utf8');

test('three writers with interleaved tasks: every line comes back in order per task', () => {
  withDir((dir) => {
    // Small buffers and no timer: many flushes, deterministic content.
    const writers = ['node-a', 'node-b', 'node-c'].map((name) => StreamWriter.open(dir, UID, name, { bufferSize: 256, flushIntervalMs: 0 }));
    const TASKS = 30;
    const LINES = 20;
    const writerOf = (task: number) => writers[task % 3]!;
    for (let task = 0; task < TASKS; task++) writerOf(task).taskStarted(7, task, 0);
    for (let line = 0; line < LINES; line++) {
      for (let task = 0; task < TASKS; task++) {
        writerOf(task).write(7, task, 0, 0, text(`task ${task} line ${line}\n`));
        if (line % 4 === 0) writerOf(task).write(7, task, 0, 1, text(`task ${task} warning ${line}\n`));
      }
    }
    for (let task = 0; task < TASKS; task++) writerOf(task).taskEnded(7, task, 0, task !== 5);
    for (const writer of writers) writer.close();

    const names = fs.readdirSync(dir);
    assert.equal(names.length, 3, 'one file per writer');
    assert.ok(names.every((n) => n.endsWith(STREAM_FILE_SUFFIX)));

    const reader = StreamReader.open(dir);
    assert.deepEqual(reader.jobs(), [7]);
    assert.equal(reader.tasks(7).length, TASKS);
    let expected = '';
    for (let task = 0; task < TASKS; task++) for (let line = 0; line < LINES; line++) expected += `task ${task} line ${line}\n`;
    assert.equal(reader.cat(7, 'stdout').toString(), expected);
    assert.equal(reader.cat(7, 'stderr', [3]).toString(), [0, 4, 8, 12, 16].map((l) => `task 3 warning ${l}\n`).join(''));
    assert.equal(reader.cat(7, 'stdout', [29, 1]).toString().split('\n')[0], 'task 1 line 0', 'tasks come in id order');

    // show interleaves all records; within each task they keep their order.
    const lines = reader.show({ channel: 'stdout' }).trimEnd().split('\n');
    assert.equal(lines.length, TASKS * LINES);
    const seen = new Map<number, number>();
    for (const entry of lines) {
      const match = /^7\.(\d\d):0> task (\d+) line (\d+)$/.exec(entry);
      assert.ok(match, `unexpected show line '${entry}'`);
      const task = Number(match[1]);
      assert.equal(Number(match[2]), task);
      const next = seen.get(task) ?? 0;
      assert.equal(Number(match[3]), next);
      seen.set(task, next + 1);
    }

    const summary = reader.summary();
    assert.equal(summary.files, 3);
    assert.equal(summary.jobs, 1);
    assert.equal(summary.tasks, TASKS);
    assert.equal(summary.streams, TASKS);
    assert.equal(summary.superseded, 0);
    assert.equal(summary.incompleteTasks, 0);
    assert.equal(summary.failedTasks, 1);
    assert.equal(summary.stdoutBytes, Buffer.byteLength(expected));
    assert.deepEqual(summary.truncatedFiles, []);
    assert.deepEqual(
      reader.files.map((f) => f.writer).sort(),
      ['node-a', 'node-b', 'node-c'],
    );
  });
});

test('10 000 tasks round trip', () => {
  withDir((dir) => {
    const writers = [StreamWriter.open(dir, UID, 'w1'), StreamWriter.open(dir, UID, 'w2')];
    const TASKS = 10_000;
    for (let task = 0; task < TASKS; task++) {
      const writer = writers[task & 1]!;
      writer.taskStarted(1, task, 0);
      writer.write(1, task, 0, 0, text(`out ${task}\n`));
      writer.write(1, task, 0, 1, text(`err ${task}\n`));
      writer.taskEnded(1, task, 0, true);
    }
    for (const writer of writers) writer.close();
    const reader = StreamReader.open(dir);
    const summary = reader.summary();
    assert.equal(summary.tasks, TASKS);
    assert.equal(summary.incompleteTasks, 0);
    let out = '';
    let err = '';
    for (let task = 0; task < TASKS; task++) {
      out += `out ${task}\n`;
      err += `err ${task}\n`;
    }
    assert.equal(summary.stdoutBytes, out.length);
    assert.equal(summary.stderrBytes, err.length);
    assert.equal(reader.cat(1, 'stdout').toString(), out);
    assert.equal(reader.cat(1, 'stderr').toString(), err);
    const exported = reader.export(1);
    assert.equal(exported.length, TASKS);
    assert.deepEqual(exported[1234], { id: 1234, finished: true, stdout: 'out 1234\n', stderr: 'err 1234\n' });
  });
});

test('a restarted task shows only its last instance; earlier ones count as superseded', () => {
  withDir((dir) => {
    const first = StreamWriter.open(dir, UID, 'crashed-node');
    first.taskStarted(2, 0, 0);
    first.write(2, 0, 0, 0, text('old run\n'));
    first.close();
    const second = StreamWriter.open(dir, UID, 'other-node');
    second.taskStarted(2, 0, 1);
    second.write(2, 0, 1, 0, text('new run\n'));
    second.taskEnded(2, 0, 1, true);
    second.close();
    const reader = StreamReader.open(dir);
    assert.equal(reader.cat(2, 'stdout').toString(), 'new run\n');
    const summary = reader.summary();
    assert.equal(summary.streams, 2);
    assert.equal(summary.superseded, 1);
    assert.equal(summary.supersededStdoutBytes, 8);
    assert.equal(summary.stdoutBytes, 8);
    assert.equal(summary.incompleteTasks, 0);
    assert.equal(reader.show(), '2.0:0> new run\n');
  });
});

test('a truncated tail is reported and everything before it is read', () => {
  withDir((dir) => {
    const writer = StreamWriter.open(dir, UID, 'dying');
    for (let task = 0; task < 3; task++) {
      writer.taskStarted(4, task, 0);
      writer.write(4, task, 0, 0, text(`complete ${task}\n`));
      writer.taskEnded(4, task, 0, true);
    }
    writer.taskStarted(4, 3, 0);
    writer.write(4, 3, 0, 0, text('this record gets cut off\n'));
    writer.close();
    const size = fs.statSync(writer.path).size;
    fs.truncateSync(writer.path, size - 5);

    const reader = StreamReader.open(dir);
    const summary = reader.summary();
    assert.equal(summary.truncatedFiles.length, 1);
    const truncated = summary.truncatedFiles[0]!;
    assert.equal(truncated.path, writer.path);
    assert.equal(truncated.writer, 'dying');
    assert.equal(truncated.reason, 'incomplete record');
    assert.equal(truncated.validBytes + truncated.droppedBytes, size - 5);
    assert.equal(truncated.droppedBytes, 28 + 25 - 5);
    assert.equal(summary.tasks, 4, 'the started record of task 3 is complete');
    assert.equal(summary.incompleteTasks, 1);
    assert.deepEqual(reader.incompleteTasks(), [{ job: 4, task: 3 }]);
    assert.equal(reader.cat(4, 'stdout', [0, 1, 2]).toString(), 'complete 0\ncomplete 1\ncomplete 2\n');
    assert.equal(reader.cat(4, 'stdout', undefined, { allowUnfinished: true }).toString(), 'complete 0\ncomplete 1\ncomplete 2\n');
    expectUserError(() => reader.cat(4, 'stdout'), 'task 3', /not finished/);

    // Garbage after the last complete record is reported as corruption.
    fs.truncateSync(writer.path, truncated.validBytes);
    fs.appendFileSync(writer.path, Buffer.alloc(40, 0xee));
    const corrupt = StreamReader.open(dir).summary().truncatedFiles[0]!;
    assert.equal(corrupt.reason, 'corrupt record');
    assert.equal(corrupt.validBytes, truncated.validBytes);
    assert.equal(corrupt.droppedBytes, 40);
  });
});

test('reading while a writer still appends sees what was written out', () => {
  withDir((dir) => {
    const writer = StreamWriter.open(dir, UID, 'busy', { flushIntervalMs: 0 });
    try {
      writer.taskStarted(1, 0, 0);
      writer.write(1, 0, 0, 0, text('first\n'));
      writer.flush();
      writer.write(1, 0, 0, 0, text('still buffered\n'));

      const early = StreamReader.open(dir);
      assert.equal(early.cat(1, 'stdout', undefined, { allowUnfinished: true }).toString(), 'first\n');
      assert.equal(early.summary().incompleteTasks, 1);
      assert.deepEqual(early.summary().truncatedFiles, []);
      expectUserError(() => early.cat(1, 'stdout'), 'task 0 of job 1', /not finished/);

      // A record half way written looks like a truncated tail until it is complete.
      writer.flush();
      const record = fs.readFileSync(writer.path);
      const half = StreamReader.open(dir);
      assert.equal(half.summary().stdoutBytes, 'first\nstill buffered\n'.length);
      // The last record holds 'still buffered\n': 28 header bytes and 15 of text.
      const lastRecord = record.length - 43;
      fs.appendFileSync(writer.path, record.subarray(lastRecord, lastRecord + 7));
      const partial = StreamReader.open(dir).summary();
      assert.deepEqual(
        partial.truncatedFiles.map((f) => [f.droppedBytes, f.reason]),
        [[7, 'incomplete record']],
      );
      fs.truncateSync(writer.path, record.length);

      writer.taskEnded(1, 0, 0, true);
      writer.flush();
      const late = StreamReader.open(dir);
      assert.equal(late.cat(1, 'stdout').toString(), 'first\nstill buffered\n');
      assert.equal(late.summary().incompleteTasks, 0);
    } finally {
      writer.close();
    }
  });
});

test('data larger than the buffer is written straight through', () => {
  withDir((dir) => {
    const writer = StreamWriter.open(dir, UID, 'big', { bufferSize: 64 });
    const big = Buffer.alloc(5000, 'x');
    writer.taskStarted(3, 9, 0);
    writer.write(3, 9, 0, 1, text('before\n'));
    writer.write(3, 9, 0, 1, big);
    writer.write(3, 9, 0, 1, text('after\n'));
    writer.taskEnded(3, 9, 0, true);
    writer.close();
    const reader = StreamReader.open(dir);
    assert.deepEqual(reader.cat(3, 'stderr'), Buffer.concat([text('before\n'), big, text('after\n')]));
    assert.equal(reader.cat(3, 'stdout').length, 0);
  });
});

test('show prefixes records with padded job and task ids and the channel', () => {
  withDir((dir) => {
    const writer = StreamWriter.open(dir, UID, 'one');
    writer.write(1, 3, 0, 0, text('hello\n'));
    writer.write(1, 3, 0, 1, text('no newline'));
    writer.write(12, 10, 0, 0, text('two\nlines\n'));
    writer.write(1, 3, 0, 0, text('bye\n'));
    writer.close();
    const reader = StreamReader.open(dir);
    assert.equal(reader.show(), '01.03:0> hello\n01.03:1> no newline\n12.10:0> two\nlines\n01.03:0> bye\n');
    assert.equal(reader.show({ job: 1, channel: 'stderr' }), '01.03:1> no newline\n');
    expectUserError(() => reader.show({ job: 5 }), 'Job 5');
  });
});

test('export gives HyperQueue-style JSON per job or for all jobs', () => {
  withDir((dir) => {
    const writer = StreamWriter.open(dir, UID, 'one');
    writer.write(1, 0, 0, 0, text('a'));
    writer.taskEnded(1, 0, 0, true);
    writer.write(1, 1, 0, 1, text('b'));
    writer.write(2, 5, 0, 0, text('c'));
    writer.close();
    const reader = StreamReader.open(dir);
    assert.deepEqual(reader.export(1), [
      { id: 0, finished: true, stdout: 'a', stderr: '' },
      { id: 1, finished: false, stdout: '', stderr: 'b' },
    ]);
    assert.deepEqual(reader.export(1, [1]), [{ id: 1, finished: false, stdout: '', stderr: 'b' }]);
    assert.deepEqual(
      reader.export().map((e) => [e.job, e.id]),
      [
        [1, 0],
        [1, 1],
        [2, 5],
      ],
    );
    assert.equal(formatStreamExport(reader.export(2)), '[\n  {\n    "id": 5,\n    "finished": false,\n    "stdout": "c",\n    "stderr": ""\n  }\n]');
    expectUserError(() => reader.export(1, [4]), 'Task 4 of job 1');
    expectUserError(() => reader.cat(3, 'stdout'), 'Job 3');
  });
});

test('directories with streams of several servers need a server uid', () => {
  withDir((dir) => {
    const a = StreamWriter.open(dir, 'uid-a', 'w');
    a.write(1, 0, 0, 0, text('from a\n'));
    a.close();
    const b = StreamWriter.open(dir, 'uid-b', 'w');
    b.write(1, 0, 0, 0, text('from b\n'));
    b.close();
    expectUserError(() => StreamReader.open(dir), 'uid-a, uid-b', /--server-uid/);
    const reader = StreamReader.open(dir, { serverUid: 'uid-b' });
    assert.equal(reader.serverUid, 'uid-b');
    assert.equal(reader.cat(1, 'stdout', undefined, { allowUnfinished: true }).toString(), 'from b\n');
    assert.deepEqual(
      reader.summary().skippedFiles.map((s) => s.reason),
      ['written for server uid-a'],
    );
    expectUserError(() => StreamReader.open(dir, { serverUid: 'uid-c' }), 'uid-c');
  });
});

test('missing directories, empty ones and foreign files', () => {
  withDir((dir) => {
    expectUserError(() => StreamReader.open(path.join(dir, 'nope')), 'nope');
    expectUserError(() => StreamReader.open(dir), dir, /No stream files/);
    fs.writeFileSync(path.join(dir, `foreign${STREAM_FILE_SUFFIX}`), 'not a stream file at all, just text');
    expectUserError(() => StreamReader.open(dir), 'not a stream file');
    const writer = StreamWriter.open(dir, UID, 'ok');
    writer.write(1, 0, 0, 0, text('x'));
    writer.close();
    const summary = StreamReader.open(dir).summary();
    assert.equal(summary.files, 1);
    assert.deepEqual(summary.skippedFiles, [{ path: path.join(dir, `foreign${STREAM_FILE_SUFFIX}`), reason: 'not a stream file' }]);
  });
});

test('writers refuse bad ids and channels and writes after close', () => {
  withDir((dir) => {
    const writer = StreamWriter.open(path.join(dir, 'created', 'on-open'), UID, 'host/name with spaces');
    assert.match(path.basename(writer.path), /^host_name_with_spaces-\d+-[0-9a-f]{8}\.hqs$/);
    assert.throws(() => writer.write(1, -1, 0, 0, text('x')), RangeError);
    assert.throws(() => writer.write(1, 0, 0, 2 as 0, text('x')), RangeError);
    assert.throws(() => writer.taskStarted(2 ** 32, 0, 0), RangeError);
    writer.write(1, 0, 0, 0, Buffer.alloc(0));
    writer.close();
    assert.equal(writer.isClosed, true);
    writer.close();
    writer.flush();
    assert.throws(() => writer.write(1, 0, 0, 0, text('late')), /closed/);
    assert.deepEqual(StreamReader.open(path.join(dir, 'created', 'on-open')).jobs(), [], 'empty writes leave no records');
  });
});
