// `node --import tsx --conditions=source bench/uploads.ts`: a 1 GiB multipart upload to a local
// trefoil server (its own process) sent by the machine's `curl -F`, against two baselines of
// this machine in the same run, rounds interleaved, medians:
//   - `curl -T file` over HTTP to a sink that only pipes the bytes to `cat > file` (the same
//     transport and disk, with no parsing, hashing or checks): the baseline the target is for;
//   - `curl file://… | cat > file` (a copy through a pipe, no network): the machine's ceiling.
// Also reports the server's peak RSS growth during the upload (sampled every 5 ms, and the
// kernel's max RSS). Targets: ≥ 80% of the baseline's MB/s; RSS growth < 64 MiB whatever the size.
// `--size` in MiB (default 1024), `--rounds` (default 3); `--serve` and `--sink` are the child
// processes' own modes.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { once } from 'node:events'
import { createWriteStream, mkdtempSync, rmSync, statSync } from 'node:fs'
import { request } from 'node:http'
import { createServer, type AddressInfo } from 'node:net'
import { availableParallelism, loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { createApp, defineUnit } from 'trefoil'

const { values: args } = parseArgs({
  options: {
    serve: { type: 'boolean', default: false },
    sink: { type: 'boolean', default: false },
    size: { type: 'string', default: '1024' },
    rounds: { type: 'string', default: '3' },
    dir: { type: 'string' },
  },
})
const MiB = 1024 * 1024

if (args.serve) await serve(args.dir!)
else if (args.sink) sink()
else await main()

/** The baseline's receiver: answers HTTP by hand and writes the body to stdout (`| cat > file`). */
function sink(): void {
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
        // one upload per sink: answer, then leave so `cat` sees the end of its input
        socket.end('HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok')
        socket.once('close', () => process.exit(0))
      }
    })
  })
  server.listen(0, '127.0.0.1', () => process.stderr.write(`${(server.address() as AddressInfo).port}\n`))
}

/** The server: one multipart route; reports RSS samples on request. */
async function serve(dir: string): Promise<void> {
  let peak = 0
  let base = 0
  let cpuBase = process.cpuUsage()
  const sample = (): void => {
    const rss = process.memoryUsage.rss()
    if (rss > peak) peak = rss
  }
  setInterval(sample, 5).unref()
  const unit = defineUnit('bench', (r) => {
    r.post('/upload', { multipart: { files: { file: { required: true, maxBytes: 4 * 1024 * MiB, types: ['image/png'] } }, tempDir: join(dir, 'temp') } }, async ({ files }) => {
      const { size, sha256 } = files.file
      // kept files are moved, the others deleted after the response: move it, as an app would
      await files.file.saveTo(join(dir, 'kept'))
      rmSync(files.file.path)
      return { size, sha256 }
    })
    r.post('/reset', () => {
      ;(globalThis as { gc?: () => void }).gc?.()
      base = process.memoryUsage.rss()
      peak = base
      cpuBase = process.cpuUsage()
      return { base }
    })
    r.get('/rss', () => {
      sample()
      const cpu = process.cpuUsage(cpuBase)
      return { base, peak, maxRss: process.resourceUsage().maxRSS * 1024, cpuSeconds: (cpu.user + cpu.system) / 1e6 }
    })
  })
  const app = createApp({ plugins: [unit], logger: false })
  await app.listen({ port: 0 })
  process.stdout.write(`${JSON.stringify({ url: app.url })}\n`)
}

