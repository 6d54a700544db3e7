// The site around the units' pages: the home page, and the scripts the layout loads, served by
// the app from its own files (htmx from its npm package: no CDN, nothing fetched elsewhere).
import { createRequire } from 'node:module'
import { fileURLToPath } from 'node:url'
import { defineUnit, file, html, security, type RequestContext } from 'trefoil'

const require = createRequire(import.meta.url)
const htmxPath = require.resolve('htmx.org/dist/htmx.min.js')
const scriptPath = fileURLToPath(new URL('../static/app.js', import.meta.url))
// revalidated on each load (the ETag answers 304), so a changed script is never stale
const SCRIPT = { type: 'text/javascript; charset=utf-8', headers: { 'cache-control': 'no-cache' } }

/** Whether htmx asked (it wants a fragment, and follows `HX-Redirect` to the page a change leads to). */
export function isHtmx(ctx: RequestContext): boolean {
  return ctx.get('HX-Request') === 'true'
}

/** Security headers on every answer; on pages a Content-Security-Policy that runs the app's own scripts only. */
export const securityHeaders = security()

/** The home page and the pages' scripts. */
export const site = defineUnit('site', {}, (r) => {
  r.get('/', { summary: 'The home page', includeInSchema: false }, () => html({ view: 'home' }))
  r.get('/static/htmx.min.js', { summary: 'htmx, from the installed package', includeInSchema: false }, () => file(htmxPath, SCRIPT))
  r.get('/static/app.js', { summary: 'The pages’ script', includeInSchema: false }, () => file(scriptPath, SCRIPT))
})
