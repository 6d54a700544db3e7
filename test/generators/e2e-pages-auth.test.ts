// Pages and sign-in together, end to end: the real `yo` writes a service with `--pages --auth`
// (its first unit needing a signed-in user) and a unit with pages that needs the role editor;
// `npm install`, `tsc --noEmit` and the service's own `npm test` pass as written — its access
// tests (a signed-out browser sent to the sign-in page, a member shown the 403 page), its
// sign-up page tests, and its browser tests in Debian's Chromium (making an account on the
// sign-up page, signing in on the sign-in page, the forms posting with the CSRF token, signing
// out), none skipped.
// Screenshots are kept under test/artifacts/generated-pages-auth/ (gitignored). Takes minutes.
import { existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { ok, repo, start, workspace } from './real.js'

const space = workspace('trefoil-pages-auth-')
const service = join(space.work, 'signed-pages')
const SCREENSHOTS = join(repo, 'test', 'artifacts', 'generated-pages-auth')

test.after(() => space.done())

test('yo trefoil --pages --auth, then a unit with pages needing the role editor', async () => {
  await space.prepare()
  ok(await space.yo(['trefoil', 'signed-pages', '--yes', '--skip-install', '--no-git', '--pages', '--auth'], space.work), 'yo trefoil --pages --auth')
  const unit = await space.yo(['trefoil:unit', 'report', '--role', 'editor', '--fields', 'title:string, score:integer?, checked:boolean'], service)
  ok(unit, 'yo trefoil:unit report --role editor')
  assert.match(unit.output, /Unit "reports" added: \/v1\/reports, listed in src\/main\.ts\. Its routes need a signed-in user holding editor or a higher role\./)
  for (const file of ['src/auth/pages.ts', 'views/sign-in.ejs', 'views/sign-up.ejs', 'tests/sign-up-pages.test.ts', 'tests/tasks-access.test.ts', 'tests/reports-access.test.ts', 'tests/reports-browser.test.ts', 'tests/reports-pages.test.ts']) assert.ok(existsSync(join(service, file)), file)
})

test('npm install, then tsc --noEmit passes', async () => {
  ok(await space.run('npm install', 'npm', ['install', '--no-audit', '--no-fund', '--prefer-offline'], { cwd: service, timeoutMs: 300_000 }), 'npm install')
  ok(await space.run('tsc --noEmit', process.execPath, [join(service, 'node_modules', 'typescript', 'bin', 'tsc'), '--noEmit'], { cwd: service }), 'tsc --noEmit')
})

test("the service's own npm test passes: access, page and browser tests sign up and sign in, none skipped", async () => {
  rmSync(SCREENSHOTS, { recursive: true, force: true })
  mkdirSync(SCREENSHOTS, { recursive: true })
  const ran = await space.run('npm test', 'npm', ['test'], { cwd: service, env: { SCREENSHOTS_DIR: SCREENSHOTS }, timeoutMs: 600_000 })
  ok(ran, 'npm test')
  console.log(ran.output.split('\n').filter((line) => /^ℹ (tests|pass|fail|skipped|duration)/.test(line)).join('\n'))
  // sign-in 14, sign-up pages 6, the site 3; tasks 35 and reports 37: each unit's three layers
  // (13), access (7; reports, needing a role, 9), pages (6) and browser (9)
  assert.match(ran.output, /ℹ pass 95\n/)
  assert.match(ran.output, /ℹ fail 0\n/)
  assert.match(ran.output, /ℹ skipped 0\n/)
  for (const name of ['a browser asking for a page is sent to the sign-in page', 'signed in as member, a browser gets the 403 page', 'comes back to the list, which names the account', 'the sign-out button ends the session', 'the account made there is signed in and back at the list, refused as member', 'a taken email is a 409 the form shows']) assert.ok(ran.output.includes(name), name)
  const shots = readdirSync(SCREENSHOTS).sort()
  for (const page of ['signed-up', 'signed-in', 'new-refused', 'detail', 'edit', 'list']) assert.ok(shots.includes(`reports-${page}.png`), `reports-${page}.png in ${shots.join(', ')}`)
  // the first unit: a new account may use it
  for (const page of ['signed-up', 'signed-in', 'detail']) assert.ok(shots.includes(`tasks-${page}.png`), `tasks-${page}.png in ${shots.join(', ')}`)
})

test('npm start: a signed-out browser asking for the reports or the tasks is sent to the sign-in page, which loads, as does the sign-up page; the home page offers to sign in', async () => {
  const { base, stop } = await start(space, service)
  try {
    const browser = { accept: 'text/html' }
    const sent = await fetch(`${base}/v1/reports`, { headers: browser, redirect: 'manual' })
    assert.is(sent.status, 303)
    assert.is(sent.headers.get('location'), '/sign-in?next=%2Fv1%2Freports')
    const signIn = await fetch(`${base}/sign-in?next=%2Fv1%2Freports`, { headers: browser })
    assert.is(signIn.status, 200)
    assert.match(await signIn.text(), /<form id="sign-in"/)
    // the first unit needs a signed-in user too, and the sign-up page loads
    const tasks = await fetch(`${base}/v1/tasks`, { headers: browser, redirect: 'manual' })
    assert.is(tasks.status, 303)
    assert.is(tasks.headers.get('location'), '/sign-in?next=%2Fv1%2Ftasks')
    const signUp = await fetch(`${base}/sign-up?next=%2Fv1%2Ftasks`, { headers: browser })
    assert.is(signUp.status, 200)
    assert.match(await signUp.text(), /<form id="sign-up"/)
    const home = await fetch(`${base}/`, { headers: browser })
    assert.match(await home.text(), /<a id="sign-in-link" href="\/sign-in">Sign in<\/a>/)
    const api = await fetch(`${base}/v1/reports`)
    assert.is(api.status, 401)
  } finally {
    await stop()
  }
})

test.run()
