// Several fieldwork instances behind a load balancer, on one machine, as they would run on
// several: one PostgreSQL, one S3-compatible object store, N app processes that share nothing
// else (each its own DATA_DIR and UPLOAD_TEMP_DIR; the same SECRET_KEY, DATABASE_URL and STORAGE_URL),
// and Debian's HAProxy in front, checking `/health/ready` (which a stopping instance answers 503
// while it still serves for SHUTDOWN_DRAIN_MS, so HAProxy takes it out first) and retrying on
// the other instance a request that found no connection or no answer. Everything listens on
// 127.0.0.1 on free ports.
//
// Run it from the repository root to try a rolling restart by hand:
//   node --import tsx --conditions=source examples/fieldwork/scripts/instances.ts [N]
// It prints the load balancer's and each instance's URL and the pids to send SIGTERM to; Ctrl-C
// stops everything. Needs `haproxy` on PATH (apt-get install haproxy) and, unless DATABASE_URL
// is set, Debian's PostgreSQL 15 binaries (/usr/lib/postgresql/15/bin, or PG_BIN). With
// DATABASE_URL set, a fresh database is made in that server and dropped at the end; with
// STORAGE_URL and the S3_* settings set, that store is used instead of a local s3rver.
// The tests (test/scale/instances.test.ts) start the same thing through `startInstances`.
import { spawn, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { once } from 'node:events'
import { chmod, chown, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir, userInfo } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const FIELDWORK_DIR = fileURLToPath(new URL('..', import.meta.url))
/** HAProxy's health check interval. */
const CHECK_INTERVAL_MS = 500
/**
 * How long a stopping instance goes on serving while its readiness check answers 503: HAProxy
 * needs up to one interval, then 250 ms, to see two failed checks; the rest is margin for a
 * loaded machine.
 */
const DRAIN_MS = 2500
const PG_BIN = process.env.PG_BIN ?? '/usr/lib/postgresql/15/bin'

/** Options of {@link startInstances}. */
export interface InstancesOptions {
  /** App processes (default 2). */
  instances?: number
  /** Settings given to every instance, over the defaults (e.g. the sign-in limits). */
  env?: Record<string, string>
  /** Where each instance's output goes besides its `output` buffer (default nowhere). */
  echo?: boolean
}

/** One app process behind the load balancer. */
export interface Instance {
  /** `a`, `b`, …: also the HAProxy server name, sent back in the `X-Served-By` header. */
  readonly name: string
  /** Its own URL, bypassing the load balancer. */
  readonly url: string
  readonly port: number
  /** Its own data folder (DATA_DIR): never shared. */
  readonly dataDir: string
  /** Its own folder for requests' upload temp folders (UPLOAD_TEMP_DIR): never shared either. */
  readonly tempDir: string
  /** The running process's id, or undefined while stopped. */
  readonly pid: number | undefined
  /** Everything the process wrote (stdout and stderr), every run of it, in order. */
  readonly output: string
  /** Sends `signal` (default SIGTERM, as an orchestrator does) and resolves with the exit code once it exited. */
  stop(signal?: NodeJS.Signals): Promise<number | null>
  /** Starts the process again, same port and settings; resolves once it answers `/health/ready`. */
  start(): Promise<void>
}

/** The running set. */
export interface Instances {
  /** The load balancer's URL: what clients use. */
  readonly url: string
  readonly instances: readonly Instance[]
  /** The shared database, for checks a test makes behind the app's back. */
  readonly databaseUrl: string
  /** The settings every instance shares (DATABASE_URL, STORAGE_URL, S3_*, SECRET_KEY, …). */
  readonly env: Readonly<Record<string, string>>
  /** Resolves once HAProxy's health check sees `name` up (it answers requests through the load balancer). */
  waitServing(name: string, timeoutMs?: number): Promise<void>
  /** Stops everything started here and removes the temp folders. */
  close(): Promise<void>
}

/** A free TCP port on 127.0.0.1 (free when asked: taken a moment later, by what it is for). */
export async function freePort(): Promise<number> {
  const server = createServer()
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address() as { port: number }
  server.close()
  await once(server, 'close')
  return port
}

/** Runs a command to its end; rejects with its output when it fails. */
function run(command: string, args: string[], options: { user?: string } = {}): Promise<void> {
  const [file, argv] = options.user && userInfo().uid === 0 ? ['runuser', ['-u', options.user, '--', command, ...args]] : [command, args]
  return new Promise((resolve, reject) => {
    const child = spawn(file, argv, { stdio: ['ignore', 'pipe', 'pipe'] })
    let output = ''
    child.stdout.on('data', (chunk: Buffer) => (output += chunk))
    child.stderr.on('data', (chunk: Buffer) => (output += chunk))
    child.on('error', reject)
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`${command} ${args.join(' ')} failed (${code}):\n${output}`))))
  })
}

