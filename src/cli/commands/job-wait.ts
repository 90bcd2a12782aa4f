// Waiting for jobs, with or without a progress display: shared by
// `hq job wait`, `hq job progress` and `hq submit --wait/--progress`.
import type { HqClient } from '../../client/client.js';
import type { IdSelector } from '../../common/id-selector.js';
import type { JobSummary, TaskCounts } from '../../client/types.js';
import type { Output } from '../output/output.js';

/** Waits; returns the exit code: 1 when a waited job failed or was canceled. */
export async function waitForJobs(client: HqClient, sel: IdSelector, output: Output, progress: boolean): Promise<number> {
  const started = Date.now();
  let timer: NodeJS.Timeout | null = null;
  if (progress) {
    const show = async () => {
      const jobs = await client.jobInfo(sel).catch(() => [] as JobSummary[]);
      output.jobProgress(progressOf(jobs));
    };
    await show();
    timer = setInterval(() => void show(), 250);
  }
  try {
    const jobs = await client.waitJobs(sel);
    if (progress) output.jobProgress({ ...progressOf(jobs), done: true });
    const finished = jobs.filter((j) => j.state === 'FINISHED').length;
    const failed = jobs.filter((j) => j.state === 'FAILED').length;
    const canceled = jobs.filter((j) => j.state === 'CANCELED').length;
    if (!progress) output.jobWaitResult({ durationMs: Date.now() - started, finished, failed, canceled, invalid: 0 });
    return failed + canceled > 0 ? 1 : 0;
  } finally {
    if (timer) clearInterval(timer);
  }
}

function progressOf(jobs: readonly JobSummary[]) {
  const counts: TaskCounts = { waiting: 0, running: 0, finished: 0, failed: 0, canceled: 0 };
  let taskCount = 0;
  let completedJobs = 0;
  for (const j of jobs) {
    taskCount += j.taskCount;
    counts.waiting += j.counts.waiting;
    counts.running += j.counts.running;
    counts.finished += j.counts.finished;
    counts.failed += j.counts.failed;
    counts.canceled += j.counts.canceled;
    if (j.state === 'FINISHED' || j.state === 'FAILED' || j.state === 'CANCELED') completedJobs++;
  }
  return { jobCount: jobs.length, completedJobs, taskCount, counts };
}
