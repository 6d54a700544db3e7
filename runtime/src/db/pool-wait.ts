// Two different waits for a database connection, bounded apart. node-postgres's pool has one
// timeout for both: opening a new connection (slow on a loaded machine: PostgreSQL forks a
// backend and authenticates) and waiting for a busy pool to free one (a sign of overload, where a
// quick 503 is kinder than a queue). The pool keeps its timeout for opening; this bounds the wait.
import type { EventEmitter } from 'node:events'

/** The part of node-postgres's pool this needs: its counters and its callback `connect`. */
export interface WaitablePool extends EventEmitter {
  readonly totalCount: number
  readonly idleCount: number
  readonly waitingCount: number
  readonly options: { readonly max: number }
  connect(callback: PoolCallback): void
}

type PoolClient = { release(error?: Error | boolean): void }
type PoolCallback = (error: Error | undefined, client: PoolClient | undefined, done?: (error?: Error | boolean) => void) => void

/**
 * Makes a request that finds every connection of `pool` taken (or being opened) fail after
 * `waitMs` with the pool's own timeout message, which the runtime answers as a 503 with
 * `Retry-After`. A request that opens a new connection or takes an idle one is not bounded here
 * (the pool's `connectionTimeoutMillis` bounds the opening). A connection that frees up after
 * its waiter gave up goes straight back to the pool, for the next.
 */
export function boundPoolWait(pool: WaitablePool, waitMs: number): void {
  const connect = pool.connect.bind(pool)
  // pg-promise always passes a callback; a promise-style caller keeps the pool's own behaviour
  pool.connect = function connectWithinWait(callback?: PoolCallback): void {
    const mustWait = pool.idleCount === 0 && (pool.totalCount >= pool.options.max || pool.waitingCount > 0)
    if (!callback || !mustWait) return (connect as (callback?: PoolCallback) => void)(callback)
    let gaveUp = false
    const timer = setTimeout(() => {
      gaveUp = true
      callback(new Error('timeout exceeded when trying to connect'), undefined)
    }, waitMs)
    connect((error, client, done) => {
      if (!gaveUp) {
        clearTimeout(timer)
        callback(error, client, done)
      } else if (client) client.release()
    })
  } as WaitablePool['connect']
}
