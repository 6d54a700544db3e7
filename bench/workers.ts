// `node --import tsx --conditions=source bench/workers.ts`: the worker pool's cost and effect.
// 1. 2000 tiny and 40 CPU-heavy tasks through trefoil's `runInWorker`, piscina used directly and
//    node-worker-threads-pool used directly, same task module, same pool size, rounds interleaved,
//    medians: trefoil's overhead over the raw pool.
// 2. A light endpoint's latency (autocannon) alone, with 2 CPU-heavy tasks in flight in the
//    worker pool, and, for contrast, with the same work done on the event loop.
// trefoil runs twice: from source as `npm start` / `npm test` run it (tsx registered in every
// worker), and compiled to JS as in production (the runtime is built into a temporary folder).
// `--quick` for a smoke run. The server of part 2 runs in a child process (`--serve`).
import { spawn, spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { availableParallelism, loadavg, tmpdir } from 'node:os'
import { request } from 'node:http'
import { join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { parseArgs } from 'node:util'
import autocannon from 'autocannon'
import { StaticPool } from 'node-worker-threads-pool'
import { Piscina } from 'piscina'
import { createApp, createWorkerPool, defineUnit, defineWorkers, runInWorker } from 'trefoil'

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    serve: { type: 'boolean', default: false },
    rounds: { type: 'string' },
    size: { type: 'string', default: String(availableParallelism()) },
    seconds: { type: 'string' },
  },
})

const TASK = new URL('../test/workers/fixtures/bench/task.mjs', import.meta.url)
const NWTP_WORKER = fileURLToPath(new URL('../test/workers/fixtures/bench/nwtp-worker.mjs', import.meta.url))
const TINY = 2000
const HEAVY = 40
const HEAVY_N = 2_500_000 // ~50 ms of CPU here
const ENDPOINT_HEAVY_N = 10_000_000 // ~200 ms of CPU here

interface Pool {
  name: string
  run(input: { kind: 'tiny' | 'heavy'; n: number }): Promise<unknown>
  close(): Promise<void>
}

const ROOT = fileURLToPath(new URL('..', import.meta.url))

/** `createWorkerPool` from the runtime compiled by tsc into a temporary folder, as in production. */
async function compiledRuntime(): Promise<{ create: typeof createWorkerPool; cleanup: () => void }> {
  const dir = mkdtempSync(join(tmpdir(), 'trefoil-bench-'))
  // emits even when another part of the tree has a type error: only the output matters here
  spawnSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'runtime/tsconfig.build.json', '--outDir', join(dir, 'dist')], { cwd: ROOT, stdio: 'ignore' })
  if (!existsSync(join(dir, 'dist/workers.js'))) throw new Error('Cannot build the runtime for the compiled run')
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'))
  writeFileSync(join(dir, 'package.json'), '{"type":"module"}')
  const mod = (await import(pathToFileURL(join(dir, 'dist/workers.js')).href)) as { createWorkerPool: typeof createWorkerPool }
  return { create: mod.createWorkerPool, cleanup: () => rmSync(dir, { recursive: true, force: true }) }
}

let cleanupCompiled: (() => void) | undefined

async function pools(size: number): Promise<Pool[]> {
  const compiled = await compiledRuntime()
  cleanupCompiled = compiled.cleanup
  const trefoilJs = compiled.create({ size, typescript: false })
  const trefoilJsUntracked = compiled.create({ size, typescript: false, trackTaskContext: false })
  const trefoil = createWorkerPool({ size })
  const piscina = new Piscina({ filename: TASK.href, minThreads: size, maxThreads: size, idleTimeout: Number.POSITIVE_INFINITY })
  const nwtp = new StaticPool({ size, task: NWTP_WORKER })
  return [
    { name: 'trefoil, compiled', run: (input) => trefoilJs.run(TASK, input), close: () => trefoilJs.close() },
    {
      name: 'trefoil, compiled, untracked',
      run: (input) => trefoilJsUntracked.run(TASK, input),
      close: () => trefoilJsUntracked.close(),
    },
    { name: 'trefoil, from source (tsx)', run: (input) => runInWorker(trefoil, TASK, input), close: () => trefoil.close() },
    { name: 'piscina (direct)', run: (input) => piscina.run(input) as Promise<unknown>, close: () => piscina.destroy() },
    { name: 'node-worker-threads-pool (direct)', run: (input) => nwtp.exec(input) as Promise<unknown>, close: async () => void (await nwtp.destroy()) },
  ]
}

interface Sample {
  /** Wall time of the batch, ms. */
  ms: number
  /** CPU time of this whole process (main thread and every worker) per task, µs: what the pool costs, less disturbed than wall time when the machine is shared. */
  cpuPerTask: number
}

async function timeBatch(pool: Pool, kind: 'tiny' | 'heavy'): Promise<Sample> {
  const count = kind === 'tiny' ? TINY : HEAVY
  const cpu = process.cpuUsage()
  const started = performance.now()
  await Promise.all(Array.from({ length: count }, (_, i) => pool.run({ kind, n: kind === 'tiny' ? i : HEAVY_N })))
  const ms = performance.now() - started
  const used = process.cpuUsage(cpu)
  return { ms, cpuPerTask: (used.user + used.system) / count }
}

const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}

