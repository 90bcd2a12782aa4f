import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import yargs from 'yargs';
import {
  directivesSource,
  MAX_DIRECTIVE_PREFIX,
  mergeDirectiveArgs,
  parseDirectives,
  parseDirectivesMode,
  parseScriptHeader,
  readScriptHeader,
  splitShellWords,
} from '../../src/cli/directives.js';
import { buildSubmitSpec, submitOptions } from '../../src/cli/commands/submit.js';
import { expectUserError } from '../common/expect-user-error.js';

test('tokens are split like a shell splits them', () => {
  assert.deepEqual(splitShellWords('abc!'), ['abc!']);
  assert.deepEqual(splitShellWords('one two \t three'), ['one', 'two', 'three']);
  assert.deepEqual(splitShellWords('--cpus="2 compact"'), ['--cpus=2 compact']);
  assert.deepEqual(splitShellWords(`--name "let's have a space inside" --cpus "2 compact" --pin`), [
    '--name',
    "let's have a space inside",
    '--cpus',
    '2 compact',
    '--pin',
  ]);
  assert.deepEqual(splitShellWords(`--name 'single "quoted"' a\\ b "x\\"y\\\\z" "" ''`), ['--name', 'single "quoted"', 'a b', 'x"y\\z', '', '']);
  assert.deepEqual(splitShellWords('"glued"together\'too\''), ['gluedtogethertoo']);
  assert.deepEqual(splitShellWords('   '), []);
});

test('directives are read from the head of the script only', () => {
  const script = `#!/bin/bash

# Comment
#HQ --abc --xyz

#HQ
#HQ next arg
  #HQ --indented

sleep 1
#HQ this should be ignored
`;
  assert.deepEqual(parseDirectives(script, 'job.sh'), ['--abc', '--xyz', 'next', 'arg', '--indented']);
  // A `#HQX` line is a plain comment, and CRLF line ends are fine.
  assert.deepEqual(parseDirectives('#HQX --no\r\n#HQ --name=a\r\n#HQ\t--cpus 2\r\necho\r\n', 'w.sh'), ['--name=a', '--cpus', '2']);
  assert.deepEqual(parseDirectives('echo first\n#HQ --name=late\n', 'x.sh'), []);
  assert.deepEqual(parseDirectives('', 'x.sh'), []);
});

test('the shebang is read from the first line', () => {
  assert.deepEqual(parseScriptHeader('#!/bin/bash -l "a b"\n# Comment\n#HQ --abc --xyz\n', 's.sh'), {
    directives: ['--abc', '--xyz'],
    shebang: ['/bin/bash', '-l', 'a b'],
  });
  assert.equal(parseScriptHeader('\n#!/bin/bash\n#HQ --abc\n', 's.sh').shebang, null);
  assert.equal(parseScriptHeader('# Comment\n#HQ --abc --xyz\n', 's.sh').shebang, null);
});

test('only the first 32 KiB are looked at', () => {
  const padding = `${'#'.repeat(99)}\n`.repeat(Math.ceil(MAX_DIRECTIVE_PREFIX / 100));
  assert.deepEqual(parseDirectives(`#HQ --early\n${padding}#HQ --late\necho\n`, 'big.sh'), ['--early']);
});

test('a directive that does not parse names the script and the line', () => {
  expectUserError(() => parseDirectives('#!/bin/sh\n#HQ --name=x\n#HQ --name "unfinished\necho\n', 'job.sh'), "'job.sh' line 3", /unterminated double quote/);
  expectUserError(() => parseDirectives("#HQ --name 'open\n", 'a.sh'), "'a.sh' line 1", /single quote/);
  expectUserError(() => parseDirectives('#HQ --name x\\\n', 'b.sh'), "'b.sh' line 1", /backslash/);
  expectUserError(() => parseScriptHeader('#!/bin/sh "x\n', 'c.sh'), "'c.sh' line 1", /shebang/);
});

test('readScriptHeader reads a script file', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hq-directives-'));
  try {
    const script = path.join(dir, 'run.sh');
    fs.writeFileSync(script, '#!/bin/bash\n#HQ --name=Example\n#HQ --cpus="2 compact" --pin taskset\n\n./my-program\n');
    assert.deepEqual(readScriptHeader(script), {
      directives: ['--name=Example', '--cpus=2 compact', '--pin', 'taskset'],
      shebang: ['/bin/bash'],
    });
    expectUserError(() => readScriptHeader(path.join(dir, 'missing.sh')), 'missing.sh', /ENOENT/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('directive modes: auto reads only .sh programs', () => {
  assert.equal(directivesSource('auto', './run.sh'), 'file');
  assert.equal(directivesSource('auto', '/bin/sleep'), null);
  assert.equal(directivesSource('file', 'run.py'), 'file');
  assert.equal(directivesSource('stdin', 'bash'), 'stdin');
  assert.equal(directivesSource('off', 'run.sh'), null);
  assert.equal(parseDirectivesMode('file'), 'file');
  expectUserError(() => parseDirectivesMode('always'), "'always'");
});

test('command line flags override single flags of directives, repeatable flags add up', () => {
  const directives = ['--name', 'from-script', '--cpus=2', '--resource', 'gpus=1', '--wait', '--priority', '1', '--priority=4', '--env', 'A=1'];
  const cli = ['--name=from-cli', '--resource', 'mem=1', '--env=B=2'];
  assert.deepEqual(mergeDirectiveArgs(directives, cli), [
    '--cpus=2',
    '--resource',
    'gpus=1',
    '--wait',
    '--priority=4',
    '--env',
    'A=1',
    '--name=from-cli',
    '--resource',
    'mem=1',
    '--env=B=2',
  ]);
  assert.deepEqual(mergeDirectiveArgs([], ['--name', 'x']), ['--name', 'x']);
  // Command line tokens are only looked at, never judged: that is the submit parser's job.
  assert.deepEqual(mergeDirectiveArgs(['--name=a', '--cpus=2'], ['--debug', '--name', 'b', 'stray', '--cpus']), ['--debug', '--name', 'b', 'stray', '--cpus']);
  expectUserError(() => mergeDirectiveArgs(['--name', 'x', 'stray'], []), "'stray'", /#HQ directives/);
  expectUserError(() => mergeDirectiveArgs(['--name'], []), "'--name'", /needs a value/);
});

test('merged flags build the submit spec the command line would', () => {
  const script = '#!/bin/bash\n#HQ --name=Example --cpus="2 compact"\n#HQ --resource gpus=1 --time-limit 10min\n./work\n';
  const merged = mergeDirectiveArgs(parseDirectives(script, 'job.sh'), ['--cpus', '4', '--resource', 'mem=100']);
  const args = submitOptions(yargs(merged).parserConfiguration({ 'duplicate-arguments-array': true })).parseSync();
  const spec = buildSubmitSpec(args as Record<string, unknown>, ['job.sh']);
  assert.equal(spec.name, 'Example');
  assert.equal(spec.templates[0]!.timeLimit, 600);
  assert.deepEqual(spec.templates[0]!.variants[0]!.resources, [
    { name: 'cpus', amount: 4, policy: 'compact' },
    { name: 'gpus', amount: 1, policy: 'compact' },
    { name: 'mem', amount: 100, policy: 'compact' },
  ]);
});
