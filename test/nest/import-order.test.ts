import { Injectable, Module } from '@nestjs/common';
import { LazyModuleLoader } from '@nestjs/core';
import { Test } from '@nestjs/testing';
import { useRedisServerWithAdmin } from '../fixtures.js';
import { getRedisToken, InjectRedis, JustRedisModule, type Redis } from '../../lib/index.js';
import { adminClient } from './nest-helpers.js';

const { server, admin } = useRedisServerWithAdmin((s) => adminClient(s.port));

describe('@InjectRedis whatever the import order', () => {
  it('resolves views of a service file imported after forRoot() ran, in either import position', async () => {
    // forRoot() runs first, as when a shared "redis.module.ts" is evaluated before feature files.
    const root = JustRedisModule.forRoot({ url: server.url, decoder: 'utf8' });
    const late = JustRedisModule.forRootAsync({ name: 'late', useFactory: () => ({ url: server.url }) });
    const { LateFeatureModule, LateService } = await import('./fixtures/late-feature.js');

    for (const imports of [
      [root, late, LateFeatureModule],
      [LateFeatureModule, late, root],
    ]) {
      const moduleRef = await Test.createTestingModule({ imports }).compile();
      const service = moduleRef.get(LateService);
      await service.db7.call('set', 'where', 'db7');
      await service.late8.call('set', 'where', 'db8');
      expect(await admin.call('get', 'where', { database: 7 })).toBe('db7');
      expect(await service.late8.call('get', 'where')).toBe('db8');
      expect(moduleRef.get(getRedisToken({ database: 7 }))).toBe(service.db7);
      await moduleRef.close();
    }
  });

  it('resolves views declared after the root module class was decorated', async () => {
    @Module({ imports: [JustRedisModule.forRoot({ url: server.url, decoder: 'utf8' })] })
    class AppRedisModule {}

    // Declared (decorated) after AppRedisModule, in a module that does not import JustRedisModule.
    @Injectable()
    class Later {
      constructor(@InjectRedis({ database: 11, decoder: null }) readonly db11: Redis) {}
    }
    @Module({ providers: [Later] })
    class LaterModule {}

    const moduleRef = await Test.createTestingModule({ imports: [AppRedisModule, LaterModule] }).compile();
    await moduleRef.get(Later).db11.call('set', 'k', 'v');
    expect(await admin.call('get', 'k', { database: 11 })).toBe('v');
    expect(await moduleRef.get(Later).db11.call('get', 'k')).toEqual(Buffer.from('v'));
    await moduleRef.close();
  });

  it('serves lazily loaded modules through JustRedisModule.forFeature()', async () => {
    const moduleRef = await Test.createTestingModule({ imports: [JustRedisModule.forRoot({ url: server.url, decoder: 'utf8' })] }).compile();
    const app = moduleRef.createNestApplication();
    await app.init();
    const { LazyFeatureModule, LazyService } = await import('./fixtures/lazy-feature.js');
    const lazyRef = await app.get(LazyModuleLoader).load(() => LazyFeatureModule);
    const service = lazyRef.get(LazyService);
    await service.db9.call('set', 'lazy', 'yes');
    expect(await admin.call('get', 'lazy', { database: 9 })).toBe('yes');
    await app.close();
  });
});
