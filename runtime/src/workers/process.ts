// One serving process: imports the app module, listens, and stops gracefully (closeOnSignals) on
// SIGTERM, SIGINT, a `stop` message from the primary, or the loss of the primary. Run by
// node:cluster as each worker's main script (see serve.ts), or called in process when serving
// without workers.
import cluster from 'node:cluster'
import type { App } from '../core/app-api.js'
import { closeOnSignals } from '../core/signals.js'
import { TrefoilError } from '../core/trefoil-error.js'

/** What the primary passes each worker process (JSON, in `TREFOIL_SERVE`). */
export interface ServeWorkerConfig {
  /** The app module's URL. */
  entry: string
  exportName: string | undefined
  port: number | undefined
  host: string | undefined
  graceMs: number
}

/** A listening app, and how to stop it. */
export interface Served {
  url: string
  stop(): Promise<void>
}

/** Imports the app, listens, and wires the signals that stop it gracefully. */
export async function runServer(config: ServeWorkerConfig, { exitOnStop }: { exitOnStop: boolean }): Promise<Served> {
  const app = await loadApp(config)
  // the grace period is the server's shutdown deadline: in-flight requests get that long, idle and
  // half-sent connections close at once, and a cut exits 1
  await app.listen({ port: config.port, host: config.host, shutdownTimeoutMs: config.graceMs })
  const signals = closeOnSignals(app, { signals: exitOnStop ? ['SIGTERM', 'SIGINT'] : [], exit: exitOnStop })
  if (exitOnStop && cluster.isWorker) {
    process.on('message', (message: { trefoil?: string } | null) => {
      if (message?.trefoil === 'stop') signals.stopAndExit('stop message from the primary')
    })
    // the primary is gone (killed): nobody will replace or stop us, so stop now
    process.once('disconnect', () => signals.stopAndExit('the primary process is gone'))
  }
  return { url: app.url ?? '', stop: () => signals.stop('stop()').then(() => undefined) }
}

async function loadApp(config: ServeWorkerConfig): Promise<App<unknown>> {
  const mod = (await import(config.entry)) as Record<string, unknown>
  const names = config.exportName ? [config.exportName] : ['app', 'default']
  const name = names.find((n) => mod[n] !== undefined)
  let value = name === undefined ? undefined : mod[name]
  if (typeof value === 'function') value = await (value as () => unknown)()
  if (!isApp(value)) throw new TrefoilError('TREFOIL_SERVE_ENTRY_INVALID', `Cannot serve ${config.entry}: it must export an app (or a function returning one) as ${names.map((n) => `"${n}"`).join(' or ')}`)
  return value
}

function isApp(value: unknown): value is App<unknown> {
  return typeof value === 'object' && value !== null && typeof (value as App).listen === 'function' && typeof (value as App).close === 'function'
}

// run as a cluster worker's main script; importing this module anywhere else does nothing
const RUNNING = Symbol.for('trefoil.serve.worker')
if (cluster.isWorker && process.env.TREFOIL_SERVE && !(globalThis as Record<symbol, unknown>)[RUNNING]) {
  ;(globalThis as Record<symbol, unknown>)[RUNNING] = true
  const config = JSON.parse(process.env.TREFOIL_SERVE) as ServeWorkerConfig
  runServer(config, { exitOnStop: true }).catch((error: unknown) => {
    console.error(error)
    process.exit(1)
  })
}
