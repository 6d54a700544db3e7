// The generator as a newcomer meets it, end to end: the real `yo` CLI writes a service into a
// temp folder, adds two units with --fields; then `npm install`, `tsc --noEmit`, the service's
// own `npm test`, `npm start` answering POST / GET over HTTP; a repeated unit run changes nothing.
// Takes a few minutes (it installs a fresh service from the npm cache); prints its timings.
import { spawn } from 'node:child_process'
import { chmodSync, mkdirSync, mkdtempSync, rmSync, statSync, symlinkSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { filesOf, snapshot } from './generate.js'

const repo = fileURLToPath(new URL('../..', import.meta.url))
const root = mkdtempSync(join(tmpdir(), 'trefoil-e2e-'))
const home = join(root, 'home')
const generators = join(root, 'generators')
const work = join(root, 'work')
const service = join(work, 'field-notes')
const timings: Record<string, number> = {}

// yo run as root drops to uid 1000: the folders it writes to must be writable by anyone, and
// PostgreSQL (run as `postgres`) must reach the service's data folder
for (const dir of [root, home, generators, work]) {
  mkdirSync(dir, { recursive: true })
  chmodSync(dir, 0o777)
}
// yo finds generator-trefoil on NODE_PATH, as it would after `npm link`, without touching globals
symlinkSync(repo, join(generators, 'generator-trefoil'))

// the service gets its database from its own settings, never from this process's environment
const env: Record<string, string | undefined> = { ...process.env, NO_UPDATE_NOTIFIER: '1', npm_config_update_notifier: 'false', FORCE_COLOR: '0' }
for (const key of ['DATABASE_URL', 'DB_HOST', 'DB_PORT', 'DB_USER', 'DB_PASSWORD', 'DB_NAME', 'DB_POOL_SIZE', 'NODE_OPTIONS']) delete env[key]
// `npm test` hands its own settings down (`npm_config_cache=/root/.npm`, …): yo, run as another
// user, must use the npm of its own HOME
for (const key of Object.keys(env)) if (key.toLowerCase().startsWith('npm_')) delete env[key]

interface Ran {
  code: number | null
  output: string
}

/** Runs a command (stdin from /dev/null), bounded in time; records how long it took under `label`. */
function run(label: string, command: string, args: string[], options: { cwd: string; env?: Record<string, string | undefined>; timeoutMs?: number }): Promise<Ran> {
  const started = performance.now()
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd: options.cwd, env: { ...env, ...options.env }, stdio: ['ignore', 'pipe', 'pipe'], detached: true })
    let output = ''
    child.stdout.on('data', (chunk: Buffer) => (output += chunk))
    child.stderr.on('data', (chunk: Buffer) => (output += chunk))
    const timer = setTimeout(() => {
      output += `\nStopped after ${(options.timeoutMs ?? 240_000) / 1000} s`
      process.kill(-child.pid!, 'SIGKILL')
    }, options.timeoutMs ?? 240_000)
    // a command that cannot start (a folder an earlier step failed to write): a failed step, not a crash
    child.on('error', (error) => {
      clearTimeout(timer)
      resolve({ code: -1, output: `${output}\nCannot run ${command}: ${error.message}` })
    })
    child.on('close', (code) => {
      clearTimeout(timer)
      timings[label] = (timings[label] ?? 0) + (performance.now() - started) / 1000
      resolve({ code, output })
    })
  })
}

function yo(args: string[], cwd: string): Promise<Ran> {
  const cli = join(repo, 'node_modules', 'yo', 'lib', 'cli.js')
  return run(args[0]!.startsWith('trefoil:unit') ? 'yo trefoil:unit' : 'yo trefoil', process.execPath, [cli, ...args], { cwd, env: { HOME: home, NODE_PATH: generators } })
}

function ok(ran: Ran, what: string): void {
  assert.is(ran.code, 0, `${what} failed:\n${ran.output.slice(-4000)}`)
}

const UNITS = [
  ['task-event', 'title:string, done:boolean, priority:integer?, kind:incident|survey'],
  ['site', 'name:string, lat:number, lon:number, visited:date?'],
] as const

test.after(() => {
  console.log(`timings (s): ${Object.entries(timings).map(([label, s]) => `${label} ${s.toFixed(1)}`).join(', ')}`)
  rmSync(root, { recursive: true, force: true })
})

/** The first folder above the repository that a user other than its owner cannot enter, if any. */
/**
 * yo drops to uid 1000, which must reach the repo: where a folder above it is closed to others
 * (a clone made inside a `mktemp -d` folder, mode 700), let others pass through it (search only,
 * never read) for the length of this file; the modes are put back afterwards.
 */
