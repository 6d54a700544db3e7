// Error pages in the app's own views: a route that throws, seen by a browser navigating, is a 500
// page in the app's error view and layout that says nothing of the failure (the log has it);
// `errorPages.view` picks another view; API clients keep JSON and htmx its fragment.
import { fileURLToPath } from 'node:url'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { createApp, defineUnit, HttpError, NotFound, type App } from 'trefoil'
import { captureLogs } from '../helpers/logs.js'

const views = fileURLToPath(new URL('./fixtures/error-views', import.meta.url))
const browser = { accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8' }
// what must never reach a client: the failure's message, its SQL, its stack's file names
const SECRET = /SELECT|vault|password=hunter2|error-views\.test|at async|node:internal/

const unit = defineUnit('failures', (r) => {
  r.get('/boom', () => {
    throw new Error('SELECT secret FROM vault WHERE password=hunter2')
  })
  r.get('/later', async () => {
    await new Promise((resolve) => setTimeout(resolve, 1))
    throw new TypeError("Cannot read properties of undefined (reading 'vault')")
  })
  r.get('/thrown-object', () => {
    // a thrown non-Error (a driver's plain object) is a 500 as well
    throw { query: 'SELECT secret FROM vault' } as unknown as Error
  })
  r.get('/unavailable', () => {
    throw new HttpError(503, 'vault replica at 10.0.0.7 is down')
  })
  r.get('/missing', () => {
    throw new NotFound('Thing 7 not found')
  })
})

function make(options: { view?: string } = {}): { app: App; lines: Record<string, unknown>[] } {
  const { logger, lines } = captureLogs('error')
  const app = createApp({ plugins: [unit], views: { dir: views, layout: 'layout' }, errorPages: options.view ? { view: options.view } : {}, logger })
  return { app, lines }
}

test("a route that throws is a 500 page in the app's error view and layout, with nothing of the failure in it; the log has it", async () => {
  const { app, lines } = make()
  for (const url of ['/boom', '/later', '/thrown-object']) {
    const res = await app.inject({ url, headers: browser })
    assert.is(res.status, 500, url)
    assert.match(String(res.headers['content-type']), 'text/html', url)
    assert.ok(res.body.startsWith('<!doctype html><html><head><title>Internal Server Error</title>'), `the layout, with the error's title: ${res.body}`)
    assert.match(res.body, '<header>Site header</header>', 'in the layout')
    assert.match(res.body, '<main class="error-page"><h1>500 Internal Server Error</h1><p>Internal Server Error</p><a href="/">Back</a></main>', "the app's error view, with a way back")
    assert.not.match(res.body, SECRET, `no detail of the failure: ${res.body}`)
    assert.type(res.headers['x-request-id'], 'string', 'a request id to quote')
  }
  const failed = lines.filter((line) => line.msg === 'Request failed')
  assert.is(failed.length, 3, 'each failure is logged')
  assert.match(JSON.stringify(failed[0]!.err), 'SELECT secret FROM vault', 'the log keeps what the page hides')
  assert.match(JSON.stringify(failed[2]!.err), 'SELECT secret FROM vault', 'a thrown object too')
})

test('a 5xx HttpError shows its status and its standard title, never its message', async () => {
  const { app } = make()
  const res = await app.inject({ url: '/unavailable', headers: browser })
  assert.is(res.status, 503)
  assert.match(res.body, '<h1>503 Service Unavailable</h1><p>Service Unavailable</p>')
  assert.not.match(res.body, /10\.0\.0\.7|replica/)
})

test('errorPages.view chooses the view: every error page is drawn by it, in the layout, with status, title, detail and the request id', async () => {
  const { app } = make({ view: 'problem' })
  const failure = await app.inject({ url: '/boom', headers: { ...browser, 'x-request-id': 'req-4711' } })
  assert.is(failure.status, 500)
  assert.match(failure.body, '<header>Site header</header>')
  assert.match(failure.body, '<section class="problem" data-status="500"><h1>Something went wrong (500)</h1><p class="what">Internal Server Error</p><p class="ref">Reference: req-4711</p>')
  assert.not.match(failure.body, 'class="error-page"', 'not the default `error` view')
  assert.not.match(failure.body, SECRET)
  const missing = await app.inject({ url: '/missing', headers: browser })
  assert.is(missing.status, 404)
  assert.match(missing.body, '<p class="what">Thing 7 not found</p>', 'client errors show their message')
  assert.match(missing.body, /<title>Not Found<\/title>/)
  const unknown = await app.inject({ url: '/no/such/page', headers: browser })
  assert.is(unknown.status, 404)
  assert.match(unknown.body, '<section class="problem" data-status="404">', 'the router’s own 404 too')
})

test('an error view that fails itself falls back to the runtime’s plain page (still nothing of the failure), and says so in the log', async () => {
  const { app, lines } = make({ view: 'broken-error' })
  const res = await app.inject({ url: '/boom', headers: browser })
  assert.is(res.status, 500)
  assert.match(res.body, '<h1>500 Internal Server Error</h1>')
  assert.match(res.body, '<a href="/">Back to the start page</a>')
  assert.not.match(res.body, 'Site header', 'the plain page stands alone')
  assert.not.match(res.body, SECRET)
  assert.ok(lines.some((line) => line.msg === 'Error page failed to render'), 'the broken view is logged')
})

test('with the view set, API clients still get JSON and htmx requests their fragment, for the same failures', async () => {
  const { app } = make({ view: 'problem' })
  for (const accept of ['application/json', '*/*', 'application/json, text/html;q=0.5']) {
    const res = await app.inject({ url: '/boom', headers: { accept } })
    assert.is(res.status, 500, accept)
    assert.match(String(res.headers['content-type']), 'application/json', accept)
    assert.equal(res.json(), { detail: 'Internal Server Error' }, accept)
  }
  const none = await app.inject({ url: '/missing' })
  assert.equal(none.json(), { detail: 'Thing 7 not found' }, 'no Accept: JSON')
  const htmx = await app.inject({ url: '/boom', headers: { ...browser, 'hx-request': 'true' } })
  assert.is(htmx.status, 500)
  assert.match(String(htmx.headers['content-type']), 'text/html')
  assert.is(htmx.body, '<div class="trefoil-error" role="alert" data-status="500"><p>Internal Server Error</p></div>', 'the fragment alone: no layout, no view')
  const htmxMissing = await app.inject({ url: '/missing', headers: { accept: '*/*', 'hx-request': 'true' } })
  assert.is(htmxMissing.body, '<div class="trefoil-error" role="alert" data-status="404"><p>Thing 7 not found</p></div>')
})

test.run()
