import fc from 'fast-check';
import { SentCommands, type TopicAction } from '../../lib/nest/pubsub/sent-commands.js';
import type { TopicKind } from '../../lib/nest/pubsub/subscription.js';

/*
 * A push connection's replies, as the server sends them: in command order, one
 * acknowledgement per name, or one error for a refused command, with unasked
 * acknowledgements (a sharded channel moved away) mixed in anywhere. Every error must be
 * attributed to the command the server refused.
 */

interface Sent {
  action: TopicAction;
  kind: TopicKind;
  names: string[];
  refused: boolean;
}

const sentArb: fc.Arbitrary<Sent> = fc.oneof(
  fc.record({
    action: fc.constant<TopicAction>('subscribe'),
    kind: fc.constantFrom<TopicKind>('channel', 'pattern', 'shard'),
    names: fc.constantFrom('a', 'b', 'c').map((n) => [n]),
    refused: fc.boolean(),
  }),
  fc.record({
    action: fc.constant<TopicAction>('unsubscribe'),
    kind: fc.constantFrom<TopicKind>('channel', 'pattern', 'shard'),
    names: fc.uniqueArray(fc.constantFrom('a', 'b', 'c'), { minLength: 1 }),
    refused: fc.constant(false),
  }),
);

type Reply = { type: 'ack'; action: TopicAction; kind: TopicKind; name: string } | { type: 'error'; command: Sent };

it('attributes each error reply to the command the server refused', () => {
  fc.assert(
    fc.property(fc.array(sentArb, { maxLength: 20 }), fc.array(fc.nat(30), { maxLength: 5 }), (commands, ghostsAt) => {
      const sent = new SentCommands();
      for (const c of commands) sent.add(c.action, c.kind, c.names);
      const replies: Reply[] = commands.flatMap((c): Reply[] =>
        c.refused ? [{ type: 'error', command: c }] : c.names.map((name) => ({ type: 'ack', action: c.action, kind: c.kind, name })),
      );
      for (const at of ghostsAt) replies.splice(Math.min(at, replies.length), 0, { type: 'ack', action: 'unsubscribe', kind: 'shard', name: `moved-${at}` });
      for (const reply of replies) {
        if (reply.type === 'ack') sent.acknowledge(reply.action, reply.kind, reply.name);
        else {
          const failed = sent.failOldest();
          expect(failed).toBeDefined();
          expect({ action: failed!.action, kind: failed!.kind, names: [...failed!.names] }).toEqual({
            action: reply.command.action,
            kind: reply.command.kind,
            names: reply.command.names,
          });
        }
      }
      // Everything answered: nothing is left to blame for a later error.
      expect(sent.failOldest()).toBeUndefined();
    }),
    { numRuns: 300 },
  );
});
