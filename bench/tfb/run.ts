// `npm run bench:tfb`: TechEmpower's six test types on trefoil and its peers (Fastify 5 + pg,
// Express 5 + pg, Koa by hand + pg-promise, FastAPI + asyncpg), against one PostgreSQL 15 the
// runner starts itself. Each server runs alone, single-process, pinned to core 0; wrk and
// PostgreSQL share core 1. Every server is verified against the rules before it is measured;
// rounds interleave the servers; the table shows medians and ratios to trefoil.
// `--quick`: one round of 3 s per test, for checking that everything runs.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { cpus, loadavg, totalmem } from 'node:os'
import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { buildTrefoil, coreBusySeconds, median, pinSelf, processCpuSeconds, ROOT, SERVER_CORE, LOAD_CORE } from '../harness.js'
import { ensureWrk, wrk, type WrkResult } from '../wrk.js'
import { freePort, startPostgres, type Postgres } from './postgres.js'
import { verifyServer } from './verify.js'

const SERVERS = ['trefoil', 'fastify', 'express', 'koa', 'fastapi'] as const
type ServerName = (typeof SERVERS)[number]
const LABELS: Record<ServerName, string> = {
  trefoil: 'trefoil (defineDatabase / pg-promise, EJS view)',
  fastify: 'Fastify 5 + pg',
  express: 'Express 5 + pg',
  koa: 'Koa 3 by hand + pg-promise',
  fastapi: 'FastAPI + asyncpg (uvicorn, uvloop, httptools)',
}
const TESTS = ['json', 'db', 'queries', 'fortunes', 'updates', 'plaintext'] as const
type TestName = (typeof TESTS)[number]

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    rounds: { type: 'string' },
    duration: { type: 'string' },
    warmup: { type: 'string' },
    connections: { type: 'string', default: '32' },
    // rows per request of the multiple-queries and updates tests (TechEmpower runs 1..20; 20 is its last step)
    queries: { type: 'string', default: '20' },
    pool: { type: 'string', default: '10' },
    servers: { type: 'string', default: SERVERS.join(',') },
    tests: { type: 'string', default: TESTS.join(',') },
    trefoil: { type: 'string', default: 'dist' },
    // a folder: the Node servers run under `--cpu-prof` and write their profiles in `<folder>/<server>/`
    // (one a thread: the main thread's is `CPU.*.0.*.cpuprofile`)
    'cpu-prof': { type: 'string' },
  },
})

const rounds = Number(args.rounds ?? (args.quick ? 1 : 3))
const duration = Number(args.duration ?? (args.quick ? 3 : 10))
const warmup = Number(args.warmup ?? (args.quick ? 1 : 3))
const connections = Number(args.connections)
const queries = Number(args.queries)
const poolSize = Number(args.pool)
const servers = args.servers.split(',').map((s) => s.trim()) as ServerName[]
const tests = args.tests.split(',').map((s) => s.trim()) as TestName[]
for (const s of servers) if (!SERVERS.includes(s)) throw new Error(`Unknown server "${s}": choose among ${SERVERS.join(', ')}`)
for (const t of tests) if (!TESTS.includes(t)) throw new Error(`Unknown test "${t}": choose among ${TESTS.join(', ')}`)
if (!servers.includes('trefoil')) throw new Error('The table compares every server to trefoil: keep "trefoil" in --servers')
if (![rounds, duration, warmup, connections, queries, poolSize].every((n) => Number.isInteger(n) && n > 0)) throw new Error('--rounds, --duration, --warmup, --connections, --queries and --pool must be positive integers')

const PATHS: Record<TestName, string> = {
  json: '/json',
  db: '/db',
  queries: `/queries?queries=${queries}`,
  fortunes: '/fortunes',
  updates: `/updates?queries=${queries}`,
  plaintext: '/plaintext',
}

const VENV = join(ROOT, 'bench/tfb/.venv')
const REQUIREMENTS = join(ROOT, 'bench/tfb/fastapi/requirements.txt')
const log = (line: string): void => void process.stderr.write(`${line}\n`)

