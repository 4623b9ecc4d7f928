// Microservice request/response round trips: nestjs-justredis/microservices (JustRedisServer +
// JustRedisClientProxy) vs @nestjs/microservices' built-in Transport.REDIS (ServerRedis +
// ClientRedis, ioredis), each a real Nest microservice and client in this process, on the
// same redis-server. Uses the built dist (`npm run build`).
//
// Exports `workloads`: { name: { title, group, contenders: { label: open(target) } } } where
// `open({ port })` resolves to `{ batch(): Promise<void>, opsPerBatch, close(): Promise<void> }`.
import 'reflect-metadata';
import { Controller, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ClientRedis, MessagePattern, Transport } from '@nestjs/microservices';
import { firstValueFrom } from 'rxjs';
import { JustRedisClientProxy, JustRedisServer } from '../../dist/microservices/index.js';

// Decorators applied by hand: this file is plain JavaScript.
class EchoController {
  echo(data) {
    return data;
  }
}
Reflect.decorate([MessagePattern('bench.echo')], EchoController.prototype, 'echo', Object.getOwnPropertyDescriptor(EchoController.prototype, 'echo'));
Reflect.decorate([Controller()], EchoController);
class EchoModule {}
Reflect.decorate([Module({ controllers: [EchoController] })], EchoModule);

const PAYLOAD = { id: 42, name: 'bench', tags: ['a', 'b', 'c'], text: 'x'.repeat(64) };

async function openPair(side, { port }) {
  const service =
    side === 'ours'
      ? await NestFactory.createMicroservice(EchoModule, { strategy: new JustRedisServer({ url: `redis://127.0.0.1:${port}` }), logger: false })
      : await NestFactory.createMicroservice(EchoModule, { transport: Transport.REDIS, options: { host: '127.0.0.1', port }, logger: false });
  await service.listen();
  const client = side === 'ours' ? new JustRedisClientProxy({ url: `redis://127.0.0.1:${port}` }) : new ClientRedis({ host: '127.0.0.1', port });
  await client.connect();
  return { service, client };
}

function requests(concurrency) {
  return (side) => async (target) => {
    const { service, client } = await openPair(side, target);
    const one = () => firstValueFrom(client.send('bench.echo', PAYLOAD));
    const batch =
      concurrency === 1
        ? one
        : async () => {
            const all = new Array(concurrency);
            for (let i = 0; i < concurrency; i++) all[i] = one();
            await Promise.all(all);
          };
    await batch(); // reply channel subscribed, connections open
    return {
      batch,
      opsPerBatch: concurrency,
      close: async () => {
        await client.close();
        await service.close();
      },
    };
  };
}

export const OURS_LABEL = 'nestjs-justredis';
export const BUILTIN_LABEL = 'Transport.REDIS (ioredis)';

function contenders(open) {
  return { [OURS_LABEL]: open('ours'), [BUILTIN_LABEL]: open('builtin') };
}

export const workloads = {
  'ms-request-1': {
    title: 'microservice send() round trips, one at a time',
    group: 'microservices',
    contenders: contenders(requests(1)),
  },
  'ms-request-100': {
    title: 'microservice send() round trips, 100 concurrent',
    group: 'microservices',
    contenders: contenders(requests(100)),
  },
};
