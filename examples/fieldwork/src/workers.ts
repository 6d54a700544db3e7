// Work off the request: the worker pool for CPU-bound work (splitting an area into tasks, checking
// an area), never on the event loop, tracked background tasks whose status clients poll, and
// durable jobs that any instance may run.
import { defineBackground, defineJobs, defineWorkers } from 'trefoil'
import { currentUser } from './deps.js'
import { databasePlugin } from './db/database.js'
import { deleteFiles } from './submissions/jobs.js'

/** The app's worker pool plugin; `app.plugin(workersPlugin)` is the pool. Its size comes from WORKER_THREADS (default: cores − 1, at least 1, shared out among the processes of `trefoil serve --workers N`). */
export const workersPlugin = defineWorkers({ timeoutMs: 60_000 })

/** Background tasks with their status in PostgreSQL, polled at `GET /v1/background-tasks/:id` by signed-in users. */
export const backgroundPlugin = defineBackground({ database: databasePlugin, route: { use: { user: currentUser } } })

/** Durable jobs in PostgreSQL (pg-boss): sent by any instance, each run by one of them. */
export const jobsPlugin = defineJobs({ database: databasePlugin, jobs: [deleteFiles] })
