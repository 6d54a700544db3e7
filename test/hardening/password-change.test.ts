// Changing a password in the example ends every other session and token of the account at once:
// the caller's is replaced (a bearer client gets a new token, a browser a new session cookie),
// the old password stops signing in, and a wrong current password is a 422 that counts against
// the account's sign-in limit. From the account page it needs the session's CSRF token.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import type { InjectResponse } from 'trefoil'
import { openBrowser } from '../examples/fixtures/browser.js'
import { signUp, startFieldwork, type Fieldwork } from '../examples/fixtures/fieldwork.js'

let fw: Fieldwork

test.before(async () => {
  fw = await startFieldwork({ AUTH_ATTEMPTS_PER_ACCOUNT: '3' })
})
test.after(async () => {
  await fw?.close()
})

const OLD = 'correct horse battery' // the fixture's sign-up password
const NEW = 'a brand new passphrase'

function cookie(res: InjectResponse, name: string): string {
  const lines = ([] as string[]).concat((res.headers['set-cookie'] as string[] | string | undefined) ?? [])
  return lines.find((line) => line.startsWith(`${name}=`))!.split(';')[0]!
}

/** A browser's cookie session of an account, signed in through the sign-in form (htmx). */
async function browserSession(email: string, password = OLD): Promise<{ cookie: string; csrf: string }> {
  const res = await fw.app.inject({ method: 'POST', url: '/v1/auth/sessions', headers: { 'hx-request': 'true' }, body: { email, password } })
  assert.is(res.status, 204, res.body)
  const csrfCookie = cookie(res, 'csrf_token')
  return { cookie: `${cookie(res, 'session')}; ${csrfCookie}`, csrf: csrfCookie.split('=')[1]! }
}

const signIn = (email: string, password: string) => fw.app.inject({ method: 'POST', url: '/v1/auth/tokens', body: { email, password } })
const bearer = (token: string) => ({ authorization: `Bearer ${token}` })
const me = (headers: Record<string, string>) => fw.app.inject({ url: '/v1/users/me', headers }).then((res) => res.status)

test('a bearer client changes its password: the token in the answer works; the one it sent, another device’s token and cookie are 401; only the new password signs in', async () => {
  const account = await signUp(fw.app, 'Bea')
  const otherToken = (await signIn(account.email, OLD)).json().access_token as string
  const otherBrowser = await browserSession(account.email)
  assert.is(await me(bearer(otherToken)), 200)
  assert.is(await me({ cookie: otherBrowser.cookie }), 200)

  const res = await fw.app.inject({ method: 'POST', url: '/v1/users/me/password', headers: account.headers, body: { currentPassword: OLD, newPassword: NEW } })
  assert.is(res.status, 200, res.body)
  const renewed = res.json() as { access_token: string; token_type: string }
  assert.is(renewed.token_type, 'bearer')
  assert.is(await me(bearer(renewed.access_token)), 200, 'the caller goes on with the token it was given')
  assert.is(await me(account.headers), 401, 'the token it sent is ended')
  assert.is(await me(bearer(otherToken)), 401, 'a token elsewhere is ended')
  assert.is(await me({ cookie: otherBrowser.cookie }), 401, 'a browser elsewhere is signed out')
  assert.is((await signIn(account.email, OLD)).status, 401)
  assert.is((await signIn(account.email, NEW)).status, 200)
})

test('from the account page: its form posts with htmx; without the CSRF token a 403 that changes nothing; with it a new session and the page again, saying so', async () => {
  const account = await signUp(fw.app, 'Cleo')
  const browser = await browserSession(account.email)
  const page = await fw.app.inject({ url: '/v1/users/me', headers: { cookie: browser.cookie, accept: 'text/html' } })
  assert.is(page.status, 200)
  assert.match(page.body, '<form id="password-form" method="post" action="/v1/users/me/password" hx-post="/v1/users/me/password"')
  assert.match(page.body, 'name="currentPassword" type="password"')
  assert.match(page.body, 'name="newPassword" type="password" required minlength="8"')

  const forged = await fw.app.inject({ method: 'POST', url: '/v1/users/me/password', headers: { cookie: browser.cookie, 'hx-request': 'true' }, body: { currentPassword: OLD, newPassword: NEW } })
  assert.is(forged.status, 403, forged.body)
  assert.is(await me({ cookie: browser.cookie }), 200)
  assert.is((await signIn(account.email, OLD)).status, 200, 'the password is unchanged')

  const hx = { cookie: browser.cookie, 'hx-request': 'true', 'x-csrf-token': browser.csrf }
  const wrong = await fw.app.inject({ method: 'POST', url: '/v1/users/me/password', headers: hx, body: { currentPassword: 'not my password', newPassword: NEW } })
  assert.is(wrong.status, 422)
  assert.match(String(wrong.headers['content-type']), 'text/html', 'the page gets a fragment, never JSON')
  assert.match(wrong.body, 'This is not your current password')

  const changed = await fw.app.inject({ method: 'POST', url: '/v1/users/me/password', headers: hx, body: { currentPassword: OLD, newPassword: NEW } })
  assert.is(changed.status, 204, changed.body)
  assert.is(changed.headers['hx-redirect'], '/v1/users/me?changed=password')
  const session = cookie(changed, 'session')
  const csrf = cookie(changed, 'csrf_token').split('=')[1]!
  assert.is.not(session, browser.cookie.split(';')[0])
  const after = await fw.app.inject({ url: '/v1/users/me?changed=password', headers: { cookie: `${session}; csrf_token=${csrf}`, accept: 'text/html' } })
  assert.is(after.status, 200)
  assert.match(after.body, 'Your password was changed')
  assert.match(after.body, `{&#34;X-CSRF-Token&#34;:&#34;${csrf}&#34;}`, 'the page carries the new session’s CSRF token')
  assert.is(await me({ cookie: browser.cookie }), 401, 'the old cookie is ended')
  assert.is(await me(account.headers), 401, 'and so is the bearer token from before')
  assert.is((await signIn(account.email, NEW)).status, 200)
})

