// Cold start of the example as a person meets it: `npm start` in examples/fieldwork to the first
// answer of GET /health, on a fresh data folder (the embedded PostgreSQL cluster is created,
// migrations run, demo accounts are made) and then again on the same folder. Each line the app
// logs on the way is shown with its time since spawn, so the report says where the time goes.
//
//   node --import tsx --conditions=source bench/cold-start.ts [--runs 3]
import { spawn } from 'node:child_process'
import { chmodSync, mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { median, ROOT } from './harness.js'

const { values: args } = parseArgs({ options: { runs: { type: 'string', default: '3' } } })
const RUNS = Number(args.runs)
const EXAMPLE = join(ROOT, 'examples/fieldwork')

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

/** Starts the example as `npm start` does, waits for GET /health → 200, stops it; returns the time and the log marks. */
async function startOnce(dataDir: string): Promise<{ ms: number; marks: Mark[] }> {
  const port = await freePort()
  const started = performance.now()
  // what `npm start` runs, without npm's own start-up (about 0.3 s, the same for every app)
  const child = spawn(process.execPath, ['--import', 'tsx', '--conditions=source', 'src/main.ts'], {
    cwd: EXAMPLE,
    env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', DATA_DIR: dataDir, NODE_ENV: 'development', LOG_LEVEL: 'info' },
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
    if (child.exitCode !== null) throw new Error(`the example exited with ${child.exitCode}:\n${marks.map((m) => m.line).join('\n')}`)
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

const dataDir = mkdtempSync(join(tmpdir(), 'trefoil-cold-'))
// run as root, the embedded PostgreSQL drops to its own user, which must reach its data folder
chmodSync(dataDir, 0o755)
try {
  const first = await startOnce(dataDir)
  const again: number[] = []
  let lastMarks: Mark[] = []
  for (let i = 0; i < RUNS; i++) {
    const run = await startOnce(dataDir)
    again.push(run.ms)
    lastMarks = run.marks
  }
  const show = (marks: Mark[]): string => marks.map((m) => `  ${m.ms.toFixed(0).padStart(6)} ms  ${m.line}`).join('\n')
  console.log(`first start (fresh DATA_DIR: cluster created, migrations, demo accounts): ${first.ms.toFixed(0)} ms to the first answer (target < 3000 ms)`)
  console.log(show(first.marks))
  console.log(`\nstart again on the same DATA_DIR, median of ${RUNS}: ${median(again).toFixed(0)} ms (runs: ${again.map((ms) => ms.toFixed(0)).join(', ')}; target < 1500 ms)`)
  console.log(show(lastMarks))
} finally {
  rmSync(dataDir, { recursive: true, force: true })
}
