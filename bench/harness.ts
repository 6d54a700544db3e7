// What the benchmark and the profiler share: the endpoints, starting a server in its own pinned
// process, checking that it answers correctly, loading it with autocannon, and reading CPU time.
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { cpus, tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { deepStrictEqual } from 'node:assert/strict'
import autocannon, { type Result } from 'autocannon'
import { projectOf, tasksOf, type Payload, type ServerName } from './shared.js'
import { wrk } from './wrk.js'

export const ROOT = fileURLToPath(new URL('..', import.meta.url))

/** One endpoint as the load generator requests it. */
export interface Endpoint {
  key: 'get' | 'post' | 'tasks'
  label: string
  method: 'GET' | 'POST'
  path: string
  status: number
  headers?: Record<string, string>
  body?: string
}

export const ENDPOINTS: readonly Endpoint[] = [
  { key: 'get', label: 'GET /v1/projects/:id', method: 'GET', path: '/v1/projects/42', status: 200 },
  {
    key: 'post',
    label: 'POST /v1/projects',
    method: 'POST',
    path: '/v1/projects',
    status: 201,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'Flood mapping, Kathmandu valley', priority: 7 }),
  },
  { key: 'tasks', label: 'GET /v1/projects/:id/tasks', method: 'GET', path: '/v1/projects/42/tasks', status: 200 },
]

/** The endpoints as a payload shape has them: `short` posts a short name too. */
export function endpointsFor(payload: Payload): readonly Endpoint[] {
  if (payload !== 'short') return ENDPOINTS
  return ENDPOINTS.map((e) => (e.key === 'post' ? { ...e, body: JSON.stringify({ name: 'Survey', priority: 7 }) } : e))
}

/** The cores: the server gets the first, the load generator the second (when there are two). */
export const SERVER_CORE = '0'
export const LOAD_CORE = '1'
const CLOCK_TICKS_PER_SECOND = 100 // Linux USER_HZ

/** Pins this process (every thread, and the ones it starts later) to the load generator's core. */
export function pinSelf(): boolean {
  if (cpus().length < 2) return false
  try {
    execFileSync('taskset', ['-a', '-cp', LOAD_CORE, String(process.pid)], { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
}

/**
 * The runtime compiled by tsc into a temporary folder, as an app runs it in production (from
 * source, tsx's esbuild adds a `__name()` call to every closure a class field creates, per request).
 * Returns the entry's file URL and a cleanup.
 */
export function buildTrefoil(): { entry: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'trefoil-bench-'))
  // emits even when another part of the tree has a type error: only the output matters here
  spawnSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'runtime/tsconfig.build.json', '--outDir', join(dir, 'dist'), '--declaration', 'false', '--sourceMap', 'false'], { cwd: ROOT, stdio: 'ignore' })
  if (!existsSync(join(dir, 'dist/index.js'))) throw new Error('Cannot build the runtime: tsc wrote no dist/index.js')
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'))
  writeFileSync(join(dir, 'package.json'), '{"type":"module"}')
  return { entry: pathToFileURL(join(dir, 'dist/index.js')).href, cleanup: () => rmSync(dir, { recursive: true, force: true }) }
}

/** A server running in its own process. */
export interface RunningServer {
  name: ServerName
  /** The payload shape it answers with. */
  payload: Payload
  url: string
  child: ChildProcess
  stop(): Promise<void>
}

/** Starts `bench/servers/<name>.ts` pinned to the server core, in production mode, logs off. */
export async function startServer(name: ServerName, options: { nodeFlags?: string[]; pin?: boolean; trefoilEntry?: string; payload?: Payload } = {}): Promise<RunningServer> {
  const node = [...(options.nodeFlags ?? []), '--import', 'tsx', '--conditions=source', `bench/servers/${name}.ts`]
  const [command, args] = options.pin === false ? [process.execPath, node] : ['taskset', ['-c', SERVER_CORE, process.execPath, ...node]]
  const child = spawn(command, args, {
    cwd: ROOT,
    env: { ...process.env, NODE_ENV: 'production', LOG_LEVEL: 'warn', PORT: '0', BENCH_PAYLOAD: options.payload ?? 'standard', ...(options.trefoilEntry ? { TREFOIL_ENTRY: options.trefoilEntry } : {}) },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stderr = ''
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk))
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  const port = await new Promise<number>((resolve, reject) => {
    let stdout = ''
    const timer = setTimeout(() => reject(new Error(`Server "${name}" did not start within 20 s: ${stderr}`)), 20_000)
    child.stdout!.on('data', (chunk: Buffer) => {
      stdout += chunk
      const match = /listening (\d+)/.exec(stdout)
      if (match) {
        clearTimeout(timer)
        resolve(Number(match[1]))
      }
    })
    child.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`Server "${name}" exited (code ${code}) before listening: ${stderr}`))
    })
  })
  return {
    name,
    payload: options.payload ?? 'standard',
    url: `http://127.0.0.1:${port}`,
    child,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM')
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000)
      await exited
      clearTimeout(timer)
    },
  }
}

