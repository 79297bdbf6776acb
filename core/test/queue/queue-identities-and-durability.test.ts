import { acceptedEvent, deadLettered, HTTP_503, QUEUE_IMPLEMENTATIONS, useQueue } from './queue-implementations.js';

const ids = (items: Array<{ messageId: string }>) => items.map((i) => i.messageId).sort();
const later = () => Date.now() + 60_000;

describe.each(QUEUE_IMPLEMENTATIONS)('$name: data subjects', (implementation) => {
  const t = useQueue(implementation);

  it("purging identities removes their queued, leased and dead-lettered events, and no one else's", async () => {
    const u2 = { identityKeys: ['user_id:u2', 'email:u2@example.com'] };
    await deadLettered(t.queue, [acceptedEvent({ messageId: 'u1-dead' }), acceptedEvent({ messageId: 'u2-dead', ...u2 })]);
    await t.queue.enqueue([acceptedEvent({ messageId: 'u1-leased' })]);
    const [leased] = await t.queue.lease('hook', 10, later());
    await t.queue.enqueue([
      acceptedEvent({ messageId: 'u1-queued' }),
      acceptedEvent({ messageId: 'u1-two-connections', connectionIds: ['hook', 'other'] }),
      acceptedEvent({ messageId: 'u2-queued', ...u2 }),
    ]);

    expect(await t.queue.purgeIdentity(['email:nobody@example.com', 'user_id:u1'])).toEqual({ events: 3, deadLetters: 1 });

    expect(await t.queue.depth()).toEqual({ hook: 1 });
    expect(ids(await t.queue.lease('hook', 10, later()))).toEqual(['u2-queued']);
    expect(ids(await t.queue.listDeadLetters())).toEqual(['u2-dead']);
    expect(await t.queue.findByIdentity(['user_id:u1'])).toEqual([]);
    // The dispatcher still holding the purged lease settles it later; that must be harmless.
    await t.queue.complete([leased!.id]);
    expect(await t.queue.depth()).toEqual({ hook: 1 });
  });

  it('purging no identities removes nothing', async () => {
    await t.queue.enqueue([acceptedEvent()]);
    expect(await t.queue.purgeIdentity([])).toEqual({ events: 0, deadLetters: 0 });
    expect(await t.queue.depth()).toEqual({ hook: 1 });
  });

  it('finds the queued and dead-lettered events of any of the identities, with their connections', async () => {
    await deadLettered(t.queue, [acceptedEvent({ messageId: 'by-email', identityKeys: ['email:a@example.com'] })]);
    await t.queue.enqueue([
      acceptedEvent({ messageId: 'by-user', connectionIds: ['hook', 'other'] }),
      acceptedEvent({ messageId: 'someone-else', identityKeys: ['user_id:u2'] }),
    ]);

    const found = await t.queue.findByIdentity(['user_id:u1', 'email:a@example.com']);
    expect(found.map((f) => ({ ...f, connectionIds: [...f.connectionIds].sort() }))).toEqual([
      { where: 'queue', connectionIds: ['hook', 'other'], body: '{"messageId":"by-user"}' },
      { where: 'dead-letters', connectionIds: ['hook'], body: '{"messageId":"by-email"}' },
    ]);
    expect(await t.queue.findByIdentity([])).toEqual([]);
  });
});

