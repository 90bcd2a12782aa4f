// The server's command host: `hq` on the server's node has short commands
// run by the server's resident command line, with exactly the output, exit
// code and meaning they have when hq runs them itself (HQ_COMMAND_HOST=0).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { Cluster, eventually, HQ_BIN, hqCommand } from '../support/cluster.js';
import { hostRequest, talk } from '../support/command-host-socket.js';

const hasHqExec = !HQ_BIN.endsWith('.js') && fs.existsSync(path.join(path.dirname(HQ_BIN), 'hq-exec'));
const DIRECT = { HQ_COMMAND_HOST: '0' };

let cluster: Cluster;

/** Lines of the server's debug log about commands its host ran or declined. */
const hostLog = () => cluster.server.log().split('\n').filter((l) => l.includes('command host '));
const socketPath = () => path.join(cluster.serverDir, 'hq-current', 'cli.sock');

/** How often the host ran `args` (its log line names the command line). */
const ranCount = (args: string) => hostLog().filter((l) => l.includes(`ran: hq --server-dir ${cluster.serverDir} ${args}`)).length;

/** Waits until the host has run `args` once more than `before` times. */
async function expectRanByHost(before: number, args: string): Promise<void> {
  await eventually(() => (ranCount(args) > before ? true : undefined), `the host ran "${args}"`, 5_000, 20);
}

before(async () => {
  cluster = await Cluster.start({ serverArgs: ['--debug'], workers: [{ cpus: 2 }] });
  if (!hasHqExec) return;
  // The first command starts the host's thread and runs in hq itself.
  await eventually(async () => {
    await cluster.hqOk(['job', 'list']);
    return ranCount('job list') > 0 ? true : undefined;
  }, 'the command host is ready');
});

after(() => cluster?.stop());

test('the run directory has the host socket, for the server user only', { skip: !hasHqExec && 'no hq-exec' }, () => {
  const st = fs.statSync(socketPath());
  assert.ok(st.isSocket());
  assert.equal(st.mode & 0o777, 0o600);
});

test('commands run by the host print and exit exactly as when hq runs them itself', { skip: !hasHqExec && 'no hq-exec' }, async () => {
  await cluster.hqOk(['submit', '--array', '1-4', '--', '/bin/echo', 'hello']);
  await cluster.hqOk(['job', 'wait', 'all']);
  const commands = [
    ['job', 'list', '--all'],
    ['--output-mode', 'json', 'job', 'list', '--all'],
    ['--output-mode', 'quiet', 'job', 'list', '--all'],
    ['--colors', 'always', 'job', 'list', '--all'],
    ['job', 'task-ids', '1'],
    ['task', 'list', '1'],
    ['job', 'info', '99'],
    ['job', 'cancel', 'nonsense'],
  ];
  for (const args of commands) {
    const shown = args.join(' ');
    const ran = ranCount(shown);
    const hosted = await cluster.hq(args);
    await expectRanByHost(ran, shown);
    const direct = await cluster.hq(args, { env: DIRECT });
    assert.deepEqual(hosted, direct, `hq ${shown}`);
  }
  // A mistake in the caller's environment, found before the command's output is set up.
  const badMode = { HQ_OUTPUT_MODE: 'fancy' };
  const ran = ranCount('job list');
  const hosted = await cluster.hq(['job', 'list'], { env: badMode });
  await expectRanByHost(ran, 'job list');
  assert.deepEqual(hosted, await cluster.hq(['job', 'list'], { env: { ...badMode, ...DIRECT } }));
  assert.match(hosted.stderr, /^Error: [^\n]*fancy[^\n]*\n$/);
  // The mistakes among them failed as mistakes do: one line, exit 1.
  const missing = await cluster.hq(['job', 'info', '99']);
  assert.equal(missing.code, 1);
  assert.equal(missing.stderr.trim().split('\n').length, 1);
});

test("a hosted submit reads files from the caller's directory and its tasks run there", { skip: !hasHqExec && 'no hq-exec' }, async (t) => {
  const cwd = fs.mkdtempSync(path.join(cluster.dir, 'caller-'));
  t.after(() => fs.rmSync(cwd, { recursive: true, force: true }));
  fs.writeFileSync(path.join(cwd, 'lines.txt'), 'alpha\nbeta\n');
  fs.writeFileSync(path.join(cwd, 'job.sh'), '#!/bin/sh\n#HQ --name from-directive\necho "$HQ_ENTRY in $(pwd) with $GREETING"\n', { mode: 0o755 });
  const args = ['submit', '--each-line', 'lines.txt', '--', './job.sh'];
  const ran = ranCount(args.join(' '));
  // The caller's environment decides the output mode, as in hq itself.
  const out = await cluster.hqOk(args, { cwd, env: { HQ_OUTPUT_MODE: 'json', GREETING: 'hi' } });
  await expectRanByHost(ran, args.join(' '));
  const id = (JSON.parse(out) as { id: number }).id;
  await cluster.hqOk(['job', 'wait', String(id)]);
  const info = await cluster.hqJson<Array<{ info: { name: string } }>>(['job', 'info', String(id)]);
  assert.equal(info[0]!.info.name, 'from-directive');
  const stdout = fs.readFileSync(path.join(cwd, `job-${id}`, '0.stdout'), 'utf8');
  assert.equal(stdout, `alpha in ${cwd} with \n`, 'tasks run in the submit directory, with the worker\'s environment');
});

