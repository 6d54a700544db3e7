// Server-side session revocation in the example: logging out needs the session's CSRF token, and
// afterwards the old cookie and every token issued before it are refused at once.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import type { InjectResponse } from 'trefoil'
import { call, startFieldwork, type Fieldwork } from '../examples/fixtures/fieldwork.js'

let fw: Fieldwork

test.before(async () => {
  fw = await startFieldwork()
})

test.after(async () => {
  await fw?.close()
})

function cookie(res: InjectResponse, name: string): string {
  const lines = ([] as string[]).concat((res.headers['set-cookie'] as string[] | string | undefined) ?? [])
  return lines.find((line) => line.startsWith(`${name}=`))!.split(';')[0]!
}

async function session(email: string): Promise<{ cookie: string; csrf: string }> {
  const res = await fw.app.inject({ method: 'POST', url: '/v1/users', headers: { 'hx-request': 'true' }, body: { email, name: 'Sam', password: 'long enough' } })
  assert.is(res.status, 204, res.body)
  const csrfCookie = cookie(res, 'csrf_token')
  return { cookie: `${cookie(res, 'session')}; ${csrfCookie}`, csrf: csrfCookie.split('=')[1]! }
}

test('logout without the CSRF token is 403 and the session still works', async () => {
  const s = await session('nocsrf@example.org')
  const res = await fw.app.inject({ method: 'DELETE', url: '/v1/auth/sessions', headers: { cookie: s.cookie, 'hx-request': 'true' } })
  assert.is(res.status, 403)
  assert.is((await fw.app.inject({ url: '/v1/users/me', headers: { cookie: s.cookie } })).status, 200)
})

test('after logout the old cookie is 401, its page redirects to sign-in, and older bearer tokens are 401', async () => {
  const s = await session('sam@example.org')
  const bearer = (await call(fw.app, 'POST', '/v1/auth/tokens', undefined, { email: 'sam@example.org', password: 'long enough' })).json().access_token as string
  assert.is((await fw.app.inject({ url: '/v1/users/me', headers: { authorization: `Bearer ${bearer}` } })).status, 200)
  const out = await fw.app.inject({ method: 'DELETE', url: '/v1/auth/sessions', headers: { cookie: s.cookie, 'hx-request': 'true', 'x-csrf-token': s.csrf } })
  assert.is(out.status, 204, out.body)
  assert.is(out.headers['hx-redirect'], '/login')
  // a client that kept the cookie (or stole it) gets nothing with it
  assert.is((await fw.app.inject({ url: '/v1/users/me', headers: { cookie: s.cookie } })).status, 401)
  const page = await fw.app.inject({ url: '/v1/users/me', headers: { cookie: s.cookie, accept: 'text/html' } })
  assert.is(page.status, 303)
  assert.match(String(page.headers.location), /^\/login/)
  assert.is((await fw.app.inject({ url: '/v1/users/me', headers: { authorization: `Bearer ${bearer}` } })).status, 401)
  // signing in again works, with a new token
  const again = await call(fw.app, 'POST', '/v1/auth/tokens', undefined, { email: 'sam@example.org', password: 'long enough' })
  assert.is((await fw.app.inject({ url: '/v1/users/me', headers: { authorization: `Bearer ${again.json().access_token}` } })).status, 200)
})

test.run()
