// The real tools for the end-to-end generator tests: a temp root that yo (dropping to uid 1000
// when run as root) can write to, the `yo` CLI finding generator-trefoil on NODE_PATH, commands
// bounded in time with their timings, and `npm start` of a generated service.
import { spawn } from 'node:child_process'
import { createHash } from 'node:crypto'
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, symlinkSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import * as assert from 'uvu/assert'

/** The repository (generator-trefoil's checkout). */
export const repo = fileURLToPath(new URL('../..', import.meta.url))

/** What a command printed (stdout and stderr, in order) and how it ended. */
export interface Ran {
  code: number | null
  output: string
}

/** Options of {@link Workspace.run}. */
export interface RunOptions {
  cwd: string
  env?: Record<string, string | undefined>
  timeoutMs?: number
}

/** One test file's temp root and its tools. */
export interface Workspace {
  root: string
  /** A folder anyone can write to, where yo writes services. */
  work: string
  /** Seconds spent per label, printed by {@link Workspace.done}. */
  timings: Record<string, number>
  /** The environment commands get: none of this process's database or npm settings. */
  env: Record<string, string | undefined>
  run(label: string, command: string, args: string[], options: RunOptions): Promise<Ran>
  /** The real `yo` CLI, finding generator-trefoil on NODE_PATH as after `npm link`. */
  yo(args: string[], cwd: string): Promise<Ran>
  /**
   * {@link Workspace.yo} at a real terminal (a pty made by util-linux's `script`): types `answer`
   * and Enter at the first yes/no question; the output with the terminal's escapes taken out.
   */
  yoAtTerminal(args: string[], cwd: string, answer: 'y' | 'n'): Promise<Ran>
  /** Compiles the generators (yo loads the JS) and builds the runtime's dist/ (which the default `--runtime pack` then copies instead of compiling each time). */
  prepare(): Promise<void>
  /** Prints the timings, deletes the root, puts back folder modes it changed. */
  done(): void
}

/** Fails with the command's output unless it exited with 0. */
export function ok(ran: Ran, what: string): void {
  assert.is(ran.code, 0, `${what} failed:\n${ran.output.slice(-4000)}`)
}

// an identity for a generated service's first commit, whatever the machine's git configuration
const GIT_IDENTITY = { GIT_AUTHOR_NAME: 'Test', GIT_AUTHOR_EMAIL: 'test@example.org', GIT_COMMITTER_NAME: 'Test', GIT_COMMITTER_EMAIL: 'test@example.org' }

