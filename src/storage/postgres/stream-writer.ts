// Group commit for the event stream. Every write that takes a stream position (a
// message, a state change, a group change) goes through this queue: while one
// transaction commits, new jobs gather, and the next transaction writes them together
// (messages with one multi-row insert). Positions come from the single stream_position
// row, whose lock is held to commit, so seq order is commit order on every node. After
// each commit one frame covering all the positions it took is published on the bus.
import type { Pool, PoolClient } from 'pg';
import { forbidden, notFound, rateLimited, unavailable } from '../../core/errors.js';
import type { Announced, DomainEvent, Frame } from '../../core/events/types.js';
import type { Announce, InsertResult, StateEvent } from '../../core/messages/ports.js';
import type { DeliveryStateValue, Message, NewMessage } from '../../core/messages/types.js';
import { MAX_PER_MS } from '../../core/sync/time-cursor.js';
import { isUnavailable } from '../unavailable.js';
import { MESSAGE_COLUMNS, rowToMessage, type MessageRow } from './rows.js';

type Settle<T> = { resolve: (v: T) => void; reject: (e: unknown) => void; announce?: Announce<T> };

/** Work inside the stream transaction; `alloc` hands out the next positions in order. */
export type OpRun<T> = (tx: PoolClient, alloc: () => Promise<string>, now: number) => Promise<T>;

type MsgJob = { type: 'message'; input: NewMessage } & Settle<InsertResult>;
type StateJob = { type: 'state'; reader: string; conversationId: string; seqs: string[]; state: DeliveryStateValue } & Settle<StateEvent | null>;
type OpJob = { type: 'op'; run: OpRun<unknown> } & Settle<unknown>;
type Job = MsgJob | StateJob | OpJob;

type Outcome = { job: Job; ok: true; value: unknown; quiet?: boolean } | { job: Job; ok: false; error: unknown };

export class StreamWriter {
  private queue: Job[] = [];
  private flushing = false;
  private closed = false;
  private idleWaiters: (() => void)[] = [];
  /** transactions committed, and jobs in them (for benchmarks) */
  readonly stats = { batches: 0, jobs: 0 };

  constructor(
    private readonly pool: Pool,
    private readonly publish: (frame: Frame) => void,
    private readonly maxBatch = 500,
    /** writes waiting beyond this are refused at once (RATE_LIMITED) instead of queueing without bound */
    private readonly maxQueue = 10_000,
  ) {
    // One batch takes one millisecond's stamp: it must fit in MAX_PER_MS positions.
    this.maxBatch = Math.min(maxBatch, MAX_PER_MS);
  }

  /** onQueued runs once the message has its place in the queue (commit order is queue order). */
  insertMessage(input: NewMessage, announce?: Announce<InsertResult>, onQueued?: () => void): Promise<InsertResult> {
    const p = new Promise<InsertResult>((resolve, reject) => this.enqueue({ type: 'message', input, resolve, reject, announce }));
    onQueued?.();
    return p;
  }

  markState(
    reader: string, conversationId: string, seqs: string[], state: DeliveryStateValue,
    announce?: Announce<StateEvent | null>,
  ): Promise<StateEvent | null> {
    return new Promise((resolve, reject) =>
      this.enqueue({ type: 'state', reader, conversationId, seqs, state, resolve, reject, announce }));
  }

  /** Runs `run` in its own stream transaction (ops are rare: group changes, recalls, read pointers). */
  op<T>(run: OpRun<T>, announce: Announce<T>): Promise<T> {
    return new Promise<T>((resolve, reject) =>
      this.enqueue({ type: 'op', run, resolve, reject, announce } as unknown as OpJob));
  }

  /** Refuses new writes (UNAVAILABLE: retry on another node) and resolves once the queued ones are written. */
  async close(): Promise<void> {
    this.closed = true;
    while (this.flushing || this.queue.length) await new Promise<void>((r) => this.idleWaiters.push(r));
  }

  private enqueue(job: Job): void {
    if (this.closed) return job.reject(unavailable('the server is shutting down, retry'));
    if (this.queue.length >= this.maxQueue) return job.reject(rateLimited('the server is busy, retry shortly', 200));
    this.queue.push(job);
    if (!this.flushing) void this.drain();
  }

  private async drain(): Promise<void> {
    this.flushing = true;
    try {
      while (this.queue.length) {
        // An op goes alone (it may take any number of positions); other jobs batch up to the next op.
        let n = 1;
        if (this.queue[0]!.type !== 'op') {
          while (n < this.queue.length && n < this.maxBatch && this.queue[n]!.type !== 'op') n++;
        }
        await this.flush(this.queue.splice(0, n));
      }
    } finally {
      this.flushing = false;
      for (const w of this.idleWaiters.splice(0)) w();
    }
  }

