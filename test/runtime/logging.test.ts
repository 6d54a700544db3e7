// The app's log as an operator reads it: every line arrives, whole and in order, shortly after it
// was logged, and the last lines before a crash or an exit are not lost, although lines are
// written in batches.
import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'

const dir = mkdtempSync(join(tmpdir(), 'trefoil-logging-'))
const runtime = new URL('../../runtime/src/logging.ts', import.meta.url).href

/** Runs `body` in a process of its own with a logger `log` writing to a file; returns its lines. */
async function logIn(body: string, wait?: (lines: () => Record<string, unknown>[]) => Promise<void>): Promise<{ lines: Record<string, unknown>[]; code: number | null }> {
  const file = join(dir, `${Math.random().toString(36).slice(2)}.log`)
  const script = join(dir, `${Math.random().toString(36).slice(2)}.mjs`)
  writeFileSync(script, `const { createLogger, requestLine } = await import(${JSON.stringify(runtime)})\nconst log = createLogger({ level: 'info' })\n${body}\n`)
  const child = spawn(process.execPath, ['--import', 'tsx', '--conditions=source', script], { env: { ...process.env, LOG_FILE: file, LOG_LEVEL: 'info' }, stdio: 'ignore' })
  const read = (): Record<string, unknown>[] => {
    try {
      return readFileSync(file, 'utf8').split('\n').filter(Boolean).map((line) => JSON.parse(line) as Record<string, unknown>)
    } catch {
      return []
    }
  }
  if (wait) await wait(read)
  const code = await new Promise<number | null>((done) => child.on('exit', (c) => done(c)))
  return { lines: read(), code }
}

test.after(() => rmSync(dir, { recursive: true, force: true }))

test('every line arrives whole and in order: many at once, text in any script, a line longer than a batch', async () => {
  const { lines } = await logIn(`
log.info({ name: 'Zoë ✓ 日本語' }, 'first')
for (let i = 0; i < 2000; i++) log.info({ i, pad: 'x'.repeat(100) }, 'request')
log.info({ big: 'é'.repeat(40000) }, 'big')
log.info('last')`)
  assert.is(lines.length, 2003)
  assert.is(lines[0]!.name, 'Zoë ✓ 日本語')
  assert.ok(lines.slice(1, 2001).every((line, i) => line.i === i), 'in order')
  assert.is((lines[2001]!.big as string).length, 40000)
  assert.is(lines[2002]!.msg, 'last')
})

test('a line logged on a quiet service is in the file within a fraction of a second, not held for a batch', async () => {
  // timed from when the line was logged (its own clock reading), not from the spawn: a loaded
  // machine may take seconds to start the process, which says nothing of the log's delay
  let seenAfter = Infinity
  await logIn(
    `log.info({ at: Date.now() }, 'alone'); setTimeout(() => process.exit(0), 4000)`,
    async (read) => {
      for (const until = Date.now() + 15_000; Date.now() < until; await new Promise((resolve) => setTimeout(resolve, 20))) {
        const line = read().find((entry) => entry.msg === 'alone')
        if (line) {
          seenAfter = Date.now() - (line.at as number)
          break
        }
      }
    },
  )
  assert.ok(seenAfter < 1500, `seen after ${seenAfter.toFixed(0)} ms`)
})

test('the lines just before a crash or process.exit() are written', async () => {
  const crashed = await logIn(`setTimeout(() => { log.info('before'); log.error('about to fail'); throw new Error('boom') }, 100)`)
  assert.is(crashed.code, 1)
  assert.equal(crashed.lines.map((line) => line.msg), ['before', 'about to fail'])
  const exited = await logIn(`setTimeout(() => { for (let i = 0; i < 50; i++) log.info({ i }, 'line'); process.exit(3) }, 100)`)
  assert.is(exited.code, 3)
  assert.is(exited.lines.length, 50)
})

test('the request line the runtime writes itself is the record pino writes: same keys in the same order, same values, escaped alike', async () => {
  const cases = [
    ['abc-1', 'GET', '/v1/projects/1', 'GET /v1/projects/:id', 200, 0.12],
    ['x', 'POST', '/v1/"quoted"\\back\u0001\u2028/Zoë/日本/\ud83d', undefined, 404, 12.5],
  ]
  const { lines } = await logIn(`
const cases = ${JSON.stringify(cases)}
const line = requestLine(log)
for (const [requestId, method, path, route, status, ms] of cases) {
  line(requestId, method, path, route ?? undefined, status, ms)
  log.info({ requestId, method, path, route: route ?? undefined, status, ms }, 'Request')
}
log.level = 'warn'
line('quiet', 'GET', '/', undefined, 200, 1)
const mixed = createLogger({ level: 'info', mixin: () => ({ app: 'fieldwork' }) })
requestLine(mixed)('m', 'GET', '/', 'GET /', 200, 1)`)
  assert.is(lines.length, 5, 'no line once the level is above info')
  for (let i = 0; i < 4; i += 2) {
    const [own, pinos] = [lines[i]!, lines[i + 1]!]
    assert.ok(Math.abs((own.time as number) - (pinos.time as number)) < 1000)
    assert.equal(Object.keys(own), Object.keys(pinos))
    assert.equal({ ...own, time: 0 }, { ...pinos, time: 0 })
  }
  assert.is(lines[2]!.path, cases[1]![2])
  assert.not.ok('route' in lines[2]!, 'no route: no key, as pino leaves out undefined')
  assert.is(lines[4]!.app, 'fieldwork', "a logger with pino options of its own writes the line through pino, mixin and all")
})

test.run()
