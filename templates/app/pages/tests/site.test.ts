// The site around the pages: htmx and the pages' script come from the app itself, the home page
// is in the layout, and a browser gets an error as a page in the layout, never as JSON.
import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { app } from '../src/main.js'

before(() => app.start())
after(() => app.close())

const BROWSER = { accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8' }

test('htmx and the pages’ script are served by the app, as scripts its Content-Security-Policy allows', async () => {
  for (const path of ['/static/htmx.min.js', '/static/app.js']) {
    const res = await app.inject({ url: path })
    assert.equal(res.status, 200, path)
    assert.match(String(res.headers['content-type']), /^text\/javascript/, path)
    assert.ok(res.body.length > 500, path)
  }
  const home = await app.inject({ url: '/', headers: BROWSER })
  assert.match(String(home.headers['content-security-policy']), /script-src 'self'/)
  assert.match(home.body, /<script src="\/static\/htmx\.min\.js" defer><\/script>/)
})

test('the home page is a whole page in the layout, linking to the API docs', async () => {
  const res = await app.inject({ url: '/', headers: BROWSER })
  assert.equal(res.status, 200)
  assert.match(String(res.headers['content-type']), /^text\/html/)
  assert.match(res.body, /^<!doctype html>/)
  assert.match(res.body, /<a class="docs" href="\/docs">API docs<\/a>/)
})

test('a browser asking for an address that does not exist gets the error page in the layout; an API client gets JSON', async () => {
  const page = await app.inject({ url: '/no/such/page', headers: BROWSER })
  assert.equal(page.status, 404)
  assert.match(String(page.headers['content-type']), /^text\/html/)
  assert.match(page.body, /<article class="error-page" data-status="404">/)
  assert.match(page.body, /<header>/)
  const api = await app.inject({ url: '/no/such/page' })
  assert.equal(api.status, 404)
  assert.equal(typeof api.json<{ detail: string }>().detail, 'string')
})