  private async flush(batch: Job[]): Promise<void> {
    let result: { outcomes: Outcome[]; from: bigint; to: bigint };
    try {
      result = await this.run(batch);
    } catch (err) {
      // The database is not answering: every job gets that answer now (one by one would make
      // the last wait a timeout per job). A retry with the same ids is exact either way.
      if (batch.length === 1 || isUnavailable(err)) {
        for (const job of batch) job.reject(err);
        return;
      }
      // One bad job must not fail the others: write them one by one.
      for (const job of batch) await this.flush([job]);
      return;
    }
    const { outcomes, from, to } = result;
    if (to >= from) {
      const items: Announced[] = [];
      for (const o of outcomes) if (o.ok && !o.quiet && o.job.announce) items.push(...(o.job.announce as Announce<unknown>)(o.value));
      this.publish({ from: from.toString(), to: to.toString(), items });
    }
    for (const o of outcomes) o.ok ? (o.job.resolve as (v: unknown) => void)(o.value) : o.job.reject(o.error);
    this.stats.batches++;
    this.stats.jobs += batch.length;
  }

  private async run(batch: Job[]): Promise<{ outcomes: Outcome[]; from: bigint; to: bigint }> {
    const client = await this.pool.connect();
    let broken: unknown;
    try {
      await client.query('BEGIN');
      let from = 0n;
      let to = -1n;
      // Taking positions also stamps the time: GREATEST(last stamp, now) under the row lock, so
      // time never goes backwards in seq order, whatever the nodes' clocks, and one millisecond
      // holds at most MAX_PER_MS positions (legacy time cursors, src/core/sync/time-cursor.ts).
      let stamped = 0;
      const take = async (n: number) => {
        const r = await client.query<{ pos: string; at_ms: string }>(
          `UPDATE stream_position SET pos = pos + $1,
             at_ms = CASE WHEN $2 > at_ms THEN $2 WHEN at_count + $1 > ${MAX_PER_MS} THEN at_ms + 1 ELSE at_ms END,
             at_count = CASE WHEN $2 > at_ms OR at_count + $1 > ${MAX_PER_MS} THEN $1 ELSE at_count + $1 END
           WHERE id = 1 RETURNING pos, at_ms`,
          [n, Date.now()],
        );
        to = BigInt(r.rows[0]!.pos);
        stamped = Number(r.rows[0]!.at_ms);
        if (from === 0n) from = to - BigInt(n) + 1n;
        return to - BigInt(n) + 1n;
      };
      const only = batch[0]!;
      if (only.type === 'op') {
        // Ops stamp their events with the stream's clock too (taking the stream lock first), so
        // a time maps to a position for every kind of change (SyncStore.positionAt).
        const r = await client.query<{ at_ms: string }>(
          'UPDATE stream_position SET at_ms = GREATEST(at_ms, $1) WHERE id = 1 RETURNING at_ms', [Date.now()],
        );
        const value = await only.run(client, async () => (await take(1)).toString(), Number(r.rows[0]!.at_ms));
        await client.query('COMMIT');
        return { outcomes: [{ job: only, ok: true, value }], from, to };
      }
      let next = await take(batch.length);
      const now = stamped;
      const seqOf = new Map<Job, string>();
      for (const job of batch) seqOf.set(job, (next++).toString());

      const msgJobs = batch.filter((j): j is MsgJob => j.type === 'message');
      const inserted = await insertMessages(client, msgJobs, seqOf, now);
      const outcomes: Outcome[] = [];
      for (const job of batch) {
        const seq = seqOf.get(job)!;
        if (job.type === 'message') {
          const row = inserted.get(seq);
          outcomes.push(row ? { job, ok: true, value: { message: row, created: true } } : { job, ok: true, value: undefined });
        } else if (job.type === 'state') {
          outcomes.push({ job, ok: true, value: await applyState(client, job, seq, now) });
        }
      }
      await attachMembers(client, msgJobs, outcomes);
      // Before COMMIT, so that a failure here rolls everything back and the retry is exact.
      const missing = outcomes.filter((o) => o.ok && o.value === undefined);
      if (missing.length) {
        // Not inserted: a duplicate (sender, msgId), or the sender may not post there.
        const existing = await loadBySenderMsgId(client, missing.map((o) => (o.job as MsgJob).input));
        for (const o of missing) {
          const { input } = o.job as MsgJob;
          const m = existing.get(`${input.senderId}/${input.msgId}`);
          outcomes[outcomes.indexOf(o)] = m
            ? { job: o.job, ok: true, value: { message: m, created: false }, quiet: true } // nothing new to announce
            : { job: o.job, ok: false, error: await whyRefused(client, input) };
        }
      }
      await client.query('COMMIT');
      return { outcomes, from, to };
    } catch (err) {
      // A connection that timed out or failed is not reused (it may still be running the query).
      if (isUnavailable(err)) broken = err;
      else await client.query('ROLLBACK').catch((e: unknown) => (broken = e));
      throw err;
    } finally {
      client.release(broken as Error | undefined);
    }
  }
}

function sortedIds(rows: { seq: string; msg_id: string }[]) {
  const sorted = [...rows].sort((a, b) => (BigInt(a.seq) < BigInt(b.seq) ? -1 : 1));
  return { messageSeqs: sorted.map((x) => x.seq), msgIds: sorted.map((x) => x.msg_id) };
}

