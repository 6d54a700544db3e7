// The database plugin's health routes: liveness (the process answers) and readiness (the
// database answers too), for load balancers and orchestrators.
import type { IDatabase } from 'pg-promise'
import type { App } from '../core/app-api.js'
import { json } from '../core/responses.js'
import { RETRY_AFTER_SECONDS } from './pg-errors.js'

const READY_TIMEOUT_MS = 2000

/** `GET /health` answers while the process runs; `GET /health/ready` only while the database answers. */
export function addHealthRoutes(app: App, unit: string, path: string, db: IDatabase<{}>): void {
  const base = `/${path.replace(/^\/+|\/+$/g, '')}`
  const tags = ['health']
  app.addRoute({ method: 'GET', path: base, unit, groupUse: {}, options: { tags, summary: 'Liveness: the process answers' }, handler: () => ({ status: 'ok' }) })
  app.addRoute({
    method: 'GET',
    path: `${base}/ready`,
    unit,
    groupUse: {},
    options: { tags, summary: 'Readiness: the database answers', errors: [503] },
    handler: async () => {
      let timer: NodeJS.Timeout | undefined
      try {
        const timeout = new Promise<never>((_, fail) => {
          timer = setTimeout(() => fail(new Error('Timed out')), READY_TIMEOUT_MS)
        })
        await Promise.race([db.one('SELECT 1'), timeout])
        return { status: 'ok', database: 'ok' }
      } catch {
        return json({ status: 'unavailable', database: 'unreachable' }, { status: 503, headers: { 'Retry-After': String(RETRY_AFTER_SECONDS) } })
      } finally {
        clearTimeout(timer)
      }
    },
  })
}
