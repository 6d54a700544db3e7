// Writes every answer: the one place where status, headers (the request id among them) and body
// reach Node's response, for JSON, HTML, views, files, streams, redirects, empty answers and
// errors alike, with or without Koa middleware in front of the routes, and for the few answers
// given outside a route (the app starting, the server shutting down, a body too slow). Koa's own
// `respond` is never used.
import type { ServerResponse } from 'node:http'
import { pipeline, Readable } from 'node:stream'
import type { Logger } from 'pino'
import { ANSWER, type Answer, type CoreContext } from './context.js'
import type { OnSendHook } from './hooks.js'

/** The media type of every JSON answer. */
export const JSON_TYPE = 'application/json; charset=utf-8'
/** The media type of every HTML answer. */
export const HTML_TYPE = 'text/html; charset=utf-8'

// statuses that carry no body (RFC 9110)
const EMPTY_STATUS = new Set([204, 205, 304])

/** Chooses the answer (the last choice wins: an error after a chosen answer replaces it). */
export function answer(ctx: CoreContext, status: number, type: string | undefined, body: Answer['body'], length?: number, vary?: readonly string[]): void {
  ctx[ANSWER] = { status, type, body, length, vary }
}

/** Forgets a chosen answer, closing its stream if it has one (the route failed after choosing it). */
export function dropAnswer(ctx: CoreContext): void {
  const chosen = ctx[ANSWER]
  if (chosen?.body instanceof Readable) chosen.body.destroy()
  ctx[ANSWER] = undefined
}

/**
 * Hands the chosen answer to Koa's response fields, for Koa middleware that reads or rewrites
 * `ctx.body` and `ctx.status` on its way out; {@link respond} reads them back.
 */
export function exposeAnswer(ctx: CoreContext): void {
  const chosen = ctx[ANSWER]
  if (!chosen) return
  ctx[ANSWER] = undefined
  // the body before the status: Koa turns a null body into a 204 unless the status is set after
  ctx.body = chosen.body
  ctx.status = chosen.status
  if (chosen.type) ctx.type = chosen.type
  if (chosen.length !== undefined) ctx.length = chosen.length
  if (chosen.vary) ctx.vary([...chosen.vary])
}

/** What respond needs besides the context. */
export interface RespondOptions {
  readonly requestId: string
  readonly onSend: readonly OnSendHook[]
  readonly log: Logger
}

/**
 * Writes the answer: the chosen one, else what Koa middleware left in `ctx.body`. Nothing is
 * written when a handler took the response over (`ctx.respond = false`) or already sent it.
 */
export function respond(ctx: CoreContext, options: RespondOptions): void {
  const res = ctx.res
  if (ctx.respond === false || res.headersSent || res.writableEnded) return
  const chosen = ctx[ANSWER] ?? fromKoa(ctx)
  const status = chosen.status
  let body = chosen.body
  let type = chosen.type
  if (EMPTY_STATUS.has(status)) {
    if (body instanceof Readable) body.destroy()
    body = null
    type = undefined
  }
  const headers: string[] = ['X-Request-Id', options.requestId]
  for (const hook of options.onSend) hook(ctx, { status, type }, headers)
  if (headers.length > 2) keepRouteHeaders(res, headers)
  if (chosen.vary !== undefined || res.hasHeader('vary')) joinVary(res, headers, chosen.vary)

  if (body === null) {
    if (type) headers.push('Content-Type', type)
    if (!EMPTY_STATUS.has(status)) headers.push('Content-Length', '0')
    res.writeHead(status, headers)
    res.end()
    return
  }
  if (type) headers.push('Content-Type', type)
  const head = ctx.method === 'HEAD'
  if (typeof body === 'string') {
    const length = Buffer.byteLength(body)
    headers.push('Content-Length', String(length))
    res.writeHead(status, headers)
    // as many bytes as characters: all ASCII, so latin1 writes the same bytes as UTF-8 by a plain
    // copy, where Node's UTF-8 path reserves three bytes a character and encodes
    if (head) res.end()
    else res.end(body, length === body.length ? 'latin1' : 'utf8')
    return
  }
  if (Buffer.isBuffer(body)) {
    headers.push('Content-Length', String(body.length))
    res.writeHead(status, headers)
    if (head) res.end()
    else res.end(body)
    return
  }
  if (chosen.length !== undefined) headers.push('Content-Length', String(chosen.length))
  res.writeHead(status, headers)
  if (head) {
    body.destroy()
    res.end()
    return
  }
  pipeline(body, res, (error) => {
    // a client that went away is not a failure; a source that broke mid-way is, and the cut
    // connection is the only signal left to the client
    if (error && (error as NodeJS.ErrnoException).code !== 'ERR_STREAM_PREMATURE_CLOSE') {
      options.log.error({ err: error, requestId: options.requestId }, 'Response stream failed')
      res.destroy()
    }
  })
}