function openPathToRepo(): () => void {
  const changed: [string, number][] = []
  for (let dir = repo; dir !== dirname(dir); dir = dirname(dir)) {
    const mode = statSync(dir).mode & 0o7777
    // yo changes its uid but keeps gid 0 (no SUDO_GID): root's group bits apply to it as well
    const needed = dir === repo ? 0o055 : 0o011
    if ((mode & needed) !== needed) {
      chmodSync(dir, mode | needed)
      changed.push([dir, mode])
    }
  }
  return () => {
    for (const [dir, mode] of changed) chmodSync(dir, mode)
  }
}
const restoreModes = process.getuid?.() === 0 ? openPathToRepo() : () => undefined
test.after(() => restoreModes())

test('yo trefoil writes a service, and yo trefoil:unit adds two units with --fields', async () => {
  // yo loads the compiled generators: compile them from the sources under test, as `prepare` does
  ok(await run('compile generators', process.execPath, [join(repo, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(repo, 'generators', 'tsconfig.json')], { cwd: repo }), 'compiling the generators')
  ok(await yo(['trefoil', 'field-notes', '--yes', '--skip-install'], work), 'yo trefoil')
  for (const [name, fields] of UNITS) ok(await yo(['trefoil:unit', name, '--fields', fields], service), `yo trefoil:unit ${name}`)
  const files = filesOf(service)
  for (const file of ['package.json', 'src/main.ts', 'src/task-events/routes.ts', 'src/sites/schemas.ts', 'tests/sites.test.ts', 'src/db/migrations/003_sites.sql', 'vendor/trefoil-0.1.0.tgz']) assert.ok(files.includes(file), file)
})

test('npm install, then tsc --noEmit passes', async () => {
  // as the user running the tests, with their npm cache
  ok(await run('npm install', 'npm', ['install', '--no-audit', '--no-fund', '--prefer-offline'], { cwd: service, timeoutMs: 300_000 }), 'npm install')
  ok(await run('tsc --noEmit', process.execPath, [join(service, 'node_modules', 'typescript', 'bin', 'tsc'), '--noEmit'], { cwd: service }), 'tsc --noEmit')
})

test("the service's own npm test is green and says so", async () => {
  const ran = await run('npm test', 'npm', ['test'], { cwd: service })
  ok(ran, 'npm test')
  assert.match(ran.output, /ℹ pass 27\n/)
  assert.match(ran.output, /ℹ fail 0\n/)
})

test('npm start serves POST and GET /v1/<plural> over HTTP', async () => {
  const child = spawn('npm', ['start'], { cwd: service, env: { ...env, PORT: '0', NODE_ENV: 'development', LOG_LEVEL: 'info' }, stdio: ['ignore', 'pipe', 'pipe'], detached: true })
  let output = ''
  try {
    const base = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`npm start did not listen within 60 s:\n${output}`)), 60_000)
      const read = (chunk: Buffer): void => {
        output += chunk
        const url = /"url":"(http:[^"]+)".*"msg":"Listening"/.exec(output)?.[1]
        if (url) {
          clearTimeout(timer)
          resolve(url)
        }
      }
      child.stdout.on('data', read)
      child.stderr.on('data', read)
      child.once('exit', (code) => reject(new Error(`npm start exited with ${code}:\n${output}`)))
    })
    const made = await fetch(`${base}/v1/task-events`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ title: ' Flooded road ', done: false, kind: 'incident' }) })
    assert.is(made.status, 201)
    const row = (await made.json()) as { id: number }
    assert.equal(row, { id: row.id, title: 'Flooded road', done: false, priority: null, kind: 'incident' })
    const list = await fetch(`${base}/v1/task-events`)
    assert.is(list.status, 200)
    assert.equal(((await list.json()) as { id: number }[])[0], row)
    const site = await fetch(`${base}/v1/sites`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'Bridge', lat: 1.5 }) })
    assert.is(site.status, 422)
    assert.equal(((await site.json()) as { detail: { loc: string[] }[] }).detail.map((issue) => issue.loc.join('.')), ['body.lon'])
    assert.is((await fetch(`${base}/docs`)).status, 200)
  } finally {
    const exited = new Promise((resolve) => child.once('exit', resolve))
    process.kill(-child.pid!, 'SIGTERM') // the app closes the embedded PostgreSQL on SIGTERM
    await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 15_000))])
    try {
      process.kill(-child.pid!, 'SIGKILL')
    } catch {
      // the group is gone already
    }
  }
})

test('yo trefoil:unit again with the same name and fields changes nothing', async () => {
  // the installed packages and the database's files are not the generator's
  const sources = (): Record<string, string> => snapshot(service, ['node_modules', '.trefoil'])
  const before = sources()
  const [name, fields] = UNITS[0]
  const ran = await yo(['trefoil:unit', name, '--fields', fields], service)
  ok(ran, 'the second yo trefoil:unit')
  assert.match(ran.output, /Unit "task-events" is already there as this command writes it: nothing changed/)
  assert.equal(sources(), before)
})

test.run()
