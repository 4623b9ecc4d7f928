import { Module, type DynamicModule, type Provider } from '@nestjs/common';
import type { Redis } from '../core/index.js';
import { DEFAULT_REDIS_NAME } from './justredis.constants.js';
import type {
  JustRedisClientOptions,
  JustRedisModuleAsyncOptions,
  JustRedisModuleOptions,
  JustRedisOptionsFactory,
  RedisViewSettings,
} from './justredis.interfaces.js';
import { JustRedisClients } from './justredis-clients.service.js';
import { JustRedisCoreModule } from './justredis-core.module.js';
import { getRedisOptionsToken, getRedisToken } from './utils/get-redis-token.util.js';
import { attachViewSink, viewProvider } from './utils/redis-views.registry.js';

/**
 * Registers Redis clients:
 *
 * ```ts
 * JustRedisModule.forRoot({ url: 'redis://127.0.0.1:6379', decoder: 'utf8' })
 * JustRedisModule.forRootAsync({ name: 'cache', imports: [ConfigModule], inject: [ConfigService],
 *   useFactory: (config: ConfigService) => ({ url: config.getOrThrow('CACHE_REDIS_URL') }) })
 * ```
 *
 * Each name is one client (`getRedisToken(name)`); `@InjectRedis(name, settings)` views of it
 * are provided too, whichever file asked for them and whenever it was imported. Global by
 * default. Clients close at application shutdown.
 */
@Module({})
export class JustRedisModule {
  static forRoot(options: JustRedisModuleOptions = {}): DynamicModule {
    if (options === null || typeof options !== 'object') throw new TypeError('JustRedisModule.forRoot() takes an options object');
    const { name = DEFAULT_REDIS_NAME, isGlobal = true } = options;
    checkName(name, 'forRoot');
    const optionsProvider: Provider = { provide: getRedisOptionsToken(name), useValue: options };
    return assemble(name, isGlobal, [], [optionsProvider]);
  }

  static forRootAsync(options: JustRedisModuleAsyncOptions): DynamicModule {
    if (options === null || typeof options !== 'object') throw new TypeError('JustRedisModule.forRootAsync() takes an options object');
    const { name = DEFAULT_REDIS_NAME, isGlobal = true } = options;
    checkName(name, 'forRootAsync');
    const given = [options.useFactory, options.useClass, options.useExisting].filter((x) => x !== undefined).length;
    if (given !== 1) throw new TypeError('JustRedisModule.forRootAsync() needs exactly one of useFactory, useClass or useExisting');
    return assemble(name, isGlobal, options.imports ?? [], [...asyncOptionsProviders(name, options), ...(options.extraProviders ?? [])]);
  }

  /**
   * Provides views of a client inside one module. Not needed for modules that are part of
   * the application when it starts (`@InjectRedis` finds its views by itself); use it in
   * modules loaded later with `LazyModuleLoader`: `JustRedisModule.forFeature([{ database: 1 }])`.
   */
  static forFeature(views: readonly RedisViewSettings[] = [], name: string = DEFAULT_REDIS_NAME): DynamicModule {
    if (!Array.isArray(views)) throw new TypeError('JustRedisModule.forFeature() takes an array of view settings, e.g. [{ database: 1 }]');
    checkName(name, 'forFeature');
    const providers: Provider[] = [];
    for (const settings of views) {
      const token = getRedisToken(name, settings);
      // The client itself is provided by forRoot; a view is listed once.
      if (token === getRedisToken(name) || providers.some((p) => (p as { provide: string }).provide === token)) continue;
      providers.push(viewProvider({ name, token, settings }));
    }
    return { module: JustRedisModule, providers, exports: providers.map((p) => (p as { provide: string }).provide) };
  }
}


function assemble(name: string, isGlobal: boolean, imports: NonNullable<DynamicModule['imports']>, optionProviders: Provider[]): DynamicModule {
  const token = getRedisToken(name);
  const clientProvider: Provider = {
    provide: token,
    useFactory: (clientOptions: JustRedisClientOptions, clients: JustRedisClients): Promise<Redis> => clients.create(name, clientOptions),
    inject: [getRedisOptionsToken(name), JustRedisClients],
  };
  // These arrays are what Nest reads when it scans the application; views asked for by
  // files imported after this call are appended to them (see redis-views.registry.ts).
  const sink = { name, providers: [...optionProviders, clientProvider] as unknown[], exports: [token] as unknown[] };
  attachViewSink(sink);
  return {
    module: JustRedisModule,
    global: isGlobal,
    imports: [JustRedisCoreModule, ...imports],
    providers: sink.providers as Provider[],
    exports: sink.exports as DynamicModule['exports'],
  };
}

function checkName(name: unknown, where: string): void {
  if (typeof name !== 'string' || name.length === 0) throw new TypeError(`JustRedisModule.${where}() "name" must be a non-empty string`);
}

function asyncOptionsProviders(name: string, options: JustRedisModuleAsyncOptions): Provider[] {
  const provide = getRedisOptionsToken(name);
  if (options.useFactory !== undefined) {
    return [{ provide, useFactory: options.useFactory, inject: options.inject ?? [] }];
  }
  const factoryToken = (options.useClass ?? options.useExisting)!;
  const providers: Provider[] = [
    { provide, useFactory: (factory: JustRedisOptionsFactory) => factory.createJustRedisOptions(), inject: [factoryToken] },
  ];
  if (options.useClass !== undefined) providers.push({ provide: options.useClass, useClass: options.useClass });
  return providers;
}
