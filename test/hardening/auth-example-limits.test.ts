// The example's sign-in and sign-up routes use the attempt limits: wrong passwords on one account
// end in a 429 with Retry-After, even for the right password, while other accounts still sign in.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { call, startFieldwork, type Fieldwork } from '../examples/fixtures/fieldwork.js'

let fw: Fieldwork

test.before(async () => {
  fw = await startFieldwork({ AUTH_ATTEMPTS_PER_ACCOUNT: '3', AUTH_ATTEMPTS_PER_ADDRESS: '8' })
})

test.after(async () => {
  await fw?.close()
})

test('sign-in: 3 wrong passwords, then 429 with Retry-After even for the right one; the cookie route too', async () => {
  assert.is((await call(fw.app, 'POST', '/v1/users', undefined, { email: 'limited@example.org', name: 'Limited', password: 'right password' })).status, 201)
  for (let i = 0; i < 3; i++) assert.is((await call(fw.app, 'POST', '/v1/auth/tokens', undefined, { email: 'limited@example.org', password: 'wrong password' })).status, 401)
  for (const url of ['/v1/auth/tokens', '/v1/auth/sessions']) {
    const res = await call(fw.app, 'POST', url, undefined, { email: 'Limited@example.org', password: 'right password' })
    assert.is(res.status, 429, url)
    assert.ok(Number(res.headers['retry-after']) > 0 && Number(res.headers['retry-after']) <= 900, url)
    assert.match(res.json().detail, /Too many attempts/)
  }
  // a browser without JavaScript gets the sign-in page again, saying so, with the same header
  const form = await fw.app.inject({ method: 'POST', url: '/v1/auth/sessions', headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html' }, body: 'email=limited%40example.org&password=right+password' })
  assert.is(form.status, 429)
  assert.ok(Number(form.headers['retry-after']) > 0)
  assert.match(form.body, 'Too many attempts')
})

test('sign-up and sign-in share no count; the address limit stops a spray over many accounts', async () => {
  // this address has made 6 sign-in attempts above; 2 more are allowed, then every account is refused
  const statuses: number[] = []
  for (let i = 0; i < 3; i++) statuses.push((await call(fw.app, 'POST', '/v1/auth/tokens', undefined, { email: `spray${i}@example.org`, password: 'guess' })).status)
  assert.equal(statuses, [401, 401, 429])
  assert.is((await call(fw.app, 'POST', '/v1/users', undefined, { email: 'new@example.org', name: 'New', password: 'long enough' })).status, 201)
})

test.run()
