// Site-wide pages and assets: the home page, htmx, Leaflet and the pages' scripts served locally (no CDN), the
// progress of a task split as the project page polls it, and sending a browser that is not signed
// in to the sign-in page.
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { BackgroundTaskStatus, ValidationError, definePlugin, defineUnit, depends, file, isHttpError, NotFound, redirect, t, type BackgroundTaskRow, type Plugin, type RequestContext } from 'trefoil'
import { project, signedIn } from './deps.js'
import { Id } from './projects/schemas.js'
import { backgroundPlugin } from './workers.js'

const require = createRequire(import.meta.url)
const htmxPath = require.resolve('htmx.org/dist/htmx.min.js')
const leafletDir = dirname(require.resolve('leaflet/dist/leaflet.js'))
const staticDir = fileURLToPath(new URL('../static/', import.meta.url))
const SCRIPT = { type: 'text/javascript; charset=utf-8', headers: { 'cache-control': 'no-cache' } }
const STYLE = { type: 'text/css; charset=utf-8', headers: { 'cache-control': 'no-cache' } }
// the only images leaflet.css names (the layer switcher and default markers), served by name
const LEAFLET_IMAGES = new Set(['layers.png', 'layers-2x.png', 'marker-icon.png', 'marker-icon-2x.png', 'marker-shadow.png'])
const ImageParams = t.Object({ name: t.String({ maxLength: 32 }) })

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
  r.get('/static/app.js', { summary: 'The pages’ script', includeInSchema: false }, () => file(join(staticDir, 'app.js'), SCRIPT))
  r.get('/static/map.js', { summary: 'The maps’ script (Leaflet)', includeInSchema: false }, () => file(join(staticDir, 'map.js'), SCRIPT))
  r.get('/static/leaflet/leaflet.js', { summary: 'Leaflet, served from the installed package', includeInSchema: false }, () => file(join(leafletDir, 'leaflet.js'), SCRIPT))
  r.get('/static/leaflet/leaflet.css', { summary: 'Leaflet’s style sheet', includeInSchema: false }, () => file(join(leafletDir, 'leaflet.css'), STYLE))
  r.get('/static/leaflet/images/:name', { params: ImageParams, summary: 'Leaflet’s images', includeInSchema: false }, ({ params }) => {
    if (!LEAFLET_IMAGES.has(params.name)) throw new NotFound(`No image ${params.name}`)
    return file(join(leafletDir, 'images', params.name), { type: 'image/png' })
  })
  r.get(
    '/v1/projects/:projectId/task-splits/:splitId',
    { use: { user: signedIn, split: splitStatus }, response: BackgroundTaskStatus, view: 'tasks/split', summary: "A task split's progress, as the project page polls it", includeInSchema: false },
    ({ split }) => split,
  )
})

// the path parameter each collection's next segment is, when it names a row
const ID_AFTER: Readonly<Record<string, string>> = { projects: 'projectId', tasks: 'taskId', submissions: 'submissionId', attachments: 'attachmentId', members: 'userId' }
const CANONICAL = /^(0|[1-9][0-9]*)$/

/**
 * Ids in paths are written one way only, in decimal digits: `0x1`, `+1`, `1e0`, `01`, ` 1` name
 * no row (the path schemas would coerce them to 1, so that one row had many addresses). They are
 * a 422 naming the parameter, before any route runs.
 */
export const canonicalIds: Plugin = definePlugin({
  name: 'canonical-ids',
  setup(app) {
    // a hook, not Koa middleware: the app keeps the core's one answer path
    app.addHook('onRequest', function canonicalIds(ctx) {
      if (!ctx.path.startsWith('/v1/')) return
      const segments = ctx.path.split('/')
      for (let i = 2; i + 1 < segments.length; i++) {
        const name = ID_AFTER[segments[i]!]
        let value: string
        try {
          value = decodeURIComponent(segments[i + 1]!)
        } catch {
          continue // not text: the router answers it
        }
        // only what would pass as a number is at stake; `new`, a uuid or `submissions.csv` are other routes
        if (name && value !== '' && Number.isFinite(Number(value)) && !CANONICAL.test(value)) {
          throw new ValidationError([{ loc: ['path', name], msg: 'Input should be a whole number written in decimal digits only', type: 'int_parsing' }])
        }
      }
    })
  },
})

/**
 * Marks a browser navigation that carries a session cookie (`ctx.state.hasSession`), so that a
 * page rendered without a signed-in route (an unknown URL's 404) does not offer to sign in again;
 * the cookie is not checked here, so the page names nobody.
 */
export const sessionHint: Plugin = definePlugin({
  name: 'session-hint',
  setup(app) {
    app.addHook('onRequest', function sessionHint(ctx) {
      if (navigates(ctx) && ctx.cookies.get('session')) ctx.state.hasSession = true
    })
  },
})
