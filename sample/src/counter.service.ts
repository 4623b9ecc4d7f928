import { Injectable } from '@nestjs/common';
import { InjectRedis, RedisPubSub, type Redis } from 'nestjs-justredis';

export interface Standing {
  player: string;
  score: number;
}

/**
 * Counters live in database 0 (the default client), leaderboards in database 1 through a
 * `@InjectRedis({ database: 1 })` view: the same connections, another database.
 * `Redis<'utf8'>` (the module's decoder, RESP2) types every call's arguments and reply.
 */
@Injectable()
export class CounterService {
  constructor(
    @InjectRedis() private readonly redis: Redis<'utf8'>,
    @InjectRedis({ database: 1 }) private readonly boards: Redis<'utf8'>,
    private readonly pubsub: RedisPubSub,
  ) {}

  async increment(name: string, by = 1): Promise<number> {
    // INCRBY replies number | bigint (a counter may pass 2^53); this sample's counters do not.
    const value = Number(await this.redis.call('incrby', `counter:${name}`, by));
    await this.pubsub.publish('events', JSON.stringify({ type: 'counter', name, value }));
    return value;
  }

  async get(name: string): Promise<number> {
    const value = await this.redis.call('get', `counter:${name}`); // string | null
    return value === null ? 0 : Number(value);
  }

  async score(board: string, player: string, points: number): Promise<number> {
    // A double: RESP2 sends its text (RESP3 a number), so the type is string here.
    const score = Number(await this.boards.call('zincrby', `board:${board}`, points, player));
    await this.pubsub.publish('events', JSON.stringify({ type: 'score', board, player, score }));
    return score;
  }

  async top(board: string, count: number): Promise<Standing[]> {
    // WITHSCORES on RESP2: one flat array, member then score (string[]).
    const flat = await this.boards.call('zrange', `board:${board}`, 0, count - 1, 'REV', 'WITHSCORES');
    const standings: Standing[] = [];
    for (let i = 0; i < flat.length; i += 2) standings.push({ player: flat[i], score: Number(flat[i + 1]) });
    return standings;
  }
}
