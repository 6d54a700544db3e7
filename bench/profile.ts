// Where a server's time goes: runs it under `node --cpu-prof` (pinned, production mode), loads one
// endpoint with autocannon after a warm-up, and prints self time grouped by package, the same
// time charged to the package whose code caused it, the top functions, and who calls `writev`.
// Only samples taken while the load ran count (the profile's clock is CLOCK_MONOTONIC, like
// `process.hrtime`), so start-up and warm-up stay out.
//
//   node --import tsx --conditions=source bench/profile.ts --server koa,trefoil --endpoint get
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { buildTrefoil, ENDPOINTS, load, pinSelf, ROOT, startServer, verify, type Endpoint } from './harness.js'
import { SERVERS, type ServerName } from './shared.js'

const { values: args } = parseArgs({
  options: {
    server: { type: 'string', default: 'trefoil,koa' },
    endpoint: { type: 'string', default: 'get' },
    duration: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '3' },
    connections: { type: 'string', default: '32' },
    interval: { type: 'string', default: '250' },
    top: { type: 'string', default: '25' },
    callers: { type: 'string', default: 'writev' },
    trefoil: { type: 'string', default: 'dist' },
  },
})

interface CallFrame {
  functionName: string
  url: string
  lineNumber: number
}
interface ProfileNode {
  id: number
  callFrame: CallFrame
  children?: number[]
}
interface CpuProfile {
  nodes: ProfileNode[]
  startTime: number
  endTime: number
  samples: number[]
  timeDeltas: number[]
}

const PROFILE_DIR = join(ROOT, 'bench/results/profiles')

/** The package a frame belongs to, as the tables group it. */
export function packageOf(frame: CallFrame): string {
  const { url, functionName } = frame
  if (!url) {
    if (functionName === '(idle)') return '(idle)'
    if (functionName === '(garbage collector)') return 'GC'
    if (functionName === '(program)') return 'V8 / native, unattributed'
    if (functionName === '(root)') return '(root)'
    // code compiled with `new Function` has a position but no file
    if (frame.lineNumber >= 0) return 'generated code (fast-json-stringify, ajv)'
    return 'native (C++ bindings, syscalls)'
  }
  if (url.startsWith('node:')) return 'node core (JS)'
  const inModules = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url)
  if (inModules) return inModules[1]!
  if (url.includes('/runtime/src/') || /\/trefoil-bench-[^/]+\/dist\//.test(url)) return 'trefoil'
  if (url.includes('/bench/')) return 'bench app code'
  return 'other'
}

const NOT_USERLAND = new Set(['(idle)', 'GC', 'V8 / native, unattributed', '(root)', 'native (C++ bindings, syscalls)', 'node core (JS)', 'other'])

interface Analysis {
  busyMs: number
  idleMs: number
  samples: number
  bySelf: Map<string, number>
  byCharge: Map<string, number>
  byFunction: Map<string, { weight: number; pkg: string; where: string }>
  callers: Map<string, number>
}

