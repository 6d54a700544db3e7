// Site-wide pages and assets: the home page, htmx and the page script served locally (no CDN), the
// progress of a task split as the project page polls it, and sending a browser that is not signed
// in to the sign-in page.
import { createRequire } from 'node:module'
import { fileURLToPath } from 'node:url'
import { BackgroundTaskStatus, definePlugin, defineUnit, depends, file, isHttpError, NotFound, redirect, t, type BackgroundTaskRow, type Plugin, type RequestContext } from 'trefoil'
import { signedIn } from './auth/logic.js'
import { project } from './projects/logic.js'
import { Id } from './projects/schemas.js'
import { backgroundPlugin } from './workers.js'

const htmxPath = createRequire(import.meta.url).resolve('htmx.org/dist/htmx.min.js')
const scriptPath = fileURLToPath(new URL('../static/app.js', import.meta.url))
const SCRIPT = { type: 'text/javascript; charset=utf-8', headers: { 'cache-control': 'no-cache' } }

/** Whether the request comes from htmx (which wants a fragment, not a page). */
export function isHtmx(ctx: RequestContext): boolean {
  return ctx.get('HX-Request') === 'true'
}

/** Whether a browser navigates to a page (rather than an API client or htmx asking). */
function navigates(ctx: RequestContext): boolean {
  return ctx.method === 'GET' && !isHtmx(ctx) && ctx.get('Accept').includes('text/html')
}

const SplitParams = t.Object({ projectId: Id, splitId: t.String({ format: 'uuid' }) })

/**
 * The status of a task split named by `:splitId` (a `task-split` background task), or 404. The
 * runtime's status route answers JSON only; the page polls this one for the `tasks/split` view.
 */
const splitStatus = depends({ params: SplitParams, use: { project }, errors: [404] }, async function splitStatus({ params, app }): Promise<BackgroundTaskRow> {
  const row = await app.plugin(backgroundPlugin).status(params.splitId)
  if (!row || row.name !== 'task-split') throw new NotFound(`Task split ${params.splitId} not found`)
  return row
})

/** The site-wide pages: `/`, the static scripts, and a task split's progress for the project page. */
export default defineUnit('pages', { tags: ['pages'] }, (r) => {
  r.get('/', { summary: 'Home: the projects', includeInSchema: false }, () => redirect('/v1/projects', 303))
  r.get('/static/htmx.min.js', { summary: 'htmx, served from the installed package', includeInSchema: false }, () => file(htmxPath, SCRIPT))
  r.get('/static/app.js', { summary: 'The pages’ script', includeInSchema: false }, () => file(scriptPath, SCRIPT))
  r.get(
    '/v1/projects/:projectId/task-splits/:splitId',
    { use: { user: signedIn, split: splitStatus }, response: BackgroundTaskStatus, view: 'tasks/split', summary: "A task split's progress, as the project page polls it", includeInSchema: false },
    ({ split }) => split,
  )
})

/**
 * A 401 on a page sends the browser to /login, on an htmx request it makes htmx go there
 * (`HX-Redirect`); API clients keep their 401 and its challenge. List it before the units.
 */
export const signInRedirect: Plugin = definePlugin({
  name: 'sign-in-redirect',
  setup(app) {
    app.use(async function signInRedirect(koaCtx, next) {
      const ctx = koaCtx as RequestContext
      try {
        await next()
      } catch (error) {
        // a wrong password on the sign-in form is an answer for that form, not a reason to go there
        if (!isHttpError(error) || error.status !== 401 || error.code === 'invalid_credentials') throw error
        if (navigates(ctx)) return ctx.redirect('/login')
        if (!isHtmx(ctx)) throw error
        ctx.status = 401
        ctx.set('HX-Redirect', '/login')
        ctx.body = ''
      }
    })
  },
})
