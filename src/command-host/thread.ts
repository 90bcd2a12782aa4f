// A thread of the command host's pool (listener.ts), inside the server
// process: it keeps the command line loaded and compiled, and runs the
// command lines that `hq` on this node sends, one at a time (the pool gives
// a thread its next task only when the last one is done). Each runs as in
// the caller's process: with the caller's environment and working
// directory, printing to the caller's stdout and stderr (through reply
// frames), connecting to the server like any client. A thread has no
// working directory of its own (process.chdir is not available in one), so
// process.cwd() answers with the caller's: path.resolve() and every
// relative path the commands open go through it.
import type { MessagePort } from 'node:worker_threads';
import { BUILD_ID } from '../common/build-id.js';
import { runHostedCommandLine } from './hosted-command-line.js';
import { decodeRequest, failureFrames, replyFrame, type HostRequest } from './wire.js';

/**
 * A task of the pool: a request's payload and the port its reply frames go
 * to, or nothing but `warmUp`, which only makes the pool start a thread.
 */
export type HostTask = { payload: Uint8Array; port: MessagePort } | { warmUp: true };

/**
 * On the port: reply frames, in order. The last message has `last` set,
 * with what became of the command (for the server's log), and no frame
 * when the caller is to be hung up on.
 */
export interface HostReply {
  frame: Uint8Array | null;
  last: boolean;
  outcome?: string;
}

let cwd = process.cwd();
process.cwd = () => cwd;

export default async function runHostTask(task: HostTask): Promise<void> {
  if ('warmUp' in task) return;
  const { port } = task;
  const send = (reply: HostReply) => port.postMessage(reply);
  try {
    const [frame, outcome] = await serve(task.payload, (frame) => send({ frame, last: false }));
    send({ frame, last: true, outcome });
  } catch (e) {
    send({ frame: failureFrames(`Error: internal error: ${(e as Error).stack ?? String(e)}\n`), last: true, outcome: 'failed' });
  } finally {
    port.close();
  }
}

/** Runs one request; its last frame (or null: hang up) and outcome. */
async function serve(payload: Uint8Array, write: (frame: Buffer) => void): Promise<[Buffer | null, string]> {
  let request: HostRequest;
  try {
    request = decodeRequest(payload);
  } catch {
    return [null, 'hung up on a malformed request'];
  }
  if (request.buildId !== BUILD_ID) return [replyFrame('d'), `declined a command of another build (${request.buildId})`];
  process.env = request.env;
  cwd = request.cwd;
  const outcome = await runHostedCommandLine(request.args, {
    write: (text) => write(replyFrame('o', text)),
    writeError: (text) => write(replyFrame('e', text)),
    isTTY: request.stdoutTTY,
  });
  const line = `hq ${request.args.join(' ')}`;
  if (outcome === 'declined') return [replyFrame('d'), `declined: ${line}`];
  return [replyFrame('x', outcome), `ran: ${line} (exit ${outcome})`];
}