async function poolBench(): Promise<void> {
  const size = Number(args.size)
  const rounds = Number(args.rounds ?? (args.quick ? 3 : 15))
  const list = await pools(size)
  const times = new Map<string, { tiny: Sample[]; heavy: Sample[] }>(list.map((p) => [p.name, { tiny: [], heavy: [] }]))
  // warm-up: every worker started, the task module loaded, the JIT warm
  for (const pool of list) {
    await timeBatch(pool, 'tiny')
    await timeBatch(pool, 'heavy')
  }
  for (let round = 0; round < rounds; round++) {
    // rotate the order each round so that no pool always runs first or last
    const order = list.map((_, i) => list[(i + round) % list.length]!)
    for (const pool of order) times.get(pool.name)!.tiny.push(await timeBatch(pool, 'tiny'))
    for (const pool of order) times.get(pool.name)!.heavy.push(await timeBatch(pool, 'heavy'))
  }
  for (const pool of list) await pool.close()
  cleanupCompiled?.()

  // The machine may be shared, and load drifts: each round runs every pool back to back (order
  // rotated); overheads are medians over rounds of that round's ratio to piscina, for wall time
  // and for CPU time per task (all threads of this process; the idle pools' threads sleep).
  const base = times.get('piscina (direct)')!
  const paired = (mine: Sample[], theirs: Sample[], key: keyof Sample): string => pct(median(mine.map((s, i) => s[key] / theirs[i]![key])) - 1)
  const ms = (v: Sample[]): string => median(v.map((s) => s.ms)).toFixed(1)
  const cpu = (v: Sample[]): string => `${median(v.map((s) => s.cpuPerTask)).toFixed(1)} µs`
  console.log(`\nPools of ${size} threads, ${rounds} rounds (Node ${process.version}, ${availableParallelism()} cores, load average ${loadavg()[0]!.toFixed(1)}); medians`)
  console.log(`${'pool'.padEnd(36)}${`${TINY} tiny ms`.padStart(14)}${'CPU/task'.padStart(11)}${`${HEAVY} heavy ms`.padStart(14)}${'CPU/task'.padStart(12)}${'vs piscina, wall: tiny heavy'.padStart(30)}${'CPU: tiny heavy'.padStart(18)}`)
  for (const pool of list) {
    const t = times.get(pool.name)!
    const direct = pool.name === 'piscina (direct)'
    const vs = (key: keyof Sample): string => (direct ? '—' : `${paired(t.tiny, base.tiny, key)} ${paired(t.heavy, base.heavy, key)}`)
    console.log(`${pool.name.padEnd(36)}${ms(t.tiny).padStart(14)}${cpu(t.tiny).padStart(11)}${ms(t.heavy).padStart(14)}${cpu(t.heavy).padStart(12)}${vs('ms').padStart(30)}${vs('cpuPerTask').padStart(18)}`)
  }
}

const pct = (x: number): string => `${x >= 0 ? '+' : ''}${(x * 100).toFixed(1)}%`

// ---- part 2: a light endpoint beside CPU-heavy work ----

function spinInline(n: number): number {
  let x = 0
  for (let i = 0; i < n; i++) x = (x + i * i) % 1_000_003
  return x
}

async function serveForBench(): Promise<void> {
  const unit = defineUnit('bench', (r) => {
    r.get('/ping', () => ({ ok: true }))
    r.get('/heavy', async ({ app }) => ({ x: await runInWorker(app, TASK, { kind: 'heavy', n: ENDPOINT_HEAVY_N }) }))
    r.get('/heavy-inline', () => ({ x: spinInline(ENDPOINT_HEAVY_N) }))
  })
  // the default pool size: cores − 1
  const app = createApp({ plugins: [defineWorkers(), unit], logger: false })
  await app.listen({ port: 0 })
  process.send!({ url: app.url })
  process.once('disconnect', () => void app.close().then(() => process.exit(0)))
}

function hit(url: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent: false }, (res) => (res.resume(), res.on('end', resolve)))
    req.on('error', reject)
    req.end()
  })
}

async function latencyBench(): Promise<void> {
  const seconds = Number(args.seconds ?? (args.quick ? 3 : 10))
  const child = spawn(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), '--serve'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
  const url = await new Promise<string>((resolve) => child.once('message', (m: { url: string }) => resolve(m.url)))
  const measure = async (label: string, heavyPath: string | undefined): Promise<void> => {
    let stop = false
    let heavyDone = 0
    const heavy = heavyPath
      ? Array.from({ length: 2 }, async () => {
          while (!stop) {
            await hit(`${url}${heavyPath}`)
            heavyDone++
          }
        })
      : []
    await new Promise((resolve) => setTimeout(resolve, 300))
    const result = await autocannon({ url: `${url}/ping`, connections: 10, duration: seconds })
    stop = true
    await Promise.all(heavy)
    const l = result.latency
    console.log(`${label.padEnd(46)}${String(Math.round(result.requests.average)).padStart(8)}${String(l.p50).padStart(8)}${String(l.p99).padStart(8)}${String(l.max).padStart(8)}${String(heavyDone).padStart(8)}`)
  }
  console.log(`\nLight endpoint GET /ping, autocannon 10 connections, ${seconds} s each; heavy task ~200 ms of CPU`)
  console.log(`${'scenario'.padEnd(46)}${'req/s'.padStart(8)}${'p50 ms'.padStart(8)}${'p99 ms'.padStart(8)}${'max ms'.padStart(8)}${'heavy'.padStart(8)}`)
  await measure('alone', undefined)
  await measure('2 heavy tasks in flight, in the worker pool', '/heavy')
  await measure('2 heavy tasks in flight, on the event loop', '/heavy-inline')
  child.disconnect()
  await new Promise((resolve) => child.once('exit', resolve))
}

if (args.serve) await serveForBench()
else {
  await poolBench()
  await latencyBench()
}
