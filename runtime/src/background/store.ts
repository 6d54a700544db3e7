// Where tracked background tasks keep their status: one PostgreSQL table, so any process of any
// machine on the same database answers a poll. Each row names the process that owns it and
// carries a heartbeat; a row whose heartbeat stopped belongs to a process that died.
import type { IDatabase } from 'pg-promise'

/** The table of tracked background tasks. */
export const BACKGROUND_TABLE = 'trefoil_background_tasks'

/** A task's state: queued after its response, running, or finished one way or the other. */
export type BackgroundStatus = 'pending' | 'running' | 'done' | 'failed'

/** One task's status as stored (and as the status route answers). */
export interface BackgroundTaskRow {
  id: string
  name: string
  status: BackgroundStatus
  /** 0–100 when the task reports progress, else null. */
  progress: number | null
  /** Why it failed (the error's message), else null. */
  message: string | null
  /** What the task returned (JSON), else null. */
  result: unknown
  createdAt: string
  startedAt: string | null
  finishedAt: string | null
}

// the bytes of "tref", "bgtk": every process agrees on the lock that serialises table creation
const LOCK_KEYS = [0x74726566, 0x6267746b] as const

// `CREATE TABLE IF NOT EXISTS` is not safe against a concurrent twin (both may try to add the
// row type): the transaction-scoped advisory lock makes processes starting at once take turns
const CREATE = `
CREATE TABLE IF NOT EXISTS ${BACKGROUND_TABLE} (
  id uuid PRIMARY KEY,
  name text NOT NULL,
  status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'running', 'done', 'failed')),
  progress smallint CHECK (progress BETWEEN 0 AND 100),
  message text,
  result jsonb,
  owner text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  started_at timestamptz,
  finished_at timestamptz,
  heartbeat_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS ${BACKGROUND_TABLE}_unfinished ON ${BACKGROUND_TABLE} (heartbeat_at) WHERE status IN ('pending', 'running');
CREATE INDEX IF NOT EXISTS ${BACKGROUND_TABLE}_finished ON ${BACKGROUND_TABLE} (finished_at) WHERE finished_at IS NOT NULL`

const COLUMNS = `id, name, status, progress, message, result,
  to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS "createdAt",
  to_char(started_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS "startedAt",
  to_char(finished_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS "finishedAt"`

/** The message of a task whose process stopped heart-beating while it was pending or running. */
export const LOST_MESSAGE = 'Lost: the process running it stopped before it finished'

/** The SQL of one table, on one pool. */
export class BackgroundStore {
  constructor(
    private readonly db: IDatabase<{}>,
    /** `host:pid` of this process, written on every row it creates. */
    readonly owner: string,
  ) {}

  /** Creates the table and its indexes when missing; safe to run from many processes at once. */
  async migrate(): Promise<void> {
    await this.db.tx('trefoil-background-migrate', async (tx) => {
      await tx.one('SELECT pg_advisory_xact_lock($1, $2)', LOCK_KEYS)
      await tx.none(CREATE)
    })
  }

  async insert(id: string, name: string): Promise<void> {
    await this.db.none(`INSERT INTO ${BACKGROUND_TABLE} (id, name, owner) VALUES ($1, $2, $3)`, [id, name, this.owner])
  }

  async started(id: string): Promise<void> {
    await this.db.none(`UPDATE ${BACKGROUND_TABLE} SET status = 'running', started_at = now(), heartbeat_at = now() WHERE id = $1`, [id])
  }

  async progress(id: string, percent: number): Promise<void> {
    await this.db.none(`UPDATE ${BACKGROUND_TABLE} SET progress = $2, heartbeat_at = now() WHERE id = $1 AND status IN ('pending', 'running')`, [id, percent])
  }

  /** Done: progress reaches 100 when the task reported any. */
  async done(id: string, result: string | null): Promise<void> {
    await this.db.none(
      `UPDATE ${BACKGROUND_TABLE} SET status = 'done', progress = CASE WHEN progress IS NULL THEN NULL ELSE 100 END, result = $2::jsonb, message = NULL, finished_at = now(), heartbeat_at = now() WHERE id = $1`,
      [id, result],
    )
  }

  async failed(id: string, message: string): Promise<void> {
    await this.db.none(`UPDATE ${BACKGROUND_TABLE} SET status = 'failed', message = $2, finished_at = now(), heartbeat_at = now() WHERE id = $1`, [id, message])
  }

  /** Marks this process's unfinished tasks alive. */
  async heartbeat(ids: readonly string[]): Promise<void> {
    if (ids.length === 0) return
    await this.db.none(`UPDATE ${BACKGROUND_TABLE} SET heartbeat_at = now() WHERE id = ANY($1::uuid[]) AND status IN ('pending', 'running')`, [ids])
  }

  /**
   * Fails unfinished tasks whose heartbeat is older than `staleMs` (their process died), and
   * deletes finished ones older than `keepMs`. Returns how many of each.
   */
  async sweep(staleMs: number, keepMs: number): Promise<{ lost: number; deleted: number }> {
    const lost = await this.db.result(
      `UPDATE ${BACKGROUND_TABLE} SET status = 'failed', message = $2, finished_at = now() WHERE status IN ('pending', 'running') AND heartbeat_at < now() - make_interval(secs => $1)`,
      [staleMs / 1000, LOST_MESSAGE],
    )
    const deleted = await this.db.result(`DELETE FROM ${BACKGROUND_TABLE} WHERE finished_at < now() - make_interval(secs => $1)`, [keepMs / 1000])
    return { lost: lost.rowCount, deleted: deleted.rowCount }
  }

  /** One task's status; a stale unfinished row is failed first, so the answer is never a ghost. */
  async read(id: string, staleMs: number): Promise<BackgroundTaskRow | null> {
    const row = await this.db.oneOrNone<BackgroundTaskRow & { stale: boolean }>(
      `SELECT ${COLUMNS}, (status IN ('pending', 'running') AND heartbeat_at < now() - make_interval(secs => $2)) AS stale FROM ${BACKGROUND_TABLE} WHERE id = $1`,
      [id, staleMs / 1000],
    )
    if (!row) return null
    const { stale, ...status } = row
    if (!stale) return status
    await this.db.none(`UPDATE ${BACKGROUND_TABLE} SET status = 'failed', message = $2, finished_at = now() WHERE id = $1 AND status IN ('pending', 'running')`, [id, LOST_MESSAGE])
    return (await this.read(id, staleMs))!
  }
}
