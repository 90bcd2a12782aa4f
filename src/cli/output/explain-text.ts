// `hq task explain` in cli mode: per worker, whether the task can run there
// and, when not, which requirement stops it.
import type { TaskExplanation } from '../../client/types.js';
import { formatDuration } from '../../common/duration.js';

function amount(x: number): string {
  return Number.isInteger(x) ? String(x) : x.toFixed(4).replace(/0+$/, '');
}

export function explainText(jobId: number, taskId: number, state: string, workers: readonly TaskExplanation[]): string {
  const lines = [`Task ${jobId}@${taskId} (${state})`];
  if (workers.length === 0) lines.push('  No worker is connected.');
  for (const w of workers) {
    const verdict = w.runnableNow ? 'can run now' : w.runnableEver ? 'cannot run now' : 'can never run';
    lines.push(`Worker ${w.workerId} (${w.hostname}): ${verdict}`);
    if (w.unfinishedDependencies > 0) lines.push(`  waits for ${w.unfinishedDependencies} unfinished dependencies`);
    if (w.timeRequest > 0) {
      const left = w.workerRemaining === null ? 'no time limit' : `${formatDuration(w.workerRemaining)} left`;
      lines.push(`  time request ${formatDuration(w.timeRequest)}, worker has ${left}${w.timeFits ? '' : ' (too short)'}`);
    }
    for (const v of w.variants) {
      const label = w.variants.length > 1 ? `  variant ${v.index}: ` : '  ';
      if (v.nodes > 0) {
        const g = v.group;
        lines.push(
          `${label}needs ${v.nodes} whole workers of one group; group '${g?.name ?? ''}' has ${g?.workers ?? 0} (${g?.idleWorkers ?? 0} idle)`,
        );
        continue;
      }
      for (const r of v.resources) {
        const mark = r.fitsNow ? 'ok' : r.fitsEver ? 'busy' : 'never';
        const need = r.policy === 'all' ? 'all' : `${amount(r.amount)} ${r.policy}`;
        lines.push(`${label}${r.name}: needs ${need}; worker has ${amount(r.workerFree)} free of ${amount(r.workerTotal)} [${mark}]`);
      }
    }
  }
  return lines.join('\n') + '\n';
}
