import { Test } from '@nestjs/testing';
import { Module, Injectable } from '@nestjs/common';

@Injectable()
class Svc { hi() { return 'hi'; } }
@Module({ providers: [Svc] })
class M {}

it('runs nest testing under ESM', async () => {
  const mod = await Test.createTestingModule({ imports: [M] }).compile();
  expect(mod.get(Svc).hi()).toBe('hi');
  await mod.close();
});
