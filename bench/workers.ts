// `node --import tsx --conditions=source bench/workers.ts`: the worker pool's cost and effect.
// 1. 2000 tiny and 40 CPU-heavy tasks through trefoil's pool, piscina used directly and
//    node-worker-threads-pool used directly: same task module, same pool size, rounds
//    interleaved (order rotated each round), and per round the ratio of trefoil's CPU per task
//    (and wall time) to each raw pool's; medians and quartiles over rounds. A second piscina pool
//    run the same way is the noise floor: its "overhead" over the first should be 0.
// 2. A light endpoint's latency (autocannon) alone, with 2 CPU-heavy tasks in flight in the
//    worker pool, and, for contrast, with the same work done on the event loop.
// trefoil runs twice: compiled to JS as in production (the runtime is built into a temporary
// folder), and from source as `npm start` / `npm test` run it (tsx registered in every worker).
// `--quick` for a smoke run. The server of part 2 runs in a child process (`--serve`).
import { spawn, spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
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
    /** Rounds of the tiny batch (each pool once per round). */
    rounds: { type: 'string' },
    /** Rounds of the heavy batch (about 1 s per pool each). */
    'heavy-rounds': { type: 'string' },
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

type Kind = 'tiny' | 'heavy'

interface Pool {
  name: string
  run(input: { kind: Kind; n: number }): Promise<unknown>
  close(): Promise<void>
}

const PISCINA = 'piscina (direct)'
const PISCINA_AGAIN = 'piscina again (noise floor)'
const NWTP = 'node-worker-threads-pool (direct)'
const ROOT = fileURLToPath(new URL('..', import.meta.url))

/** `createWorkerPool` from the runtime compiled by tsc into a temporary folder, as in production. */
async function compiledRuntime(): Promise<{ create: typeof createWorkerPool; cleanup: () => void }> {
  const dir = mkdtempSync(join(tmpdir(), 'trefoil-bench-'))
  // emits even when another part of the tree has a type error: only the output matters here
  spawnSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'runtime/tsconfig.build.json', '--outDir', join(dir, 'dist')], { cwd: ROOT, stdio: 'ignore' })
  if (!existsSync(join(dir, 'dist/workers/index.js'))) throw new Error('Cannot build the runtime for the compiled run')
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'))
  writeFileSync(join(dir, 'package.json'), '{"type":"module"}')
  const mod = (await import(pathToFileURL(join(dir, 'dist/workers/index.js')).href)) as { createWorkerPool: typeof createWorkerPool }
  return { create: mod.createWorkerPool, cleanup: () => rmSync(dir, { recursive: true, force: true }) }
}

let cleanupCompiled: (() => void) | undefined

async function pools(size: number): Promise<Pool[]> {
  const compiled = await compiledRuntime()
  cleanupCompiled = compiled.cleanup
  // trefoil with its default options (a compiled runtime needs no tsx in its workers)
  const trefoilJs = compiled.create({ size, typescript: false })
  const trefoil = createWorkerPool({ size })
  // a path, piscina's cheapest form (it turns a file: URL into a path on every run)
  const piscinaPool = (): Piscina => new Piscina({ filename: fileURLToPath(TASK), minThreads: size, maxThreads: size, idleTimeout: Number.POSITIVE_INFINITY })
  const piscina = piscinaPool()
  const piscinaAgain = piscinaPool()
  const nwtp = new StaticPool({ size, task: NWTP_WORKER })
  return [
    { name: 'trefoil, compiled', run: (input) => trefoilJs.run(TASK, input), close: () => trefoilJs.close() },
    { name: 'trefoil, from source (tsx)', run: (input) => runInWorker(trefoil, TASK, input), close: () => trefoil.close() },
    { name: PISCINA, run: (input) => piscina.run(input) as Promise<unknown>, close: () => piscina.destroy() },
    { name: PISCINA_AGAIN, run: (input) => piscinaAgain.run(input) as Promise<unknown>, close: () => piscinaAgain.destroy() },
    { name: NWTP, run: (input) => nwtp.exec(input) as Promise<unknown>, close: async () => void (await nwtp.destroy()) },
  ]
}

interface Sample {
  /** Wall time of the batch, ms. */
  ms: number
  /** CPU time of this whole process (main thread and every worker) per task, µs: what the pool costs, less disturbed than wall time when the machine is shared. */
  cpuPerTask: number
  /** The main thread's share of it, µs (Linux; NaN elsewhere). */
  mainPerTask: number
}

/** CPU time of this process's main thread, µs, from its scheduler statistics (ns precision; Linux only). */
function mainThreadCpu(): number {
  try {
    const stat = readFileSync(`/proc/self/task/${process.pid}/schedstat`, 'utf8')
    return Number(stat.slice(0, stat.indexOf(' '))) / 1000
  } catch {
    return Number.NaN
  }
}

