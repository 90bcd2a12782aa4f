// hq server start|stop|info|wait
import type { Argv } from 'yargs';
import { parseDuration } from '../../common/duration.js';
import { UserError } from '../../common/errors.js';
import { HqClient } from '../../client/client.js';
import type { CommandRunner } from '../context.js';

type Run = CommandRunner;

function port(value: unknown, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new UserError(`Invalid ${flag} '${String(value)}': expected a port number 0-65535`);
  return n;
}

export function serverCommands(run: Run) {
  return (y: Argv) =>
    y
      .command(
        'start',
        'Start the server',
        (c) =>
          c
            .option('host', { type: 'string', describe: 'Hostname or address that workers and clients use to reach the server' })
            .option('idle-timeout', { type: 'string', describe: 'Default idle timeout of workers (e.g. 5min)' })
            .option('client-port', { type: 'string', describe: 'Port for clients (default: assigned by the OS)' })
            .option('worker-port', { type: 'string', describe: 'Port for workers (default: assigned by the OS)' }),
        (args) =>
          run(args, async (ctx) => {
            // Loaded on demand: client commands never need the server's code.
            const { startServer } = await import('../../server/server.js');
            const server = await startServer({
              serverDir: ctx.serverDir,
              host: args.host as string | undefined,
              clientPort: port(args['client-port'], '--client-port'),
              workerPort: port(args['worker-port'], '--worker-port'),
              idleTimeout: args['idle-timeout'] ? parseDuration(String(args['idle-timeout'])) : 0,
            });
            const stop = () => void server.stop();
            process.once('SIGINT', stop);
            process.once('SIGTERM', stop);
            await server.stopped;
            return 0;
          }),
      )
      .command('stop', 'Stop the server and its workers', {}, (args) =>
        run(args, async (ctx) => {
          const client = await ctx.connect();
          await client.stopServer();
          ctx.output.message('Server stopped');
        }),
      )
      .command('info', 'Show how to reach the server', {}, (args) =>
        run(args, async (ctx) => {
          const client = await ctx.connect();
          ctx.output.serverInfo(await client.serverInfo());
        }),
      )
      .command(
        'wait',
        'Wait until a server is running and answers',
        (c) => c.option('timeout', { type: 'string', describe: 'Give up after this long (e.g. 30s)' }),
        (args) =>
          run(args, async (ctx) => {
            const timeout = args.timeout ? parseDuration(String(args.timeout)) : Infinity;
            const deadline = Date.now() + timeout * 1000;
            for (;;) {
              try {
                const client = await HqClient.connect(ctx.serverDir);
                await client.serverInfo();
                client.close();
                return 0;
              } catch (e) {
                if (Date.now() >= deadline) {
                  throw new UserError(`No server answered within ${String(args.timeout)}: ${(e as Error).message}`);
                }
              }
              await new Promise((r) => setTimeout(r, 100));
            }
          }),
      )
      .demandCommand(1, 'Use one of the server commands');
}
