import {
  fail,
  groupAddSchema,
  groupAdminSchema,
  groupConvSchema,
  groupCreateSchema,
  groupRemoveSchema,
  groupRenameSchema,
  isGroupId,
  parseWith,
  type ConversationId,
} from '../protocol';
import type { Charge } from './budgets';
import { systemRow, type Entries } from './entries';
import type { GroupChange, GroupRefusal } from './groups';
import { handler, type Reply } from './handler';
import type { ImSocket, RealtimeDeps } from './realtimeTypes';

/**
 * The `group:*` handlers (protocol 2 only), shared by every connection:
 * Socket.IO calls each with `this` set to the connection.
 */
export function groupHandlers(
  deps: RealtimeDeps,
  entries: Entries,
): [string, (this: ImSocket, ...args: unknown[]) => void][] {
  const { accounts, groups, writer, log, store, budgets } = deps;
  const handlers: [string, (this: ImSocket, ...args: unknown[]) => void][] = [];

  /** Answers with the entry's `seq` (or the new group), then tells everyone concerned. */
  const announce = (change: GroupChange, reply: Reply, answer: object) => {
    const { audience } = change;
    reply({ ok: true, ...answer });
    entries.toMembers(systemRow(change), audience);
  };

  /** Registers one group event: protocol 2 only, payload parsed, run by the writer. */
  const on = <T>(
    event: string,
    schema: { safeParse(p: unknown): unknown },
    run: (value: T, reply: Reply, me: string, device: string) => Promise<void>,
  ) => {
    handlers.push([
      event,
      handler<ImSocket>(log, event, async (socket, payload, reply) => {
        if (!socket.data.mirror) return reply(fail('invalid_input', 'groups need protocol 2'));
        const parsed = parseWith(schema as never, payload);
        if (!parsed.ok) return reply(parsed);
        await run(parsed.value as T, reply, socket.data.userId, socket.data.deviceId);
      }),
    ]);
  };

  const unknownUser = (users: string[]) => users.find((u) => !accounts.exists(u));
  const notGroup = (conv: ConversationId) => !isGroupId(conv);

  /**
   * Pays for a group change of `me` that reaches `audience` people (and puts
   * `added` into a group, each from their own budget), then runs it; what
   * was paid is given back when the change is refused. Answers
   * `rate_limited` when a budget has run out, changing nothing.
   */
  const paid = async (
    reply: Reply,
    me: string,
    audience: number,
    added: string[],
    extra: Charge[],
    change: () => Promise<GroupChange | GroupRefusal>,
  ): Promise<GroupChange | undefined> => {
    const charges: Charge[] = [
      { name: 'groupChange', key: me },
      { name: 'fanout', key: me, cost: audience },
      ...added.filter((u) => u !== me).map((u): Charge => ({ name: 'addedToGroup', key: u })),
      ...extra,
    ];
    const taken = budgets.take(charges);
    if (!taken.ok) {
      reply(taken);
      return undefined;
    }
    const result = await change();
    if ('error' in result) {
      budgets.refund(charges);
      reply(fail(result.error, result.message));
      return undefined;
    }
    return result;
  };

  on<{ name: string; members: string[] }>(
    'group:create',
    groupCreateSchema,
    async (p, reply, me, device) => {
      const stranger = unknownUser(p.members);
      if (stranger) return reply(fail('unknown_recipient', `no such user: ${stranger}`));
      const members = [...new Set(p.members)];
      const change = await paid(
        reply,
        me,
        members.length + 1,
        members,
        [{ name: 'groupCreate', key: me }],
        () => writer.run('groupCreate', [me, device, p.name, p.members, Date.now()]),
      );
      if (change) announce(change, reply, { conv: change.conv });
    },
  );

  on<{ conv: ConversationId; name: string }>(
    'group:rename',
    groupRenameSchema,
    async (p, reply, me, device) => {
      if (notGroup(p.conv)) return reply(fail('not_found', 'no such group'));
      const change = await paid(reply, me, store.currentMembers(p.conv).length, [], [], () =>
        writer.run('groupRename', [p.conv, me, device, p.name, Date.now()]),
      );
      if (change) announce(change, reply, { seq: change.entry.seq });
    },
  );

  const membership =
    (op: 'add' | 'remove' | 'promote') =>
    async (
      p: { conv: ConversationId; users: string[] },
      reply: Reply,
      me: string,
      device: string,
    ) => {
      if (notGroup(p.conv)) return reply(fail('not_found', 'no such group'));
      const stranger = op === 'add' ? unknownUser(p.users) : undefined;
      if (stranger) return reply(fail('unknown_recipient', `no such user: ${stranger}`));
      const current = store.currentMembers(p.conv);
      const joining = op === 'add' ? [...new Set(p.users)].filter((u) => !current.includes(u)) : [];
      const change = await paid(reply, me, current.length + joining.length, joining, [], () =>
        writer.run('groupMembers', [op, p.conv, me, device, p.users, Date.now()]),
      );
      if (change) announce(change, reply, { seq: change.entry.seq });
    };
  on('group:add', groupAddSchema, membership('add'));
  on('group:remove', groupRemoveSchema, membership('remove'));
  on('group:admin', groupAdminSchema, membership('promote'));

  on<{ conv: ConversationId }>('group:leave', groupConvSchema, async (p, reply, me, device) => {
    if (notGroup(p.conv)) return reply(fail('not_found', 'no such group'));
    const change = await paid(reply, me, store.currentMembers(p.conv).length, [], [], () =>
      writer.run('groupLeave', [p.conv, me, device, Date.now()]),
    );
    if (change) announce(change, reply, { seq: change.entry.seq });
  });

  on<{ conv: ConversationId }>('group:info', groupConvSchema, async (p, reply, me) => {
    const info = notGroup(p.conv) ? undefined : groups.info(p.conv, me);
    if (!info) return reply(fail('not_found', 'no such group'));
    reply({ ok: true, conv: p.conv, ...info });
  });
  return handlers;
}
