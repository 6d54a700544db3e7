// `node --import tsx --conditions=source bench/uploads.ts`: a 1 GiB upload to local servers,
// each sent by the machine's `curl`, all in one run with the rounds interleaved (and the order
// rotated each round, so a noisy stretch of the shared machine does not always hit the same one):
//   - baseline: `curl -T file` to a sink that only answers HTTP by hand and pipes the bytes to
//     `cat > file` (the same transport and disk, no parsing, no hashing, no checks): the issue's
//     target is ≥ 80% of its MB/s;
//   - bare node: `curl -T` to node:http piping the request into fs.createWriteStream (1 MiB
//     buffer): what Node itself reaches with no framework and no multipart parsing;
//   - trefoil: `curl -F` (multipart) to a trefoil route taking one PNG file: signature check,
//     limits, SHA-256 on (the default), and the same route with `hash: false`;
//   - copy: `curl file://… | cat > file`, no network: the machine's ceiling.
// For each: MB/s (median, with min–max as the noise), the CPU seconds per GiB of the whole
// transfer (curl + receiver; CPU time hardly depends on what else the machine runs), and for the
// servers the peak RSS growth during the upload (sampled every 5 ms, and the kernel's max RSS).
// Targets: trefoil ≥ 80% of the baseline's MB/s; RSS growth < 64 MiB whatever the size.
// RSS growth is counted from the RSS just before each upload. `--gc` forces a full garbage
// collection first (a settled base, as this bench did before): measured here, after a forced GC
// V8's concurrent marking runs through the whole next upload, in any Node receiver (the bare one
// too: +0.7–1.1 CPU s/GiB on its 4 helper threads, 30–40% fewer MB/s), so it is off by default.
// `--size` in MiB (default 1024), `--rounds` (default 5); `--serve`, `--bare` and `--sink` are
// the child processes' own modes.
//
// Last run (2026-11-25, 2 cores shared with other sessions, load 2.0–2.4, 5 rounds):
//   baseline  764 MB/s (754–802)                     1.96 CPU s/GiB
//   bare node 797 MB/s (702–901)   paired 104%       1.73 CPU s/GiB
//   trefoil   837 MB/s (759–868)   paired 104% (rounds 1.00–1.15)   2.31 CPU s/GiB
//   trefoil with hash: false 1125 MB/s (1120–1187)   paired 147% (1.44–1.58)   1.57 CPU s/GiB
//   server RSS growth, worst round: trefoil 19.7 MiB, hash: false 5.3 MiB, bare 13.3 MiB
// Before (same bench, earlier the same day): trefoil 41% of the baseline with SHA-256, 62%
// without. What moved it (runtime/src/uploads/sink.ts, thread.ts):
//   - the event loop no longer hashes nor copies: chunks are written as received (writev of
//     gathered chunks on libuv's pool) and the upload thread hashes by reading back what was
//     written (a SharedArrayBuffer ring the event loop copied into cost it ~0.25 s/GiB; hashing
//     on the event loop, with the same writes, gave 54% at 3.92 CPU s/GiB);
//   - 512 KiB writes, two in flight: 1 MiB writes gave 73–78% (2.8–3.1 CPU s/GiB), 256 KiB
//     93–101%, 128 KiB 45%; one write at a time gathering up to 4 MiB 61% (3.96 CPU s/GiB).
// Lessons about this machine: (1) uploads sent back to back to one server, with nothing between,
// rank the choices differently (1 MiB writes were as fast as 512 KiB there: 750–860 MB/s at
// 2.2–2.4 CPU s/GiB), so decide with this bench, interleaved; (2) the first GiB written after a
// few idle seconds costs ~0.8 s more kernel time than the next (a plain writeSync loop: 1.03 s
// against 0.18 s of system time; freed pages are apparently handed back to the host and faulted
// in again): it lands on whichever receiver writes first after a pause, so single rounds swing
// (this was the upload thread's "write time tripled after idle"); (3) what is left on the event
// loop is mostly Node's (copying each body chunk out of the HTTP parser, socket reads) and
// busboy's boundary search (~0.2 s/GiB, 20% of the event loop's CPU samples in perf).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { once } from 'node:events'
import { createWriteStream, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs'
import { createServer as createHttpServer, request, type IncomingMessage, type ServerResponse } from 'node:http'
import { createServer, type AddressInfo } from 'node:net'
import { availableParallelism, loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { pipeline } from 'node:stream/promises'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { createApp, defineUnit } from 'trefoil'

const { values: args } = parseArgs({
  options: {
    serve: { type: 'boolean', default: false },
    bare: { type: 'boolean', default: false },
    sink: { type: 'boolean', default: false },
    size: { type: 'string', default: '1024' },
    rounds: { type: 'string', default: '5' },
    gc: { type: 'boolean', default: false },
    dir: { type: 'string' },
  },
})
const MiB = 1024 * 1024
const GiB = 1024 * MiB
const RSS_BOUND = 64 * MiB

if (args.serve) await serve(args.dir!)
else if (args.bare) await bare(args.dir!)
else if (args.sink) sink()
else await main()

/** The baseline's receiver: answers HTTP by hand and writes the body to stdout (`| cat > file`). */
function sink(): void {
  // its CPU from the moment it listens (node and tsx starting up are not the baseline's work)
  let started = process.cpuUsage()
  const server = createServer((socket) => {
    let head = Buffer.alloc(0)
    let left = -1
    socket.on('data', (chunk: Buffer) => {
      if (left < 0) {
        head = Buffer.concat([head, chunk])
        const end = head.indexOf('\r\n\r\n')
        if (end < 0) return
        left = Number(/content-length:\s*(\d+)/i.exec(head.subarray(0, end).toString('latin1'))?.[1] ?? 0)
        chunk = head.subarray(end + 4)
      }
      left -= chunk.length
      if (chunk.length > 0 && !process.stdout.write(chunk)) {
        socket.pause()
        process.stdout.once('drain', () => socket.resume())
      }
      if (left <= 0) {
        // one upload per sink: answer with its CPU time, then leave so `cat` sees the end of its input
        const cpu = process.cpuUsage(started)
        const body = JSON.stringify({ cpuSeconds: (cpu.user + cpu.system) / 1e6 })
        socket.end(`HTTP/1.1 200 OK\r\ncontent-length: ${body.length}\r\nconnection: close\r\n\r\n${body}`)
        socket.once('close', () => process.exit(0))
      }
    })
  })
  server.listen(0, '127.0.0.1', () => {
    started = process.cpuUsage()
    process.stderr.write(`${(server.address() as AddressInfo).port}\n`)
  })
}

/** Peak RSS and CPU time of this process since the last reset (what the servers report). */
function meter() {
  let peak = 0
  let base = 0
  let cpuBase = process.cpuUsage()
  const sample = (): void => {
    const rss = process.memoryUsage.rss()
    if (rss > peak) peak = rss
  }
  setInterval(sample, 5).unref()
  return {
    reset(gc: boolean) {
      if (gc) (globalThis as { gc?: () => void }).gc?.()
      base = process.memoryUsage.rss()
      peak = base
      cpuBase = process.cpuUsage()
      return { base }
    },
    read(): ServerStats {
      sample()
      const cpu = process.cpuUsage(cpuBase)
      return { base, peak, maxRss: process.resourceUsage().maxRSS * 1024, cpuSeconds: (cpu.user + cpu.system) / 1e6 }
    },
  }
}

interface ServerStats {
  base: number
  peak: number
  maxRss: number
  cpuSeconds: number
}

/** The trefoil server: one multipart route hashing, one not; reports RSS and CPU on request. */
async function serve(dir: string): Promise<void> {
  const stats = meter()
  const route = (hash: boolean) =>
    ({ multipart: { files: { file: { required: true as const, maxBytes: 4 * GiB, types: ['image/png'] } }, tempDir: join(dir, 'temp'), hash } }) as const
  const unit = defineUnit('bench', (r) => {
    // kept files are moved, the others deleted after the response: move it, as an app would;
    // then the bench deletes it once the answer is out, as the bare server does (deleting 1 GiB
    // takes ~40 ms, which is the bench's housekeeping, not the upload's)
    const drop = (path: string): void => void setImmediate(() => rmSync(path, { force: true }))
    r.post('/upload', route(true), async ({ files }) => {
      const { size, sha256 } = files.file
      drop(await files.file.saveTo(join(dir, 'kept')))
      return { size, sha256 }
    })
    r.post('/upload-unhashed', route(false), async ({ files }) => {
      const { size } = files.file
      drop(await files.file.saveTo(join(dir, 'kept')))
      return { size }
    })
    r.post('/reset', ({ query }) => stats.reset(query.gc === '1'))
    r.get('/rss', () => stats.read())
  })
  const app = createApp({ plugins: [unit], logger: false })
  await app.listen({ port: 0 })
  process.stdout.write(`${JSON.stringify({ url: app.url })}\n`)
}

/** The bare Node server: node:http, the request piped into a file; the same /reset and /rss. */
async function bare(dir: string): Promise<void> {
  const stats = meter()
  let n = 0
  const answer = (res: ServerResponse, value: unknown): void => {
    res.setHeader('content-type', 'application/json')
    res.end(JSON.stringify(value))
  }
  const server = createHttpServer(async (req: IncomingMessage, res: ServerResponse) => {
    if (req.url?.startsWith('/reset')) return answer(res, stats.reset(req.url.endsWith('?gc=1')))
    if (req.url === '/rss') return answer(res, stats.read())
    const path = join(dir, `bare-${n++}`)
    await pipeline(req, createWriteStream(path, { highWaterMark: MiB }))
    answer(res, { size: statSync(path).size })
    rmSync(path)
  })
  server.listen(0, '127.0.0.1', () => process.stdout.write(`${JSON.stringify({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` })}\n`))
}

type Name = 'baseline' | 'bare' | 'trefoil' | 'unhashed' | 'copy'

interface Run {
  seconds: number
  /** curl's and the receiver's CPU seconds. */
  cpuSeconds: number
  /** Server RSS growth: sampled peak, and the kernel's max RSS. */
  growth?: number
  maxRssGrowth?: number
}

async function main(): Promise<void> {
  const size = Number(args.size) * MiB
  const rounds = Number(args.rounds)
  const work = mkdtempSync(join(tmpdir(), 'trefoil-bench-uploads-'))
  const children: ChildProcess[] = []
  const load = [loadavg()[0]!]
  try {
    const source = join(work, 'source.png')
    await makeSource(source, size)
    const start = async (mode: string): Promise<string> => {
      const child = spawn(process.execPath, ['--expose-gc', '--import', 'tsx', '--conditions=source', fileURLToPath(import.meta.url), mode, '--dir', work], { stdio: ['ignore', 'pipe', 'inherit'] })
      children.push(child)
      const [line] = (await once(child.stdout!, 'data')) as [Buffer]
      return (JSON.parse(line.toString()) as { url: string }).url
    }
    const trefoilUrl = await start('--serve')
    const bareUrl = await start('--bare')

    // warm up: the first upload loads and compiles the code paths (and starts trefoil's upload thread)
    const small = join(work, 'small.png')
    await makeSource(small, 16 * MiB)
    curl(['-F', `file=@${small};type=image/png`, `${trefoilUrl}/upload`], work)
    curl(['-F', `file=@${small};type=image/png`, `${trefoilUrl}/upload-unhashed`], work)
    curl(['-T', small, `${bareUrl}/upload`], work)

    const measured = async (url: string, curlArgs: string[]): Promise<Run> => {
      const { base } = await askServer<{ base: number }>(`${url}/reset${args.gc ? '?gc=1' : ''}`, 'POST')
      const maxBefore = (await askServer<ServerStats>(`${url}/rss`)).maxRss
      const sent = curl(curlArgs, work)
      const after = await askServer<ServerStats>(`${url}/rss`)
      rmSync(join(work, 'kept'), { recursive: true, force: true })
      return { seconds: sent.seconds, cpuSeconds: sent.cpuSeconds + after.cpuSeconds, growth: after.peak - base, maxRssGrowth: after.maxRss - maxBefore }
    }
    const steps: Record<Name, () => Promise<Run>> = {
      copy: async () => timeCopy(source, join(work, 'copy.png'), work),
      baseline: () => timeSink(source, join(work, 'sunk.png'), work),
      bare: () => measured(bareUrl, ['-T', source, `${bareUrl}/upload`]),
      trefoil: () => measured(trefoilUrl, ['-F', `file=@${source};type=image/png`, `${trefoilUrl}/upload`]),
      unhashed: () => measured(trefoilUrl, ['-F', `file=@${source};type=image/png`, `${trefoilUrl}/upload-unhashed`]),
    }
    const order: Name[] = ['baseline', 'trefoil', 'bare', 'unhashed', 'copy']
    const runs = Object.fromEntries(order.map((name) => [name, [] as Run[]])) as Record<Name, Run[]>
    for (let round = 0; round < rounds; round++) {
      const line: string[] = []
      for (let i = 0; i < order.length; i++) {
        const name = order[(i + round) % order.length]!
        // each step starts with no dirty pages of the one before (or it pays for their writeback)
        settleDisk()
        const run = await steps[name]()
        rmSync(join(work, 'copy.png'), { force: true })
        rmSync(join(work, 'sunk.png'), { force: true })
        runs[name].push(run)
        line.push(`${name} ${mbps(size, run.seconds)}${run.growth === undefined ? '' : ` (+${(run.growth / MiB).toFixed(0)} MiB)`}`)
      }
      load.push(loadavg()[0]!)
      const ratio = runs.trefoil.at(-1)!.seconds > 0 ? runs.baseline.at(-1)!.seconds / runs.trefoil.at(-1)!.seconds : 0
      console.log(`round ${round + 1}: ${line.join(', ')} MB/s; trefoil/baseline ${(ratio * 100).toFixed(0)}%; load ${loadavg()[0]!.toFixed(1)}`)
    }
    report(size, rounds, runs, load)
  } finally {
    for (const child of children) child.kill()
    rmSync(work, { recursive: true, force: true })
  }
}

function report(size: number, rounds: number, runs: Record<Name, Run[]>, load: number[]): void {
  const gib = size / GiB
  const base = median(runs.baseline.map((r) => r.seconds))
  const row = (name: Name, label: string): string => {
    const rates = runs[name].map((r) => size / 1e6 / r.seconds)
    const cpu = median(runs[name].map((r) => r.cpuSeconds)) / gib
    const rate = size / 1e6 / median(runs[name].map((r) => r.seconds))
    const ratio = name === 'baseline' ? '' : `  ${((base / median(runs[name].map((r) => r.seconds))) * 100).toFixed(0).padStart(4)}%`
    return `  ${label.padEnd(44)} ${rate.toFixed(0).padStart(5)} MB/s  (${Math.min(...rates).toFixed(0)}–${Math.max(...rates).toFixed(0)})${ratio.padEnd(7)}  ${cpu.toFixed(2)} CPU s/GiB`
  }
  // paired per round: both ran within seconds of each other, so the machine's mood cancels out best
  const paired = (name: Name): string => {
    const ratios = runs[name].map((r, i) => runs.baseline[i]!.seconds / r.seconds)
    return `${(median(ratios) * 100).toFixed(0)}% (rounds ${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)})`
  }
  console.log('')
  console.log(`${(size / MiB).toFixed(0)} MiB upload, ${rounds} interleaved rounds${args.gc ? ', full GC forced before each' : ''}: median MB/s (min–max), % of the baseline, CPU (curl + receiver)`)
  console.log(row('baseline', 'baseline  curl -T → HTTP sink | cat > file'))
  console.log(row('bare', 'bare node curl -T → node:http → fs pipe'))
  console.log(row('trefoil', 'trefoil   curl -F → multipart, sha256 → disk'))
  console.log(row('unhashed', 'trefoil   the same with hash: false'))
  console.log(row('copy', 'ceiling   curl file:// | cat > file'))
  console.log(`  trefoil / baseline, paired per round: ${paired('trefoil')}; hash: false ${paired('unhashed')}; bare node ${paired('bare')}  (target ≥ 80%)`)
  const servers = (['trefoil', 'unhashed', 'bare'] as const).map((name) => {
    const worst = Math.max(...runs[name].map((r) => r.growth!))
    return `${name} ${(worst / MiB).toFixed(1)} MiB (kernel max RSS +${(Math.max(...runs[name].map((r) => r.maxRssGrowth!)) / MiB).toFixed(1)})`
  })
  console.log(`  server RSS growth, worst round: ${servers.join(', ')}  (target < 64 MiB)`)
  console.log(`  machine load average (1 min) during the run: ${Math.min(...load).toFixed(1)}–${Math.max(...load).toFixed(1)} on ${availableParallelism()} cores`)
  // memory is the hard bound (throughput depends on the machine and what else it runs)
  for (const name of ['trefoil', 'unhashed'] as const) {
    const worst = Math.max(...runs[name].map((r) => r.growth!))
    if (worst >= RSS_BOUND) {
      console.error(`Server RSS grew by ${(worst / MiB).toFixed(1)} MiB during the ${name} upload: over the 64 MiB bound`)
      process.exitCode = 1
    }
  }
}

/** Flushes dirty pages to disk, so no step pays for the writeback of the one before. */
function settleDisk(): void {
  spawnSync('sync', { stdio: 'inherit' })
}

/** One JSON request on a fresh connection (a pooled one may have timed out during an upload). */
function askServer<T>(url: string, method = 'GET'): Promise<T> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, agent: false }, async (res) => {
      let text = ''
      for await (const chunk of res) text += String(chunk)
      resolve(JSON.parse(text) as T)
    })
    req.on('error', reject)
    req.end()
  })
}

/**
 * A PNG-signed file of `size` bytes of random data, like the compressed media people upload (the
 * boundary search is data-dependent: a repetitive pattern measured twice the parser's CPU).
 */
async function makeSource(path: string, size: number): Promise<void> {
  const out = createWriteStream(path)
  const chunk = randomBytes(MiB)
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]).copy(chunk)
  for (let written = 0; written < size; written += MiB) {
    if (!out.write(written + MiB <= size ? chunk : chunk.subarray(0, size - written))) await once(out, 'drain')
    chunk[8] = (chunk[8]! + 1) & 0xff
  }
  out.end()
  await once(out, 'close')
}

/** `/usr/bin/time` around a command: its user + system CPU seconds, read from `file`. */
function timed(file: string, command: string[]): string[] {
  return ['/usr/bin/time', '-o', file, '-f', '%U %S', ...command]
}

function cpuOf(file: string): number {
  const [user, system] = readFileSync(file, 'utf8').trim().split(/\s+/).slice(-2).map(Number)
  return user! + system!
}

/** Runs curl (`-o /dev/null`, no `Expect:`) and checks for a 200; wall and CPU seconds. */
function curl(extra: string[], work: string): { seconds: number; cpuSeconds: number } {
  const cpuFile = join(work, 'curl-cpu.txt')
  const [command, ...rest] = timed(cpuFile, ['curl', '-sS', '-o', '/dev/null', '-H', 'Expect:', '-w', '%{http_code}', ...extra])
  const started = performance.now()
  const result = spawnSync(command!, rest, { encoding: 'utf8' })
  const seconds = (performance.now() - started) / 1000
  if (result.stdout !== '200') throw new Error(`Upload failed: HTTP ${result.stdout} ${result.stderr}`)
  return { seconds, cpuSeconds: cpuOf(cpuFile) }
}

/** `curl file://source | cat > target` (the machine's plain copy through a pipe). */
function timeCopy(source: string, target: string, work: string): Run {
  const cpuFile = join(work, 'copy-cpu.txt')
  const [command, ...rest] = timed(cpuFile, ['sh', '-c', `curl -sS "file://${source}" | cat > "${target}"`])
  const started = performance.now()
  const result = spawnSync(command!, rest, { stdio: 'inherit' })
  const seconds = (performance.now() - started) / 1000
  if (result.status !== 0) throw new Error(`Baseline copy failed: exit ${result.status}`)
  if (statSync(target).size !== statSync(source).size) throw new Error('Baseline copy is short')
  return { seconds, cpuSeconds: cpuOf(cpuFile) }
}

/** `curl -T source` to the sink, whose output goes through `cat > target`. */
async function timeSink(source: string, target: string, work: string): Promise<Run> {
  const catCpu = join(work, 'cat-cpu.txt')
  rmSync(catCpu, { force: true })
  const child = spawn('sh', ['-c', `"${process.execPath}" --import tsx --conditions=source "${fileURLToPath(import.meta.url)}" --sink | /usr/bin/time -o "${catCpu}" -f '%U %S' cat > "${target}"`], { stdio: ['ignore', 'inherit', 'pipe'], detached: true })
  const [line] = (await once(child.stderr!, 'data')) as [Buffer]
  const response = join(work, 'sink-response.json')
  const cpuFile = join(work, 'curl-cpu.txt')
  const started = performance.now()
  const result = spawnSync('/usr/bin/time', ['-o', cpuFile, '-f', '%U %S', 'curl', '-sS', '-o', response, '-H', 'Expect:', '-T', source, `http://127.0.0.1:${line.toString().trim()}/`], { stdio: 'inherit' })
  const seconds = (performance.now() - started) / 1000
  if (result.status !== 0) throw new Error(`Baseline upload failed: exit ${result.status}`)
  // the sink leaves once answered, and cat once its input ends: wait for both (and their CPU)
  await once(child, 'exit')
  child.stderr!.destroy()
  const sinkCpu = (JSON.parse(readFileSync(response, 'utf8')) as { cpuSeconds: number }).cpuSeconds
  return { seconds, cpuSeconds: cpuOf(cpuFile) + sinkCpu + cpuOf(catCpu) }
}

function mbps(bytes: number, seconds: number): string {
  return (bytes / 1e6 / seconds).toFixed(0)
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)]!
}