async function timeBatch(pool: Pool, kind: Kind): Promise<Sample> {
  const count = kind === 'tiny' ? TINY : HEAVY
  const cpu = process.cpuUsage()
  const main = mainThreadCpu()
  const started = performance.now()
  await Promise.all(Array.from({ length: count }, (_, i) => pool.run({ kind, n: kind === 'tiny' ? i : HEAVY_N })))
  const ms = performance.now() - started
  const used = process.cpuUsage(cpu)
  return { ms, cpuPerTask: (used.user + used.system) / count, mainPerTask: (mainThreadCpu() - main) / count }
}

const quantile = (values: readonly number[], q: number): number => {
  const sorted = [...values].sort((a, b) => a - b)
  const at = (sorted.length - 1) * q
  const low = Math.floor(at)
  return sorted[low]! + (sorted[Math.min(low + 1, sorted.length - 1)]! - sorted[low]!) * (at - low)
}
const median = (values: readonly number[]): number => quantile(values, 0.5)

async function poolBench(): Promise<void> {
  const size = Number(args.size)
  const rounds = { tiny: Number(args.rounds ?? (args.quick ? 5 : 100)), heavy: Number(args['heavy-rounds'] ?? (args.quick ? 2 : 8)) }
  const list = await pools(size)
  const times = new Map<string, Record<Kind, Sample[]>>(list.map((p) => [p.name, { tiny: [], heavy: [] }]))
  const loadBefore = loadavg()[0]!
  // warm-up: every worker started, the task module loaded, the JIT warm
  for (const pool of list) {
    for (let i = 0; i < 3; i++) await timeBatch(pool, 'tiny')
    await timeBatch(pool, 'heavy')
  }
  for (const kind of ['tiny', 'heavy'] as const) {
    for (let round = 0; round < rounds[kind]; round++) {
      // rotate the order each round so that no pool always runs first or last
      for (let i = 0; i < list.length; i++) {
        const pool = list[(i + round) % list.length]!
        times.get(pool.name)![kind].push(await timeBatch(pool, kind))
      }
    }
  }
  for (const pool of list) await pool.close()
  cleanupCompiled?.()

  // Load drifts on a shared machine: every round runs each pool back to back, so a ratio taken
  // within a round compares like with like; the median over rounds is the overhead, and the
  // quartiles show how much rounds disagree.
  const ratio = (name: string, base: string, kind: Kind, key: keyof Sample): string => {
    const mine = times.get(name)![kind]
    const theirs = times.get(base)![kind]
    const ratios = mine.map((s, i) => s[key] / theirs[i]![key] - 1)
    return `${pct(median(ratios))} [${pct(quantile(ratios, 0.25))}, ${pct(quantile(ratios, 0.75))}]`
  }
  const ms = (v: Sample[]): string => median(v.map((s) => s.ms)).toFixed(1)
  const us = (v: Sample[], key: 'cpuPerTask' | 'mainPerTask'): string => median(v.map((s) => s[key])).toFixed(1)
  console.log(
    `\nPools of ${size} threads; ${rounds.tiny} rounds of ${TINY} tiny tasks, ${rounds.heavy} rounds of ${HEAVY} heavy tasks (~50 ms CPU each), pools interleaved; ` +
      `Node ${process.version}, ${availableParallelism()} cores, load average ${loadBefore.toFixed(1)} before, ${loadavg()[0]!.toFixed(1)} after. Medians over rounds.`,
  )
  console.log(`${'pool'.padEnd(36)}${'tiny wall ms'.padStart(13)}${'CPU/task µs'.padStart(13)}${'main thread'.padStart(13)}${'heavy wall ms'.padStart(15)}${'CPU/task µs'.padStart(13)}`)
  for (const pool of list) {
    const t = times.get(pool.name)!
    console.log(`${pool.name.padEnd(36)}${ms(t.tiny).padStart(13)}${us(t.tiny, 'cpuPerTask').padStart(13)}${us(t.tiny, 'mainPerTask').padStart(13)}${ms(t.heavy).padStart(15)}${us(t.heavy, 'cpuPerTask').padStart(13)}`)
  }
  console.log('\nOverhead over each raw pool: median of the per-round ratios [quartiles]')
  console.log(`${'pool'.padEnd(36)}${'vs'.padEnd(36)}${'tiny CPU/task'.padEnd(26)}${'tiny wall'.padEnd(26)}${'heavy CPU/task'.padEnd(26)}heavy wall`)
  const pairs: [string, string][] = [
    ...list.map((p) => p.name).filter((n) => n.startsWith('trefoil')).flatMap((n): [string, string][] => [[n, PISCINA], [n, NWTP]]),
    [PISCINA_AGAIN, PISCINA],
    [NWTP, PISCINA],
  ]
  for (const [name, base] of pairs) {
    console.log(
      `${name.padEnd(36)}${base.padEnd(36)}${ratio(name, base, 'tiny', 'cpuPerTask').padEnd(26)}${ratio(name, base, 'tiny', 'ms').padEnd(26)}${ratio(name, base, 'heavy', 'cpuPerTask').padEnd(26)}${ratio(name, base, 'heavy', 'ms')}`,
    )
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