test('commands that read stdin, wait, print help or are mistaken run in hq itself', { skip: !hasHqExec && 'no hq-exec' }, async () => {
  const declinedBefore = hostLog().filter((l) => l.includes('declined: ')).length;
  const piped = await cluster.hqOk(['submit', '--stdin', '--wait', '--', '/bin/cat'], { input: 'through stdin\n' });
  assert.match(piped, /Job submitted successfully, job ID: \d+/);
  const id = /job ID: (\d+)/.exec(piped)![1]!;
  assert.equal(await cluster.hqOk(['job', 'cat', id, 'stdout']), 'through stdin\n');
  const help = await cluster.hq(['job', 'list', '--help']);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /--all/);
  const wrong = await cluster.hq(['job', 'frob']);
  assert.equal(wrong.code, 2);
  assert.deepEqual(wrong, await cluster.hq(['job', 'frob'], { env: DIRECT }));
  await eventually(() => (hostLog().filter((l) => l.includes('declined: ')).length >= declinedBefore + 3 ? true : undefined), 'three declined commands');
});

function request(buildId: string, args: string[]): Buffer {
  return hostRequest(Buffer.from([buildId, cluster.dir, '00', String(args.length), ...args, 'PATH=/usr/bin:/bin'].map((s) => `${s}\0`).join('')));
}

test('the host answers nothing but hq of its own build, and the server carries on', { skip: !hasHqExec && 'no hq-exec' }, async () => {
  // Another build: declined (a 'd' frame), nothing done.
  const jobsBefore = (await cluster.hqJson<unknown[]>(['job', 'list', '--all'])).length;
  const declined = await talk(socketPath(), request('0123456789abcdef', ['--server-dir', cluster.serverDir, 'submit', '--', '/bin/true']));
  assert.deepEqual([...declined], [...Buffer.from('d\0\0\0\0', 'latin1')]);
  // Not hq at all: hung up on.
  assert.equal((await talk(socketPath(), Buffer.from('GET / HTTP/1.1\r\n\r\n'))).length, 0);
  assert.equal((await talk(socketPath(), Buffer.from('HQH1\xff\xff\xff\xff', 'latin1'))).length, 0);
  // Half a request, then gone.
  await talk(socketPath(), request('x', ['job', 'list']).subarray(0, 12));
  assert.equal((await cluster.hqJson<unknown[]>(['job', 'list', '--all'])).length, jobsBefore);
});

test('a server started with HQ_COMMAND_HOST=0 has no host, and hq runs every command itself', async (t) => {
  const off = await Cluster.start({ serverEnv: DIRECT });
  t.after(() => off.stop());
  assert.equal(fs.existsSync(path.join(off.serverDir, 'hq-current', 'cli.sock')), false);
  assert.equal((await off.hq(['job', 'list'])).code, 0);
});

test('the socket goes with the server', { skip: !hasHqExec && 'no hq-exec' }, async () => {
  const other = await Cluster.start();
  const sock = path.join(other.serverDir, 'hq-current', 'cli.sock');
  assert.ok(fs.existsSync(sock));
  // A caller that connected and never finished its request does not hold the server up.
  const idle = net.connect(sock);
  idle.on('error', () => {});
  await new Promise((resolve) => idle.once('connect', resolve));
  idle.write('HQH1');
  await other.hqOk(['server', 'stop']);
  await other.server.waitExit(5_000);
  idle.destroy();
  assert.equal(fs.existsSync(sock), false);
  await other.stop();
});

test('a server directory too long for a socket address still gets a host', { skip: !hasHqExec && 'no hq-exec' }, async (t) => {
  const serverDir = path.join(cluster.dir, 'd'.repeat(60), 'e'.repeat(60));
  assert.ok(serverDir.length > 108);
  const [program, args] = hqCommand(['--server-dir', serverDir, 'server', 'start', '--debug']);
  const server = spawn(program, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  server.stderr.on('data', (d: Buffer) => (log += d.toString()));
  t.after(() => server.kill('SIGKILL'));
  const hq = (...argv: string[]) => {
    const [hqProgram, hqArgs] = hqCommand(['--server-dir', serverDir, ...argv]);
    return spawnSync(hqProgram, hqArgs, { encoding: 'utf8', timeout: 30_000 });
  };
  assert.equal(hq('server', 'wait', '--timeout', '20s').status, 0);
  await eventually(() => {
    assert.equal(hq('job', 'list').status, 0);
    return log.includes('command host ran: ') ? true : undefined;
  }, 'a command run by the host');
  assert.equal(hq('server', 'stop').status, 0);
});
