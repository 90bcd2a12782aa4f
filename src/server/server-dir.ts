// The server directory: where a running server publishes how to reach it and
// the keys to do so. Layout (as HyperQueue users know it):
//   <server-dir>/hq-current -> 001     symlink to the newest run
//   <server-dir>/001/access.json        host, ports, keys, pid (0600)
// Every run gets a fresh numbered directory (0700), so logs and later journal
// files of earlier runs stay apart.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { UserError } from '../common/errors.js';

export interface Endpoint {
  host: string;
  port: number;
  /** 32-byte key, hex. */
  secret_key: string;
}

export interface AccessRecord {
  version: string;
  server_uid: string;
  pid: number;
  hostname: string;
  start_date: string;
  client: Endpoint;
  worker: Endpoint;
}

const CURRENT = 'hq-current';
const ACCESS = 'access.json';

/** `--server-dir`, else $HQ_SERVER_DIR, else ~/.hq-server. */
export function resolveServerDir(flag?: string): string {
  // $HOME read from process.env (as os.homedir() would from the process's
  // environment), so that a command run by the command host sees its caller's.
  const home = process.env.HOME || os.homedir();
  const dir = flag || process.env.HQ_SERVER_DIR || path.join(home, '.hq-server');
  return path.resolve(dir);
}

/** The directory of the newest run, or null when no server ever ran here. */
export function currentRunDir(serverDir: string): string | null {
  const link = path.join(serverDir, CURRENT);
  try {
    return path.resolve(serverDir, fs.readlinkSync(link));
  } catch {
    return null;
  }
}

export function readAccess(serverDir: string): AccessRecord | null {
  const run = currentRunDir(serverDir);
  if (!run) return null;
  try {
    return JSON.parse(fs.readFileSync(path.join(run, ACCESS), 'utf8')) as AccessRecord;
  } catch {
    return null;
  }
}

/** True when the process that wrote the record may still be alive. */
export function mayBeAlive(record: AccessRecord): boolean {
  if (record.hostname !== os.hostname()) return true; // cannot tell from here
  try {
    process.kill(record.pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Creates the next numbered run directory (0700) and points hq-current at it. */
export function createRunDir(serverDir: string): string {
  fs.mkdirSync(serverDir, { recursive: true, mode: 0o700 });
  let next = 1;
  for (const name of fs.readdirSync(serverDir)) {
    if (/^\d+$/.test(name)) next = Math.max(next, Number(name) + 1);
  }
  for (;;) {
    const name = String(next).padStart(3, '0');
    const dir = path.join(serverDir, name);
    try {
      fs.mkdirSync(dir, { mode: 0o700 });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST') {
        next++;
        continue; // another server started at the same moment
      }
      throw e;
    }
    fs.chmodSync(dir, 0o700);
    const tmpLink = path.join(serverDir, `.${CURRENT}.${process.pid}`);
    fs.rmSync(tmpLink, { force: true });
    fs.symlinkSync(name, tmpLink);
    fs.renameSync(tmpLink, path.join(serverDir, CURRENT));
    return dir;
  }
}

/** Writes access.json atomically with mode 0600. */
export function writeAccess(runDir: string, record: AccessRecord): void {
  const tmp = path.join(runDir, `.${ACCESS}.tmp`);
  fs.writeFileSync(tmp, JSON.stringify(record, null, 2), { mode: 0o600 });
  fs.renameSync(tmp, path.join(runDir, ACCESS));
}

export function removeAccess(runDir: string): void {
  fs.rmSync(path.join(runDir, ACCESS), { force: true });
}

/** Access record of a live server, or a UserError saying that none runs. */
export function requireAccess(serverDir: string): AccessRecord {
  const record = readAccess(serverDir);
  if (!record || !mayBeAlive(record)) {
    throw new UserError(`No server is running (server directory ${serverDir})`);
  }
  return record;
}