interface Check {
  what: string
  method: 'GET' | 'POST'
  path: string
  body?: unknown
  rawBody?: string
  status: number
  expect?: (body: unknown) => void
}

const isDetail = (body: unknown): void => {
  const detail = (body as { detail?: unknown }).detail
  if (!Array.isArray(detail) || detail.length === 0) throw new Error(`expected {"detail": [issues]}, got ${JSON.stringify(body)}`)
}

/** The checks of a server answering with `payload`. */
const checksFor = (payload: Payload): readonly Check[] => [
  { what: 'one project', method: 'GET', path: '/v1/projects/42', status: 200, expect: (body) => deepStrictEqual(body, projectOf(42, payload)) },
  { what: 'a non-integer id', method: 'GET', path: '/v1/projects/abc', status: 422, expect: isDetail },
  { what: 'a fractional id', method: 'GET', path: '/v1/projects/4.5', status: 422, expect: isDetail },
  { what: 'id 0', method: 'GET', path: '/v1/projects/0', status: 422, expect: isDetail },
  {
    what: 'a new project (extra field dropped)',
    method: 'POST',
    path: '/v1/projects',
    body: { name: 'Survey', priority: 3, owner: 'nobody' },
    status: 201,
    expect: (body) => {
      const id = (body as { id?: unknown }).id
      if (typeof id !== 'number' || !Number.isInteger(id)) throw new Error(`expected an integer id, got ${JSON.stringify(body)}`)
      deepStrictEqual(body, { id, name: 'Survey', priority: 3 })
    },
  },
  { what: 'an empty name', method: 'POST', path: '/v1/projects', body: { name: '', priority: 3 }, status: 422, expect: isDetail },
  { what: 'a name of 129 characters', method: 'POST', path: '/v1/projects', body: { name: 'x'.repeat(129), priority: 3 }, status: 422, expect: isDetail },
  { what: 'priority 11', method: 'POST', path: '/v1/projects', body: { name: 'x', priority: 11 }, status: 422, expect: isDetail },
  { what: 'priority as a string (bodies are not coerced)', method: 'POST', path: '/v1/projects', body: { name: 'x', priority: '3' }, status: 422, expect: isDetail },
  { what: 'a missing priority', method: 'POST', path: '/v1/projects', body: { name: 'x' }, status: 422, expect: isDetail },
  { what: 'a name of 128 characters', method: 'POST', path: '/v1/projects', body: { name: 'x'.repeat(128), priority: 0 }, status: 201 },
  { what: 'the tasks', method: 'GET', path: '/v1/projects/42/tasks', status: 200, expect: (body) => deepStrictEqual(body, tasksOf(42, payload)) },
  { what: 'tasks of a non-integer id', method: 'GET', path: '/v1/projects/abc/tasks', status: 422, expect: isDetail },
]

/** Checks every endpoint's status and body, 422s included; throws naming every failure. */
export async function verify(server: RunningServer): Promise<void> {
  const failures: string[] = []
  for (const check of checksFor(server.payload)) {
    try {
      const res = await fetch(server.url + check.path, {
        method: check.method,
        headers: check.body === undefined ? {} : { 'content-type': 'application/json' },
        body: check.body === undefined ? undefined : JSON.stringify(check.body),
      })
      const text = await res.text()
      if (res.status !== check.status) throw new Error(`expected ${check.status}, got ${res.status}: ${text.slice(0, 300)}`)
      if (!/^application\/json/.test(res.headers.get('content-type') ?? '')) throw new Error(`expected JSON, got content-type ${res.headers.get('content-type')}`)
      check.expect?.(JSON.parse(text))
    } catch (error) {
      failures.push(`${check.method} ${check.path} (${check.what}): ${(error as Error).message}`)
    }
  }
  if (failures.length > 0) throw new Error(`Server "${server.name}" answers wrongly:\n  ${failures.join('\n  ')}`)
}

/** One load run's numbers. */
export interface Measurement {
  rps: number
  p99: number
  p50: number
  requests: number
  /** Share of one core the server used during the run (100 = saturated). */
  serverCpu: number
  /** Share of one core this process (the load generator) used. */
  loadCpu: number
  /** Server CPU time per response, in µs: robust to other processes sharing the machine. */
  cpuPerRequest: number
  /** Share of the server's core busy with anything but the server (other processes, interrupts). */
  coreOther: number
  /** Share of the load generator's core busy with anything but this process. */
  loadCoreOther: number
}

