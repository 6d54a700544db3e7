// Cold start of the example as a person meets it: `npm start` in examples/fieldwork to the first
// answer of GET /health, on a fresh data folder (the embedded PostgreSQL cluster is created,
// migrations run, demo accounts are made) and then again on the same folder. Each line the app
// logs on the way is shown with its time since spawn, so the report says where the time goes.
// With --generated, the same for a service `yo trefoil` writes (installed from its packed runtime,
// as a user gets it), its embedded database in a fresh folder.
//
//   node --import tsx --conditions=source bench/cold-start.ts [--runs 3] [--generated]
import { spawn } from 'node:child_process'
import { chmodSync, mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { ok, workspace } from '../test/generators/real.js'
import { median, ROOT } from './harness.js'

const { values: args } = parseArgs({ options: { runs: { type: 'string', default: '3' }, generated: { type: 'boolean', default: false } } })
const RUNS = Number(args.runs)

/** What is started: its folder, the command `npm start` runs (without npm's own start-up, about 0.3 s for every app) and how it is given its data folder. */
interface Target {
  name: string
  cwd: string
  args: string[]
  env(dataDir: string): Record<string, string>
}

const example: Target = {
  name: 'the example',
  cwd: join(ROOT, 'examples/fieldwork'),
  args: ['--import', 'tsx', '--conditions=source', 'src/main.ts'],
  env: (dataDir) => ({ DATA_DIR: dataDir }),
}

/** A service written by the real `yo trefoil` with one more unit, installed: what a user starts. */
async function generatedService(): Promise<{ target: Target; cleanup: () => void }> {
  const space = workspace('trefoil-cold-gen-')
  await space.prepare()
  ok(await space.yo(['trefoil', 'field-notes', '--yes', '--skip-install'], space.work), 'yo trefoil')
  const cwd = join(space.work, 'field-notes')
  ok(await space.yo(['trefoil:unit', 'site', '--fields', 'name:string,notes?:string'], cwd), 'yo trefoil:unit site')
  ok(await space.run('npm install', 'npm', ['install', '--no-audit', '--no-fund', '--prefer-offline'], { cwd, timeoutMs: 300_000 }), 'npm install')
  const target: Target = { name: 'a generated service', cwd, args: ['--import', 'tsx', 'src/main.ts'], env: (dataDir) => ({ ...stringsOf(space.env), EMBEDDED_DB_DIR: join(dataDir, 'pgdata') }) }
  return { target, cleanup: () => space.done() }
}

function stringsOf(env: Record<string, string | undefined>): Record<string, string> {
  return Object.fromEntries(Object.entries(env).filter((entry): entry is [string, string] => entry[1] !== undefined))
}

/** A port nobody listens on. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number }
      server.close(() => resolve(port))
    })
  })
}

/** One timed log line: milliseconds since spawn and what the app said. */
interface Mark {
  ms: number
  line: string
}

/** Starts the target as `npm start` does, waits for GET /health → 200, stops it; returns the time and the log marks. */
async function startOnce(target: Target, dataDir: string): Promise<{ ms: number; marks: Mark[] }> {
  const port = await freePort()
  const started = performance.now()
  const child = spawn(process.execPath, target.args, {
    cwd: target.cwd,
    env: { ...process.env, ...target.env(dataDir), PORT: String(port), HOST: '127.0.0.1', NODE_ENV: 'development', LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const marks: Mark[] = []
  let pending = ''
  const collect = (chunk: Buffer): void => {
    pending += chunk.toString('utf8')
    let newline
    while ((newline = pending.indexOf('\n')) >= 0) {
      const raw = pending.slice(0, newline)
      pending = pending.slice(newline + 1)
      let line = raw
      try {
        line = (JSON.parse(raw) as { msg?: string }).msg ?? raw
      } catch {
        // not a JSON record: kept as printed
      }
      if (line.trim()) marks.push({ ms: performance.now() - started, line: line.trim().slice(0, 100) })
    }
  }
  child.stdout.on('data', collect)
  child.stderr.on('data', collect)
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve))
  let ms = 0
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${target.name} exited with ${child.exitCode}:\n${marks.map((m) => m.line).join('\n')}`)
    try {
      const res = await fetch(`http://127.0.0.1:${port}/health`)
      await res.arrayBuffer()
      if (res.status === 200) {
        ms = performance.now() - started
        break
      }
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
  child.kill('SIGTERM')
  await exited
  return { ms, marks }
}

const made = args.generated ? await generatedService() : undefined
const target = made?.target ?? example
const dataDir = mkdtempSync(join(tmpdir(), 'trefoil-cold-'))
// run as root, the embedded PostgreSQL drops to its own user, which must reach its data folder
chmodSync(dataDir, 0o755)
try {
  const first = await startOnce(target, dataDir)
  const again: number[] = []
  let lastMarks: Mark[] = []
  for (let i = 0; i < RUNS; i++) {
    const run = await startOnce(target, dataDir)
    again.push(run.ms)
    lastMarks = run.marks
  }
  const show = (marks: Mark[]): string => marks.map((m) => `  ${m.ms.toFixed(0).padStart(6)} ms  ${m.line}`).join('\n')
  console.log(`${target.name}, first start (fresh data folder: cluster created, migrations${made ? '' : ', demo accounts'}): ${first.ms.toFixed(0)} ms to the first answer (target < 3000 ms)`)
  console.log(show(first.marks))
  console.log(`\nstart again on the same data folder, median of ${RUNS}: ${median(again).toFixed(0)} ms (runs: ${again.map((ms) => ms.toFixed(0)).join(', ')}; target < 1500 ms)`)
  console.log(show(lastMarks))
} finally {
  rmSync(dataDir, { recursive: true, force: true })
  made?.cleanup()
}
