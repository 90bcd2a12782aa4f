// `hq job cat`: the outputs of a job's tasks, from their files or from the
// job's output stream, in task-id order.
import fs from 'node:fs';
import { UserError } from '../../common/errors.js';
import { resolveTaskPaths } from '../../common/placeholders.js';
import type { HqClient } from '../../client/client.js';
import type { IdSelector } from '../../common/id-selector.js';
import { StreamReader } from '../../client/stream-reader.js';

export async function catJobOutput(
  client: HqClient,
  jobId: number,
  channel: 'stdout' | 'stderr',
  tasks: IdSelector,
  printHeader: boolean,
  write: (chunk: string | Uint8Array) => void,
): Promise<void> {
  const [job] = await client.jobInfo({ kind: 'ids', ranges: [{ start: jobId, end: jobId, step: 1 }] });
  if (!job) throw new UserError(`Job ${jobId} not found`);
  const list = await client.tasks({ kind: 'ids', ranges: [{ start: jobId, end: jobId, step: 1 }] }, tasks);
  list.sort((a, b) => a.taskId - b.taskId);
  if (job.streamDir) {
    const reader = StreamReader.open(job.streamDir);
    write(reader.cat(jobId, channel, list.map((t) => t.taskId), { allowUnfinished: true }));
    return;
  }
  const { serverUid } = await client.serverInfo();
  for (const t of list) {
    const paths = resolveTaskPaths(
      { cwd: t.cwd || '%{SUBMIT_DIR}', stdout: t.stdout || null, stderr: t.stderr || null },
      { jobId, taskId: t.taskId, instanceId: t.instance, submitDir: job.submitDir, serverUid },
    );
    const file = channel === 'stdout' ? paths.stdout : paths.stderr;
    if (printHeader) write(`# Job ${jobId}, task ${t.taskId}\n`);
    if (file === null) continue;
    try {
      write(fs.readFileSync(file));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw new UserError(`Cannot read ${file}: ${(e as Error).message}`);
    }
  }
}