/** Self and charged time (µs) of the samples taken between `from` and `to` (µs, monotonic). */
export function analyse(profile: CpuProfile, from: number, to: number, callersOf: string): Analysis {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]))
  const parent = new Map<number, number>()
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id)
  const result: Analysis = { busyMs: 0, idleMs: 0, samples: 0, bySelf: new Map(), byCharge: new Map(), byFunction: new Map(), callers: new Map() }
  const add = (map: Map<string, number>, key: string, value: number): void => void map.set(key, (map.get(key) ?? 0) + value)
  let time = profile.startTime
  for (let i = 0; i < profile.samples.length; i++) {
    time += profile.timeDeltas[i] ?? 0
    if (time < from || time > to) continue
    const weight = profile.timeDeltas[i + 1] ?? 0
    const leaf = byId.get(profile.samples[i]!)!
    const pkg = packageOf(leaf.callFrame)
    result.samples++
    if (pkg === '(idle)') {
      result.idleMs += weight / 1000
      continue
    }
    result.busyMs += weight / 1000
    add(result.bySelf, pkg, weight)
    const frame = leaf.callFrame
    const key = `${frame.functionName || '(anonymous)'}\u0000${pkg}\u0000${frame.url ? `${shortUrl(frame.url)}:${frame.lineNumber + 1}` : ''}`
    const entry = result.byFunction.get(key) ?? { weight: 0, pkg, where: frame.url ? `${shortUrl(frame.url)}:${frame.lineNumber + 1}` : '' }
    entry.weight += weight
    result.byFunction.set(key, entry)
    // charge the sample to the nearest userland package on the stack (who caused the work)
    let charged = NOT_USERLAND.has(pkg) ? undefined : pkg
    const chain: string[] = []
    for (let id = parent.get(leaf.id); id !== undefined; id = parent.get(id)) {
      const node = byId.get(id)!
      const p = packageOf(node.callFrame)
      if (charged === undefined && !NOT_USERLAND.has(p)) charged = p
      if (frame.functionName === callersOf && chain.length < 14) chain.push(`${node.callFrame.functionName || '(anonymous)'} [${p}]`)
    }
    if (pkg === 'GC' || pkg === 'V8 / native, unattributed') charged = pkg
    add(result.byCharge, charged ?? 'node core only (HTTP parsing, socket reads/writes)', weight)
    if (frame.functionName === callersOf) add(result.callers, chain.join(' ← '), weight)
  }
  return result
}