/** The FastAPI peer's virtualenv: created with pip on first use, again when requirements.txt changes. */
function ensureVenv(): void {
  const stamp = join(VENV, '.requirements')
  const wanted = readFileSync(REQUIREMENTS, 'utf8')
  if (existsSync(stamp) && readFileSync(stamp, 'utf8') === wanted) return
  log('bench:tfb: creating the FastAPI virtualenv (bench/tfb/.venv) with pip')
  execFileSync('python3', ['-m', 'venv', '--clear', VENV], { stdio: 'inherit' })
  // the index can drop a connection now and then: pip is asked again before giving up
  for (let attempt = 1; ; attempt++) {
    try {
      execFileSync(join(VENV, 'bin/pip'), ['install', '--quiet', '--disable-pip-version-check', '--retries', '1', '-r', REQUIREMENTS], { stdio: 'inherit' })
      break
    } catch (error) {
      if (attempt === 3) throw error
      log(`bench:tfb: pip failed (attempt ${attempt}), trying again`)
    }
  }
  writeFileSync(stamp, wanted)
}

interface Running {
  name: ServerName
  url: string
  child: ChildProcess
  stop(): Promise<void>
}

/** Starts one server alone, pinned to the server core, against the benchmark database. */
async function startServer(name: ServerName, database: Postgres, pinned: boolean, trefoilEntry: string | undefined): Promise<Running> {
  const env = { ...process.env, NODE_ENV: 'production', LOG_LEVEL: 'warn', DATABASE_URL: database.url, DB_POOL_SIZE: String(poolSize), ...(trefoilEntry ? { TREFOIL_ENTRY: trefoilEntry } : {}) }
  let port = 0
  let command: string[]
  if (name === 'fastapi') {
    port = await freePort()
    command = [join(VENV, 'bin/python'), '-m', 'uvicorn', 'app:app', '--app-dir', join(ROOT, 'bench/tfb/fastapi'), '--host', '127.0.0.1', '--port', String(port), '--loop', 'uvloop', '--http', 'httptools', '--no-access-log', '--log-level', 'warning', '--workers', '1']
  } else {
    const profile = args['cpu-prof'] ? ['--cpu-prof', `--cpu-prof-dir=${resolve(args['cpu-prof'], name)}`] : []
    command = [process.execPath, ...profile, '--import', 'tsx', '--conditions=source', `bench/tfb/servers/${name}.ts`]
  }
  if (pinned) command = ['taskset', '-c', SERVER_CORE, ...command]
  const child = spawn(command[0]!, command.slice(1), { cwd: ROOT, env: { ...env, PORT: String(port) }, stdio: ['ignore', 'pipe', 'pipe'] })
  let output = ''
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk))
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk))
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM')
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000)
    await exited
    clearTimeout(timer)
  }
  try {
    port = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`Server "${name}" did not start within 30 s:\n${output}`)), 30_000)
      child.once('exit', (code) => {
        clearTimeout(timer)
        reject(new Error(`Server "${name}" exited (code ${code}) before listening:\n${output}`))
      })
      if (name !== 'fastapi') {
        child.stdout!.on('data', () => {
          const match = /listening (\d+)/.exec(output)
          if (match) {
            clearTimeout(timer)
            resolve(Number(match[1]))
          }
        })
        return
      }
      // uvicorn prints nothing at warning level: ask until it answers
      const poll = (): void => {
        fetch(`http://127.0.0.1:${port}/json`).then(
          (res) => {
            clearTimeout(timer)
            resolve(res.ok ? port : 0)
          },
          () => setTimeout(poll, 100),
        )
      }
      poll()
    })
  } catch (error) {
    await stop()
    throw error
  }
  return { name, url: `http://127.0.0.1:${port}`, child, stop }
}

interface Run extends WrkResult {
  server: ServerName
  test: TestName
  round: number
  /** Server CPU time per answer (µs), share of its core it used, and others' share of that core. */
  cpuPerRequest: number
  serverCpu: number
  coreOther: number
}

async function measure(server: Running, test: TestName, seconds: number): Promise<Omit<Run, 'server' | 'test' | 'round'>> {
  const pid = server.child.pid!
  const cpuBefore = processCpuSeconds(pid)
  const coreBefore = coreBusySeconds(SERVER_CORE)
  const started = performance.now()
  const result = await wrk({ url: server.url + PATHS[test] }, seconds, connections)
  const wall = (performance.now() - started) / 1000
  const serverSeconds = processCpuSeconds(pid) - cpuBefore
  if (result.non2xx > 0 || result.socketErrors > 0 || result.requests === 0) {
    throw new Error(`Load on ${server.name} ${test} went wrong: ${result.requests} answers, ${result.non2xx} not 2xx/3xx, ${result.socketErrors} socket errors`)
  }
  return {
    ...result,
    cpuPerRequest: (serverSeconds * 1e6) / result.requests,
    serverCpu: (serverSeconds / wall) * 100,
    coreOther: Math.max(0, ((coreBusySeconds(SERVER_CORE) - coreBefore - serverSeconds) / wall) * 100),
  }
}

