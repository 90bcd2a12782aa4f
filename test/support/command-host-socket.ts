// Talking to a command host's socket directly, as hq-exec does: a request
// is "HQH1", the payload's length (little-endian u32) and the payload; the
// answer is reply frames until the host closes the connection.
import net from 'node:net';

/** `payload` behind the request header. */
export function hostRequest(payload: Buffer): Buffer {
  const header = Buffer.alloc(8);
  header.write('HQH1');
  header.writeUInt32LE(payload.length, 4);
  return Buffer.concat([header, payload]);
}

/** Sends raw bytes to the socket; resolves with everything the host answers. */
export function talk(socketPath: string, bytes: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(socketPath);
    const got: Buffer[] = [];
    socket.on('data', (d) => got.push(d));
    socket.on('error', reject);
    socket.on('close', () => resolve(Buffer.concat(got)));
    socket.end(bytes);
  });
}

/** Reply frames as [kind, data] pairs, exit codes ('x') as numbers. */
export function replyFrames(bytes: Buffer): Array<[string, string | number]> {
  const frames: Array<[string, string | number]> = [];
  for (let at = 0; at < bytes.length; ) {
    const kind = String.fromCharCode(bytes[at]!);
    const length = bytes.readUInt32LE(at + 1);
    const data = bytes.subarray(at + 5, at + 5 + length);
    frames.push([kind, kind === 'x' ? data.readUInt32LE(0) : data.toString()]);
    at += 5 + length;
  }
  return frames;
}
