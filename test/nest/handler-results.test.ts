import { Injectable, type INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { Observable, of, throwError } from 'rxjs';
import { startRedisServer, type RedisServer } from '../../lib/testing/index.js';
import { JustRedisModule, RedisSubscribe, type Redis, type RedisMessage } from '../../lib/index.js';
import { adminClient, CapturingLogger, deferred, eventually, namedConnections, within } from './nest-helpers.js';

let server: RedisServer;
let admin: Redis;
let app: INestApplication;
const logger = new CapturingLogger();
const clientName = 'results-app';

/** Handlers returning each kind of value Nest's own message handlers may return. */
@Injectable()
class Results {
  readonly received: string[] = [];
  readonly called: string[] = [];
  readonly subscribed: string[] = [];
  readonly completed: string[] = [];
  readonly gates = new Map<string, { resolve: () => void }>();
  readonly plain: string[] = [];
  readonly afterError: string[] = [];

  @RedisSubscribe('results.obs')
  onArrival(message: RedisMessage): void {
    this.received.push(message.data);
  }

  /** Work happens on subscription and ends when the test opens the message's gate. */
  @RedisSubscribe('results.obs')
  onObservable(message: RedisMessage): Observable<string> {
    this.called.push(message.data);
    return new Observable<string>((subscriber) => {
      this.subscribed.push(message.data);
      const gate = deferred();
      this.gates.set(message.data, gate);
      void gate.promise.then(() => {
        subscriber.next(message.data);
        this.completed.push(message.data);
        subscriber.complete();
      });
    });
  }

  @RedisSubscribe('results.plain')
  onPlain(message: RedisMessage): number {
    this.plain.push(message.data);
    return 42;
  }

  @RedisSubscribe('results.error')
  onError(message: RedisMessage): Observable<string> {
    if (message.data === 'bad') return throwError(() => new Error('observable failed'));
    this.afterError.push(message.data);
    return of(message.data);
  }
}

beforeAll(async () => {
  server = await startRedisServer();
  admin = adminClient(server.port);
  const moduleRef = await Test.createTestingModule({
    imports: [JustRedisModule.forRoot({ url: server.url, decoder: 'utf8', clientName })],
    providers: [Results],
  })
    .setLogger(logger)
    .compile();
  app = moduleRef.createNestApplication({ logger });
  await within(app.init(), 15_000, 'app.init()');
});
afterAll(async () => {
  await within(app?.close(), 10_000, 'app.close()');
  await eventually(async () => (await namedConnections(admin, clientName)) === 0);
  await admin?.close();
  await server?.stop();
});

describe('what a @RedisSubscribe handler returns', () => {
  it('an Observable is subscribed and its completion awaited before the next message, in order', async () => {
    const results = app.get(Results);
    await admin.call('publish', 'results.obs', 'a');
    await admin.call('publish', 'results.obs', 'b');
    await eventually(() => results.received.length === 2 && results.subscribed.length === 1);
    // "b" has arrived, but "a"'s Observable has not completed: "b" waits.
    expect(results.called).toEqual(['a']);
    expect(results.subscribed).toEqual(['a']);

    results.gates.get('a')!.resolve();
    await eventually(() => results.subscribed.length === 2);
    expect(results.completed).toEqual(['a']);
    results.gates.get('b')!.resolve();
    await eventually(() => results.completed.length === 2);
    expect(results.called).toEqual(['a', 'b']);
    expect(results.completed).toEqual(['a', 'b']);
  });

  it('a plain value is accepted as done', async () => {
    const results = app.get(Results);
    for (const m of ['p1', 'p2']) await admin.call('publish', 'results.plain', m);
    await eventually(() => results.plain.length === 2);
    expect(results.plain).toEqual(['p1', 'p2']);
  });

  it("an Observable's error is logged like a throw, and the next message still runs", async () => {
    const results = app.get(Results);
    await admin.call('publish', 'results.error', 'bad');
    await admin.call('publish', 'results.error', 'good');
    await eventually(() => results.afterError.includes('good'));
    expect(logger.find('error', /Results\.onError threw on channel "results\.error": observable failed/)).toHaveLength(1);
  });
});
