// Comlink over node:worker_threads message ports: the control-plane calls
// between the server's threads (rare, structured), never the task hot path.
import * as Comlink from 'comlink';
// @ts-ignore -- the adapter ships an .mjs without a matching .d.mts
import nodeEndpointRaw from 'comlink/dist/esm/node-adapter.mjs';
import { receiveMessageOnPort, type MessagePort } from 'node:worker_threads';

const nodeEndpoint = nodeEndpointRaw as (port: MessagePort) => Comlink.Endpoint;

export function exposeOn(api: object, port: MessagePort): void {
  Comlink.expose(api, nodeEndpoint(port));
}

/** `afterPost` runs after every message sent, e.g. to ring the doorbell of a thread that reads its port by polling. */
export function wrapPort<T>(port: MessagePort, afterPost?: () => void): Comlink.Remote<T> {
  const endpoint = nodeEndpoint(port);
  if (afterPost) {
    const post = endpoint.postMessage;
    endpoint.postMessage = (message, transfer) => {
      post(message, transfer);
      afterPost();
    };
  }
  return Comlink.wrap<T>(endpoint);
}

/**
 * Exposes `api` on a port that the thread reads itself, for a thread that
 * sleeps in a synchronous wait instead of its event loop. The returned pump
 * hands every message waiting on the port to comlink and says whether there
 * was any; comlink's replies go out once the thread lets its microtasks run.
 */
export function exposePolled(api: object, port: MessagePort): () => boolean {
  const listeners: Array<(event: { data: unknown }) => void> = [];
  const endpoint: Comlink.Endpoint = {
    postMessage: (message, transfer) => port.postMessage(message, transfer as never),
    // comlink's expose registers one plain function.
    addEventListener: (_type, listener) => listeners.push(listener as (e: { data: unknown }) => void),
    removeEventListener: () => {},
  };
  Comlink.expose(api, endpoint);
  return () => {
    let any = false;
    for (let m = receiveMessageOnPort(port); m !== undefined; m = receiveMessageOnPort(port)) {
      any = true;
      for (const l of listeners) l({ data: m.message });
    }
    return any;
  };
}

export { Comlink };
