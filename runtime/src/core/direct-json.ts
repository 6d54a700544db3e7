// JSON answers the core writes itself. While only the core sits in front of the routes, no Koa
// middleware will read or rewrite a response body, so a JSON answer skips Koa's body, status and
// length setters and its `respond`: the serializer's text is held on the context, and the core
// writes it with all its headers in one `writeHead` once the route is done.
import { JSON_STATUS, PENDING_JSON, DIRECT, type CoreContext } from './context.js'

/** The media type of every JSON answer. */
export const JSON_TYPE = 'application/json; charset=utf-8'

// statuses that carry no body: Koa's setters drop it, so they take the Koa path
const EMPTY_STATUS = new Set([204, 205, 304])

/** Holds `text` for the core to write; false when Koa must send it (middleware present, or no body). */
export function holdJson(ctx: CoreContext, status: number, text: string): boolean {
  if (ctx[DIRECT] !== true || EMPTY_STATUS.has(status)) return false
  ctx[JSON_STATUS] = status
  ctx[PENDING_JSON] = text
  return true
}

/** Drops a held answer (the route failed after it chose one: its error is sent instead). */
export function dropHeldJson(ctx: CoreContext): void {
  ctx[PENDING_JSON] = undefined
}

/** Writes the held answer, if any, and returns whether it did. */
export function writeHeldJson(ctx: CoreContext, requestId: string): boolean {
  const text = ctx[PENDING_JSON]
  if (text === undefined) return false
  ctx.respond = false
  const length = Buffer.byteLength(text)
  // one writeHead with a flat list: Node validates and stores the headers in one pass (headers
  // the route set itself, e.g. `X-Total-Count`, are merged in)
  ctx.res.writeHead(ctx[JSON_STATUS]!, ['X-Request-Id', requestId, 'Content-Type', JSON_TYPE, 'Content-Length', String(length)])
  // as many bytes as characters: all ASCII, so latin1 writes the same bytes as UTF-8, by a plain
  // copy (Node's UTF-8 path reserves 3 bytes a character and encodes: 6–8 µs for 6 KiB, about a
  // tenth of the tasks-list request in bench/)
  ctx.res.end(text, length === text.length ? 'latin1' : 'utf8')
  return true
}
