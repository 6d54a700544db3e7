// wrk (Debian's package) as a load generator beside autocannon: a C client with its own event
// loop, so a result that holds only under one client shows. Runs one wrk process (one thread),
// reads its summary and latency distribution, and fails a run with errors or wrong statuses.
import { execFile, execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/** What one wrk run measured. */
export interface WrkResult {
  rps: number
  requests: number
  /** Latency percentiles, in ms. */
  p50: number
  p99: number
  /** Answers outside 2xx/3xx, and connect/read/write/timeout errors. */
  non2xx: number
  socketErrors: number
  /** CPU seconds wrk itself used (user + system). */
  cpuSeconds: number
}

/** A request as wrk sends it. */
export interface WrkRequest {
  url: string
  method?: string
  headers?: Record<string, string>
  body?: string
}

/** Whether wrk is installed. */
export function hasWrk(): Promise<boolean> {
  return new Promise((resolve) => execFile('wrk', ['--version'], (error) => resolve(!error || (error as { code?: unknown }).code !== 'ENOENT')))
}

/**
 * Makes sure wrk is there, installing Debian's package when it is missing (as root, the way CI
 * installs its tools), so that a bench runs on a fresh machine with nothing installed by hand.
 */
export async function ensureWrk(): Promise<void> {
  if (await hasWrk()) return
  if (process.getuid?.() !== 0) throw new Error('wrk is not installed: install it (Debian: apt-get install wrk), or run with --harness autocannon')
  console.log('bench: installing wrk (Debian package)')
  execFileSync('sh', ['-c', 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null'], { stdio: 'inherit' })
  if (!(await hasWrk())) throw new Error('Could not install wrk')
}

/** Loads `request` for `seconds` with `connections` connections (one wrk thread); rejects on errors. */
export async function wrk(request: WrkRequest, seconds: number, connections: number): Promise<WrkResult> {
  const args = ['--latency', '-t1', `-c${connections}`, `-d${seconds}s`, '--timeout', '10s']
  let scriptDir: string | undefined
  if (request.method && request.method !== 'GET') {
    // wrk sends anything but a plain GET through a Lua script
    scriptDir = mkdtempSync(join(tmpdir(), 'trefoil-wrk-'))
    const script = join(scriptDir, 'request.lua')
    const lines = [`wrk.method = ${JSON.stringify(request.method)}`]
    if (request.body !== undefined) lines.push(`wrk.body = ${luaString(request.body)}`)
    for (const [name, value] of Object.entries(request.headers ?? {})) lines.push(`wrk.headers[${JSON.stringify(name)}] = ${JSON.stringify(value)}`)
    writeFileSync(script, `${lines.join('\n')}\n`)
    args.push('-s', script)
  } else {
    for (const [name, value] of Object.entries(request.headers ?? {})) args.push('-H', `${name}: ${value}`)
  }
  args.push(request.url)
  try {
    // a shell runs wrk and, once it has waited for it, prints its own /proc stat: the children's
    // CPU times (cutime, cstime) are then wrk's
    const output = await new Promise<string>((resolve, reject) => {
      execFile('sh', ['-c', 'wrk "$@" && echo "shell-stat $(cat /proc/$$/stat)"', 'sh', ...args], { maxBuffer: 1 << 20 }, (error, stdout, stderr) => (error ? reject(new Error(`wrk failed: ${error.message}\n${stderr}`)) : resolve(stdout)))
    })
    const stat = /^shell-stat .*\) (.*)$/m.exec(output)?.[1]?.split(' ')
    // after the state field (index 0): utime 11, stime 12, cutime 13, cstime 14, in USER_HZ ticks
    const cpuSeconds = stat ? (Number(stat[13]) + Number(stat[14])) / 100 : Number.NaN
    return { ...parseWrk(output), cpuSeconds }
  } finally {
    if (scriptDir) rmSync(scriptDir, { recursive: true, force: true })
  }
}

/** A Lua long string holding `text` as is. */
function luaString(text: string): string {
  let level = ''
  while (text.includes(`]${level}]`)) level += '='
  return `[${level}[${text}]${level}]`
}

/** Reads wrk's `--latency` report. */
export function parseWrk(output: string): Omit<WrkResult, 'cpuSeconds'> {
  const rps = /Requests\/sec:\s+([\d.]+)/.exec(output)
  const total = /(\d+) requests in /.exec(output)
  if (!rps || !total) throw new Error(`Cannot read wrk's output:\n${output}`)
  const percentile = (p: string): number => {
    const match = new RegExp(`^\\s+${p}%\\s+([\\d.]+)(us|ms|s|m)\\s*$`, 'm').exec(output)
    if (!match) return Number.NaN
    const factor = { us: 0.001, ms: 1, s: 1000, m: 60_000 }[match[2] as 'us' | 'ms' | 's' | 'm']
    return Number(match[1]) * factor
  }
  const non2xx = /Non-2xx or 3xx responses:\s+(\d+)/.exec(output)
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(output)
  return {
    rps: Number(rps[1]),
    requests: Number(total[1]),
    p50: percentile('50'),
    p99: percentile('99'),
    non2xx: non2xx ? Number(non2xx[1]) : 0,
    socketErrors: socket ? socket.slice(1).reduce((sum, n) => sum + Number(n), 0) : 0,
  }
}
