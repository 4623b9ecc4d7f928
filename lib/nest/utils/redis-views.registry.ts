import type { FactoryProvider } from '@nestjs/common';
import type { Redis } from '../../core/index.js';
import { REDIS_TOKEN_PREFIX } from '../justredis.constants.js';
import type { RedisViewSettings } from '../justredis.interfaces.js';

/** A `modify()` view somebody asked for with `@InjectRedis(name, settings)` or `getRedisToken(name, settings)`. */
export interface RedisView {
  readonly name: string;
  readonly token: string;
  readonly settings: RedisViewSettings;
}

/** The provider and export lists of one `forRoot`/`forRootAsync` dynamic module. */
export interface RedisViewSink {
  readonly name: string;
  readonly providers: unknown[];
  readonly exports: unknown[];
}

/*
 * Why a process-wide registry, and why sinks:
 * a view is asked for when a class is decorated, which may happen before or after
 * `forRoot()` runs, depending on the order in which files are imported. Nest reads a
 * dynamic module's `providers`/`exports` only when it scans the application, after
 * every statically imported file has run. So each `forRoot()` hands Nest arrays that
 * hold the views known so far, and views registered later are appended to those same
 * arrays: by the time Nest scans, every view is there whatever the import order.
 */
const views = new Map<string, RedisView>();
const sinks = new Map<string, Set<WeakRef<RedisViewSink>>>();

/** Records a view (once per token) and adds it to every live module of that name. */
export function registerView(view: RedisView): void {
  if (views.has(view.token)) return;
  views.set(view.token, view);
  const live = sinks.get(view.name);
  if (live === undefined) return;
  for (const ref of live) {
    const sink = ref.deref();
    if (sink === undefined) live.delete(ref);
    else addToSink(sink, view);
  }
}

/** Fills a new module's lists with the views known for its name and keeps them for later views. */
export function attachViewSink(sink: RedisViewSink): void {
  for (const view of views.values()) if (view.name === sink.name) addToSink(sink, view);
  let live = sinks.get(sink.name);
  if (live === undefined) sinks.set(sink.name, (live = new Set()));
  live.add(new WeakRef(sink));
}

function addToSink(sink: RedisViewSink, view: RedisView): void {
  sink.providers.push(viewProvider(view));
  sink.exports.push(view.token);
}

export function viewProvider(view: RedisView): FactoryProvider<Redis> {
  return {
    provide: view.token,
    // A test double given with overrideProvider() may have no modify(): the view is then the double itself.
    useFactory: (client: Redis) => (typeof client?.modify === 'function' ? client.modify(view.settings) : client),
    inject: [REDIS_TOKEN_PREFIX + view.name],
  };
}
