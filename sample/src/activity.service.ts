import { Injectable, Logger } from '@nestjs/common';
import { RedisSubscribe, type RedisMessage } from 'nestjs-justredis';

/** Keeps the latest events published on the `events` channel, whoever published them. */
@Injectable()
export class ActivityService {
  private readonly logger = new Logger(ActivityService.name);
  private readonly recent: unknown[] = [];

  @RedisSubscribe('events')
  onEvent(message: RedisMessage): void {
    let event: unknown;
    try {
      event = JSON.parse(message.data);
    } catch {
      event = { type: 'text', text: message.data };
    }
    this.recent.unshift(event);
    this.recent.length = Math.min(this.recent.length, 20);
    this.logger.debug(`event on ${message.channel}: ${message.data}`);
  }

  latest(): unknown[] {
    return [...this.recent];
  }
}