function shortUrl(url: string): string {
  return url
    .replace(/^file:\/\//, '')
    .replace(`${ROOT}`, '')
    .replace(/^.*node_modules\//, '')
}

// µs per request are the sample share times the process's CPU time per request (from /proc): on a
// shared machine the sampler's wall-clock gaps include time the server was not even running.
function table(title: string, map: Map<string, number>, busyUs: number, cpuPerRequest: number, limit: number): string[] {
  const rows = [...map.entries()].sort((a, b) => b[1] - a[1]).slice(0, limit)
  return [title, ...rows.map(([key, us]) => `  ${((us / busyUs) * 100).toFixed(1).padStart(5)}%  ${((us / busyUs) * cpuPerRequest).toFixed(2).padStart(6)} µs/req  ${key}`)]
}

async function profileOne(name: ServerName, endpoint: Endpoint, trefoilEntry: string | undefined): Promise<void> {
  const file = `${name}-${endpoint.key}.cpuprofile`
  // every thread writes its own profile (tsx's loader runs in one): collect them apart, keep the main thread's
  const scratch = join(PROFILE_DIR, `.${name}-${endpoint.key}`)
  rmSync(scratch, { recursive: true, force: true })
  const server = await startServer(name, { nodeFlags: ['--cpu-prof', `--cpu-prof-dir=${scratch}`, `--cpu-prof-interval=${Number(args.interval)}`], trefoilEntry })
  let from = 0
  let to = 0
  let measured
  try {
    await verify(server)
    await load(server, endpoint, Number(args.warmup), Number(args.connections))
    from = Number(process.hrtime.bigint() / 1000n)
    measured = await load(server, endpoint, Number(args.duration), Number(args.connections))
    to = Number(process.hrtime.bigint() / 1000n)
  } finally {
    await server.stop()
  }
  // CPU.<date>.<time>.<pid>.<thread id>.<seq>.cpuprofile: the main thread is thread 0
  const main = readdirSync(scratch).find((f) => /^CPU\.\d+\.\d+\.\d+\.0\.\d+\.cpuprofile$/.test(f))
  if (!main) throw new Error(`No main-thread profile in ${scratch}: ${readdirSync(scratch).join(', ')}`)
  renameSync(join(scratch, main), join(PROFILE_DIR, file))
  rmSync(scratch, { recursive: true, force: true })
  const profile = JSON.parse(readFileSync(join(PROFILE_DIR, file), 'utf8')) as CpuProfile
  const a = analyse(profile, from, to, args.callers)
  if (a.samples === 0) throw new Error(`No samples of ${file} fall in the load window: the profile's clock does not match process.hrtime here`)
  const busyUs = a.busyMs * 1000
  const perReq = busyUs / measured.requests
  const top = Number(args.top)
  const lines = [
    '',
    `== ${name} ${endpoint.label}: ${Math.round(measured.rps)} req/s under the profiler, ${measured.requests} requests, ${a.samples} samples`,
    `   main thread busy ${a.busyMs.toFixed(0)} ms (${perReq.toFixed(1)} µs/req wall), idle ${a.idleMs.toFixed(0)} ms; server process CPU ${measured.cpuPerRequest.toFixed(1)} µs/req (µs/req below = share × this)`,
    `   others used ${measured.coreOther.toFixed(0)}% of the server's core, ${measured.loadCoreOther.toFixed(0)}% of the load generator's`,
    ...table('-- self time by package', a.bySelf, busyUs, measured.cpuPerRequest, 30),
    ...table('-- charged to the package whose code is on the stack (nearest userland frame; node core work it triggers included)', a.byCharge, busyUs, measured.cpuPerRequest, 30),
    `-- top ${top} functions by self time`,
    ...[...a.byFunction.entries()]
      .sort((x, y) => y[1].weight - x[1].weight)
      .slice(0, top)
      .map(([key, f]) => `  ${((f.weight / busyUs) * 100).toFixed(1).padStart(5)}%  ${((f.weight / busyUs) * measured.cpuPerRequest).toFixed(2).padStart(6)} µs/req  ${key.split('\u0000')[0]!.padEnd(34)} ${f.pkg.padEnd(24)} ${f.where}`),
    ...table(`-- stacks calling ${args.callers}`, a.callers, busyUs, measured.cpuPerRequest, 3),
  ]
  process.stdout.write(`${lines.join('\n')}\n`)
  const summary = {
    server: name,
    endpoint: endpoint.key,
    rps: measured.rps,
    requests: measured.requests,
    busyUsPerRequest: perReq,
    cpuUsPerRequest: measured.cpuPerRequest,
    noise: { serverCore: measured.coreOther, loadCore: measured.loadCoreOther },
    selfByPackage: Object.fromEntries([...a.bySelf].sort((x, y) => y[1] - x[1]).map(([k, us]) => [k, { share: us / busyUs, usPerRequest: (us / busyUs) * measured.cpuPerRequest }])),
    chargedByPackage: Object.fromEntries([...a.byCharge].sort((x, y) => y[1] - x[1]).map(([k, us]) => [k, { share: us / busyUs, usPerRequest: (us / busyUs) * measured.cpuPerRequest }])),
    topFunctions: [...a.byFunction.entries()]
      .sort((x, y) => y[1].weight - x[1].weight)
      .slice(0, top)
      .map(([key, f]) => ({ function: key.split('\u0000')[0], package: f.pkg, where: f.where, share: f.weight / busyUs, usPerRequest: (f.weight / busyUs) * measured.cpuPerRequest })),
  }
  writeFileSync(join(PROFILE_DIR, `${name}-${endpoint.key}.summary.json`), `${JSON.stringify(summary, null, 2)}\n`)
}

async function main(): Promise<void> {
  mkdirSync(PROFILE_DIR, { recursive: true })
  if (!pinSelf()) process.stderr.write('profile: WARNING: not pinned (needs taskset and 2 cores)\n')
  const servers = args.server.split(',').map((s) => s.trim()) as ServerName[]
  for (const s of servers) if (!SERVERS.includes(s)) throw new Error(`Unknown server "${s}": choose among ${SERVERS.join(', ')}`)
  const endpoints = args.endpoint.split(',').map((key) => {
    const endpoint = ENDPOINTS.find((e) => e.key === key.trim())
    if (!endpoint) throw new Error(`Unknown endpoint "${key}": choose among ${ENDPOINTS.map((e) => e.key).join(', ')}`)
    return endpoint
  })
  const built = args.trefoil === 'dist' && servers.some((s) => s.startsWith('trefoil')) ? buildTrefoil() : undefined
  try {
    for (const endpoint of endpoints) for (const server of servers) await profileOne(server, endpoint, built?.entry)
  } finally {
    built?.cleanup()
  }
  process.stderr.write(`profile: .cpuprofile files (open in Chrome DevTools) and summaries in ${PROFILE_DIR}\n`)
}

main().catch((error: unknown) => {
  console.error(`profile: FAILED: ${(error as Error)?.stack ?? String(error)}`)
  process.exit(1)
})
