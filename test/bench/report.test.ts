import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  END_MARKER,
  START_MARKER,
  duration,
  mebibytes,
  ratio,
  renderReport,
  seconds,
  writeIntoDoc,
} from '../../bench/report.js';

function withTempDir(body: (dir: string) => void): void {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hq-bench-report-'));
  try {
    body(dir);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

test('writeIntoDoc replaces only the text between the markers', () => {
  withTempDir((dir) => {
    const file = path.join(dir, 'performance.md');
    fs.writeFileSync(file, `# Title\n\nIntro.\n\n${START_MARKER}\nold figures\n${END_MARKER}\n\n## After\n\nKept.\n`);
    writeIntoDoc(file, 'new figures');
    assert.equal(fs.readFileSync(file, 'utf8'), `# Title\n\nIntro.\n\n${START_MARKER}\nnew figures\n${END_MARKER}\n\n## After\n\nKept.\n`);
    writeIntoDoc(file, 'newer');
    assert.match(fs.readFileSync(file, 'utf8'), new RegExp(`${START_MARKER}\nnewer\n${END_MARKER}\n\n## After`));
  });
});

test('writeIntoDoc appends a section to a file without markers and creates a missing file', () => {
  withTempDir((dir) => {
    const existing = path.join(dir, 'a.md');
    fs.writeFileSync(existing, '# Notes\n\nText.\n\n');
    writeIntoDoc(existing, 'figures');
    assert.equal(fs.readFileSync(existing, 'utf8'), `# Notes\n\nText.\n\n${START_MARKER}\nfigures\n${END_MARKER}\n`);

    const missing = path.join(dir, 'b.md');
    writeIntoDoc(missing, 'figures');
    assert.equal(fs.readFileSync(missing, 'utf8'), `# Performance\n\n${START_MARKER}\nfigures\n${END_MARKER}\n`);
  });
});

test('renderReport lays out results, targets, notes and commands as Markdown', () => {
  const text = renderReport({
    quick: false,
    date: new Date(Date.UTC(2025, 0, 2, 3, 4)),
    machine: { cpus: 2, cpuModel: 'Test CPU', node: 'v20.0.0', kernel: 'Linux 6.1', loadAtStart: 0.5, loadAtEnd: 1.25 },
    build: 'hq is dist/bundle/hq.cjs',
    rows: [{ benchmark: 'A | B', figure: '1.00 s', comparison: '2.00x peer', notes: 'n' }],
    targets: [
      { target: 'fast', measured: '1 s', met: true },
      { target: 'small', measured: '2 MiB', met: false },
      { target: 'noisy', measured: '1.2x', met: false, steal: 0.27 },
      { target: 'calm', measured: '1.0x', met: true, steal: 0.02 },
      { target: 'peer', measured: 'not installed', met: null },
    ],
    commands: ['hq submit -- /bin/true'],
    notes: ['a note'],
    steal: [
      { section: 'Zero-work', share: 0.012 },
      { section: '/bin/true', share: 0.351 },
    ],
  });
  assert.match(text, /on 2025-01-02 03:04 UTC\./);
  assert.match(text, /Machine: 2 CPUs \(Test CPU\), Linux 6\.1, Node v20\.0\.0; load average 0\.50 at the start, 1\.25 at the end\./);
  assert.match(text, /^Build: hq is dist\/bundle\/hq\.cjs\.$/m);
  assert.match(text, /^\| A \\\| B \| 1\.00 s \| 2\.00x peer \| n \|$/m);
  assert.match(text, /^\| fast \| 1 s \| yes \|$/m);
  assert.match(text, /^\| small \| 2 MiB \| no \|$/m);
  assert.match(text, /^\| noisy \| 1\.2x \| no \(steal 27%\) \|$/m);
  assert.match(text, /^\| calm \| 1\.0x \| yes \|$/m);
  assert.match(text, /^\| peer \| not installed \| not measured \|$/m);
  assert.match(text, /^- a note$/m);
  assert.match(text, /```sh\nhq submit -- \/bin\/true\n```/);
  assert.match(text, /^CPU time taken by the hypervisor \(steal\), by section: Zero-work 1\.2%; \/bin\/true 35\.1%\.$/m);
  assert.doesNotMatch(text, /quick mode/);
});

test('figures are formatted in readable units', () => {
  assert.equal(seconds(1.234), '1.23 s');
  assert.equal(seconds(15.26), '15.3 s');
  assert.equal(duration(250), '250 ms');
  assert.equal(duration(2.5), '2.5 ms');
  assert.equal(duration(0.0125), '12.5 µs');
  assert.equal(duration(0.0000018), '1.8 ns');
  assert.equal(mebibytes(300 * 1024 * 1024), '300 MiB');
  assert.equal(ratio(1.104), '1.10x');
  assert.equal(ratio(550.4), '550x');
});
