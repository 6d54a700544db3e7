// `npm start` as a person runs it: in a terminal. Every other test pipes stdout, where logs stay
// JSON lines; here util-linux `script` gives the app a pseudo-terminal, so the readable logs
// (pino-pretty), the demo-accounts block and Ctrl-C (a real ^C typed into the terminal: SIGINT to
// its whole foreground group, npm, sh and the app) are what a person sees. Then the real
// `npm run demo:reset` on the same data folder, and the app again to sign in with what it printed.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { stripVTControlCharacters } from 'node:util'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { tempDataDir } from './fixtures/fieldwork.js'

const root = fileURLToPath(new URL('../..', import.meta.url))
const SCRIPT = '/usr/bin/script' // util-linux (bsdutils on Debian)
const DEMO_LINE = /^ {4}(\S+@example\.org) +(\S+) {2}(.+)$/gm

let data: Awaited<ReturnType<typeof tempDataDir>>
let child: ChildProcess
// what the terminal showed, colours and carriage returns taken out
let screen = ''
let base = ''
let firstPasswords = new Map<string, string>()

/** A terminal's environment: a person's shell, not the test runner's (which turns colours off). */
function terminalEnv(): Record<string, string | undefined> {
  const env: Record<string, string | undefined> = { ...process.env, NODE_ENV: 'development', PORT: '0', LOG_LEVEL: 'info', DATA_DIR: data.dir, TERM: 'xterm-256color' }
  for (const key of ['DATABASE_URL', 'DB_HOST', 'SECRET_KEY', 'NO_COLOR', 'FORCE_COLOR', 'CI']) delete env[key]
  return env
}

/**
 * Runs `command` (a shell line, from the repo's root) in a pseudo-terminal; its own process group.
 * `script` runs it through `$SHELL -c`; `exec` makes the command the terminal's foreground process,
 * as a person's interactive shell does. Without it a shell that does not exec a lone command (dash,
 * the `/bin/sh` used when SHELL is unset) stays in the foreground group and dies of the Ctrl-C,
 * which a person's shell never does.
 */
function inTerminal(command: string): ChildProcess {
  // -q no banner, -f flush at once, -e exit with the command's code, -c the command; no typescript file
  return spawn(SCRIPT, ['-qfec', `exec ${command}`, '/dev/null'], { cwd: root, detached: true, env: terminalEnv(), stdio: ['pipe', 'pipe', 'pipe'] })
}

function readable(raw: string): string {
  return stripVTControlCharacters(raw).replaceAll('\r', '')
}

function demoAccounts(text: string): Map<string, string> {
  return new Map([...text.matchAll(DEMO_LINE)].map(([, email, password]) => [email!, password!]))
}

test.before(async () => {
  assert.ok(existsSync(SCRIPT), 'util-linux `script` is installed (apt-get install bsdutils)')
  data = await tempDataDir()
  child = inTerminal('npm start')
  let raw = ''
  base = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`npm start did not listen within 60 s:\n${readable(raw)}`)), 60_000)
    child.stdout!.on('data', (chunk: Buffer) => {
      raw += chunk
      screen = readable(raw)
      const url = /INFO: Listening\n\s+url: "(http:[^"]+)"/.exec(screen)?.[1]
      if (url) {
        clearTimeout(timer)
        resolve(url)
      }
    })
    child.stderr!.on('data', (chunk: Buffer) => (raw += chunk))
    child.once('exit', (code) => reject(new Error(`npm start exited with ${code}:\n${readable(raw)}`)))
  })
})

test.after(async () => {
  if (child && child.exitCode === null && child.signalCode === null) {
    process.kill(-child.pid!, 'SIGKILL')
    await once(child, 'exit')
  }
  await data?.remove()
})

