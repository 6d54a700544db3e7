// Serving an app on N processes (the guide's uvicorn workers): node:cluster forks processes that
// share the port, replaces any that dies, and on SIGTERM / SIGINT lets each one stop accepting,
// finish its in-flight requests and background work within a grace period, close its plugins
// (worker pool, database) and exit 0.
import cluster, { type Worker } from 'node:cluster'
import { availableParallelism } from 'node:os'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { createLogger, type Logger } from '../logging.js'
import { TrefoilError } from '../core/trefoil-error.js'
import { PROCESSES_ENV } from './protocol.js'
import { runServer, type ServeWorkerConfig } from './process.js'

/** Options of {@link serve}. */
export interface ServeOptions {
  /**
   * Processes to fork (default: one per core); 0 serves from this process, without cluster. Each
   * process's default worker pool gets its share of the cores (see `defaultWorkerThreads`).
   */
  workers?: number
  /** Default: the app's settings `PORT` / `HOST`, else 8000 / 127.0.0.1. */
  port?: number
  host?: string
  /**
   * How long a stopping process's in-flight requests may take to finish before they are cut, in
   * ms (default 10 000); idle and half-sent connections close at once, and plugin teardowns get
   * up to 10 s more.
   */
  graceMs?: number
  /** The entry module's export holding the app, or a function returning it (default `app`, else `default`). */
  exportName?: string
  /** Extra Node options for the forked processes (the CLI adds tsx's when the app is TypeScript). */
  nodeArgs?: readonly string[]
  /** The primary's logger (default: JSON at `LOG_LEVEL`). */
  log?: Logger
}

/** What {@link serve} resolves to once every process listens. */
export interface Serving {
  /** The shared address, e.g. `http://127.0.0.1:8000`. */
  readonly url: string
  /** Pids of the serving processes now. */
  pids(): number[]
  /** Stops every process gracefully (what SIGTERM does), without exiting this one. */
  stop(): Promise<void>
}

const DEFAULT_GRACE_MS = 10_000
const MAX_EARLY_DEATHS = 3
// a little over closeOnSignals' own teardown margin, so a process normally exits by itself first
const TEARDOWN_MARGIN_MS = 12_000

/**
 * Serves the app exported by `entry` on `workers` processes sharing one port, and handles
 * SIGTERM / SIGINT: every process finishes its in-flight requests, closes the app, exits 0;
 * then this one exits 0. The CLI does this: `trefoil serve src/main.ts --workers 4`.
 * @example
 * // src/serve.ts
 * import { serve } from 'trefoil'
 * await serve(new URL('./main.js', import.meta.url), { workers: 4, graceMs: 15_000 })
 */
export async function serve(entry: string | URL, options: ServeOptions = {}): Promise<Serving> {
  const config: ServeWorkerConfig = {
    entry: entry instanceof URL ? entry.href : entry.startsWith('file:') ? entry : pathToFileURL(entry).href,
    exportName: options.exportName,
    port: options.port,
    host: options.host,
    graceMs: options.graceMs ?? DEFAULT_GRACE_MS,
  }
  const count = options.workers ?? availableParallelism()
  if (!Number.isInteger(count) || count < 0) throw new TrefoilError('TREFOIL_INVALID_ARGUMENT', `Cannot serve with ${String(count)} workers: give an integer of at least 0`)
  if (count === 0) {
    const served = await runServer(config, { exitOnStop: true })
    ;(options.log ?? createLogger(undefined)).info({ url: served.url, workers: 0, pids: [process.pid] }, 'Listening')
    return { url: served.url, pids: () => [process.pid], stop: served.stop }
  }
  if (!cluster.isPrimary) throw new TrefoilError('TREFOIL_SERVE_IN_WORKER', `Cannot serve ${config.entry} from a cluster worker (pid ${process.pid}): serve() forks the workers itself; call it from the primary, or with workers: 0`)
  return servePrimary(config, count, options)
}

function servePrimary(config: ServeWorkerConfig, count: number, options: ServeOptions): Promise<Serving> {
  const log = options.log ?? createLogger(undefined)
  const here = import.meta.url
  cluster.setupPrimary({
    exec: fileURLToPath(new URL(`./process.${here.endsWith('.ts') ? 'ts' : 'js'}`, here)),
    execArgv: [...process.execArgv, ...(options.nodeArgs ?? [])],
  })
  // each process sizes its default worker pool to its share of the cores (defaultWorkerThreads)
  const env = { TREFOIL_SERVE: JSON.stringify(config), [PROCESSES_ENV]: String(count) }
  const listening = new Set<number>()
  let stopping: Promise<void> | undefined
  let earlyDeaths = 0
  let url = ''

  return new Promise<Serving>((resolve, reject) => {
    const fork = (): Worker => cluster.fork(env)
    const serving: Serving = {
      get url() {
        return url
      },
      pids: () => Object.values(cluster.workers ?? {}).flatMap((w) => (w?.process.pid ? [w.process.pid] : [])),
      stop: () => (stopping ??= stopAll()),
    }

    cluster.on('listening', (worker, address) => {
      listening.add(worker.id)
      earlyDeaths = 0
      if (!url) {
        const host = address.addressType === 6 ? `[${address.address}]` : (address.address ?? '127.0.0.1')
        url = `http://${host}:${address.port}`
      }
      if (listening.size === count && !stopping) {
        log.info({ url, workers: count, pids: serving.pids() }, 'Listening')
        resolve(serving)
      }
    })

    cluster.on('exit', (worker, code, signal) => {
      const hadListened = listening.delete(worker.id)
      if (stopping) return
      if (!hadListened && ++earlyDeaths >= MAX_EARLY_DEATHS) {
        log.fatal({ code, signal }, 'Worker processes keep dying before they listen: stopping')
        const error = new Error(`Cannot serve ${config.entry}: ${MAX_EARLY_DEATHS} worker processes in a row died before listening (last exit code ${code})`)
        void serving.stop().then(() => reject(error))
        process.exitCode = 1
        return
      }
      log.warn({ pid: worker.process.pid, code, signal }, 'Worker process died: replacing it')
      fork()
    })

    async function stopAll(): Promise<void> {
      const workers = Object.values(cluster.workers ?? {}).filter((w): w is Worker => w !== undefined)
      log.info({ workers: workers.length, graceMs: config.graceMs }, 'Stopping: finishing in-flight requests')
      // a process that could not finish within its grace period exits non-zero: so does this one
      const exited = workers.map(
        (w) =>
          new Promise<void>((done) => {
            if (w.isDead()) return done()
            w.once('exit', (code: number | null, signal: string | null) => {
              if (code !== 0) process.exitCode = 1
              log.info({ pid: w.process.pid, code, signal }, 'Worker process exited')
              done()
            })
          }),
      )
      for (const worker of workers) if (worker.isConnected()) worker.send({ trefoil: 'stop' })
      // a process stuck past its own grace period and teardown margin is killed: shutdown must end
      const killer = setTimeout(() => {
        for (const worker of workers) if (!worker.isDead()) worker.process.kill('SIGKILL')
      }, config.graceMs + TEARDOWN_MARGIN_MS)
      await Promise.all(exited)
      clearTimeout(killer)
      cluster.removeAllListeners('listening')
      cluster.removeAllListeners('exit')
      log.info('Stopped')
    }

    const onSignal = (signal: NodeJS.Signals): void => {
      log.info({ signal }, 'Received signal')
      void serving.stop().then(() => process.exit(process.exitCode ?? 0))
    }
    process.once('SIGTERM', onSignal)
    process.once('SIGINT', onSignal)

    for (let i = 0; i < count; i++) fork()
  })
}
