// The worker pool: CPU-bound work (splitting an area into tasks) runs on these threads, never on
// the event loop. Its size comes from WORKER_THREADS (default: cores - 1, at least 1).
import { defineWorkers } from 'trefoil'

/** The app's worker pool plugin; `app.plugin(workersPlugin)` is the pool. */
export const workersPlugin = defineWorkers({ timeoutMs: 60_000 })
