// Loaded by the pool's worker threads when the app runs TypeScript through tsx: on Node 20 the
// main thread's tsx hooks do not reach workers, so each worker registers tsx itself before it
// imports the runner (and through it, TypeScript task modules). Plain JS on purpose: nothing has
// compiled it, and it is never used in production, where workers load the compiled runner.
import { workerData } from 'node:worker_threads'
import { register } from 'tsx/esm/api'

register()
const runner = await import(workerData.trefoilRunner)

export default runner.default
