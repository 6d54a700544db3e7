// The example app as a user meets it: `npm start` (embedded PostgreSQL in a fresh DATA_DIR), then
// an API client's and a browser's requests over real HTTP, then SIGTERM.
import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { fileURLToPath } from 'node:url'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { tempDataDir } from './fixtures/fieldwork.js'

const root = fileURLToPath(new URL('../..', import.meta.url))
let child: ChildProcess
let base = ''
let removeDataDir: () => Promise<void> = async () => undefined
let dataDir = ''
// everything the app wrote to stdout and stderr
let output = ''
// the demo sign-ins `npm start` printed on its first start
let demo: { email: string; password: string; role: string }[] = []

test.before(async () => {
  const data = await tempDataDir()
  removeDataDir = data.remove
  dataDir = data.dir
  const env: Record<string, string | undefined> = { ...process.env, PORT: '0', NODE_ENV: 'development', LOG_LEVEL: 'info', DATA_DIR: data.dir }
  for (const key of ['DATABASE_URL', 'DB_HOST', 'SECRET_KEY']) delete env[key]
  const started = performance.now()
  // its own process group: npm and sh do not pass signals on, the group reaches the app itself
  child = spawn('npm', ['start'], { cwd: root, detached: true, env, stdio: ['ignore', 'pipe', 'pipe'] })
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk))
  base = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`npm start did not listen within 60 s:\n${output}`)), 60_000)
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk
      const url = /"url":"(http:[^"]+)".*"msg":"Listening"/.exec(output)?.[1]
      if (url) {
        clearTimeout(timer)
        resolve(url)
      }
    })
    child.once('exit', (code) => reject(new Error(`npm start exited with ${code}:\n${output}`)))
  })
  assert.match(output, /SECRET_KEY is not set/, 'the development key is announced')
  // a block to read on the console, one account a line; the log record names no password
  demo = [...output.matchAll(/^ {4}(\S+@example\.org) +(\S+) {2}(.+)$/gm)].map(([, email, password, role]) => ({ email: email!, password: password!, role: role! }))
  assert.is(demo.length, 4, `the demo sign-ins are printed as a block:\n${output}`)
  assert.match(output, 'Demo accounts (passwords shown this once; `npm run demo:reset` makes new ones):')
  const record = output.split('\n').find((line) => line.includes('"demoAccounts"'))!
  for (const account of demo) assert.not.match(record, account.password, 'no password in the log record')
  const health = await fetch(`${base}/health/ready`)
  assert.is(health.status, 200)
  console.log(`npm start answered its first request ${Math.round(performance.now() - started)} ms after the spawn (empty data folder)`)
})

test.after(async () => {
  if (child.exitCode === null && child.signalCode === null) {
    process.kill(-child.pid!, 'SIGKILL')
    await once(child, 'exit')
  }
  await removeDataDir()
})

async function post(path: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${base}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) })
}

test('the example needs no Koa middleware: its security headers, sign-in redirect, id checks and logs are hooks, so its answers take the core path the benchmark measures', () => {
  const line = output.split('\n').find((entry) => entry.includes('"msg":"Started"'))
  assert.ok(line, `a start-up line says which path answers take:\n${output}`)
  const started = JSON.parse(line!) as { path: string; middleware: string[]; hooks: { onRequest: number; onSend: number }; routes: number }
  assert.equal(started.middleware, [])
  assert.is(started.path, 'core')
  assert.ok(started.hooks.onSend >= 1, 'security() adds its headers as an onSend hook')
  assert.ok(started.hooks.onRequest >= 2, 'the id check and the session hint are onRequest hooks')
  assert.ok(started.routes > 20, `${started.routes} routes`)
})

test('npm start serves the JSON API: sign up, token, the demo admin creates, reads, splits, locks, submits; 401, 403, 422, 404', async () => {
  assert.is((await fetch(`${base}/v1/projects`)).status, 401)
  assert.is((await post('/v1/users', { email: 'ann@example.org', name: 'Ann', password: 'correct horse' })).status, 201)
  const tokenOf = async (email: string, password: string) => ((await (await post('/v1/auth/tokens', { email, password })).json()) as { access_token: string }).access_token
  const ann = { authorization: `Bearer ${await tokenOf('ann@example.org', 'correct horse')}` }
  const area = { type: 'Polygon', coordinates: [[[39.27, -6.82], [39.29, -6.82], [39.29, -6.8], [39.27, -6.8], [39.27, -6.82]]] }
  assert.is((await post('/v1/projects', { name: 'Not an admin', area }, ann)).status, 403, 'only an organisation admin creates projects')
  const admin = demo.find((account) => account.role === 'org admin')!
  const auth = { authorization: `Bearer ${await tokenOf(admin.email, admin.password)}` }
  const made = await post('/v1/projects', { name: ' Flood response ', priority: 8, area }, auth)
  assert.is(made.status, 201)
  const project = (await made.json()) as { id: number; name: string }
  assert.is(project.name, 'Flood response')
  const got = await fetch(`${base}/v1/projects/${project.id}`, { headers: auth })
  assert.equal(await got.json(), project)
  const split = await post(`/v1/projects/${project.id}/tasks`, { cellMetres: 1000 }, auth)
  assert.is(split.status, 201)
  const tasks = (await split.json()) as { id: number }[]
  assert.ok(tasks.length >= 4, `${tasks.length} tasks`)
  const locked = await post(`/v1/projects/${project.id}/tasks/${tasks[0]!.id}/events`, { event: 'map' }, auth)
  assert.is(((await locked.json()) as { status: string }).status, 'locked_for_mapping')
  const submission = new FormData()
  submission.append('submission_xml', '<data/>')
  const png = Buffer.from('89504e470d0a1a0a0000000d4948445200000001000000010806000000', 'hex')
  submission.append('attachments', new Blob([png], { type: 'image/png' }), 'photo.png')
  const sent = await fetch(`${base}/v1/projects/${project.id}/tasks/${tasks[0]!.id}/submissions`, { method: 'POST', headers: auth, body: submission })
  assert.is(sent.status, 201, await sent.clone().text())
  assert.is(((await sent.json()) as { attachments: { mediaType: string }[] }).attachments[0]!.mediaType, 'image/png')
  const csv = await fetch(`${base}/v1/projects/${project.id}/submissions.csv`, { headers: auth })
  assert.is(csv.status, 200)
  assert.is((await csv.text()).split('\r\n').length, 3, 'a header, one submission, the final line end')
  const bad = await post('/v1/projects', { name: '', priority: 99 }, auth)
  assert.is(bad.status, 422)
  assert.is(((await bad.json()) as { detail: unknown[] }).detail.length, 2)
  assert.is((await fetch(`${base}/v1/projects/99999`, { headers: auth })).status, 404)
})

