// `hq job cat`: the outputs of a job's tasks, from their files or from the
// stream directories of their submissions, in task-id order.
import fs from 'node:fs';
import { UserError } from '../../common/errors.js';
import type { HqClient } from '../../client/client.js';
import type { IdSelector } from '../../common/id-selector.js';
import type { TaskDetail } from '../../client/types.js';
import { StreamReader } from '../../client/stream-reader.js';
import { isStreamedOutput } from '../../common/placeholders.js';

export async function catJobOutput(
  client: HqClient,
  jobId: number,
  channel: 'stdout' | 'stderr',
  tasks: IdSelector,
  printHeader: boolean,
  write: (chunk: string | Uint8Array) => void,
): Promise<void> {
  // With templates, each task knows where its submission streamed (an open job may have several dirs).
  const list = await client.tasks({ kind: 'ids', ranges: [{ start: jobId, end: jobId, step: 1 }] }, tasks, [], { templates: true });
  list.sort((a, b) => a.taskId - b.taskId);
  const streamDirOf = (t: TaskDetail) => (t.streamDir && isStreamedOutput(t.streamDir, t.program[channel], channel) ? t.streamDir : '');
  const streams = await openStreams(client, jobId, list, streamDirOf);
  // Consecutive tasks of one stream dir are read in one go, unless each needs its header.
  for (let i = 0; i < list.length; ) {
    const t = list[i]!;
    const dir = streamDirOf(t);
    if (printHeader) write(header(jobId, t.taskId));
    if (dir) {
      let n = 1;
      while (!printHeader && i + n < list.length && streamDirOf(list[i + n]!) === dir) n++;
      // Tasks that have not run yet have nothing in the stream.
      const stream = streams.get(dir);
      const ids = stream ? list.slice(i, i + n).map((x) => x.taskId).filter((id) => stream.written.has(id)) : [];
      if (stream && ids.length > 0) write(stream.reader.cat(jobId, channel, ids, { allowUnfinished: true }));
      i += n;
      continue;
    }
    const file = channel === 'stdout' ? t.stdout : t.stderr;
    if (file) {
      try {
        write(fs.readFileSync(file));
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw new UserError(`Cannot read ${file}: ${(e as Error).message}`);
      }
    }
    i++;
  }
}

function header(jobId: number, taskId: number): string {
  return `# Job ${jobId}, task ${taskId}\n`;
}

interface OpenStream {
  reader: StreamReader;
  /** Tasks of the job with output in the directory. */
  written: Set<number>;
}

/** A reader per stream directory the listed tasks wrote to, limited to this server's files. */
async function openStreams(
  client: HqClient,
  jobId: number,
  tasks: readonly TaskDetail[],
  streamDirOf: (t: TaskDetail) => string,
): Promise<Map<string, OpenStream>> {
  const dirs = new Set<string>();
  for (const t of tasks) if (t.startTime > 0 && streamDirOf(t)) dirs.add(streamDirOf(t));
  const streams = new Map<string, OpenStream>();
  if (dirs.size === 0) return streams;
  // A stream directory may be shared by the jobs of several servers.
  const { serverUid } = await client.serverInfo();
  for (const dir of dirs) {
    const reader = StreamReader.open(dir, { serverUid });
    streams.set(dir, { reader, written: new Set(reader.jobs().includes(jobId) ? reader.tasks(jobId) : []) });
  }
  return streams;
}
