// The sign-up page through `app.inject`: the page and its link from the sign-in page, an account
// made as htmx sends it (signed in at once with a cookie session) and as a plain form (no
// script), a taken email (409) and fields to correct (422) shown in the form, and the API's
// sign-up limits holding for the page too.
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { after, before, test } from 'node:test'
import { ROLES, type UserOut } from '../src/auth/schemas.js'
import { settings } from '../src/config.js'
import { app } from '../src/main.js'

before(() => app.start())
after(() => app.close())

// what a browser sends when it navigates, and what htmx adds to its requests
const BROWSER = { accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8' }
const HTMX = { 'hx-request': 'true', accept: '*/*' }
const password = 'correct horse battery'
const next = '/somewhere?page=2'
const action = `/sign-up?next=${encodeURIComponent(next)}`

/** A new email each time: the tests' database keeps its accounts from one run to the next. */
const newEmail = (): string => `${randomUUID()}@example.org`

/** The `name=value` pairs of a response's Set-Cookie lines. */
function cookiePairs(headers: Record<string, unknown>): string[] {
  const raw = headers['set-cookie']
  const lines = Array.isArray(raw) ? raw.map(String) : raw === undefined ? [] : [String(raw)]
  return lines.map((line) => line.split(';')[0]!)
}

test('the sign-up page holds the form, posting back with the page to go on to; the sign-in page links to it and back', async () => {
  const page = await app.inject({ url: action, headers: BROWSER })
  assert.equal(page.status, 200)
  assert.match(page.body, /^<!doctype html>/)
  assert.ok(page.body.includes('<form id="sign-up"'), 'the sign-up form')
  assert.ok(page.body.includes(`action="${action}"`), 'it posts back with the page to go on to')
  for (const field of ['name', 'email', 'password']) assert.ok(page.body.includes(`name="${field}"`), field)
  assert.ok(page.body.includes(`href="/sign-in?next=${encodeURIComponent(next)}"`), 'a link to sign in instead')
  const signIn = await app.inject({ url: `/sign-in?next=${encodeURIComponent(next)}`, headers: BROWSER })
  assert.ok(signIn.body.includes(`id="sign-up-link" href="${action}"`), 'the sign-in page links to the sign-up page')
})

test('made as htmx sends it, the account has the lowest role and is signed in at once with a cookie session; htmx goes on to `next`', async () => {
  const email = newEmail()
  const res = await app.inject({ method: 'POST', url: action, headers: HTMX, body: { email, name: 'Ada', password } })
  assert.equal(res.status, 204, res.body)
  assert.equal(res.headers['hx-redirect'], next)
  const pairs = cookiePairs(res.headers)
  assert.ok(pairs.some((pair) => pair.startsWith('session=')), 'a session cookie')
  assert.ok(pairs.some((pair) => pair.startsWith('csrf_token=')), 'a csrf_token cookie')
  const me = await app.inject({ url: '/v1/auth/me', headers: { cookie: pairs.join('; ') } })
  assert.equal(me.status, 200)
  assert.deepEqual(me.json<UserOut>(), { id: me.json<UserOut>().id, email, name: 'Ada', role: ROLES[0] })
})

test('without scripts, the plain form makes the account and the browser is sent on with a 303; a `next` leaving the site goes home', async () => {
  const form = { ...BROWSER, 'content-type': 'application/x-www-form-urlencoded' }
  const res = await app.inject({ method: 'POST', url: action, headers: form, body: new URLSearchParams({ email: newEmail(), name: 'Ada', password }).toString() })
  assert.equal(res.status, 303, res.body)
  assert.equal(res.headers.location, next)
  assert.ok(cookiePairs(res.headers).some((pair) => pair.startsWith('session=')), 'a session cookie')
  const away = await app.inject({ method: 'POST', url: `/sign-up?next=${encodeURIComponent('//elsewhere.example')}`, headers: form, body: new URLSearchParams({ email: newEmail(), name: 'Ada', password }).toString() })
  assert.equal(away.status, 303)
  assert.equal(away.headers.location, '/')
})

test('a taken email is a 409 the form shows, signing no one in', async () => {
  const email = newEmail()
  assert.equal((await app.inject({ method: 'POST', url: '/v1/auth/users', body: { email, name: 'Ada', password } })).status, 201)
  const res = await app.inject({ method: 'POST', url: action, headers: HTMX, body: { email, name: 'Other', password } })
  assert.equal(res.status, 409)
  assert.match(res.body, /class="trefoil-error"/)
  assert.match(res.body, /An account with this email exists already/)
  assert.equal(res.headers['hx-redirect'], undefined)
  assert.deepEqual(cookiePairs(res.headers), [])
})

test('a bad email and a short password are one 422 naming both fields, for the form to mark', async () => {
  const res = await app.inject({ method: 'POST', url: action, headers: HTMX, body: { email: 'not an email', name: 'Ada', password: 'short' } })
  assert.equal(res.status, 422)
  assert.ok(res.body.includes('data-loc="body.email"'), 'the email is named')
  assert.ok(res.body.includes('data-loc="body.password"'), 'the password is named')
  assert.deepEqual(cookiePairs(res.headers), [])
})

test(`the page's sign-ups count with the API's: after AUTH_ATTEMPTS_PER_ACCOUNT tries for one email, the next is a 429`, async () => {
  const email = newEmail()
  for (let i = 0; i < settings.AUTH_ATTEMPTS_PER_ACCOUNT; i++) {
    const res = await app.inject({ method: 'POST', url: action, headers: HTMX, body: { email, name: 'Ada', password } })
    assert.equal(res.status, i === 0 ? 204 : 409, `attempt ${i + 1}`)
  }
  const blocked = await app.inject({ method: 'POST', url: '/v1/auth/users', body: { email, name: 'Ada', password } })
  assert.equal(blocked.status, 429)
  assert.ok(Number(blocked.headers['retry-after']) > 0)
})
