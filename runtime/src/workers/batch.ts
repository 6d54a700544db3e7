// Batches: the guide's `asyncio.gather`, bounded. Runs an async function over many items with at
// most `limit` at a time, so that a batch cannot take every connection of the database pool.
// Every item runs even when some fail; results keep the items' order.
import { TrefoilError } from '../core/trefoil-error.js'

/** Options of {@link mapConcurrent}. */
export interface MapConcurrentOptions {
  /** Once aborted, no further item starts; those items fail with the signal's reason. */
  signal?: AbortSignal
}

/** One failed item of a batch. */
export interface BatchFailure {
  /** The item's position in the input. */
  index: number
  error: unknown
}

/**
 * A batch with failed items: lists each failure with its index (`errors` holds the bare errors,
 * as in any `AggregateError`); `results` has the values of the items that succeeded.
 */
export class BatchError<R = unknown> extends AggregateError {
  readonly failures: readonly BatchFailure[]
  /** Every item's value, in order; `undefined` where the item failed. */
  readonly results: readonly (R | undefined)[]

  constructor(failures: BatchFailure[], results: (R | undefined)[]) {
    const first = failures[0]
    const detail = first ? `: item ${first.index}: ${(first.error as Error)?.message ?? String(first.error)}${failures.length > 1 ? ` (and ${failures.length - 1} more)` : ''}` : ''
    super(
      failures.map((f) => f.error),
      `${failures.length} of ${results.length} items failed${detail}`,
    )
    this.name = 'BatchError'
    this.failures = failures
    this.results = results
  }
}

/**
 * Maps `fn` over `items` with at most `limit` calls in flight; resolves to the results in the
 * items' order. If any item fails, every item still runs, then it rejects with a
 * {@link BatchError} listing each failure with its index. Never leaves a rejection unhandled.
 * @example
 * // at most 4 queries at once, whatever the number of projects
 * const stats = await mapConcurrent(projectIds, 4, (id) => projectStats(db, id))
 */
export async function mapConcurrent<T, R>(items: Iterable<T>, limit: number, fn: (item: T, index: number) => R | Promise<R>, options?: MapConcurrentOptions): Promise<R[]> {
  const outcomes = await settleConcurrent(items, limit, fn, options)
  const failures: BatchFailure[] = []
  const results: (R | undefined)[] = outcomes.map((outcome, index) => {
    if (outcome.status === 'fulfilled') return outcome.value
    failures.push({ index, error: outcome.reason })
    return undefined
  })
  if (failures.length > 0) throw new BatchError<R>(failures, results)
  return results as R[]
}

/**
 * Like {@link mapConcurrent}, but never rejects: one `PromiseSettledResult` per item, in order
 * (the bounded `Promise.allSettled`).
 * @example
 * const outcomes = await settleConcurrent(urls, 8, (url) => fetch(url))
 * const failed = outcomes.filter((o) => o.status === 'rejected')
 */
export async function settleConcurrent<T, R>(items: Iterable<T>, limit: number, fn: (item: T, index: number) => R | Promise<R>, options: MapConcurrentOptions = {}): Promise<PromiseSettledResult<R>[]> {
  if (!Number.isInteger(limit) || limit < 1) throw new TrefoilError('TREFOIL_INVALID_ARGUMENT', `Cannot run a batch with limit ${String(limit)}: it must be an integer of at least 1`)
  const list = Array.from(items)
  const outcomes: PromiseSettledResult<R>[] = new Array(list.length)
  const { signal } = options
  let next = 0
  async function lane(): Promise<void> {
    while (next < list.length) {
      const index = next++
      if (signal?.aborted) {
        outcomes[index] = { status: 'rejected', reason: signal.reason }
        continue
      }
      try {
        outcomes[index] = { status: 'fulfilled', value: await fn(list[index] as T, index) }
      } catch (error) {
        outcomes[index] = { status: 'rejected', reason: error }
      }
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, list.length) }, lane))
  return outcomes
}
