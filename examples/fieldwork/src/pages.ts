// Site-wide pages and static assets: the home page and htmx, served locally (no CDN).
import { createRequire } from 'node:module'
import { defineUnit, file, redirect } from 'trefoil'

const htmxPath = createRequire(import.meta.url).resolve('htmx.org/dist/htmx.min.js')

export default defineUnit('pages', (r) => {
  r.get('/', () => redirect('/v1/projects', 303))
  r.get('/static/htmx.min.js', () => file(htmxPath, { type: 'text/javascript; charset=utf-8' }))
})
