// Regenerates the TypeScript code for schema/*.fbs with flatc (Debian's
// flatbuffers-compiler). `--check` compares instead of writing, so a test can
// tell when the schema and the committed code disagree.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const target = path.join(root, 'src/transport/generated/protocol.ts');
const check = process.argv.includes('--check');

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'hq-schema-'));
try {
  execFileSync('flatc', ['--ts', '--ts-flat-files', '--gen-all', '--gen-object-api', '-o', tmp,
    path.join(root, 'schema/protocol.fbs')], { stdio: 'inherit' });
  const generated = fs.readFileSync(path.join(tmp, 'protocol_generated.ts'), 'utf8');
  // flatc 2.0.8 leaves a few constructs that strict TypeScript rejects.
  const text = '// @ts-nocheck\n' + generated;
  if (check) {
    const current = fs.existsSync(target) ? fs.readFileSync(target, 'utf8') : '';
    if (current !== text) {
      console.error('src/transport/generated/protocol.ts is out of date: run `npm run schema`');
      process.exit(1);
    }
  } else {
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.writeFileSync(target, text);
  }
} finally {
  fs.rmSync(tmp, { recursive: true, force: true });
}