test('on a terminal the logs read as lines (time, level, message), not JSON records, and the demo accounts as a block', async () => {
  const lines = screen.split('\n')
  assert.ok(lines.some((line) => /^\[\d\d:\d\d:\d\d\] WARN: SECRET_KEY is not set/.test(line)), `a readable warning:\n${screen}`)
  assert.ok(lines.some((line) => /^\[\d\d:\d\d:\d\d\] INFO: Listening$/.test(line)), 'a readable start-up line')
  assert.ok(lines.some((line) => /^\s+url: "http:\/\/127\.0\.0\.1:\d+"$/.test(line)), 'its fields below it, one a line')
  assert.equal(lines.filter((line) => line.trimStart().startsWith('{"')), [], 'no JSON record on the terminal')
  assert.not.match(screen, /"level":\d+/)
  assert.match(screen, '\n  Demo accounts (passwords shown this once; `npm run demo:reset` makes new ones):\n\n')
  firstPasswords = demoAccounts(screen)
  assert.equal([...firstPasswords.keys()], ['admin@example.org', 'manager@example.org', 'validator@example.org', 'mapper@example.org'])
  assert.match(screen, /^ {4}admin@example\.org {6}\S{12} {2}org admin$/m, 'one account a line, in columns')
  assert.match(screen, /^ {4}manager@example\.org {4}\S{12} {2}project manager$/m)
  assert.not.match(screen, 'Sign in at http://127.0.0.1:8000', 'PORT=0 takes a free port: the block names no address it does not know')
  // a password is shown in the block only, never in a log line
  for (const password of firstPasswords.values()) assert.is(screen.split(password).length, 2, 'each password once')
  const health = await fetch(`${base}/health/ready`)
  assert.is(health.status, 200)
  const signIn = await fetch(`${base}/v1/auth/tokens`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'admin@example.org', password: firstPasswords.get('admin@example.org') }) })
  assert.is(signIn.status, 200, 'the printed password signs in')
})

test('Ctrl-C in the terminal stops the app and its database cleanly: npm start exits 0, after the app stopped, with no error dump', async () => {
  const before = screen.length
  const exited = once(child, 'exit')
  child.stdin!.write('\x03') // the terminal turns it into SIGINT for npm, sh and the app at once
  const [code, signal] = (await exited) as [number | null, string | null]
  const after = screen.slice(before)
  assert.is(signal, null)
  assert.is(code, 0, `npm start's exit status after Ctrl-C:\n${after}`)
  // the terminal echoes the keystroke as ^C before the app's first line
  assert.match(after, /^(\^C)?\[\d\d:\d\d:\d\d\] INFO: Stopping: readiness answers 503/m)
  assert.match(after, /^\[\d\d:\d\d:\d\d\] INFO: Stopped$/m, 'the prompt comes back once the app has stopped, not before')
  assert.not.match(after, 'Database connection error', after)
  assert.not.match(after, /\b(WARN|ERROR|FATAL):/, `nothing logged above info:\n${after}`)
  assert.not.match(after, /^\s+at .+:\d+:\d+\)?$/m, 'no stack trace')
  assert.not.match(after, /npm (ERR|error)/, 'npm reports no failure')
  const left = execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' }).split('\n').filter((line) => line.includes(data.dir) && line.includes('postgres'))
  assert.equal(left, [], 'the embedded PostgreSQL stopped too')
})

test('npm run demo:reset (run for real, on the stopped app’s data folder) prints new passwords as a block; the old ones stop signing in, the new ones work', async () => {
  const reset = inTerminal('npm run demo:reset')
  let raw = ''
  reset.stdout!.on('data', (chunk: Buffer) => (raw += chunk))
  reset.stderr!.on('data', (chunk: Buffer) => (raw += chunk))
  const timer = setTimeout(() => process.kill(-reset.pid!, 'SIGKILL'), 90_000)
  const [code] = (await once(reset, 'exit')) as [number | null]
  clearTimeout(timer)
  const printed = readable(raw)
  assert.is(code, 0, printed)
  assert.match(printed, '\n  Demo accounts (passwords shown this once; `npm run demo:reset` makes new ones):\n\n')
  const fresh = demoAccounts(printed)
  assert.equal([...fresh.keys()], [...firstPasswords.keys()], `the four accounts:\n${printed}`)
  for (const [email, password] of fresh) assert.is.not(password, firstPasswords.get(email), `${email} has a new password`)
  assert.not.match(printed, /\b(ERROR|FATAL):|npm (ERR|error)/, printed)

  // the app on that data folder again (in this process: NODE_ENV test, nothing seeded or printed)
  Object.assign(process.env, { DATA_DIR: data.dir, NODE_ENV: 'test', SECRET_KEY: 'a-test-secret-for-the-fieldwork-example-app' })
  for (const key of ['DATABASE_URL', 'DB_HOST']) delete process.env[key]
  const { app } = await import('../../examples/fieldwork/src/main.js')
  await app.start()
  try {
    for (const [email, password] of fresh) {
      const stale = await app.inject({ method: 'POST', url: '/v1/auth/tokens', body: { email, password: firstPasswords.get(email) } })
      assert.is(stale.status, 401, `${email}: the old password no longer signs in`)
      const signedIn = await app.inject({ method: 'POST', url: '/v1/auth/tokens', body: { email, password } })
      assert.is(signedIn.status, 200, `${email}: the new one does`)
    }
  } finally {
    await app.close()
  }
})

test.run()