describe.each(QUEUE_IMPLEMENTATIONS)('$name: enqueueing and depth', (implementation) => {
  const t = useQueue(implementation);

  it('counts queued and leased deliveries per connection, but not dead letters', async () => {
    await deadLettered(t.queue, [acceptedEvent({ connectionIds: ['other'] })]);
    await t.queue.enqueue([acceptedEvent({ connectionIds: ['hook', 'other'] }), acceptedEvent(), acceptedEvent()]);
    await t.queue.lease('hook', 1, later());
    expect(await t.queue.depth()).toEqual({ hook: 3, other: 1 });
  });

  it('says when the oldest queued delivery of each connection was enqueued: leased and retrying ones count, dead letters do not', async () => {
    expect(await t.queue.oldestQueuedAt()).toEqual({});
    await t.queue.enqueue([acceptedEvent({ messageId: 'first', connectionIds: ['hook', 'other'] })]);
    // The enqueue time has millisecond resolution: let the clock move on so that the two events differ.
    const firstDone = Date.now();
    while (Date.now() <= firstDone + 1) await new Promise((resolve) => setImmediate(resolve));
    await t.queue.enqueue([acceptedEvent({ messageId: 'second' })]);
    const [first, second] = await t.queue.lease('hook', 10, later());
    expect([first!.messageId, second!.messageId]).toEqual(['first', 'second']);
    expect(first!.enqueuedAt).toBeLessThan(second!.enqueuedAt);
    expect(await t.queue.oldestQueuedAt()).toEqual({ hook: first!.enqueuedAt, other: first!.enqueuedAt });

    await t.queue.reschedule([{ id: first!.id, attempts: 1, nextAttemptAt: later(), error: HTTP_503 }]);
    expect(await t.queue.oldestQueuedAt()).toEqual({ hook: first!.enqueuedAt, other: first!.enqueuedAt });
    await t.queue.deadLetter([{ id: first!.id, attempts: 2, error: HTTP_503 }], Date.now());
    expect(await t.queue.oldestQueuedAt()).toEqual({ hook: second!.enqueuedAt, other: first!.enqueuedAt });
    await t.queue.complete([second!.id]);
    expect(await t.queue.oldestQueuedAt()).toEqual({ other: first!.enqueuedAt });
  });

  it('carries the privacy version from enqueue to lease', async () => {
    await t.queue.enqueue([acceptedEvent({ messageId: 'v7', privacyVersion: 7 }), acceptedEvent({ messageId: 'v0', privacyVersion: 0 })]);
    const leased = await t.queue.lease('hook', 10, later());
    expect(leased.map((d) => [d.messageId, d.privacyVersion])).toEqual([
      ['v7', 7],
      ['v0', 0],
    ]);
  });

  it('stores nothing for an event routed to no connection', async () => {
    await t.queue.enqueue([acceptedEvent({ connectionIds: [] })]);
    expect(await t.queue.depth()).toEqual({});
    expect(await t.queue.findByIdentity(['user_id:u1'])).toEqual([]);
  });

  it('group commit: enqueues made in the same tick all resolve and are all stored', async () => {
    const calls = ['a', 'b', 'c', 'd'].map((messageId) => t.queue.enqueue([acceptedEvent({ messageId })]));
    await expect(Promise.all(calls)).resolves.toEqual([undefined, undefined, undefined, undefined]);
    expect(ids(await t.queue.lease('hook', 10, later()))).toEqual(['a', 'b', 'c', 'd']);
  });

  it('group commit: an enqueue that cannot be stored fails alone; the others in its group are stored', async () => {
    const unstorable = acceptedEvent({ messageId: 'bad', body: null as unknown as string });
    const [a, bad, c] = await Promise.allSettled([
      t.queue.enqueue([acceptedEvent({ messageId: 'a' })]),
      t.queue.enqueue([unstorable]),
      t.queue.enqueue([acceptedEvent({ messageId: 'c' })]),
    ]);
    expect([a.status, bad.status, c.status]).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(ids(await t.queue.lease('hook', 10, later()))).toEqual(['a', 'c']);
  });
});

describe.each(QUEUE_IMPLEMENTATIONS)('$name: durability', (implementation) => {
  const t = useQueue(implementation);

  it('a reopened queue file holds the same deliveries and dead letters, with every lease cleared', async () => {
    await deadLettered(t.queue, [acceptedEvent({ messageId: 'dead' })]);
    await t.queue.enqueue([acceptedEvent({ messageId: 'a', privacyVersion: 4 }), acceptedEvent({ messageId: 'b' })]);
    const before = await t.queue.lease('hook', 1, later());
    expect(ids(before)).toEqual(['a']);

    const reopened = await t.reopen();
    expect(await reopened.depth()).toEqual({ hook: 2 });
    expect(ids(await reopened.listDeadLetters())).toEqual(['dead']);
    const after = await reopened.lease('hook', 10, later());
    expect(after[0]).toEqual(before[0]);
    expect(ids(after)).toEqual(['a', 'b']);
  });
});
