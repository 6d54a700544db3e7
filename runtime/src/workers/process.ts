// One serving process: imports the app module, listens, and stops gracefully on SIGTERM, SIGINT,
// a `stop` message from the primary, or the loss of the primary. Run by node:cluster as each
// worker's main script (see serve.ts), or called in process when serving without workers.
import cluster from 'node:cluster'
import type { Server } from 'node:http'
import type { App } from '../core/app-api.js'

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
  const server: Server = await app.listen({ port: config.port, host: config.host })
  let stopping: Promise<void> | undefined

  async function stopGracefully(): Promise<void> {
    app.log.info({ pid: process.pid, graceMs: config.graceMs }, 'Stopping: no new connections, finishing in-flight requests')
    // past the grace period, cut what is left; exiting non-zero says the stop was not clean
    const deadline = setTimeout(() => {
      app.log.error({ pid: process.pid }, 'Grace period over: closing the remaining connections')
      server.closeAllConnections()
      if (exitOnStop) process.exit(1)
    }, config.graceMs)
    // keep-alive connections go idle once their request is answered: close them as they do
    const sweep = setInterval(() => server.closeIdleConnections(), 50)
    try {
      await app.close()
    } finally {
      clearInterval(sweep)
      clearTimeout(deadline)
    }
  }

  const stop = (): Promise<void> => (stopping ??= stopGracefully())
  const stopAndExit = (): void => {
    stop().then(
      () => process.exit(0),
      (error: unknown) => {
        app.log.error({ err: error }, 'Closing the app failed')
        process.exit(1)
      },
    )
  }
  if (exitOnStop) {
    process.once('SIGTERM', stopAndExit)
    process.once('SIGINT', stopAndExit)
    if (cluster.isWorker) {
      process.on('message', (message: { trefoil?: string } | null) => {
        if (message?.trefoil === 'stop') stopAndExit()
      })
      // the primary is gone (killed): nobody will replace or stop us, so stop now
      process.once('disconnect', stopAndExit)
    }
  }
  return { url: app.url ?? '', stop }
}

async function loadApp(config: ServeWorkerConfig): Promise<App<unknown>> {
  const mod = (await import(config.entry)) as Record<string, unknown>
  const names = config.exportName ? [config.exportName] : ['app', 'default']
  const name = names.find((n) => mod[n] !== undefined)
  let value = name === undefined ? undefined : mod[name]
  if (typeof value === 'function') value = await (value as () => unknown)()
  if (!isApp(value)) throw new Error(`Cannot serve ${config.entry}: it must export an app (or a function returning one) as ${names.map((n) => `"${n}"`).join(' or ')}`)
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
