// The database plugin: a pg-promise pool per app, from the settings (`DATABASE_URL` or the
// `DB_*` parts), or an embedded PostgreSQL when none is set; migrations at start-up; `db` and
// `transaction` dependencies; readiness routes; PostgreSQL errors answered as HTTP errors.
import { resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import pgPromise, { type IBaseProtocol, type IDatabase, type IMain, type QueryFile } from 'pg-promise'
import type { App } from '../core/app-api.js'
import { createLogger, type Logger } from '../logging.js'
import { depends, type Dependency } from '../core/depends.js'
import { startEmbeddedPostgres, type EmbeddedServer } from './embedded-postgres.js'
import { addHealthRoutes } from './health.js'
import { isUnavailable, pgErrorMapper, type ConstraintMessage } from './pg-errors.js'
export type { ConstraintMessage } from './pg-errors.js'
import { boundPoolWait, type WaitablePool } from './pool-wait.js'
import { applyMigrations, type MigrationResult } from './migrations.js'
import { definePlugin, type Plugin } from '../core/plugin.js'
import { databaseUrlFromParts, maskUrlPassword } from '../settings.js'
import { TrefoilError } from '../core/trefoil-error.js'

/**
 * Something to run queries on: the pool, a task or a transaction (pg-promise's protocol).
 * Logic functions take a `Db`, so they work inside and outside a transaction alike.
 * @example export const get = (db: Db, id: number) => db.oneOrNone<Project>('SELECT * FROM projects WHERE id = $1', [id])
 */
export type Db = IBaseProtocol<{}>


/** What the database plugin provides (`app.plugin(databasePlugin)`). */
export interface DatabaseHandle {
  /** The pool. */
  readonly db: IDatabase<{}>
  /** The pg-promise library instance of this app (helpers, `QueryFile`, `as.format`). */
  readonly pgp: IMain
  /** The connection URL, password masked (for logs and pages). */
  readonly url: string
  /**
   * The real connection URL, password included: for code that needs its own connection (a
   * worker thread opens its own pool with {@link connectDatabase}). Never log it.
   */
  readonly connectionString: string
  /** Whether this is the embedded server (no `DATABASE_URL` / `DB_HOST` set). */
  readonly embedded: boolean
  /** The embedded server's folder, port and pid; undefined for an external database. */
  readonly server: { readonly dataDir: string; readonly port: number; readonly pid: number; readonly owned: boolean } | undefined
  /** What the start-up migrations did; undefined without a migrations folder. */
  readonly migrations: MigrationResult | undefined
  /** The pool size (`DB_POOL_SIZE`, default 10). */
  readonly poolSize: number
}

/** Options of {@link defineDatabase}. */
export interface DatabaseOptions {
  /** The plugin's name (default `database`); give a second database another one. */
  name?: string
  /** A folder of `.sql` migrations applied at start-up. */
  migrations?: string | URL
  /** The embedded server's data folder, relative to the working folder (default `.trefoil/pgdata`). */
  dataDir?: string
  /**
   * What a violated constraint means, by constraint name: the message a client sees (409 for
   * unique and "still referenced", 422 for a missing reference or a check), or status and message.
   * @example { projects_name_key: 'A project with this name already exists' }
   */
  constraints?: Record<string, ConstraintMessage>
  /** How long a request waits for a free connection when every pooled one is taken, before a 503 with `Retry-After`, in ms (default 2000; at most `openTimeout`, which also bounds the pool's queue). */
  connectTimeout?: number
  /**
   * How long opening a new connection may take (TCP, authentication, PostgreSQL starting a
   * backend) before a 503 with `Retry-After`, in ms (default 5000): longer than the wait for a
   * free one, because a loaded machine opens connections slowly and the request is not queued.
   */
  openTimeout?: number
  /** Path of the liveness route (`/health`; readiness is `<path>/ready`), or `false` for none. */
  health?: string | false
}

/** The plugin and the dependencies {@link defineDatabase} returns. */
export interface DatabaseDefinition {
  /** List it in `createApp({ plugins })` before the units that use the database. */
  plugin: Plugin<DatabaseHandle>
  /** The pool: each query takes a connection and gives it back. */
  db: Dependency<Db>
  /** A transaction for the request: committed after the handler succeeded, rolled back on any error. */
  transaction: Dependency<Db>
}

const DEFAULT_DATA_DIR = '.trefoil/pgdata'
/** A request waits this long for a pooled connection before its 503: long enough for a burst, short enough to answer. */
const DEFAULT_CONNECT_TIMEOUT_MS = 2000
/** Opening a connection may take this long: PostgreSQL forks and authenticates, seconds on a starved machine. */
const DEFAULT_OPEN_TIMEOUT_MS = 5000
const DEFAULT_POOL_SIZE = 10
const SETTING_KEYS = ['DATABASE_URL', 'DB_HOST', 'DB_PORT', 'DB_USER', 'DB_PASSWORD', 'DB_NAME', 'DB_POOL_SIZE'] as const

/**
 * Declares an app's database: the plugin and its `db` / `transaction` dependencies.
 * @example
 * // src/db/database.ts
 * export const { plugin: databasePlugin, db: database, transaction } = defineDatabase({
 *   migrations: new URL('./migrations', import.meta.url),
 * })
 */
export function defineDatabase(options: DatabaseOptions = {}): DatabaseDefinition {
  const name = options.name ?? 'database'
  const plugin: Plugin<DatabaseHandle> = definePlugin<DatabaseHandle>({
    name,
    async setup(app) {
      const { handle, close } = await openDatabase(app, options)
      app.mapError(pgErrorMapper(options.constraints ?? {}))
      if (options.health !== false) addHealthRoutes(app, name, options.health ?? '/health', handle.db)
      return { value: handle, close }
    },
  })

  const db = depends({ name: `${name}.db` }, ({ app }): Db => app.plugin(plugin).db)

  // The transaction opens at the request's first query, not when the dependency resolves: a
  // handler that first checks input on a worker thread holds no pooled connection meanwhile.
  const transaction = depends({ name: `${name}.transaction` }, ({ app, cleanup }): Db => {
    const pool = app.plugin(plugin).db
    let opened: Promise<Db> | undefined
    let settle: ((error: unknown) => void) | undefined
    let finished: Promise<unknown> | undefined
    const open = (): Promise<Db> => {
      opened ??= new Promise<Db>((ready, failed) => {
        // pg-promise ends a transaction when its callback settles: hold the callback open until
        // the request's cleanup says how the request went
        const outcome = new Promise<void>((ok, fail) => {
          settle = (error) => (error === undefined ? ok() : fail(error))
        })
        // when BEGIN failed nobody awaits the outcome: its rejection must not go unhandled
        outcome.catch(() => undefined)
        finished = pool.tx('request', (t) => {
          ready(t)
          return outcome
        })
        finished.catch(failed) // BEGIN failed: the first query fails (no effect once it is ready)
      })
      return opened
    }
    cleanup(async (error) => {
      if (!finished) return
      settle?.(error)
      try {
        await finished
      } catch (txError) {
        // a failed COMMIT fails a request that had succeeded; a rollback's own error is noise
        if (error === undefined) throw txError
      }
    })
    return lazyTask(pool, open)
  })

  return { plugin, db, transaction }
}

/**
 * A `.sql` file of named parameters (`$<name>`) for typed model functions: read once, at import,
 * and a missing or unreadable file fails there, naming it. Values are always passed apart from
 * the SQL, never concatenated into it.
 * @example
 * const insertProject = sqlFile(new URL('./queries/projects-insert.sql', import.meta.url))
 * export const insert = (db: Db, p: ProjectIn) => db.one<Project>(insertProject, p)
 */
export function sqlFile(path: string | URL): QueryFile {
  const file = new pgPromise.QueryFile(typeof path === 'string' ? path : fileURLToPath(path), { minify: true, noWarnings: true })
  if (file.error) throw new TrefoilError('TREFOIL_QUERY_FILE_INVALID', `Cannot load the query file "${file.file}": ${file.error.message}`, { cause: file.error })
  return file
}

/** Options of {@link connectDatabase}. */
export interface ConnectOptions {
  /** Connections in the pool (default 10). */
  poolSize?: number
  /** How long to wait for a free connection when every pooled one is taken, in ms (default 2000). */
  connectTimeout?: number
  /** How long opening a new connection may take, in ms (default 5000). */
  openTimeout?: number
  /** Where connection errors are reported (default: nowhere). */
  log?: Pick<Logger, 'warn' | 'debug'>
}

/**
 * A pg-promise pool of its own, configured like the app's: for a worker thread (which must not
 * share the main pool) or a script. Errors of idle connections are logged, never thrown; close
 * it with `db.$pool.end()`.
 * @example
 * // in a worker task, given the app's `connectionString`
 * const { db } = connectDatabase(input.connectionString, { poolSize: 1 })
 */
export function connectDatabase(connectionString: string, options: ConnectOptions = {}): { db: IDatabase<{}>; pgp: IMain } {
  const masked = maskUrlPassword(connectionString)
  const pgp = pgPromise({
    error(error, event) {
      // query errors reach their caller; a connection dropping while idle in the pool has nobody
      // else to tell (the pool discards it and connects again when asked)
      if (!event.query) options.log?.warn({ err: error, database: masked }, 'Database connection error')
    },
  })
  const db = pgp({ connectionString, max: options.poolSize ?? DEFAULT_POOL_SIZE, connectionTimeoutMillis: options.openTimeout ?? DEFAULT_OPEN_TIMEOUT_MS, idleTimeoutMillis: 10_000, keepAlive: true, application_name: 'trefoil' })
  boundPoolWait(db.$pool as unknown as WaitablePool, options.connectTimeout ?? DEFAULT_CONNECT_TIMEOUT_MS)
  // pg-promise listens for pool errors only until the pool ends, but a client being closed can
  // still hear the server go away (an embedded server stopping): that must never crash
  db.$pool.on('error', (error: Error) => options.log?.debug({ err: error }, 'Database connection error'))
  return { db, pgp }
}

/**
 * Starts the embedded PostgreSQL on its own, outside an app: for a process that starts others
 * (the cluster's primary, a dev script), which then reach it through `DATABASE_URL`.
 * @example
 * const embedded = await startEmbeddedDatabase()
 * process.env.DATABASE_URL = embedded.connectionString // inherited by the workers
 */
export async function startEmbeddedDatabase(options: { dataDir?: string; log?: Logger } = {}): Promise<{ connectionString: string; url: string; stop: () => Promise<void> }> {
  const server = await startEmbeddedPostgres(resolve(options.dataDir ?? DEFAULT_DATA_DIR), options.log ?? createLogger(undefined))
  return { connectionString: server.url, url: maskUrlPassword(server.url), stop: () => server.stop() }
}

/** The settings the database reads: the app's when it declares any of them, else the environment. */
function databaseSettings(appSettings: unknown): Record<string, string | undefined> {
  const fromApp = typeof appSettings === 'object' && appSettings !== null ? (appSettings as Record<string, unknown>) : {}
  const source: Record<string, unknown> = SETTING_KEYS.some((key) => fromApp[key] !== undefined && fromApp[key] !== null) ? fromApp : process.env
  const out: Record<string, string | undefined> = {}
  for (const key of SETTING_KEYS) {
    const value = source[key]
    out[key] = value === undefined || value === null || value === '' ? undefined : String(value)
  }
  return out
}

async function openDatabase(app: App, options: DatabaseOptions): Promise<{ handle: DatabaseHandle; close: () => Promise<void> }> {
  const settings = databaseSettings(app.settings)
  const poolSize = settings.DB_POOL_SIZE ? Number(settings.DB_POOL_SIZE) : DEFAULT_POOL_SIZE
  if (!Number.isInteger(poolSize) || poolSize < 1) throw new TrefoilError('TREFOIL_SETTINGS_INVALID', `Invalid DB_POOL_SIZE: expected a positive integer, got "${settings.DB_POOL_SIZE}"`)
  let url = settings.DATABASE_URL ?? (settings.DB_HOST ? databaseUrlFromParts(settings) : undefined)
  let server: EmbeddedServer | undefined
  if (!url) {
    server = await startEmbeddedPostgres(resolve(options.dataDir ?? DEFAULT_DATA_DIR), app.log)
    url = server.url
  }
  const masked = maskUrlPassword(url)
  const { db, pgp } = connectDatabase(url, { poolSize, connectTimeout: options.connectTimeout, openTimeout: options.openTimeout, log: app.log })
  const close = async (): Promise<void> => {
    try {
      await db.$pool.end()
    } finally {
      await server?.stop()
    }
  }
  try {
    let migrations: MigrationResult | undefined
    try {
      if (options.migrations) migrations = await applyMigrations(db, options.migrations)
      else await db.one('SELECT 1')
    } catch (error) {
      if (isUnavailable(error)) throw new TrefoilError('TREFOIL_DATABASE_UNAVAILABLE', `Cannot connect to the database ${masked}: ${(error as Error).message || (error as { code?: string }).code}`, { cause: error })
      throw error
    }
    if (migrations?.changed.length) app.log.warn({ files: migrations.changed }, 'Migrations changed after they were applied: add a new file instead')
    if (migrations?.applied.length) app.log.info({ files: migrations.applied }, 'Applied migrations')
    app.log.info({ database: masked, embedded: server !== undefined, poolSize }, server ? `Database: embedded PostgreSQL at ${masked} (data in ${server.dataDir})` : `Database: ${masked}`)
    const handle: DatabaseHandle = {
      db,
      pgp,
      url: masked,
      connectionString: url,
      embedded: server !== undefined,
      server: server && { dataDir: server.dataDir, port: server.port, pid: server.pid, owned: server.owned },
      migrations,
      poolSize,
    }
    return { handle, close }
  } catch (error) {
    await close().catch(() => undefined)
    throw error
  }
}

/**
 * A Db that opens its task on first use: every method call waits for `open()` and then runs on
 * the task; plain properties (`$config`, `$cn`) are the pool's, which the task shares.
 */
function lazyTask(pool: Db, open: () => Promise<Db>): Db {
  return new Proxy(pool, {
    get(target, key, receiver) {
      const value: unknown = Reflect.get(target, key, receiver)
      if (typeof value !== 'function') return value
      return (...args: unknown[]) => open().then((task) => (Reflect.get(task, key) as (...a: unknown[]) => unknown).apply(task, args))
    },
  })
}

export { applyMigrations, MigrationError, MIGRATIONS_TABLE, type MigrationResult } from './migrations.js'