async function main(): Promise<void> {
  const size = Number(args.size) * MiB
  const rounds = Number(args.rounds)
  const work = mkdtempSync(join(tmpdir(), 'trefoil-bench-uploads-'))
  let server: ChildProcess | undefined
  try {
    const source = join(work, 'source.png')
    await makeSource(source, size)
    server = spawn(process.execPath, ['--expose-gc', '--import', 'tsx', '--conditions=source', fileURLToPath(import.meta.url), '--serve', '--dir', work], { stdio: ['ignore', 'pipe', 'inherit'] })
    const [line] = (await once(server.stdout!, 'data')) as [Buffer]
    const { url } = JSON.parse(line.toString()) as { url: string }

    // warm up: the first upload loads and compiles the code paths
    const small = join(work, 'small.png')
    await makeSource(small, 16 * MiB)
    upload(url, small)

    const baseline: number[] = []
    const copy: number[] = []
    const trefoil: number[] = []
    const growth: number[] = []
    const maxRssGrowth: number[] = []
    const cpu: number[] = []
    for (let round = 0; round < rounds; round++) {
      // each step starts with no dirty pages of the one before (or it pays for their writeback)
      settleDisk()
      copy.push(timeCopy(source, join(work, 'copy.png')))
      rmSync(join(work, 'copy.png'), { force: true })
      settleDisk()
      baseline.push(await timeSink(source, join(work, 'sunk.png')))
      rmSync(join(work, 'sunk.png'), { force: true })
      settleDisk()
      const { base } = await askServer<{ base: number }>(`${url}/reset`, 'POST')
      const maxBefore = (await askServer<{ maxRss: number }>(`${url}/rss`)).maxRss
      trefoil.push(upload(url, source))
      const rss = await askServer<{ peak: number; maxRss: number; cpuSeconds: number }>(`${url}/rss`)
      growth.push(rss.peak - base)
      cpu.push(rss.cpuSeconds)
      maxRssGrowth.push(rss.maxRss - maxBefore)
      rmSync(join(work, 'kept'), { recursive: true, force: true })
      console.log(`round ${round + 1}: curl -T|cat ${mbps(size, baseline.at(-1)!)} MB/s, curl file://|cat ${mbps(size, copy.at(-1)!)} MB/s, trefoil ${mbps(size, trefoil.at(-1)!)} MB/s, RSS growth ${(growth.at(-1)! / MiB).toFixed(1)} MiB (kernel max RSS +${(maxRssGrowth.at(-1)! / MiB).toFixed(1)} MiB), server CPU ${cpu.at(-1)!.toFixed(2)} s`)
    }
    const b = median(baseline)
    const u = median(trefoil)
    const g = Math.max(...growth)
    console.log('')
    console.log(`${(size / MiB).toFixed(0)} MiB multipart upload, median of ${rounds} rounds`)
    console.log(`  baseline  curl -T → HTTP sink | cat > file  ${mbps(size, b)} MB/s`)
    console.log(`  ceiling   curl file:// | cat > file         ${mbps(size, median(copy))} MB/s`)
    console.log(`  trefoil   curl -F → multipart → disk        ${mbps(size, u)} MB/s  (${((b / u) * 100).toFixed(0)}% of the baseline, target ≥ 80%; ${((median(copy) / u) * 100).toFixed(0)}% of the ceiling)`)
    console.log(`  server RSS growth (peak sampled)            ${(g / MiB).toFixed(1)} MiB  (worst round; target < 64 MiB; kernel max RSS +${(Math.max(...maxRssGrowth) / MiB).toFixed(1)} MiB)`)
    // CPU time does not depend on what else the machine runs: the server's own ceiling on one core
    console.log(`  server CPU (user + system)                  ${median(cpu).toFixed(2)} s  (= ${mbps(size, median(cpu))} MB/s on one free core)`)
    console.log(`  machine load average during the run        ${loadavg()[0]!.toFixed(1)} on ${availableParallelism()} cores`)
    // memory is the hard bound (throughput depends on the machine and what else it runs)
    if (g >= 64 * MiB) {
      console.error(`Server RSS grew by ${(g / MiB).toFixed(1)} MiB during the upload: over the 64 MiB bound`)
      process.exitCode = 1
    }
  } finally {
    server?.kill()
    rmSync(work, { recursive: true, force: true })
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

/** Seconds for `curl file://source | cat > target` (the machine's plain copy through a pipe). */
function timeCopy(source: string, target: string): number {
  const started = performance.now()
  const result = spawnSync('sh', ['-c', `curl -sS "file://${source}" | cat > "${target}"`], { stdio: 'inherit' })
  if (result.status !== 0) throw new Error(`Baseline copy failed: exit ${result.status}`)
  if (statSync(target).size !== statSync(source).size) throw new Error('Baseline copy is short')
  return (performance.now() - started) / 1000
}

/** Seconds for `curl -T source` to the sink, whose output goes through `cat > target`. */
async function timeSink(source: string, target: string): Promise<number> {
  const child = spawn('sh', ['-c', `"${process.execPath}" --import tsx --conditions=source "${fileURLToPath(import.meta.url)}" --sink | cat > "${target}"`], { stdio: ['ignore', 'inherit', 'pipe'], detached: true })
  const [line] = (await once(child.stderr!, 'data')) as [Buffer]
  const started = performance.now()
  const result = spawnSync('curl', ['-sS', '-o', '/dev/null', '-H', 'Expect:', '-T', source, `http://127.0.0.1:${line.toString().trim()}/`], { stdio: 'inherit' })
  const seconds = (performance.now() - started) / 1000
  // the shell, the sink and cat: the whole group
  try {
    process.kill(-child.pid!, 'SIGTERM')
  } catch {
    // already gone
  }
  child.stderr!.destroy()
  if (result.status !== 0) throw new Error(`Baseline upload failed: exit ${result.status}`)
  return seconds
}

/** Seconds for `curl -F file=@source` to the server's upload route. */
function upload(url: string, source: string): number {
  const started = performance.now()
  const result = spawnSync('curl', ['-sS', '-o', '/dev/null', '-H', 'Expect:', '-w', '%{http_code}', '-F', `file=@${source};type=image/png`, `${url}/upload`], { encoding: 'utf8' })
  if (result.stdout !== '200') throw new Error(`Upload failed: HTTP ${result.stdout} ${result.stderr}`)
  return (performance.now() - started) / 1000
}

function mbps(bytes: number, seconds: number): string {
  return (bytes / 1e6 / seconds).toFixed(0)
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)]!
}
