import { Injectable } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { createServer, type Server, type Socket } from 'node:net';
import { JustRedisModule, RedisSubscribe, type RedisMessage } from '../../lib/index.js';
import { CapturingLogger, eventually, within } from './nest-helpers.js';

/*
 * A real server always answers SUBSCRIBE; one that stays silent (a hung proxy, a frozen
 * node) is what only a fake can show. This one answers the connection's PING and nothing
 * of the SUBSCRIBE family, and counts its open sockets.
 */
interface QuietServer {
  readonly port: number;
  readonly open: Set<Socket>;
  close(): Promise<void>;
}

/** Commands of a RESP request stream, as arrays of strings (enough for what a client sends). */
function parseCommands(state: { buffer: Buffer }): string[][] {
  const commands: string[][] = [];
  for (;;) {
    const text = state.buffer.toString('latin1');
    const head = /^\*(\d+)\r\n/.exec(text);
    if (head === null) return commands;
    let at = head[0].length;
    const args: string[] = [];
    for (let i = 0; i < Number(head[1]); i++) {
      const bulk = /^\$(\d+)\r\n/.exec(text.slice(at));
      if (bulk === null) return commands;
      const start = at + bulk[0].length;
      const end = start + Number(bulk[1]);
      if (text.length < end + 2) return commands;
      args.push(text.slice(start, end));
      at = end + 2;
    }
    commands.push(args);
    state.buffer = state.buffer.subarray(at);
  }
}

async function startQuietServer(): Promise<QuietServer> {
  const open = new Set<Socket>();
  const server: Server = createServer((socket) => {
    open.add(socket);
    socket.on('close', () => open.delete(socket));
    socket.on('error', () => {});
    const state = { buffer: Buffer.alloc(0) };
    socket.on('data', (chunk) => {
      state.buffer = Buffer.concat([state.buffer, chunk]);
      for (const [name] of parseCommands(state)) {
        const command = name.toLowerCase();
        if (command.endsWith('subscribe')) continue; // silence
        socket.write(command === 'ping' ? '+PONG\r\n' : '+OK\r\n');
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as { port: number }).port,
    open,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

@Injectable()
class QuietListener {
  @RedisSubscribe('quiet.ch')
  onMessage(_message: RedisMessage): void {}
}

let quiet: QuietServer;
beforeAll(async () => {
  quiet = await startQuietServer();
});
afterAll(async () => {
  await quiet?.close();
});

it('fails app.init() once connectTimeout passes without the server confirming a subscription, and closes cleanly', async () => {
  const logger = new CapturingLogger();
  const moduleRef = await Test.createTestingModule({
    imports: [JustRedisModule.forRoot({ address: ['127.0.0.1', quiet.port], respVersion: 2, connectTimeout: 300, clientName: 'quiet-app' })],
    providers: [QuietListener],
  })
    .setLogger(logger)
    .compile();
  const app = moduleRef.createNestApplication({ logger });
  const failure = await within(app.init().then(() => null, (err: unknown) => err), 10_000, 'app.init()');
  expect((failure as Error)?.message).toMatch(/did not confirm the subscriptions of Redis client "default" within 300 ms/);

  await within(app.close(), 10_000, 'app.close()');
  await eventually(() => quiet.open.size === 0);
});
