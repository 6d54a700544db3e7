// The example app as a user meets it: `npm start`, then a browser's and an API client's requests.
import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { fileURLToPath } from 'node:url'
import { test } from 'uvu'
import * as assert from 'uvu/assert'

const root = fileURLToPath(new URL('../..', import.meta.url))
let child: ChildProcess
let base = ''

test.before(async () => {
  // its own process group: npm and sh do not pass signals on, the group reaches the app itself
  child = spawn('npm', ['start'], { cwd: root, detached: true, env: { ...process.env, PORT: '0', NODE_ENV: 'development', LOG_LEVEL: 'info' }, stdio: ['ignore', 'pipe', 'pipe'] })
  let output = ''
  base = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`npm start did not listen within 30 s:\n${output}`)), 30_000)
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
})

test.after(async () => {
  if (child.exitCode === null && child.signalCode === null) {
    process.kill(-child.pid!, 'SIGKILL')
    await once(child, 'exit')
  }
})

test('npm start serves the JSON API: create, read, 422, 404', async () => {
  const made = await fetch(`${base}/v1/projects`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: ' Flood response ', priority: 8 }) })
  assert.is(made.status, 201)
  const project = (await made.json()) as { id: number; name: string }
  assert.equal(project, { id: project.id, name: 'Flood response', description: '', priority: 8 })
  assert.is(made.headers.get('location'), `/v1/projects/${project.id}`)
  const got = await fetch(`${base}/v1/projects/${project.id}`)
  assert.equal(await got.json(), project)
  const bad = await fetch(`${base}/v1/projects`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: '', priority: 99 }) })
  assert.is(bad.status, 422)
  assert.is(((await bad.json()) as { detail: unknown[] }).detail.length, 2)
  assert.is((await fetch(`${base}/v1/projects/99999`)).status, 404)
})

test('npm start serves the hypermedia site: pages, htmx fragments, local htmx', async () => {
  const home = await fetch(`${base}/`, { redirect: 'manual' })
  assert.is(home.status, 303)
  assert.is(home.headers.get('location'), '/v1/projects')
  const page = await fetch(`${base}/v1/projects`, { headers: { accept: 'text/html' } })
  const markup = await page.text()
  assert.match(markup, /<script src="\/static\/htmx.min.js" defer><\/script>/)
  assert.match(markup, /<form hx-post="\/v1\/projects"/)
  const row = await fetch(`${base}/v1/projects`, { method: 'POST', headers: { 'hx-request': 'true', 'content-type': 'application/x-www-form-urlencoded' }, body: 'name=Roads+%3Cnorth%3E&priority=3' })
  assert.is(row.status, 201)
  assert.match(await row.text(), /^<tr id="project-\d+"><td>\d+<\/td><td><a href="\/v1\/projects\/\d+">Roads &lt;north&gt;<\/a><\/td><td>3<\/td><\/tr>/)
  const invalid = await fetch(`${base}/v1/projects`, { method: 'POST', headers: { 'hx-request': 'true', 'content-type': 'application/x-www-form-urlencoded' }, body: 'name=&priority=3' })
  assert.is(invalid.status, 422)
  assert.match(await invalid.text(), /^<div class="trefoil-error" role="alert"/)
  const htmx = await fetch(`${base}/static/htmx.min.js`)
  assert.is(htmx.status, 200)
  assert.match(htmx.headers.get('content-type') ?? '', /javascript/)
  assert.ok(Number(htmx.headers.get('content-length')) > 10_000)
})

test('SIGTERM stops the app cleanly', async () => {
  const exited = once(child, 'exit')
  process.kill(-child.pid!, 'SIGTERM')
  const [code, signal] = (await exited) as [number | null, string | null]
  assert.ok(code === 0 || signal === 'SIGTERM', `exit ${code} ${signal}`)
})

test.run()