/** A fresh temp root with `home/`, `generators/` (NODE_PATH) and `work/`, all writable by yo. */
export function workspace(prefix: string): Workspace {
  const root = mkdtempSync(join(tmpdir(), prefix))
  const home = join(root, 'home')
  const generators = join(root, 'generators')
  const work = join(root, 'work')
  // yo run as root drops to uid 1000: the folders it writes to must be writable by anyone, and
  // PostgreSQL (run as `postgres`) must reach the service's data folder
  for (const dir of [root, home, generators, work]) {
    mkdirSync(dir, { recursive: true })
    chmodSync(dir, 0o777)
  }
  symlinkSync(repo, join(generators, 'generator-trefoil'))
  const restoreModes = process.getuid?.() === 0 ? openPathToRepo() : () => undefined

  // the service gets its database from its own settings, never from this process's environment
  const env: Record<string, string | undefined> = { ...process.env, NO_UPDATE_NOTIFIER: '1', npm_config_update_notifier: 'false', FORCE_COLOR: '0' }
  for (const key of ['DATABASE_URL', 'DB_HOST', 'DB_PORT', 'DB_USER', 'DB_PASSWORD', 'DB_NAME', 'DB_POOL_SIZE', 'NODE_OPTIONS']) delete env[key]
  // `npm test` hands its own settings down (`npm_config_cache=/root/.npm`, …): yo, run as another
  // user, must use the npm of its own HOME
  for (const key of Object.keys(env)) if (key.toLowerCase().startsWith('npm_')) delete env[key]

  const timings: Record<string, number> = {}
  const run = (label: string, command: string, args: string[], options: RunOptions): Promise<Ran> => {
    const started = performance.now()
    return new Promise((resolve) => {
      const child = spawn(command, args, { cwd: options.cwd, env: { ...env, ...options.env }, stdio: ['ignore', 'pipe', 'pipe'], detached: true })
      let output = ''
      child.stdout.on('data', (chunk: Buffer) => (output += chunk))
      child.stderr.on('data', (chunk: Buffer) => (output += chunk))
      const timer = setTimeout(() => {
        output += `\nStopped after ${(options.timeoutMs ?? 240_000) / 1000} s`
        process.kill(-child.pid!, 'SIGKILL')
      }, options.timeoutMs ?? 240_000)
      // a command that cannot start (a folder an earlier step failed to write): a failed step, not a crash
      child.on('error', (error) => {
        clearTimeout(timer)
        resolve({ code: -1, output: `${output}\nCannot run ${command}: ${error.message}` })
      })
      child.on('close', (code) => {
        clearTimeout(timer)
        timings[label] = (timings[label] ?? 0) + (performance.now() - started) / 1000
        resolve({ code, output })
      })
    })
  }
  const yo = (args: string[], cwd: string): Promise<Ran> => {
    const cli = join(repo, 'node_modules', 'yo', 'lib', 'cli.js')
    return run(`yo ${args[0]!.split(' ')[0]}`, process.execPath, [cli, ...args], { cwd, env: { HOME: home, NODE_PATH: generators, ...GIT_IDENTITY } })
  }
  const yoAtTerminal = (args: string[], cwd: string, answer: 'y' | 'n'): Promise<Ran> => {
    const cli = join(repo, 'node_modules', 'yo', 'lib', 'cli.js')
    // script runs one shell command line: every word quoted for sh
    const line = [process.execPath, cli, ...args].map((word) => `'${word.replaceAll("'", `'\\''`)}'`).join(' ')
    const started = performance.now()
    return new Promise((resolve) => {
      const child = spawn('script', ['--quiet', '--return', '--command', line, '/dev/null'], { cwd, env: { ...env, HOME: home, NODE_PATH: generators, ...GIT_IDENTITY }, stdio: ['pipe', 'pipe', 'pipe'], detached: true })
      let output = ''
      let answered = false
      // a yo that ended before its question (a refusal) closes the pty: no answer to deliver
      child.stdin.on('error', () => undefined)
      const read = (chunk: Buffer): void => {
        output += chunk
        // the confirm prompt ends its question with (y/N); typed once, as a user would
        if (!answered && output.includes('(y/N)')) {
          answered = true
          child.stdin.write(`${answer}\r`)
        }
      }
      child.stdout.on('data', read)
      child.stderr.on('data', read)
      const timer = setTimeout(() => {
        output += '\nStopped after 120 s'
        process.kill(-child.pid!, 'SIGKILL')
      }, 120_000)
      child.on('error', (error) => {
        clearTimeout(timer)
        resolve({ code: -1, output: `${output}\nCannot run script (util-linux): ${error.message}` })
      })
      child.on('close', (code) => {
        clearTimeout(timer)
        timings[`yo ${args[0]} at a terminal`] = (timings[`yo ${args[0]} at a terminal`] ?? 0) + (performance.now() - started) / 1000
        // the prompt's cursor moves and colours, and the pty's \r\n line ends, out
        resolve({ code, output: output.replace(/\u001b\[[0-9;?]*[A-Za-z]/g, '').replaceAll('\r', '') })
      })
    })
  }
  const tsc = join(repo, 'node_modules', 'typescript', 'bin', 'tsc')
  return {
    root,
    work,
    timings,
    env,
    run,
    yo,
    yoAtTerminal,
    async prepare() {
      // another test file may be compiling the same outputs, which yo may be reading: one at a
      // time, and only what is older than its sources
      await withLock(join(tmpdir(), `trefoil-prepare-${createHash('sha1').update(repo).digest('hex').slice(0, 10)}`), async () => {
        const generatorsOut = ['app', 'unit', 'task', 'job', 'plugin', 'lib'].map((dir) => join(repo, 'generators', dir))
        if (newest(join(repo, 'generators', 'src')) > oldest(generatorsOut)) ok(await run('compile generators', process.execPath, [tsc, '-p', join(repo, 'generators', 'tsconfig.json')], { cwd: repo }), 'compiling the generators')
        const runtime = join(repo, 'runtime')
        if (Math.max(newest(join(runtime, 'src')), newest(join(runtime, 'tsconfig.build.json')), newest(join(runtime, 'package.json'))) > oldest([join(runtime, 'dist')])) {
          ok(await run('build runtime', process.execPath, [tsc, '-p', join(runtime, 'tsconfig.build.json')], { cwd: repo }), 'building the runtime')
        }
      })
    },
    done() {
      console.log(`timings (s): ${Object.entries(timings).map(([label, s]) => `${label} ${s.toFixed(1)}`).join(', ')}`)
      rmSync(root, { recursive: true, force: true })
      restoreModes()
    },
  }
}

/** The latest modification time under `path` (0 when it does not exist). */
function newest(path: string): number {
  if (!existsSync(path)) return 0
  const stat = statSync(path)
  if (!stat.isDirectory()) return stat.mtimeMs
  return Math.max(stat.mtimeMs, ...readdirSync(path).map((entry) => newest(join(path, entry))))
}

/** The earliest modification time of the files under `paths` (0 when one is missing or empty). */
function oldest(paths: readonly string[]): number {
  let found = Infinity
  const walk = (path: string): void => {
    const stat = statSync(path)
    if (stat.isDirectory()) for (const entry of readdirSync(path)) walk(join(path, entry))
    else found = Math.min(found, stat.mtimeMs)
  }
  for (const path of paths) {
    if (!existsSync(path)) return 0
    walk(path)
  }
  return found === Infinity ? 0 : found
}

/** Runs `fn` holding the lock folder `lock` (made atomically; one left by a crash is taken after 15 minutes). */
async function withLock(lock: string, fn: () => Promise<void>): Promise<void> {
  const deadline = Date.now() + 10 * 60_000
  for (;;) {
    try {
      mkdirSync(lock)
      break
    } catch {
      if (existsSync(lock) && Date.now() - statSync(lock).mtimeMs > 15 * 60_000) rmSync(lock, { recursive: true, force: true })
      else if (Date.now() > deadline) throw new Error(`Cannot take ${lock}: held for 10 minutes`)
      await new Promise((resolve) => setTimeout(resolve, 500))
    }
  }
  try {
    await fn()
  } finally {
    rmSync(lock, { recursive: true, force: true })
  }
}

/**
 * yo drops to uid 1000, which must reach the repo: where a folder above it is closed to others
 * (a clone made inside a `mktemp -d` folder, mode 700), let others pass through it (search only,
 * never read) for the length of the test file; the modes are put back afterwards.
 */
function openPathToRepo(): () => void {
  const changed: [string, number][] = []
  for (let dir = repo; dir !== dirname(dir); dir = dirname(dir)) {
    const mode = statSync(dir).mode & 0o7777
    // yo changes its uid but keeps gid 0 (no SUDO_GID): root's group bits apply to it as well
    const needed = dir === repo ? 0o055 : 0o011
    if ((mode & needed) !== needed) {
      chmodSync(dir, mode | needed)
      changed.push([dir, mode])
    }
  }
  return () => {
    for (const [dir, mode] of changed) chmodSync(dir, mode)
  }
}

/**
 * `npm start` of the service in `cwd` on a free port; resolves once it listens, with its URL, a
 * stop function and the app's start-up line (`Started`: its routes, hooks and answer path).
 */
export async function start(space: Workspace, cwd: string): Promise<{ base: string; stop: () => Promise<void>; started: Record<string, unknown> | undefined }> {
  const child = spawn('npm', ['start'], { cwd, env: { ...space.env, PORT: '0', NODE_ENV: 'development', LOG_LEVEL: 'info' }, stdio: ['ignore', 'pipe', 'pipe'], detached: true })
  let output = ''
  const stop = async (): Promise<void> => {
    const exited = new Promise((resolve) => child.once('exit', resolve))
    process.kill(-child.pid!, 'SIGTERM') // the app closes the embedded PostgreSQL on SIGTERM
    await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 15_000))])
    try {
      process.kill(-child.pid!, 'SIGKILL')
    } catch {
      // the group is gone already
    }
  }
  try {
    const base = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`npm start did not listen within 60 s:\n${output}`)), 60_000)
      const read = (chunk: Buffer): void => {
        output += chunk
        const url = /"url":"(http:[^"]+)".*"msg":"Listening"/.exec(output)?.[1]
        if (url) {
          clearTimeout(timer)
          resolve(url)
        }
      }
      child.stdout.on('data', read)
      child.stderr.on('data', read)
      child.once('exit', (code) => reject(new Error(`npm start exited with ${code}:\n${output}`)))
    })
    const line = output.split('\n').find((entry) => entry.includes('"msg":"Started"'))
    return { base, stop, started: line ? (JSON.parse(line) as Record<string, unknown>) : undefined }
  } catch (error) {
    await stop()
    throw error
  }
}
