// Loaded with `node --import` into a client command to learn its peak memory:
// on exit, appends the process's peak resident set size in bytes as one line to
// the file named by BENCH_RSS_FILE. Nothing else about the command changes.
import fs from 'node:fs';

const target = process.env.BENCH_RSS_FILE;
if (target) {
  process.on('exit', () => {
    // resourceUsage().maxRSS is in kilobytes.
    fs.appendFileSync(target, `${process.resourceUsage().maxRSS * 1024}\n`);
  });
}
