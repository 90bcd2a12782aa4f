// Comlink over node:worker_threads message ports: the control-plane calls
// between the server's threads (rare, structured), never the task hot path.
import * as Comlink from 'comlink';
// @ts-ignore -- the adapter ships an .mjs without a matching .d.mts
import nodeEndpointRaw from 'comlink/dist/esm/node-adapter.mjs';
import type { MessagePort } from 'node:worker_threads';

const nodeEndpoint = nodeEndpointRaw as (port: MessagePort) => Comlink.Endpoint;

export function exposeOn(api: object, port: MessagePort): void {
  Comlink.expose(api, nodeEndpoint(port));
}

export function wrapPort<T>(port: MessagePort): Comlink.Remote<T> {
  return Comlink.wrap<T>(nodeEndpoint(port));
}

export { Comlink };