/** Polls `url` until it answers 200, or fails after `timeoutMs`. */
async function waitFor(url: string, timeoutMs: number, alive: () => boolean = () => true): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    if (!alive()) throw new Error(`Gave up waiting for ${url}: the process exited`)
    const status = await fetch(url, { signal: AbortSignal.timeout(2000) }).then(
      async (res) => (await res.arrayBuffer(), res.status),
      () => 0,
    )
    if (status === 200) return
    if (Date.now() > deadline) throw new Error(`${url} did not answer 200 within ${timeoutMs} ms (last: ${status || 'no answer'})`)
    await new Promise((resolve) => setTimeout(resolve, 200))
  }
}

interface Database {
  url: string
  close(): Promise<void>
}

/** A database of its own: a fresh one in DATABASE_URL's server, or a throwaway PostgreSQL 15 cluster. */
async function startDatabase(work: string): Promise<Database> {
  const given = process.env.DATABASE_URL
  if (given) {
    const { default: pgPromise } = await import('pg-promise')
    const pgp = pgPromise()
    const name = `fieldwork_instances_${randomBytes(4).toString('hex')}`
    try {
      await pgp(given).none('CREATE DATABASE $1:name', [name])
    } finally {
      pgp.end()
    }
    const url = new URL(given)
    url.pathname = `/${name}`
    return {
      url: url.toString(),
      async close() {
        const again = pgPromise()
        try {
          await again(given).none('DROP DATABASE IF EXISTS $1:name WITH (FORCE)', [name])
        } finally {
          again.end()
        }
      },
    }
  }
  // as CI does: initdb as the postgres user (PostgreSQL refuses to run as root), trust on 127.0.0.1
  const dir = join(work, 'pg')
  await mkdir(dir)
  const root = userInfo().uid === 0
  if (root) {
    const { uid, gid } = await postgresUser()
    await chown(dir, uid, gid)
  }
  const port = await freePort()
  const user = root ? { user: 'postgres' } : {}
  await run(join(PG_BIN, 'initdb'), ['-D', join(dir, 'data'), '-U', 'postgres', '--auth=trust', '-E', 'UTF8'], user)
  await run(join(PG_BIN, 'pg_ctl'), ['-D', join(dir, 'data'), '-l', join(dir, 'server.log'), '-w', '-o', `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c max_connections=200`, 'start'], user)
  return {
    url: `postgresql://postgres@127.0.0.1:${port}/postgres`,
    close: () => run(join(PG_BIN, 'pg_ctl'), ['-D', join(dir, 'data'), '-m', 'fast', '-w', 'stop'], user),
  }
}

async function postgresUser(): Promise<{ uid: number; gid: number }> {
  const { readFile } = await import('node:fs/promises')
  const line = (await readFile('/etc/passwd', 'utf8')).split('\n').find((l) => l.startsWith('postgres:'))
  if (!line) throw new Error('Running as root needs a "postgres" user to run PostgreSQL (apt-get install postgresql-15 makes one)')
  const [, , uid, gid] = line.split(':')
  return { uid: Number(uid), gid: Number(gid) }
}

interface ObjectStore {
  env: Record<string, string>
  close(): Promise<void>
}

/** The object store: the one STORAGE_URL names, or a local s3rver (the tests' S3 server). */
async function startObjectStore(): Promise<ObjectStore> {
  const given = process.env.STORAGE_URL
  if (given?.startsWith('s3://')) {
    const env: Record<string, string> = { STORAGE_URL: given }
    for (const key of ['S3_ENDPOINT', 'S3_REGION', 'S3_ACCESS_KEY_ID', 'S3_SECRET_ACCESS_KEY', 'S3_FORCE_PATH_STYLE']) if (process.env[key]) env[key] = process.env[key]!
    return { env, close: async () => undefined }
  }
  // s3rver is a development dependency of the repository; its helper adds the multipart calls it lacks
  const { startS3Server } = await import('../../../test/helpers/s3-server.js')
  const s3 = await startS3Server('fieldwork')
  const env = Object.fromEntries(Object.entries(s3.settings('photos/')).map(([key, value]) => [key, String(value)]))
  return { env, close: () => s3.close() }
}

