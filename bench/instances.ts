// Two fieldwork instances behind HAProxy against one, on the tasks list of a project (the example
// as users run it: bearer auth, the per-request transaction, the response model). Starts the set
// the scale test starts (examples/fieldwork/scripts/instances.ts: PostgreSQL 15, s3rver, the app
// processes, HAProxy), then loads instance A directly and the load balancer in front of A and B
// in interleaved rounds with autocannon, and prints req/s, p99 and the ratio.
//
// On this 2-core machine the two instances, HAProxy, PostgreSQL and the load generator share the
// same two cores, so 1.6× is not expected: the report says where the time went (CPU per process).
//
//   node --import tsx --conditions=source bench/instances.ts [--seconds 10] [--rounds 3] [--connections 32]
import { randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { parseArgs } from 'node:util'
import autocannon, { type Result } from 'autocannon'
import pgPromise from 'pg-promise'
import { startInstances, type Instances } from '../examples/fieldwork/scripts/instances.js'

const { values: args } = parseArgs({ options: { seconds: { type: 'string', default: '10' }, rounds: { type: 'string', default: '3' }, connections: { type: 'string', default: '32' } } })
const SECONDS = Number(args.seconds)
const ROUNDS = Number(args.rounds)
const CONNECTIONS = Number(args.connections)
const PASSWORD = 'long enough password'

/** A JSON request to the set; throws on an unexpected status. */
async function call<T>(base: string, method: string, path: string, status: number, body?: unknown, token?: string): Promise<T> {
  const headers: Record<string, string> = {}
  if (token) headers.authorization = `Bearer ${token}`
  if (body !== undefined) headers['content-type'] = 'application/json'
  const res = await fetch(`${base}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) })
  const text = await res.text()
  if (res.status !== status) throw new Error(`${method} ${path}: ${res.status}, not ${status}: ${text.slice(0, 500)}`)
  return JSON.parse(text) as T
}

/** A project manager's token and the tasks list of a split project, made through the load balancer. */
async function prepare(set: Instances): Promise<{ token: string; path: string; tasks: number }> {
  const email = `bench.${randomBytes(4).toString('hex')}@example.org`
  await call(set.url, 'POST', '/v1/users', 201, { email, name: 'Bench', password: PASSWORD })
  const pgp = pgPromise()
  const db = pgp(set.databaseUrl)
  await db.none('UPDATE users SET is_admin = true WHERE email = $1', [email])
  pgp.end()
  const { access_token: token } = await call<{ access_token: string }>(set.url, 'POST', '/v1/auth/tokens', 200, { email, password: PASSWORD })
  const area = { type: 'Polygon', coordinates: [[[32.5, 0.3], [32.55, 0.3], [32.55, 0.35], [32.5, 0.35], [32.5, 0.3]]] }
  const { id } = await call<{ id: number }>(set.url, 'POST', '/v1/projects', 201, { name: 'Bench wells', area }, token)
  const tasks = await call<unknown[]>(set.url, 'POST', `/v1/projects/${id}/tasks`, 201, { cellMetres: 1000 }, token)
  return { token, path: `/v1/projects/${id}/tasks?limit=100`, tasks: tasks.length }
}

/** CPU seconds a process has used so far (user + system, from /proc). */
function cpuSeconds(pid: number | undefined): number {
  if (pid === undefined) return 0
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')
    return (Number(fields[11]) + Number(fields[12])) / 100
  } catch {
    return 0
  }
}

interface Round {
  rps: number
  p99: number
  errors: number
  /** CPU seconds per process name over the round. */
  cpu: Record<string, number>
}

async function measure(url: string, token: string, pids: Record<string, number | undefined>): Promise<Round> {
  const before = Object.fromEntries(Object.entries(pids).map(([name, pid]) => [name, cpuSeconds(pid)]))
  const result: Result = await autocannon({ url, connections: CONNECTIONS, duration: SECONDS, headers: { authorization: `Bearer ${token}` } })
  const cpu = Object.fromEntries(Object.entries(pids).map(([name, pid]) => [name, cpuSeconds(pid) - before[name]!]))
  const ok = result.statusCodeStats['200']?.count ?? 0
  return { rps: ok / SECONDS, p99: result.latency.p99, errors: result.requests.total - ok + result.errors, cpu }
}

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!

async function main(): Promise<void> {
  const set = await startInstances({ instances: 2, env: { LOG_LEVEL: 'warn', AUTH_ATTEMPTS_PER_ADDRESS: '100000' } })
  try {
    const { token, path, tasks } = await prepare(set)
    const [a, b] = set.instances
    const pids = { a: a!.pid, b: b!.pid }
    console.log(`tasks list of ${tasks} tasks (a page of 100), ${CONNECTIONS} connections, ${ROUNDS} rounds × ${SECONDS} s, load average ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}`)
    // warm both instances' code and caches
    await measure(set.url + path, token, pids)
    const one: Round[] = []
    const two: Round[] = []
    for (let round = 0; round < ROUNDS; round++) {
      one.push(await measure(a!.url + path, token, pids))
      two.push(await measure(set.url + path, token, pids))
      console.log(`round ${round + 1}: one instance ${one.at(-1)!.rps.toFixed(0)} req/s, two behind HAProxy ${two.at(-1)!.rps.toFixed(0)} req/s`)
    }
    const row = (label: string, rounds: Round[]): string => {
      const cpu = Object.keys(pids).map((name) => `${name} ${(median(rounds.map((r) => r.cpu[name]!)) / SECONDS * 100).toFixed(0)}%`).join(', ')
      return `| ${label} | ${median(rounds.map((r) => r.rps)).toFixed(0)} | ${median(rounds.map((r) => r.p99)).toFixed(1)} | ${rounds.reduce((n, r) => n + r.errors, 0)} | ${cpu} |`
    }
    console.log('\n| target | req/s (median) | p99 ms | errors | CPU of instance a, b |\n| --- | --- | --- | --- | --- |')
    console.log(row('instance A directly', one))
    console.log(row('HAProxy → A + B', two))
    console.log(`\nratio two / one: ${(median(two.map((r) => r.rps)) / median(one.map((r) => r.rps))).toFixed(2)}×`)
  } finally {
    await set.close()
  }
}

await main()
