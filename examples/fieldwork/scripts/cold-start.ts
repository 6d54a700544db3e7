// Cold start of `npm start` to the first page served, for the session note (not a test): spawns
// `npm start` from the repository root as a newcomer would, polls for the sign-in page and records
// the time from the spawn to its 200, and to the "Listening" log line. Three kinds of start,
// interleaved round by round so that the machine's noise hits each alike:
//   fresh:   an empty data folder (initdb, migrations, demo accounts) and no tsx cache
//   new-db:  an empty data folder, tsx's compile cache warm
//   warm:    the data folder of an earlier run (the database starts, nothing to migrate)
//   direct:  as warm, but `node --import tsx src/main.ts` without npm (what npm itself costs)
// Run from the repository root, alone on the machine:
//   flock /tmp/bench.lock node --import tsx examples/fieldwork/scripts/cold-start.ts
// (ROUNDS=5 by default; the CPU figure sums the app's process group: node and its workers)
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { chmod, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const ROUNDS = Number(process.env.ROUNDS ?? 5)
const root = fileURLToPath(new URL('../../..', import.meta.url))

interface Start {
  kind: string
  listeningMs: number
  firstPageMs: number
  cpuMs: number
}

async function newDataDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'fieldwork-cold-'))
  await chmod(dir, 0o755)
  return dir
}

async function startOnce(kind: string, dataDir: string, env: Record<string, string>, direct = false): Promise<Start> {
  const started = performance.now()
  const childEnv: Record<string, string | undefined> = { ...process.env, PORT: '0', NODE_ENV: 'development', LOG_LEVEL: 'info', DATA_DIR: dataDir, ...env }
  for (const key of ['DATABASE_URL', 'DB_HOST', 'SECRET_KEY']) delete childEnv[key]
  // its own process group: npm and sh do not pass signals on, the group reaches the app itself
  const child = direct
    ? spawn(process.execPath, ['--import', 'tsx', '--conditions=source', 'src/main.ts'], { cwd: join(root, 'examples/fieldwork'), detached: true, env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] })
    : spawn('npm', ['start'], { cwd: root, detached: true, env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] })
  let output = ''
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk))
  try {
    const { url, listeningMs } = await new Promise<{ url: string; listeningMs: number }>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`npm start did not listen within 120 s:\n${output}`)), 120_000)
      child.stdout!.on('data', (chunk: Buffer) => {
        output += chunk
        const found = /"url":"(http:[^"]+)".*"msg":"Listening"/.exec(output)?.[1]
        if (found) {
          clearTimeout(timer)
          resolve({ url: found, listeningMs: performance.now() - started })
        }
      })
      child.once('exit', (code) => reject(new Error(`npm start exited with ${code}:\n${output}`)))
    })
    // the first page a browser gets: the sign-in page, rendered by the app (layout and all)
    for (;;) {
      const res = await fetch(`${url}/login`, { headers: { accept: 'text/html' } }).catch(() => undefined)
      if (res?.status === 200 && (await res.text()).includes('<form id="login"')) break
      await new Promise((resolve) => setTimeout(resolve, 5))
    }
    const firstPageMs = performance.now() - started
    return { kind, listeningMs, firstPageMs, cpuMs: await stopAndCpu(child.pid!) }
  } finally {
    if (child.exitCode === null && child.signalCode === null) {
      process.kill(-child.pid!, 'SIGTERM')
      await once(child, 'exit')
    }
  }
}

// CPU the app's process tree used up to the first page, read from /proc before stopping it
async function stopAndCpu(groupId: number): Promise<number> {
  const { readdir, readFile } = await import('node:fs/promises')
  let ticks = 0
  for (const pid of await readdir('/proc')) {
    if (!/^\d+$/.test(pid)) continue
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '')
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    // fields after the name: [2] ppid … [2]=pgrp is index 2 from state: state ppid pgrp
    if (Number(fields[2]) !== groupId) continue
    ticks += Number(fields[11]) + Number(fields[12]) // utime + stime
  }
  return ticks * 10 // USER_HZ is 100 on Linux
}

const results: Start[] = []
const warmDir = await newDataDir()
const toRemove = [warmDir]
try {
  // the warm folder gets its database once, outside the measurements
  await startOnce('setup', warmDir, {})
  for (let round = 0; round < ROUNDS; round++) {
    const fresh = await newDataDir()
    const newDb = await newDataDir()
    toRemove.push(fresh, newDb)
    results.push(await startOnce('fresh', fresh, { TSX_DISABLE_CACHE: '1' }))
    results.push(await startOnce('new-db', newDb, {}))
    results.push(await startOnce('warm', warmDir, {}))
    results.push(await startOnce('direct', warmDir, {}, true))
  }
} finally {
  await Promise.all(toRemove.map((dir) => rm(dir, { recursive: true, force: true })))
}

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!
for (const kind of ['fresh', 'new-db', 'warm', 'direct']) {
  const runs = results.filter((r) => r.kind === kind)
  const fmt = (values: number[]) => values.map((v) => Math.round(v)).join(', ')
  console.log(`${kind.padEnd(7)} first page ms: ${fmt(runs.map((r) => r.firstPageMs))} (median ${Math.round(median(runs.map((r) => r.firstPageMs)))}); listening ms: median ${Math.round(median(runs.map((r) => r.listeningMs)))}; CPU ms of the app's processes: ${fmt(runs.map((r) => r.cpuMs))}`)
}