/** HAProxy's configuration: round robin, health checks on /health/ready, retries elsewhere. */
export function haproxyConfig(options: { port: number; servers: readonly { name: string; port: number }[] }): string {
  return [
    'global',
    '  maxconn 2000',
    'defaults',
    '  mode http',
    '  timeout connect 2s',
    '  timeout client 60s',
    '  timeout server 60s',
    '  timeout http-request 10s',
    // a request whose connection failed, or that got no answer at all, is sent again (up to 3
    // times), to another server: an instance may close an idle kept-alive connection just as a
    // request is sent on it, and one that crashed refuses connections. HAProxy retries such a
    // request only when nothing of an answer came back and it still holds the whole request.
    '  retries 3',
    '  option redispatch 1',
    '  retry-on conn-failure empty-response response-timeout',
    '  option forwardfor',
    'frontend web',
    `  bind 127.0.0.1:${options.port}`,
    '  default_backend app',
    'backend app',
    '  balance roundrobin',
    // ready means the database answers and the instance is not stopping. On SIGTERM an instance
    // answers the check 503 at once and goes on serving for SHUTDOWN_DRAIN_MS (DRAIN_MS above)
    // before it refuses anything: 2 failed checks, the second 250 ms after the first (fastinter),
    // take it out well within that. A check unanswered within 3 s (a very busy instance) is one
    // failure, and one alone takes nothing out.
    '  option httpchk GET /health/ready',
    '  http-check expect status 200',
    '  timeout check 3s',
    `  default-server inter ${CHECK_INTERVAL_MS}ms fastinter 250ms fall 2 rise 2`,
    // which instance answered, for tests and for people trying it out
    '  http-response set-header X-Served-By %s',
    ...options.servers.map((server) => `  server ${server.name} 127.0.0.1:${server.port} check`),
    '',
  ].join('\n')
}

/**
 * Starts PostgreSQL (or uses DATABASE_URL's server), an S3 server (or STORAGE_URL's), N fieldwork
 * processes and HAProxy in front; resolves once every instance is ready and the load balancer
 * sends requests to each.
 */
export async function startInstances(options: InstancesOptions = {}): Promise<Instances> {
  const count = options.instances ?? 2
  const work = await mkdtemp(join(tmpdir(), 'fieldwork-instances-'))
  await chmod(work, 0o755)
  const closers: (() => Promise<unknown>)[] = [() => rm(work, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 })]
  const close = async (): Promise<void> => {
    for (const closer of closers.splice(0).reverse()) await closer().catch((error: unknown) => console.error(error))
  }
  try {
    const [database, store] = await Promise.all([startDatabase(work), startObjectStore()])
    closers.push(() => database.close(), () => store.close())
    const env: Record<string, string> = {
      NODE_ENV: 'production',
      HOST: '127.0.0.1',
      SECRET_KEY: process.env.SECRET_KEY ?? randomBytes(32).toString('base64url'),
      DATABASE_URL: database.url,
      // the client's address for the sign-in limits comes from HAProxy's X-Forwarded-For
      TRUST_PROXY: 'true',
      WORKER_THREADS: '1',
      LOG_LEVEL: 'info',
      SHUTDOWN_DRAIN_MS: String(DRAIN_MS),
      ...store.env,
      ...options.env,
    }
    const instances: ManagedInstance[] = []
    for (let i = 0; i < count; i++) {
      const name = String.fromCharCode(97 + i)
      const dataDir = join(work, `data-${name}`)
      // a temp folder of its own too: an upload half-received by one instance is no business of
      // another's (and the start-up sweep of stale request folders must see only its own)
      const tempDir = join(work, `upload-temp-${name}`)
      await mkdir(dataDir)
      await mkdir(tempDir)
      instances.push(new ManagedInstance(name, await freePort(), dataDir, tempDir, { ...env, DATA_DIR: dataDir, UPLOAD_TEMP_DIR: tempDir }, options.echo ?? false))
    }
    closers.push(() => Promise.all(instances.map((instance) => instance.stop('SIGTERM'))))
    // together, as a deployment starts them: the migrations' advisory lock lets one apply them
    await Promise.all(instances.map((instance) => instance.start()))

    const port = await freePort()
    const config = join(work, 'haproxy.cfg')
    await writeFile(config, haproxyConfig({ port, servers: instances }))
    const haproxy = spawn('haproxy', ['-db', '-f', config], { stdio: ['ignore', 'pipe', 'pipe'] })
    let haproxyOutput = ''
    haproxy.stdout.on('data', (chunk: Buffer) => (haproxyOutput += chunk))
    haproxy.stderr.on('data', (chunk: Buffer) => (haproxyOutput += chunk))
    const exited = once(haproxy, 'exit')
    haproxy.on('error', () => undefined)
    closers.push(async () => {
      if (haproxy.exitCode === null && haproxy.signalCode === null) haproxy.kill('SIGTERM')
      await exited
    })
    const url = `http://127.0.0.1:${port}`
    const waitServing = async (name: string, timeoutMs = 20_000): Promise<void> => {
      const deadline = Date.now() + timeoutMs
      for (;;) {
        if (haproxy.exitCode !== null) throw new Error(`HAProxy exited:\n${haproxyOutput}`)
        const served = await fetch(`${url}/health`, { signal: AbortSignal.timeout(2000) }).then(
          async (res) => (await res.arrayBuffer(), res.headers.get('x-served-by')),
          () => null,
        )
        if (served === name) return
        if (Date.now() > deadline) throw new Error(`The load balancer did not send a request to ${name} within ${timeoutMs} ms\n${haproxyOutput}`)
        await new Promise((resolve) => setTimeout(resolve, 50))
      }
    }
    for (const instance of instances) await waitServing(instance.name)
    return { url, instances, databaseUrl: database.url, env, waitServing, close }
  } catch (error) {
    await close()
    throw error
  }
}

