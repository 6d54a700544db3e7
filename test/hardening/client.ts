// Helpers of the hardening tests: the fieldwork app on a real port, and requests timed as a
// client sees them (from the first byte sent to the answer's status line).
import { execFile } from 'node:child_process'
import { request } from 'node:http'
import { fileURLToPath } from 'node:url'
import type { App } from 'trefoil'
import { startFieldwork, type Fieldwork } from '../examples/fixtures/fieldwork.js'

/** The fieldwork app listening on 127.0.0.1 at a free port. */
export interface Served extends Fieldwork {
  base: string
}

/** Starts the example on the embedded database and a free port. */
export async function serveFieldwork(env: Record<string, string> = {}): Promise<Served> {
  const fw = await startFieldwork(env)
  await fw.app.listen({ port: 0, host: '127.0.0.1' })
  return { ...fw, base: fw.app.url! }
}

/** An answer with how long it took to come. */
export interface Timed {
  status: number
  headers: Record<string, string | string[] | undefined>
  body: string
  /** Milliseconds from sending to the status line. */
  ms: number
}

/**
 * Sends one request and resolves at its answer. A server that answers before reading the whole
 * body may close the connection while we still send: what comes after the answer is ignored.
 */
export function timed(url: string, options: { method?: string; headers?: Record<string, string>; body?: string | Buffer; timeoutMs?: number } = {}): Promise<Timed> {
  return new Promise((resolve, reject) => {
    const started = performance.now()
    let answered = false
    const req = request(url, { method: options.method ?? 'GET', headers: { ...(options.body === undefined ? {} : { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(options.body)) }), ...options.headers } }, (res) => {
      answered = true
      const ms = performance.now() - started
      const chunks: Buffer[] = []
      res.on('data', (chunk: Buffer) => chunks.push(chunk))
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks).toString('utf8'), ms }))
      res.on('error', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks).toString('utf8'), ms }))
    })
    req.on('error', (error) => {
      if (!answered) reject(error)
    })
    req.setTimeout(options.timeoutMs ?? 30_000, () => req.destroy(new Error(`no answer within ${options.timeoutMs ?? 30_000} ms`)))
    req.end(options.body)
  })
}

/**
 * Polls `url` every `everyMs` until `until` settles; resolves to the slowest answer's time. Polls
 * one at a time, so that a stalled server shows as one long wait.
 */
export async function slowestWhile(url: string, until: Promise<unknown>, everyMs = 5): Promise<number> {
  let done = false
  void until.finally(() => (done = true)).catch(() => undefined)
  let slowest = 0
  while (!done) {
    const answer = await timed(url)
    slowest = Math.max(slowest, answer.ms)
    await new Promise((resolve) => setTimeout(resolve, everyMs))
  }
  return slowest
}

/** A bearer header for a fresh account of `app` (an organisation admin when `admin`). */
export async function bearerOf(app: App, admin = false): Promise<Record<string, string>> {
  const { signUp, signUpAdmin } = await import('../examples/fixtures/fieldwork.js')
  const account = admin ? await signUpAdmin(app) : await signUp(app)
  return account.headers
}

/** An answer timed by a client in its own process (see fixtures/send.mjs). */
export interface Sent {
  status: number
  ms: number
  connection: string | undefined
  bytes: number
}

const SEND = fileURLToPath(new URL('./fixtures/send.mjs', import.meta.url))

/** Sends `bodyFile` from another process: a large body's writing then costs this one nothing. */
export function sendFrom(url: string, options: { method: string; headers?: Record<string, string>; bodyFile?: string }): Promise<Sent> {
  return new Promise((resolve, reject) => {
    const args = [SEND, options.method, url, JSON.stringify(options.headers ?? {}), ...(options.bodyFile ? [options.bodyFile] : [])]
    execFile(process.execPath, args, { timeout: 60_000 }, (error, stdout) => {
      if (error) return reject(new Error(`${error.message}: ${stdout}`))
      resolve(JSON.parse(stdout) as Sent)
    })
  })
}
