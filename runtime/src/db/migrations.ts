// Migrations: plain `.sql` files applied in name order at start-up, each in its own transaction,
// recorded in a table. An advisory lock makes concurrent starts (N processes, N machines) take
// turns, so each file is applied once.
import { createHash } from 'node:crypto'
import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { IBaseProtocol, IDatabase } from 'pg-promise'
import { TrefoilError } from '../core/trefoil-error.js'

/** The table that records applied migrations. */
export const MIGRATIONS_TABLE = 'trefoil_migrations'

// an arbitrary fixed key (the bytes of "tref", "migr"): every process of every app agrees on it
const LOCK_KEYS = [0x74726566, 0x6d696772] as const

/** What {@link applyMigrations} did. */
export interface MigrationResult {
  /** Files applied by this call, in order. */
  applied: string[]
  /** Files applied earlier, skipped. */
  skipped: string[]
  /** Skipped files whose text changed since they were applied (edit a new file instead). */
  changed: string[]
}

/** Thrown when a migration fails: names the file and carries the database's message. */
export class MigrationError extends TrefoilError {
  readonly file: string

  constructor(file: string, cause: unknown) {
    super('TREFOIL_MIGRATION_FAILED', `Migration "${file}" failed: ${(cause as Error)?.message ?? String(cause)}`, { cause })
    this.name = 'MigrationError'
    this.file = file
  }
}

/**
 * Applies the `.sql` files of `folder` that are not recorded yet, in name order (`001_init.sql`,
 * `002_tasks.sql`), each in a transaction with its record. A failing file stops the run and
 * leaves the schema as it was before that file; the files before it stay applied.
 * @example await applyMigrations(db, new URL('./migrations', import.meta.url))
 */
export async function applyMigrations(db: IDatabase<{}>, folder: string | URL): Promise<MigrationResult> {
  const dir = typeof folder === 'string' ? folder : fileURLToPath(folder)
  let names: string[]
  try {
    names = (await readdir(dir)).filter((name) => name.endsWith('.sql')).sort()
  } catch (error) {
    throw new TrefoilError('TREFOIL_MIGRATIONS_UNREADABLE', `Cannot read the migrations folder "${dir}": ${(error as Error).message}`, { cause: error })
  }
  const files = await Promise.all(names.map(async (name) => ({ name, sql: await readFile(join(dir, name), 'utf8') })))
  // one connection holds the session-level lock for the whole run
  return db.task('trefoil-migrations', async (task) => {
    await task.one('SELECT pg_advisory_lock($1, $2)', LOCK_KEYS)
    try {
      await task.none(`CREATE TABLE IF NOT EXISTS ${MIGRATIONS_TABLE} (name text PRIMARY KEY, checksum text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`)
      // read only after the lock: a process that waited sees what the other one applied
      const done = new Map((await task.manyOrNone<{ name: string; checksum: string }>(`SELECT name, checksum FROM ${MIGRATIONS_TABLE}`)).map((row) => [row.name, row.checksum]))
      const result: MigrationResult = { applied: [], skipped: [], changed: [] }
      for (const { name, sql } of files) {
        if (done.has(name)) {
          result.skipped.push(name)
          if (done.get(name) !== checksum(sql)) result.changed.push(name)
          continue
        }
        await applyOne(task, name, sql)
        result.applied.push(name)
      }
      return result
    } finally {
      await task.one('SELECT pg_advisory_unlock($1, $2)', LOCK_KEYS).catch(() => undefined)
    }
  })
}

async function applyOne(task: IBaseProtocol<{}>, name: string, sql: string): Promise<void> {
  try {
    await task.tx(`migration ${name}`, async (tx) => {
      // no values: sent as a simple query, so a file may hold many statements
      await tx.none(sql)
      await tx.none(`INSERT INTO ${MIGRATIONS_TABLE} (name, checksum) VALUES ($1, $2)`, [name, checksum(sql)])
    })
  } catch (error) {
    throw new MigrationError(name, error)
  }
}

function checksum(sql: string): string {
  return createHash('sha256').update(sql).digest('hex')
}
