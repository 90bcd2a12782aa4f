// The build of the bundles (dist/bundle), written into them and into hq-exec
// by src/build/bundle.ts: the command host runs a command line only for an
// `hq` of its own build. Null when running unbundled.
declare const __HQ_BUILD_ID__: string | undefined;

export const BUILD_ID: string | null = typeof __HQ_BUILD_ID__ === 'string' ? __HQ_BUILD_ID__ : null;