/**
 * Writes a JSON answer straight to Node's response, for the answers given before or outside a
 * route: the app still starting, the server shutting down, a request body too slow, `respond`
 * itself failing. No hooks run (the plugins that add them may not be set up); `done` runs once
 * the body is handed to the socket.
 */
export function respondBare(res: ServerResponse, status: number, body: string, headers: readonly string[] = [], done?: () => void): void {
  res.writeHead(status, [...headers, 'Content-Type', JSON_TYPE, 'Content-Length', String(Buffer.byteLength(body))])
  if (done) res.end(body, done)
  else res.end(body)
}

/**
 * A header the route set itself (`ctx.set`) wins over the same header from a plugin's hook: a
 * page that needs its own Content-Security-Policy keeps it under `security()`, as under helmet.
 * Node's `writeHead` would otherwise let the hook's copy replace it. `Vary` is joined instead.
 */
function keepRouteHeaders(res: ServerResponse, headers: string[]): void {
  for (let i = 2; i < headers.length; ) {
    const name = headers[i]!
    if (res.hasHeader(name) && name.toLowerCase() !== 'vary') headers.splice(i, 2)
    else i += 2
  }
}

/**
 * One `Vary` from every source: the answer's own, one Koa middleware set, and the hooks'. Node's
 * `writeHead` lets a header in its list replace one set before, so a hook's `Vary: Origin` would
 * drop the page's `Vary: Accept`, and a shared cache would then hand the HTML to an API client.
 */
function joinVary(res: ServerResponse, headers: string[], own: readonly string[] | undefined): void {
  const names: string[] = []
  const add = (value: string): void => {
    for (const part of value.split(',')) {
      const name = part.trim()
      if (name !== '' && !names.some((known) => known.toLowerCase() === name.toLowerCase())) names.push(name)
    }
  }
  const given = res.getHeader('vary')
  if (given !== undefined) {
    add(Array.isArray(given) ? given.join(',') : String(given))
    res.removeHeader('vary')
  }
  if (own) for (const name of own) add(name)
  for (let i = 0; i < headers.length; ) {
    if (headers[i]!.toLowerCase() === 'vary') {
      add(headers[i + 1]!)
      headers.splice(i, 2)
    } else i += 2
  }
  if (names.length > 0) headers.push('Vary', names.includes('*') ? '*' : names.join(', '))
}

/** The answer Koa middleware left: its `ctx.body` and `ctx.status`, as Koa would have sent them. */
function fromKoa(ctx: CoreContext): Answer {
  const value: unknown = ctx.body
  const status = ctx.status
  const given = ctx.res.getHeader('content-type')
  const length = lengthOf(ctx)
  ctx.res.removeHeader('content-type')
  ctx.res.removeHeader('content-length')
  const type = typeof given === 'string' ? given : undefined
  if (value === null || value === undefined) return { status, type: undefined, body: null }
  if (typeof value === 'string' || Buffer.isBuffer(value)) return { status, type: type ?? (typeof value === 'string' ? 'text/plain; charset=utf-8' : 'application/octet-stream'), body: value }
  if (value instanceof Readable) return { status, type: type ?? 'application/octet-stream', body: value, length }
  return { status, type: type ?? JSON_TYPE, body: JSON.stringify(value) }
}

function lengthOf(ctx: CoreContext): number | undefined {
  const length = ctx.response.length
  return typeof length === 'number' ? length : undefined
}
