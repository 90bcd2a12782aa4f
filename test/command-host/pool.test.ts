// The command host's pool of threads (src/command-host/listener.ts), with a
// stand-in thread (fixtures/echo-thread.ts) behind a real socket: threads
// start when commands come, run two commands at once, end when idle, and a
// thread that dies or hangs mid-command leaves its caller an error, not
// silence.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CommandHostListener } from '../../src/command-host/listener.js';
import { eventually } from '../support/cluster.js';
import { hostRequest, replyFrames, talk } from '../support/command-host-socket.js';

const ECHO_THREAD = new URL('./fixtures/echo-thread.js', import.meta.url);

async function startListener(t: { after: (fn: () => unknown) => void }, idleTimeoutMs: number, commandTimeoutMs = 60_000) {
  const runDir = fs.mkdtempSync(path.join(os.tmpdir(), 'hq-pool-'));
  const listener = await CommandHostListener.listen(runDir, ECHO_THREAD, { idleTimeoutMs, commandTimeoutMs });
  t.after(async () => {
    await listener.close();
    fs.rmSync(runDir, { recursive: true, force: true });
  });
  return { listener, socket: path.join(runDir, 'cli.sock') };
}

/** The reply frames to a request carrying `text`. */
async function ask(socketPath: string, text: string): Promise<Array<[string, string | number]>> {
  return replyFrames(await talk(socketPath, hostRequest(Buffer.from(text))));
}

/** Until the pool has `count` threads ready. */
function readyThreads(listener: CommandHostListener, count: number, timeoutMs?: number, everyMs?: number): Promise<true> {
  return eventually(() => (listener.readyThreadCount === count ? true : undefined), `${count} ready thread(s)`, timeoutMs, everyMs);
}

const DECLINED: Array<[string, string | number]> = [['d', '']];

test('a thread starts with the first command, runs the ones after it, and ends when idle', async (t) => {
  const { listener, socket } = await startListener(t, 1500);
  assert.equal(listener.readyThreadCount, 0);
  // No thread yet: declined (hq runs it itself), and the first thread starts.
  assert.deepEqual(await ask(socket, 'first'), DECLINED);
  await readyThreads(listener, 1);
  const [out, exit] = await ask(socket, 'second');
  assert.match(String(out![1]), /^second from thread \d+\n$/);
  assert.deepEqual(exit, ['x', 0]);
  // Idle for longer than the timeout: the thread ends, and the next command starts another.
  await readyThreads(listener, 0, 10_000, 50);
  assert.deepEqual(await ask(socket, 'third'), DECLINED);
  await readyThreads(listener, 1);
  assert.equal((await ask(socket, 'fourth'))[1]![1], 0);
});

test('a slow command does not hold up the next one', async (t) => {
  const { listener, socket } = await startListener(t, 60_000);
  await ask(socket, 'warm up');
  await readyThreads(listener, 1);
  const order: string[] = [];
  const slow = ask(socket, 'sleep:4000').then((f) => order.push(String(f[0]![1])));
  await new Promise((r) => setTimeout(r, 100));
  const quick = ask(socket, 'quick').then((f) => order.push(String(f[0]![1])));
  await Promise.all([slow, quick]);
  assert.match(order[0]!, /^quick from thread/);
  assert.match(order[1]!, /^sleep:4000 from thread/);
  assert.notEqual(order[0]!.split(' ').pop(), order[1]!.split(' ').pop(), 'two threads');
});

test('a command whose thread dies gets an error line and exit code 1; later commands get a new thread', async (t) => {
  const { listener, socket } = await startListener(t, 60_000);
  await ask(socket, 'warm up');
  await readyThreads(listener, 1);
  assert.deepEqual(await ask(socket, 'exit'), [
    ['e', "Error: the server's command host stopped while running this command\n"],
    ['x', 1],
  ]);
  await readyThreads(listener, 0);
  assert.deepEqual(await ask(socket, 'after'), DECLINED);
  await readyThreads(listener, 1);
  assert.match(String((await ask(socket, 'again'))[0]![1]), /^again from thread/);
});

test('a command that hangs is ended after its time, with an error line and exit code 1', async (t) => {
  const { listener, socket } = await startListener(t, 60_000, 1_000);
  await ask(socket, 'warm up');
  await readyThreads(listener, 1);
  assert.deepEqual(await ask(socket, 'sleep:60000'), [
    ['e', "Error: the server's command host gave up on this command after 1s\n"],
    ['x', 1],
  ]);
  // Its thread was ended; the next commands get a new one.
  await eventually(async () => ((await ask(socket, 'next'))[0]![0] === 'o' ? true : undefined), 'a command run after it');
});
