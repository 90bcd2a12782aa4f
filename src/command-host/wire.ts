// What `hq` (hq-exec, src/cli/native/command-host-client.c) and the server's
// command host say to each other over the run directory's Unix socket.
//
// Request: "HQH1", payload length (u32 little-endian), payload: strings each
// ended by a NUL byte:
//   build id, working directory, terminal flags ("10": stdout is a terminal,
//   stderr is not), argument count, the arguments, then the environment
//   ("NAME=value") up to the end.
// Replies: frames of a kind byte and a data length (u32 little-endian):
//   'o' text for stdout, 'e' text for stderr, 'x' the exit code (u32), or
//   'd' declined: nothing was done, the caller runs the command itself.

export const REQUEST_MAGIC = 'HQH1';
export const REQUEST_HEADER_BYTES = 8;
/** Larger requests are not from hq: an environment and a command line fit well below. */
export const MAX_REQUEST_BYTES = 16 << 20;

export type ReplyKind = 'o' | 'e' | 'x' | 'd';

export interface HostRequest {
  buildId: string;
  cwd: string;
  stdoutTTY: boolean;
  stderrTTY: boolean;
  args: string[];
  env: Record<string, string>;
}

/** The payload length a request header announces, or null when it is no request of hq's. */
export function requestLength(header: Uint8Array): number | null {
  if (header.length < REQUEST_HEADER_BYTES) return null;
  for (let i = 0; i < 4; i++) if (header[i] !== REQUEST_MAGIC.charCodeAt(i)) return null;
  const length = Buffer.from(header.buffer, header.byteOffset, header.length).readUInt32LE(4);
  return length <= MAX_REQUEST_BYTES ? length : null;
}

/** Reads a request's payload; throws on anything malformed. */
export function decodeRequest(payload: Uint8Array): HostRequest {
  const bytes = Buffer.from(payload.buffer, payload.byteOffset, payload.length);
  if (bytes.length === 0 || bytes[bytes.length - 1] !== 0) throw new Error('request does not end with a NUL byte');
  const strings = bytes.toString('utf8', 0, bytes.length - 1).split('\0');
  const [buildId, cwd, ttys, argc] = strings;
  const count = Number(argc);
  if (cwd === undefined || ttys === undefined || !/^[01]{2}$/.test(ttys) || !Number.isSafeInteger(count) || count < 0 || strings.length < 4 + count) {
    throw new Error('malformed request');
  }
  const env: Record<string, string> = {};
  for (const entry of strings.slice(4 + count)) {
    const eq = entry.indexOf('=');
    if (eq > 0) env[entry.slice(0, eq)] = entry.slice(eq + 1);
  }
  return { buildId: buildId!, cwd, stdoutTTY: ttys[0] === '1', stderrTTY: ttys[1] === '1', args: strings.slice(4, 4 + count), env };
}

/** One reply frame. */
export function replyFrame(kind: ReplyKind, data: string | number = ''): Buffer {
  const body = typeof data === 'number' ? Buffer.alloc(4) : Buffer.from(data, 'utf8');
  if (typeof data === 'number') body.writeUInt32LE(data >>> 0);
  const frame = Buffer.allocUnsafe(5 + body.length);
  frame[0] = kind.charCodeAt(0);
  frame.writeUInt32LE(body.length, 1);
  body.copy(frame, 5);
  return frame;
}

/** The last frames of a command that failed: its error line, then exit code 1. */
export function failureFrames(errorLine: string): Buffer {
  return Buffer.concat([replyFrame('e', errorLine), replyFrame('x', 1)]);
}
