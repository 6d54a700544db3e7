// The database plugin's health routes: liveness (the process answers) and readiness (the
// database answers too, and the app is not stopping), for load balancers and orchestrators. Both
// are still served while the server stops, when other requests are refused: a load balancer then
// reads "not ready" and takes the instance out, while liveness stays "yes" (the process is
// finishing its work, not stuck).
import type { IDatabase } from 'pg-promise'
import type { App } from '../core/app-api.js'
import { json } from '../core/responses.js'
import { RETRY_AFTER_SECONDS } from './pg-errors.js'

const READY_TIMEOUT_MS = 2000

/**
 * `GET /health` answers 200 while the process runs, stopping included; `GET /health/ready` 200
 * only while the database answers and the app is not stopping, else 503 with `Retry-After`.
 */
export function addHealthRoutes(app: App, unit: string, path: string, db: IDatabase<{}>): void {
  const base = `/${path.replace(/^\/+|\/+$/g, '')}`
  const tags = ['health']
  app.addRoute({ method: 'GET', path: base, unit, groupUse: {}, servedWhileStopping: true, options: { tags, summary: 'Liveness: the process answers' }, handler: () => ({ status: 'ok' }) })
  app.addRoute({
    method: 'GET',
    path: `${base}/ready`,
    unit,
    groupUse: {},
    servedWhileStopping: true,
    options: { tags, summary: 'Readiness: the database answers and the service is not stopping', errors: [503] },
    handler: async () => {
      if (app.closing) return json({ status: 'stopping' }, { status: 503, headers: { 'Retry-After': String(RETRY_AFTER_SECONDS) } })
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