function versionOf(pkg: string): string {
  try {
    return (JSON.parse(readFileSync(join(ROOT, 'node_modules', pkg, 'package.json'), 'utf8')) as { version: string }).version
  } catch {
    return '?'
  }
}

function pythonVersions(): string {
  try {
    return execFileSync(
      join(VENV, 'bin/python'),
      ['-c', "import sys, importlib.metadata as m; print('Python ' + sys.version.split()[0] + ', ' + ', '.join(p + ' ' + m.version(p) for p in ['fastapi', 'pydantic', 'starlette', 'uvicorn', 'uvloop', 'httptools', 'asyncpg', 'jinja2']))"],
      { encoding: 'utf8' },
    ).trim()
  } catch {
    return 'not installed'
  }
}

async function main(): Promise<void> {
  const loadAtStart = loadavg()
  const pinned = pinSelf()
  if (!pinned) log('bench:tfb: WARNING: not pinned (needs taskset and 2 cores): servers, wrk and PostgreSQL share the CPUs')
  if (servers.includes('fastapi')) ensureVenv()
  await ensureWrk()
  const built = args.trefoil === 'dist' ? buildTrefoil() : undefined
  log('bench:tfb: starting PostgreSQL 15')
  const database = await startPostgres(pinned ? LOAD_CORE : undefined)
  const runs: Run[] = []
  try {
    const minutes = (rounds * servers.length * (tests.length * (duration + warmup) + 3)) / 60
    log(`bench:tfb: ${servers.join(', ')} × ${tests.join(', ')} × ${rounds} round(s) × ${duration} s (+${warmup} s warm-up), ${connections} connections, ${queries} rows for queries/updates, pool ${poolSize}: about ${minutes.toFixed(1)} min`)
    for (let round = 1; round <= rounds; round++) {
      const order = servers.map((_, i) => servers[(i + round - 1) % servers.length]!)
      for (const name of order) {
        const server = await startServer(name, database, pinned, built?.entry)
        try {
          await verifyServer(name, server.url, database.url)
          if (round === 1) log(`  ${name}: verified`)
          for (const test of tests) {
            await measure(server, test, warmup)
            const m = await measure(server, test, duration)
            runs.push({ server: name, test, round, ...m })
            log(`  round ${round} ${name.padEnd(8)} ${test.padEnd(9)} ${Math.round(m.rps).toString().padStart(7)} req/s  p99 ${m.p99.toFixed(1).padStart(6)} ms  ${m.cpuPerRequest.toFixed(0).padStart(6)} µs CPU/req  server CPU ${m.serverCpu.toFixed(0)}%  others on its core ${m.coreOther.toFixed(0)}%`)
          }
        } finally {
          await server.stop()
        }
      }
    }
  } finally {
    database.stop()
    built?.cleanup()
  }
  report(runs, pinned, database.version, loadAtStart, loadavg())
}

