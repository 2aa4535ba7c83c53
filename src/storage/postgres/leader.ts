// "One of these per deployment": a PostgreSQL session advisory lock held on a dedicated
// connection. If the connection breaks, the lock goes with it and another node takes over.
import type { Pool, PoolClient } from 'pg';

export class AdvisoryLeader {
  private held: PoolClient | null = null;

  /** onLead runs once on the lock's connection right after it is taken. */
  constructor(private readonly pool: Pool, private readonly key: number, private readonly onLead?: (c: PoolClient) => Promise<void>) {}

  /** The connection holding the lock; null while another node holds it. */
  get client(): PoolClient | null {
    return this.held;
  }

  async lead(): Promise<boolean> {
    if (this.held) return true;
    const client = await this.pool.connect();
    try {
      const r = await client.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1) AS ok', [this.key]);
      if (!r.rows[0]!.ok) {
        client.release();
        return false;
      }
      client.on('error', () => {
        if (this.held === client) this.held = null;
      });
      await this.onLead?.(client);
      this.held = client;
      return true;
    } catch (err) {
      client.release(true);
      throw err;
    }
  }

  async release(): Promise<void> {
    const c = this.held;
    if (!c) return;
    this.held = null;
    await c.query('SELECT pg_advisory_unlock($1)', [this.key]).catch(() => {});
    c.release();
  }
}