/** Member lists of group messages, read once per batch under the stream lock. */
async function attachMembers(client: PoolClient, jobs: MsgJob[], outcomes: Outcome[]): Promise<void> {
  const convs = [...new Set(jobs.filter((j) => j.input.withMembers).map((j) => j.input.conversationId))];
  if (convs.length === 0) return;
  const r = await client.query<{ conversation_id: string; members: string[] }>(
    `SELECT conversation_id, array_agg(user_id::text) AS members FROM conversation_members
      WHERE conversation_id = ANY($1::bigint[]) GROUP BY conversation_id`,
    [convs],
  );
  const byConv = new Map(r.rows.map((row) => [row.conversation_id, row.members]));
  for (const o of outcomes) {
    const value = o.ok ? (o.value as InsertResult | undefined) : undefined;
    if (value && o.job.type === 'message' && o.job.input.withMembers) value.memberIds = byConv.get(o.job.input.conversationId) ?? [];
  }
}

/** Appends a stored event; `conversationId` scopes it to the conversation's members, `userId` to one user. */
export async function appendEvent(
  tx: PoolClient, event: DomainEvent, scope: { conversationId?: string; userId?: string }, now: number,
): Promise<void> {
  const { kind, seq, ...payload } = event;
  await tx.query(
    'INSERT INTO events (seq, kind, user_id, conversation_id, payload, created_at) VALUES ($1, $2, $3, $4, $5, $6)',
    [seq, kind, scope.userId ?? null, scope.conversationId ?? null, JSON.stringify(payload), now],
  );
}

async function insertMessages(client: PoolClient, jobs: MsgJob[], seqOf: Map<Job, string>, now: number): Promise<Map<string, Message>> {
  if (jobs.length === 0) return new Map();
  const cols: unknown[][] = [[], [], [], [], [], [], [], [], []];
  for (const j of jobs) {
    const m = j.input;
    const vals = [seqOf.get(j), m.conversationId, m.senderId, m.msgId, m.msgType, m.body, m.extendInfo, m.backupInfo, now];
    vals.forEach((v, i) => cols[i]!.push(v));
  }
  // The membership guard is checked here, under the stream lock, so a removed member's
  // message cannot slip in after the removal committed.
  const r = await client.query<MessageRow>(
    `INSERT INTO messages (seq, conversation_id, sender_id, msg_id, msg_type, body, extend_info, backup_info, created_at)
     SELECT x.* FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::text[], $5::int[], $6::text[], $7::text[], $8::text[], $9::bigint[])
       AS x(seq, conversation_id, sender_id, msg_id, msg_type, body, extend_info, backup_info, created_at)
      WHERE EXISTS (SELECT 1 FROM conversation_members cm JOIN conversations c ON c.id = cm.conversation_id
                     WHERE cm.conversation_id = x.conversation_id AND cm.user_id = x.sender_id AND c.destroyed_at IS NULL)
     ON CONFLICT (sender_id, msg_id) DO NOTHING
     RETURNING ${MESSAGE_COLUMNS}`,
    cols,
  );
  return new Map(r.rows.map((row) => [row.seq, rowToMessage(row)]));
}

async function applyState(client: PoolClient, job: StateJob, seq: string, now: number): Promise<StateEvent | null> {
  const r = await client.query<{ seq: string; msg_id: string }>(
    `UPDATE messages SET state = $4
      WHERE conversation_id = $1 AND seq = ANY($2::bigint[]) AND sender_id <> $3 AND state < $4
      RETURNING seq, msg_id`,
    [job.conversationId, job.seqs, job.reader, job.state],
  );
  if (r.rowCount === 0) return null;
  const event: StateEvent = {
    kind: 'message.state', seq, conversationId: job.conversationId,
    ...sortedIds(r.rows),
    state: job.state, by: job.reader, at: now,
  };
  await appendEvent(client, event, { conversationId: job.conversationId }, now);
  return event;
}

/** The rare path: tell a member of a destroyed group from a stranger (who learns nothing). */
async function whyRefused(client: PoolClient, input: NewMessage): Promise<Error> {
  const r = await client.query(
    `SELECT 1 FROM conversation_members cm JOIN conversations c ON c.id = cm.conversation_id
      WHERE cm.conversation_id = $1 AND cm.user_id = $2 AND c.destroyed_at IS NOT NULL`,
    [input.conversationId, input.senderId],
  );
  return r.rowCount ? forbidden('the group was destroyed') : notFound('group not found');
}

async function loadBySenderMsgId(client: PoolClient, inputs: NewMessage[]): Promise<Map<string, Message>> {
  const r = await client.query<MessageRow>(
    `SELECT ${MESSAGE_COLUMNS} FROM messages
      WHERE (sender_id, msg_id) IN (SELECT * FROM unnest($1::bigint[], $2::text[]))`,
    [inputs.map((i) => i.senderId), inputs.map((i) => i.msgId)],
  );
  return new Map(r.rows.map((row) => [`${row.sender_id}/${row.msg_id}`, rowToMessage(row)]));
}
