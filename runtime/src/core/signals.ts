// Stopping a service on SIGTERM / SIGINT the same way everywhere (an app's `npm start`, the
// generated services, `trefoil serve`): close the app once — its server stops with its deadline
// (see http-server.ts), then the plugins tear down — and exit 0, or 1 when requests had to be
// cut or closing failed. A repeated signal (a terminal's Ctrl-C reaches both npm and the app)
// does not cut the stop short; the deadline already bounds it.
import type { Logger } from 'pino'
import { shutdownDeadline, shutdownOutcome } from './http-server.js'

/** What {@link closeOnSignals} needs of an app. */
export interface Closable {
  readonly log: Logger
  close(): Promise<void>
}

/** Options of {@link closeOnSignals}. */
export interface CloseOnSignalsOptions {
  /** Default SIGTERM and SIGINT. */
  signals?: readonly NodeJS.Signals[]
  /** Exit the process once the app is closed (default true). */
  exit?: boolean
  /**
   * With `exit`, how long plugin teardowns may take after the shutdown deadline before the
   * process exits 1 anyway (default 10 000 ms): a stop always ends.
   */
  teardownTimeoutMs?: number
}

/** A stop wired to signals; also callable directly (a cluster's `stop` message). */
export interface SignalStop {
  /** Closes the app (once, whoever asks first) and resolves to the exit code it earned: 0 or 1. */
  stop(reason: string): Promise<number>
  /** Closes the app as a signal does: then exits, when `exit` is on. */
  stopAndExit(reason: string): void
  /** Removes the signal handlers. */
  dispose(): void
}

const DEFAULT_TEARDOWN_MS = 10_000

/**
 * Closes the app on SIGTERM / SIGINT and exits: 0 when every in-flight request finished within
 * the shutdown deadline (`listen({ shutdownTimeoutMs })`, `SHUTDOWN_TIMEOUT_MS`), 1 when some
 * had to be cut (logged with what was cut) or closing failed.
 * @example
 * await app.listen()
 * closeOnSignals(app)
 */
export function closeOnSignals(app: Closable, options: CloseOnSignalsOptions = {}): SignalStop {
  const signals = options.signals ?? ['SIGTERM', 'SIGINT']
  const exit = options.exit ?? true
  let stopping: Promise<number> | undefined

  const stop = (reason: string): Promise<number> => {
    if (stopping) {
      app.log.info({ reason }, 'Already stopping: in-flight requests keep their deadline')
      return stopping
    }
    app.log.info({ reason, shutdownTimeoutMs: shutdownDeadline(app) }, 'Stopping: readiness answers 503, finishing in-flight requests')
    stopping = app.close().then(
      () => {
        const cut = shutdownOutcome(app)?.cut.length ?? 0
        app.log.info({ cut }, cut === 0 ? 'Stopped' : 'Stopped after cutting in-flight requests')
        return cut === 0 ? 0 : 1
      },
      (error: unknown) => {
        app.log.error({ err: error }, 'Closing the app failed')
        return 1
      },
    )
    return stopping
  }

  const stopAndExit = (reason: string): void => {
    const first = stopping === undefined
    const closed = stop(reason)
    if (!exit || !first) return
    // a teardown that hangs must not keep the process: past the deadline and a margin, exit 1
    const guard = setTimeout(() => {
      app.log.error({ reason }, 'Closing the app took too long: exiting')
      process.exit(1)
    }, (shutdownDeadline(app) ?? 0) + (options.teardownTimeoutMs ?? DEFAULT_TEARDOWN_MS))
    guard.unref()
    void closed.then((code) => process.exit(code))
  }

  const onSignal = (signal: NodeJS.Signals): void => stopAndExit(signal)
  for (const signal of signals) process.on(signal, onSignal)
  return {
    stop,
    stopAndExit,
    dispose() {
      for (const signal of signals) process.off(signal, onSignal)
    },
  }
}