class ManagedInstance implements Instance {
  readonly url: string
  #child: ChildProcess | undefined
  #exited: Promise<number | null> = Promise.resolve(null)
  #output = ''

  constructor(
    readonly name: string,
    readonly port: number,
    readonly dataDir: string,
    readonly tempDir: string,
    private readonly env: Record<string, string>,
    private readonly echo: boolean,
  ) {
    this.url = `http://127.0.0.1:${port}`
  }

  get pid(): number | undefined {
    return this.#child?.pid
  }

  get output(): string {
    return this.#output
  }

  async start(): Promise<void> {
    if (this.#child) throw new Error(`Instance ${this.name} is already running`)
    // what `npm start` runs, without npm in between (so SIGTERM reaches the app itself)
    const child = spawn(process.execPath, ['--import', 'tsx', '--conditions=source', 'src/main.ts'], {
      cwd: FIELDWORK_DIR,
      env: { ...process.env, ...this.env, PORT: String(this.port) },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    this.#child = child
    const record = (chunk: Buffer): void => {
      this.#output += chunk
      if (this.echo) process.stdout.write(`[${this.name}] ${chunk}`)
    }
    child.stdout!.on('data', record)
    child.stderr!.on('data', record)
    this.#exited = new Promise((resolve) =>
      child.once('exit', (code) => {
        this.#child = undefined
        resolve(code)
      }),
    )
    try {
      await waitFor(`${this.url}/health/ready`, 90_000, () => this.#child === child)
    } catch (error) {
      throw new Error(`Instance ${this.name} did not start: ${(error as Error).message}\n${this.#output}`)
    }
  }

  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
    const child = this.#child
    if (!child) return this.#exited
    child.kill(signal)
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000)
    try {
      return await this.#exited
    } finally {
      clearTimeout(timer)
    }
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const running = await startInstances({ instances: Number(process.argv[2] ?? 2), echo: process.env.ECHO === '1' })
  console.log(`Load balancer: ${running.url}  (HAProxy; X-Served-By says which instance answered)`)
  for (const instance of running.instances) console.log(`Instance ${instance.name}: ${instance.url}  pid ${instance.pid}  (kill -TERM ${instance.pid} to drain it)`)
  console.log(`Database: ${running.databaseUrl}\nStorage: ${running.env.STORAGE_URL} at ${running.env.S3_ENDPOINT ?? 'AWS'}\nCtrl-C stops everything.`)
  const stop = (): void => void running.close().then(() => process.exit(0))
  process.once('SIGINT', stop)
  process.once('SIGTERM', stop)
}