test('a wrong current password is a 422 naming it and changes nothing; a short new one is refused as at sign-up; wrong guesses count against the sign-in limit', async () => {
  const account = await signUp(fw.app, 'Dan')
  const change = (currentPassword: string, newPassword = NEW) => fw.app.inject({ method: 'POST', url: '/v1/users/me/password', headers: account.headers, body: { currentPassword, newPassword } })

  const short = await change(OLD, 'short')
  assert.is(short.status, 422)
  assert.equal(short.json().detail.map((issue: { loc: string[] }) => issue.loc.join('.')), ['body.newPassword'])
  const same = await change(OLD, OLD)
  assert.is(same.status, 422)
  assert.equal(same.json().detail[0].loc, ['body', 'newPassword'])

  const wrong = await change('a wrong guess')
  assert.is(wrong.status, 422)
  assert.equal(wrong.json().detail, [{ loc: ['body', 'currentPassword'], msg: 'This is not your current password', type: 'invalid_password' }])
  assert.is(await me(account.headers), 200, 'a failed change ends nothing')

  // the limit is 3 per account: two more wrong guesses, then even the right password is refused,
  // here and at sign-in (one count for the account, whichever route guesses)
  for (let i = 0; i < 2; i++) assert.is((await change(`guess ${i}`)).status, 422)
  const limited = await change(OLD)
  assert.is(limited.status, 429)
  assert.ok(Number(limited.headers['retry-after']) > 0)
  assert.is((await signIn(account.email, OLD)).status, 429)
  assert.is(await me(account.headers), 200)
})

test('in Chromium: the account page’s form says a wrong password next to it, then changes it and shows the page again, where the next action (log out) passes its CSRF check', async () => {
  const account = await signUp(fw.app, 'Eve')
  await fw.app.listen({ port: 0, host: '127.0.0.1' })
  const base = fw.app.url!
  const browser = await openBrowser(base)
  try {
    const { page } = browser
    await page.goto(`${base}/login`)
    await page.locator('#login input[name=email]').fill(account.email)
    await page.locator('#login input[name=password]').fill(OLD)
    await Promise.all([page.waitForURL(`${base}/v1/projects`), page.locator('#login button').click()])
    await Promise.all([page.waitForURL(`${base}/v1/users/me`), page.locator('header a.who').click()])
    const form = page.locator('#password-form')
    await form.locator('input[name=currentPassword]').fill('not my password')
    await form.locator('input[name=newPassword]').fill(NEW)
    await form.locator('button').click()
    await page.locator('#password-errors .trefoil-error').waitFor()
    assert.match(await page.locator('#password-errors').innerText(), 'This is not your current password')
    assert.is(new URL(page.url()).pathname, '/v1/users/me', 'still on the page, no JSON shown')
    await form.locator('input[name=currentPassword]').fill(OLD)
    await Promise.all([page.waitForURL(`${base}/v1/users/me?changed=password`), form.locator('button').click()])
    assert.match(await page.locator('.notice').innerText(), 'Your password was changed')
    assert.is(await me(account.headers), 401, 'the token from before is ended')
    await Promise.all([page.waitForURL(/\/login$/), page.locator('header button', { hasText: 'Log out' }).click()])
    assert.equal(browser.problems, [])
  } finally {
    await browser.close()
  }
  assert.is((await signIn(account.email, NEW)).status, 200)
})

test('without a session it is a 401', async () => {
  const res = await fw.app.inject({ method: 'POST', url: '/v1/users/me/password', body: { currentPassword: OLD, newPassword: NEW } })
  assert.is(res.status, 401)
})

test.run()