/** Loads `endpoint` for `seconds` with `connections` connections; fails on errors or wrong statuses. */
export async function load(server: RunningServer, endpoint: Endpoint, seconds: number, connections: number): Promise<Measurement> {
  const serverBefore = processCpuSeconds(server.child.pid!)
  const coreBefore = coreBusySeconds(SERVER_CORE)
  const loadCoreBefore = coreBusySeconds(LOAD_CORE)
  const loadBefore = process.cpuUsage()
  const wallBefore = performance.now()
  const result: Result = await autocannon({
    url: server.url + endpoint.path,
    method: endpoint.method,
    headers: endpoint.headers,
    body: endpoint.body,
    connections,
    duration: seconds,
    pipelining: 1,
  })
  const wall = (performance.now() - wallBefore) / 1000
  const serverSeconds = processCpuSeconds(server.child.pid!) - serverBefore
  const serverCpu = (serverSeconds / wall) * 100
  const coreOther = Math.max(0, ((coreBusySeconds(SERVER_CORE) - coreBefore - serverSeconds) / wall) * 100)
  const used = process.cpuUsage(loadBefore)
  const loadCpu = ((used.user + used.system) / 1e6 / wall) * 100
  const loadCoreOther = Math.max(0, ((coreBusySeconds(LOAD_CORE) - loadCoreBefore) / wall) * 100 - loadCpu)
  const good = result.statusCodeStats[String(endpoint.status)]?.count ?? 0
  const total = result.requests.total
  if (result.errors > 0 || result.timeouts > 0 || good !== total || total === 0) {
    throw new Error(`Load on ${server.name} ${endpoint.label} went wrong: ${total} responses, ${good} with status ${endpoint.status}, statuses ${JSON.stringify(result.statusCodeStats)}, ${result.errors} errors, ${result.timeouts} timeouts`)
  }
  return { rps: total / result.duration, p99: result.latency.p99, p50: result.latency.p50, requests: total, serverCpu, loadCpu, cpuPerRequest: (serverSeconds * 1e6) / total, coreOther, loadCoreOther }
}

/** The same measurement as {@link load}, with wrk (one thread, on this process's core) as the client. */
export async function loadWrk(server: RunningServer, endpoint: Endpoint, seconds: number, connections: number): Promise<Measurement> {
  const serverBefore = processCpuSeconds(server.child.pid!)
  const coreBefore = coreBusySeconds(SERVER_CORE)
  const loadCoreBefore = coreBusySeconds(LOAD_CORE)
  const self = process.cpuUsage()
  const wallBefore = performance.now()
  const result = await wrk({ url: server.url + endpoint.path, method: endpoint.method, headers: endpoint.headers, body: endpoint.body }, seconds, connections)
  const wall = (performance.now() - wallBefore) / 1000
  const serverSeconds = processCpuSeconds(server.child.pid!) - serverBefore
  const used = process.cpuUsage(self)
  const mine = (used.user + used.system) / 1e6
  const loadCpu = (result.cpuSeconds / wall) * 100
  if (result.non2xx > 0 || result.socketErrors > 0 || result.requests === 0) {
    throw new Error(`Load (wrk) on ${server.name} ${endpoint.label} went wrong: ${result.requests} responses, ${result.non2xx} not 2xx/3xx, ${result.socketErrors} socket errors`)
  }
  return {
    rps: result.rps,
    p99: result.p99,
    p50: result.p50,
    requests: result.requests,
    serverCpu: (serverSeconds / wall) * 100,
    loadCpu,
    cpuPerRequest: (serverSeconds * 1e6) / result.requests,
    coreOther: Math.max(0, ((coreBusySeconds(SERVER_CORE) - coreBefore - serverSeconds) / wall) * 100),
    // this process idles while wrk runs, but what it did use is not "others"
    loadCoreOther: Math.max(0, ((coreBusySeconds(LOAD_CORE) - loadCoreBefore - mine) / wall) * 100 - loadCpu),
  }
}

/** User + system CPU seconds a process has used so far (all its threads). */
export function processCpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  // fields[0] is the state (field 3 of stat): utime is field 14, stime field 15
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND
}

/** How busy both cores are with other processes right now (max of the two, % of a core), over `ms`. */
export async function backgroundLoad(ms = 500): Promise<number> {
  const before = [coreBusySeconds(SERVER_CORE), coreBusySeconds(LOAD_CORE)]
  const self = process.cpuUsage()
  await new Promise((resolve) => setTimeout(resolve, ms))
  const used = process.cpuUsage(self)
  const mine = (used.user + used.system) / 1e6
  const server = ((coreBusySeconds(SERVER_CORE) - before[0]!) / ms) * 1000 * 100
  const load = ((coreBusySeconds(LOAD_CORE) - before[1]! - mine) / ms) * 1000 * 100
  return Math.max(server, load, 0)
}

/** Busy (non-idle) CPU seconds of one core so far, from /proc/stat. */
export function coreBusySeconds(core: string): number {
  const line = readFileSync('/proc/stat', 'utf8')
    .split('\n')
    .find((l) => l.startsWith(`cpu${core} `))
  if (!line) return 0
  const [user, nice, system, idle, iowait, irq, softirq, steal] = line.split(/\s+/).slice(1).map(Number) as number[]
  return ((user ?? 0) + (nice ?? 0) + (system ?? 0) + (irq ?? 0) + (softirq ?? 0) + (steal ?? 0)) / CLOCK_TICKS_PER_SECOND
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}