test('no published key signs tokens: an admin token forged with the old development default is a 401; the same claims signed with the key made in DATA_DIR pass', async () => {
  const { SignJWT } = await import('jose')
  const { readFile, stat } = await import('node:fs/promises')
  // the demo admin is the first account made
  const token = (key: string) => new SignJWT({ name: 'Ada Admin', ver: 0 }).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).setSubject('1').setAudience('fieldwork').setIssuedAt().setExpirationTime('1h').sign(new TextEncoder().encode(key))
  const forged = await token('development-only-key-of-the-fieldwork-example-never-use-in-production')
  assert.is((await fetch(`${base}/v1/users/me`, { headers: { authorization: `Bearer ${forged}` } })).status, 401)
  const file = `${dataDir}/secret-key`
  assert.is((await stat(file)).mode & 0o777, 0o600)
  const made = await token((await readFile(file, 'utf8')).trim())
  const me = await fetch(`${base}/v1/users/me`, { headers: { authorization: `Bearer ${made}` } })
  assert.is(me.status, 200)
  assert.is(((await me.json()) as { isAdmin: boolean }).isAdmin, true)
})

test('npm start serves the hypermedia site: sign-in redirect, pages, local htmx and script', async () => {
  const home = await fetch(`${base}/`, { redirect: 'manual' })
  assert.is(home.status, 303)
  assert.is(home.headers.get('location'), '/v1/projects')
  const page = await fetch(`${base}/v1/projects`, { headers: { accept: 'text/html' }, redirect: 'manual' })
  assert.is(page.status, 303, 'a browser asking for a page it may not see is sent to sign in')
  assert.is(page.headers.get('location'), '/login?next=%2Fv1%2Fprojects')
  const login = await fetch(`${base}/login`, { headers: { accept: 'text/html' } })
  const markup = await login.text()
  assert.match(markup, '<script src="/static/htmx.min.js" defer></script>')
  assert.match(markup, '<form id="login" hx-post="/v1/auth/sessions"')
  assert.match(login.headers.get('content-security-policy') ?? '', "script-src 'self'")
  for (const script of ['/static/htmx.min.js', '/static/app.js']) {
    const res = await fetch(`${base}${script}`)
    assert.is(res.status, 200)
    assert.match(res.headers.get('content-type') ?? '', /javascript/)
  }
  const docs = await fetch(`${base}/docs`)
  assert.is(docs.status, 200)
})

test('with NODE_ENV=production the development SECRET_KEY is refused at start-up', async () => {
  const data = await tempDataDir()
  const env: Record<string, string | undefined> = { ...process.env, NODE_ENV: 'production', DATA_DIR: data.dir, PORT: '0' }
  delete env.SECRET_KEY
  const app = spawn(process.execPath, ['--import', 'tsx', '--conditions=source', 'src/main.ts'], { cwd: `${root}examples/fieldwork`, env, stdio: ['ignore', 'pipe', 'pipe'] })
  let stderr = ''
  app.stderr!.on('data', (chunk: Buffer) => (stderr += chunk))
  const [code] = (await once(app, 'exit')) as [number | null]
  await data.remove()
  assert.is.not(code, 0)
  assert.match(stderr, 'Invalid settings: SECRET_KEY: Set a secret of your own: a generated development key is refused when NODE_ENV is production')
})

test('Ctrl-C (SIGINT to the terminal’s whole process group) stops the app and its database cleanly: no error dump', async () => {
  const exited = once(child, 'exit')
  const before = output.length
  process.kill(-child.pid!, 'SIGINT')
  const [code, signal] = (await exited) as [number | null, string | null]
  // npm waits for the app (its start script execs node) and exits with its 0, not 130 before the app has stopped
  assert.is(code, 0, `exit ${code} ${signal}`)
  const after = output.slice(before)
  assert.not.match(after, 'Database connection error', after)
  assert.not.match(after, /"level":(40|50|60)/, `nothing logged above info:\n${after}`)
  const { execFileSync } = await import('node:child_process')
  const left = execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' }).split('\n').filter((line) => line.includes(dataDir) && line.includes('postgres'))
  assert.equal(left, [], 'the embedded PostgreSQL stopped too')
})

test.run()
