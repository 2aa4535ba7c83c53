// Group commit for the event stream. Every write that takes a stream position (a
// message, a state change) goes through this queue: while one transaction commits,
// new jobs gather, and the next transaction writes them all with one multi-row insert.
// Positions come from the single stream_position row, whose lock is held to commit,
// so seq order is commit order on every node; jobs are settled in seq order.
import type { Pool, PoolClient } from 'pg';
import type { InsertResult, StateEvent } from '../../core/messages/ports.js';
import type { DeliveryStateValue, Message, NewMessage } from '../../core/messages/types.js';
import { MESSAGE_COLUMNS, rowToMessage, type MessageRow } from './rows.js';

type Settle<T> = { resolve: (v: T) => void; reject: (e: unknown) => void; onCommit?: (v: T) => void };

type Job =
  | ({ type: 'message'; input: NewMessage } & Settle<InsertResult>)
  | ({ type: 'state'; reader: string; conversationId: string; seqs: string[]; state: DeliveryStateValue } & Settle<StateEvent | null>);

type Outcome = { job: Job; value: InsertResult | StateEvent | null | undefined };

export class StreamWriter {
  private queue: Job[] = [];
  private flushing = false;
  /** transactions committed, and jobs in them (for benchmarks) */
  readonly stats = { batches: 0, jobs: 0 };

  constructor(private readonly pool: Pool, private readonly maxBatch = 2000) {}

  insertMessage(input: NewMessage, onCommit?: (r: InsertResult) => void): Promise<InsertResult> {
    return new Promise((resolve, reject) => this.enqueue({ type: 'message', input, resolve, reject, onCommit }));
  }

  markState(
    reader: string, conversationId: string, seqs: string[], state: DeliveryStateValue,
    onCommit?: (e: StateEvent | null) => void,
  ): Promise<StateEvent | null> {
    return new Promise((resolve, reject) =>
      this.enqueue({ type: 'state', reader, conversationId, seqs, state, resolve, reject, onCommit }));
  }

  private enqueue(job: Job): void {
    this.queue.push(job);
    if (!this.flushing) void this.drain();
  }

  private async drain(): Promise<void> {
    this.flushing = true;
    try {
      while (this.queue.length) {
        const batch = this.queue.splice(0, this.maxBatch);
        await this.flush(batch);
      }
    } finally {
      this.flushing = false;
    }
  }

  private async flush(batch: Job[]): Promise<void> {
    let outcomes: Outcome[];
    try {
      outcomes = await this.run(batch);
    } catch (err) {
      if (batch.length === 1) return batch[0]!.reject(err);
      // One bad job must not fail the others: write them one by one.
      for (const job of batch) await this.flush([job]);
      return;
    }
    for (const { job, value } of outcomes) (job.onCommit as ((v: unknown) => void) | undefined)?.(value);
    for (const { job, value } of outcomes) (job.resolve as (v: unknown) => void)(value);
    this.stats.batches++;
    this.stats.jobs += batch.length;
  }

  private async run(batch: Job[]): Promise<Outcome[]> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      const pos = await client.query<{ pos: string }>(
        'UPDATE stream_position SET pos = pos + $1 WHERE id = 1 RETURNING pos', [batch.length],
      );
      let next = BigInt(pos.rows[0]!.pos) - BigInt(batch.length) + 1n;
      const now = Date.now();
      const seqOf = new Map<Job, string>();
      for (const job of batch) seqOf.set(job, (next++).toString());

      const msgJobs = batch.filter((j): j is Extract<Job, { type: 'message' }> => j.type === 'message');
      const inserted = await insertMessages(client, msgJobs, seqOf, now);
      const outcomes: Outcome[] = [];
      const duplicates: Extract<Job, { type: 'message' }>[] = [];
      for (const job of batch) {
        const seq = seqOf.get(job)!;
        if (job.type === 'message') {
          const row = inserted.get(seq);
          if (row) outcomes.push({ job, value: { message: row, created: true } });
          else duplicates.push(job), outcomes.push({ job, value: undefined });
        } else {
          outcomes.push({ job, value: await applyState(client, job, seq, now) });
        }
      }
      await client.query('COMMIT');
      if (duplicates.length) {
        const existing = await loadBySenderMsgId(client, duplicates.map((j) => j.input));
        for (const o of outcomes) {
          if (o.value !== undefined || o.job.type !== 'message') continue;
          const m = existing.get(`${o.job.input.senderId}/${o.job.input.msgId}`);
          if (!m) throw new Error('duplicate message vanished');
          o.value = { message: m, created: false };
          o.job.onCommit = undefined; // nothing new was committed for it
        }
      }
      return outcomes;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => {});
      throw err;
    } finally {
      client.release();
    }
  }
}

async function insertMessages(
  client: PoolClient, jobs: Extract<Job, { type: 'message' }>[], seqOf: Map<Job, string>, now: number,
): Promise<Map<string, Message>> {
  if (jobs.length === 0) return new Map();
  const cols: unknown[][] = [[], [], [], [], [], [], [], [], []];
  for (const j of jobs) {
    const m = j.input;
    const vals = [seqOf.get(j), m.conversationId, m.senderId, m.msgId, m.msgType, m.body, m.extendInfo, m.backupInfo, now];
    vals.forEach((v, i) => cols[i]!.push(v));
  }
  const r = await client.query<MessageRow>(
    `INSERT INTO messages (seq, conversation_id, sender_id, msg_id, msg_type, body, extend_info, backup_info, created_at)
     SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::text[], $5::int[], $6::text[], $7::text[], $8::text[], $9::bigint[])
     ON CONFLICT (sender_id, msg_id) DO NOTHING
     RETURNING ${MESSAGE_COLUMNS}`,
    cols,
  );
  return new Map(r.rows.map((row) => [row.seq, rowToMessage(row)]));
}

async function applyState(
  client: PoolClient, job: Extract<Job, { type: 'state' }>, seq: string, now: number,
): Promise<StateEvent | null> {
  const r = await client.query<{ seq: string }>(
    `UPDATE messages SET state = $4
      WHERE conversation_id = $1 AND seq = ANY($2::bigint[]) AND sender_id <> $3 AND state < $4
      RETURNING seq`,
    [job.conversationId, job.seqs, job.reader, job.state],
  );
  if (r.rowCount === 0) return null;
  const event: StateEvent = {
    kind: 'message.state', seq, conversationId: job.conversationId,
    messageSeqs: r.rows.map((x) => x.seq).sort((a, b) => (BigInt(a) < BigInt(b) ? -1 : 1)),
    state: job.state, by: job.reader, at: now,
  };
  const { kind, seq: _s, conversationId, ...payload } = event;
  await client.query(
    'INSERT INTO events (seq, kind, user_id, conversation_id, payload, created_at) VALUES ($1, $2, NULL, $3, $4, $5)',
    [seq, kind, conversationId, JSON.stringify(payload), now],
  );
  return event;
}

async function loadBySenderMsgId(client: PoolClient, inputs: NewMessage[]): Promise<Map<string, Message>> {
  const r = await client.query<MessageRow>(
    `SELECT ${MESSAGE_COLUMNS} FROM messages
      WHERE (sender_id, msg_id) IN (SELECT * FROM unnest($1::bigint[], $2::text[]))`,
    [inputs.map((i) => i.senderId), inputs.map((i) => i.msgId)],
  );
  return new Map(r.rows.map((row) => [`${row.sender_id}/${row.msg_id}`, rowToMessage(row)]));
}
