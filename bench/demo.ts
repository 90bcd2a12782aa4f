// `npm run demo`: a local server and one worker run a 10 000-task array of
// real processes, then print a summary. Everything lives in a temporary
// directory that is removed afterwards.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const hq = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../src/cli/hq.js');
const tasks = Number(process.env.DEMO_TASKS ?? 10_000);
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hq-demo-'));
const serverDir = path.join(dir, 'server');

function hqSync(...args: string[]): string {
  const r = spawnSync(process.execPath, [hq, '--server-dir', serverDir, ...args], { cwd: dir, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`hq ${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout;
}

const server = spawn(process.execPath, [hq, '--server-dir', serverDir, 'server', 'start'], { cwd: dir, stdio: 'ignore' });
try {
  hqSync('server', 'wait', '--timeout', '20s');
  const worker = spawn(process.execPath, [hq, '--server-dir', serverDir, 'worker', 'start'], { cwd: dir, stdio: 'ignore' });
  hqSync('worker', 'wait', '1');
  const cpus = JSON.parse(hqSync('--output-mode', 'json', 'worker', 'list'))[0];
  const t0 = process.hrtime.bigint();
  hqSync('submit', '--array', `1-${tasks}`, '--', 'bash', '-c', 'echo $HQ_JOB_ID-$HQ_TASK_ID');
  hqSync('job', 'wait', 'last');
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  process.stdout.write(hqSync('job', 'info', 'last'));
  const outputs = fs.readdirSync(path.join(dir, 'job-1')).filter((f) => f.endsWith('.stdout')).length;
  console.log(`\n${tasks} tasks on one worker (${cpus?.configuration?.resources?.resources?.[0]?.name ?? 'cpus'} detected) ` +
    `finished in ${seconds.toFixed(2)} s: ${((seconds * 1e6) / tasks).toFixed(0)} us a task, ${outputs} stdout files written.`);
  worker.kill('SIGTERM');
} finally {
  spawnSync(process.execPath, [hq, '--server-dir', serverDir, 'server', 'stop'], { stdio: 'ignore' });
  server.kill('SIGTERM');
  fs.rmSync(dir, { recursive: true, force: true });
}