function report(runs: readonly Run[], pinned: boolean, pgVersion: string, loadBefore: number[], loadAfter: number[]): void {
  const date = new Date().toISOString()
  const lines: string[] = []
  const quiet = loadBefore[0]! < 1.5
  lines.push('# TechEmpower test types: trefoil and its peers', '')
  lines.push(`Written by \`npm run bench:tfb${args.quick ? ' -- --quick' : ''}\` on ${date}.`, '')
  lines.push(`- Machine: ${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} cores, ${Math.round(totalmem() / 2 ** 30)} GiB; load average ${loadBefore.map((n) => n.toFixed(2)).join(' / ')} at the start, ${loadAfter.map((n) => n.toFixed(2)).join(' / ')} at the end (${quiet ? 'quiet' : '**a shared, busy machine: req/s are not comparable with other runs; CPU µs/req is the steadier number**'})`)
  lines.push(`- Placement: ${pinned ? `each server alone, single process, pinned to core ${SERVER_CORE}; wrk and PostgreSQL on core ${LOAD_CORE}` : 'NOT pinned'}`)
  lines.push(`- Load: wrk ${wrkVersion()}, 1 thread, ${connections} connections, no pipelining; ${rounds} interleaved round(s) of ${duration} s per test after ${warmup} s of warm-up; medians over rounds`)
  lines.push(`- Database: PostgreSQL ${pgVersion} (Debian), synchronous_commit off; pool of ${poolSize} connections in every server; \`world\` 10,000 rows, \`fortune\` 12 rows; queries and updates with ${queries} rows per request`)
  lines.push(`- Node ${process.version}: trefoil ${args.trefoil === 'dist' ? '(runtime compiled by tsc)' : '(from source through tsx)'}, fastify ${versionOf('fastify')}, express ${versionOf('express')}, koa ${versionOf('koa')}, @koa/router ${versionOf('@koa/router')}, pg ${versionOf('pg')}, pg-promise ${versionOf('pg-promise')}, ejs ${versionOf('ejs')}`)
  if (servers.includes('fastapi')) lines.push(`- ${pythonVersions()}`)
  lines.push('')
  for (const test of tests) {
    const of = (server: ServerName) => runs.filter((r) => r.server === server && r.test === test)
    const base = median(of('trefoil').map((r) => r.rps))
    const baseCpu = median(of('trefoil').map((r) => r.cpuPerRequest))
    lines.push(`## ${test} (\`GET ${PATHS[test]}\`)`, '')
    lines.push('| server | req/s | × trefoil | p99 ms | min–max req/s | CPU µs/req | × trefoil (CPU) | others on server core |')
    lines.push('|---|---:|---:|---:|---:|---:|---:|---:|')
    for (const server of servers) {
      const mine = of(server)
      if (mine.length === 0) continue
      const rps = median(mine.map((r) => r.rps))
      const cpu = median(mine.map((r) => r.cpuPerRequest))
      lines.push(
        `| ${LABELS[server]} | ${Math.round(rps)} | ${(rps / base).toFixed(2)}× | ${median(mine.map((r) => r.p99)).toFixed(1)} | ${Math.round(Math.min(...mine.map((r) => r.rps)))}–${Math.round(Math.max(...mine.map((r) => r.rps)))} | ${cpu.toFixed(0)} | ${(baseCpu / cpu).toFixed(2)}× | ${Math.max(...mine.map((r) => r.coreOther)).toFixed(0)}% |`,
      )
    }
    lines.push('')
  }
  lines.push('## Targets', '')
  lines.push('trefoil req/s ÷ the peer\'s (in brackets: the same from server CPU time per request).', '')
  for (const test of tests.filter((t) => ['db', 'queries', 'fortunes', 'updates'].includes(t))) {
    for (const [peer, goal] of [['fastify', 1], ['fastapi', 3]] as const) {
      if (!servers.includes(peer)) continue
      const rps = (s: ServerName) => median(runs.filter((r) => r.server === s && r.test === test).map((r) => r.rps))
      const cpu = (s: ServerName) => median(runs.filter((r) => r.server === s && r.test === test).map((r) => r.cpuPerRequest))
      const ratio = rps('trefoil') / rps(peer)
      lines.push(`- ${ratio >= goal ? 'met' : '**not met**'}: ${test}, trefoil ≥ ${goal}× ${LABELS[peer]}: ${ratio.toFixed(2)}× (${(cpu(peer) / cpu('trefoil')).toFixed(2)}×)`)
    }
  }
  lines.push('', '"× trefoil (CPU)": trefoil\'s server CPU µs per request ÷ this server\'s (above 1: this server spends less CPU per answer). "others on server core": the largest share of the server\'s core that other processes took during a measured run.')
  const text = `${lines.join('\n')}\n`
  process.stdout.write(`\n${text}`)
  const dir = join(ROOT, 'bench/tfb/results')
  mkdirSync(dir, { recursive: true })
  writeFileSync(join(dir, args.quick ? 'quick.json' : 'latest.json'), `${JSON.stringify({ date, pinned, loadBefore, loadAfter, config: { rounds, duration, warmup, connections, queries, poolSize, servers, tests }, runs }, null, 2)}\n`)
  // a smoke run must not replace the last full run's table
  const out = args.quick ? join(dir, 'quick.md') : join(ROOT, 'bench/tfb/RESULTS.md')
  writeFileSync(out, text)
  log(`bench:tfb: results written to ${out.slice(ROOT.length)}`)
}

function wrkVersion(): string {
  try {
    execFileSync('wrk', ['-v'], { encoding: 'utf8', stdio: 'pipe' })
  } catch (error) {
    // wrk -v prints its version and exits with status 1
    const out = String((error as { stdout?: string }).stdout ?? '')
    return /wrk (\S+)/.exec(out)?.[1] ?? '?'
  }
  return '?'
}

main().catch((error: unknown) => {
  console.error(`bench:tfb: FAILED: ${(error as Error)?.stack ?? String(error)}`)
  process.exit(1)
})
