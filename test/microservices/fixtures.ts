import { Controller, Injectable, Module, type INestMicroservice } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ClientRedis, Ctx, EventPattern, MessagePattern, Payload, RedisContext, RpcException, Transport} from '@nestjs/microservices';
import { from, interval, map, take, type Observable } from 'rxjs';
import { JustRedisClientProxy, JustRedisServer } from '../../lib/microservices/index.js';

/** What the service saw, with waits on events (no sleeps). */
@Injectable()
export class Probe {
  readonly events: unknown[] = [];
  #waiters: { test: (e: unknown) => boolean; resolve: () => void }[] = [];
  /** Opened by a test to let `slow` requests answer. */
  gate = openableGate();
  slowEntered = openableGate();

  recordEvent(data: unknown): void {
    this.events.push(data);
    this.#waiters = this.#waiters.filter((w) => (w.test(data) ? (w.resolve(), false) : true));
  }

  eventSeen(test: (e: unknown) => boolean): Promise<void> {
    if (this.events.some(test)) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push({ test, resolve }));
  }
}

export function openableGate(): { open(): void; promise: Promise<void> } {
  let open!: () => void;
  const promise = new Promise<void>((r) => (open = r));
  return { open, promise };
}

@Controller()
export class MathController {
  constructor(private readonly probe: Probe) {}

  @MessagePattern('sum')
  sum(@Payload() numbers: number[]): number {
    return numbers.reduce((a, b) => a + b, 0);
  }

  @MessagePattern({ cmd: 'count' })
  count(@Payload() n: number): Observable<number> {
    return from(Array.from({ length: n }, (_, i) => i + 1));
  }

  /** Several values spread over time, so they travel as separate replies. */
  @MessagePattern('ticks')
  ticks(@Payload() n: number): Observable<string> {
    return interval(1).pipe(
      take(n),
      map((i) => `tick-${i}`),
    );
  }

  @MessagePattern('fail')
  fail(@Payload() reason: string): never {
    throw new RpcException({ code: 'E_BAD', message: reason });
  }

  @MessagePattern('slow')
  async slow(@Payload() n: number): Promise<number> {
    this.probe.slowEntered.open();
    await this.probe.gate.promise;
    return n;
  }

  @MessagePattern('where')
  where(@Ctx() ctx: RedisContext): string {
    return ctx.getChannel();
  }

  @EventPattern('audit')
  audit(@Payload() data: unknown): void {
    this.probe.recordEvent(data);
  }
}

/** With `wildcards: true` on the server: one handler for every `users.<id>` channel. */
@Controller()
export class WildcardController {
  @MessagePattern('users.*')
  user(@Payload() data: { id: number }, @Ctx() ctx: RedisContext): { id: number; channel: string } {
    return { id: data.id, channel: ctx.getChannel() };
  }
}

@Module({ controllers: [MathController], providers: [Probe] })
export class MathModule {}

@Module({ controllers: [WildcardController] })
export class WildcardModule {}

export type Side = 'ours' | 'builtin';

/** The built-in transport must be told to reconnect, else ioredis gives up after one loss. */
const BUILTIN_RETRY = { retryAttempts: 100, retryDelay: 50 };

export async function startService(side: Side, port: number, module: object = MathModule, wildcards = false): Promise<INestMicroservice> {
  const app =
    side === 'ours'
      ? await NestFactory.createMicroservice(module, { strategy: new JustRedisServer({ url: `redis://127.0.0.1:${port}`, wildcards }), logger: false })
      : await NestFactory.createMicroservice(module, {
          transport: Transport.REDIS,
          options: { host: '127.0.0.1', port, wildcards, ...BUILTIN_RETRY },
          logger: false,
        });
  await app.listen();
  return app;
}

/** Either client; typed loosely because each narrows its own status type. */
export type AnyClient = JustRedisClientProxy | ClientRedis;

export async function startClient(side: Side, port: number): Promise<AnyClient> {
  const client: AnyClient = side === 'ours' ? new JustRedisClientProxy({ url: `redis://127.0.0.1:${port}` }) : new ClientRedis({ host: '127.0.0.1', port, ...BUILTIN_RETRY });
  await client.connect();
  return client;
}
