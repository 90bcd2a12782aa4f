// The command host's thread, inside the server process: it keeps the command
// line loaded and compiled, and runs the command lines that `hq` on this
// node sends it (listener.ts), one at a time. Each runs as in the caller's
// process: with the caller's environment and working directory, printing to
// the caller's stdout and stderr (through reply frames), connecting to the
// server like any client. A thread has no working directory of its own
// (process.chdir is not available in one), so process.cwd() answers with
// the caller's: path.resolve() and every relative path the commands open
// go through it.
import { parentPort } from 'node:worker_threads';
import { BUILD_ID } from '../common/build-id.js';
import { runHostedCommandLine } from './hosted-command-line.js';
import { decodeRequest, failureFrames, replyFrame, type HostRequest } from './wire.js';

/** From the listener: one request's payload. */
export interface HostJob {
  id: number;
  payload: Uint8Array;
}

/** To the listener: a reply frame, and whether it is the last one (then with what became of the command, for the log). */
export interface HostReply {
  id: number;
  frame: Uint8Array | null;
  last: boolean;
  outcome?: string;
}

const port = parentPort!;
const queue: HostJob[] = [];
let busy = false;
let cwd = process.cwd();
process.cwd = () => cwd;

const reply = (id: number, frame: Buffer | null, last = false, outcome?: string) =>
  port.postMessage({ id, frame, last, outcome } satisfies HostReply);

async function serve(job: HostJob): Promise<void> {
  let request: HostRequest;
  try {
    request = decodeRequest(job.payload);
  } catch {
    reply(job.id, null, true, 'hung up on a malformed request');
    return;
  }
  if (request.buildId !== BUILD_ID) {
    reply(job.id, replyFrame('d'), true, `declined a command of another build (${request.buildId})`);
    return;
  }
  process.env = request.env;
  cwd = request.cwd;
  const outcome = await runHostedCommandLine(request.args, {
    write: (text) => reply(job.id, replyFrame('o', text)),
    writeError: (text) => reply(job.id, replyFrame('e', text)),
    isTTY: request.stdoutTTY,
  });
  const line = `hq ${request.args.join(' ')}`;
  if (outcome === 'declined') reply(job.id, replyFrame('d'), true, `declined: ${line}`);
  else reply(job.id, replyFrame('x', outcome), true, `ran: ${line} (exit ${outcome})`);
}

async function drain(): Promise<void> {
  if (busy) return;
  busy = true;
  try {
    for (let job = queue.shift(); job; job = queue.shift()) {
      try {
        await serve(job);
      } catch (e) {
        reply(job.id, failureFrames(`Error: internal error: ${(e as Error).stack ?? String(e)}\n`), true, 'failed');
      }
    }
  } finally {
    busy = false;
  }
}

port.on('message', (job: HostJob) => {
  queue.push(job);
  void drain();
});
port.postMessage({ ready: true });
