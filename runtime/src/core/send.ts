// Turns a handler's result into the response: JSON shaped by the response model, a view for
// htmx and browsers, or one of the typed replies (html, text, redirect, file, stream, no content).
import { createReadStream } from 'node:fs'
import { stat } from 'node:fs/promises'
import { extname } from 'node:path'
import { Readable } from 'node:stream'
import { contentType as mimeTypeFor } from 'mime-types'
import type { TSchema } from 'typebox'
import { HttpError, NotFound } from './errors.js'
import { isReply, type Reply } from './responses.js'
import { viewLocals, type Views } from './views.js'
import { pathOf, type CoreContext, type RequestContext } from './context.js'
import { answer, HTML_TYPE, JSON_TYPE } from './respond.js'
import { parseRange, rangeStillValid } from './ranges.js'
import { droppedFields, plainJson, responseMismatch, serializerFor } from './serialize.js'
import { shaperFor } from './shape.js'
import { TrefoilError } from './trefoil-error.js'
import type { SchemaCompiler } from './validation.js'

/** What sending needs to know about the route. */
export interface SendTarget {
  /** `METHOD /path`, for log lines. */
  readonly name: string
  /** Status of a plain returned value. */
  readonly status: number
  /** The response model for a status, if any. */
  readonly responseFor: (status: number) => TSchema | undefined
  readonly view: string | undefined
  readonly views: Views | undefined
  /** Whether output is checked against its model (development and tests). */
  readonly checkResponses: boolean
  /** Told each field a response model left out (development and tests). */
  readonly reportDropped?: (field: string) => void
  /**
   * The app's compiler, whose formats the output checks know; undefined only for answers outside
   * a route (a hook's early answer), which have no model to check against.
   */
  readonly compiler: SchemaCompiler | undefined
}

/** Chooses the answer for `result`; resolves to whether the body is streamed (cleanups wait for it). */
export function send(ctx: RequestContext, target: SendTarget, result: unknown): boolean | Promise<boolean> {
  if (!isReply(result)) return sendValue(ctx, target, result, target.status)
  if (result.headers) ctx.set(result.headers)
  switch (result.kind) {
    case 'value':
      return sendValue(ctx, target, result.value, result.status)
    case 'json':
      sendJson(ctx, target, result.value, result.status ?? target.status, result.schema)
      return false
    case 'html':
      answer(ctx as CoreContext, result.status ?? target.status, HTML_TYPE, result.markup)
      return false
    case 'text':
      answer(ctx as CoreContext, result.status ?? target.status, result.type, result.body)
      return false
    case 'view':
      return sendView(ctx, target, result.view, result.data, result.status ?? target.status)
    case 'redirect':
      ctx.set('Location', result.url)
      answer(ctx as CoreContext, result.status, undefined, null)
      return false
    case 'file':
      return sendFile(ctx, result)
    case 'stream':
      answer(ctx as CoreContext, result.status ?? 200, result.type, result.source instanceof Readable ? result.source : Readable.from(result.source))
      return true
    case 'empty':
      answer(ctx as CoreContext, result.status, undefined, null)
      return false
  }
}

/**
 * A handler's value (returned, or through `created()`): the route's view for htmx and browsers,
 * else JSON. The view gets what the JSON would hold: the model's fields, serialized and computed.
 */
function sendValue(ctx: RequestContext, target: SendTarget, value: unknown, status: number): false {
  if (target.view && wantsHtml(ctx)) {
    const schema = target.responseFor(status)
    const data = schema ? JSON.parse(modelText(target, schema, value)) : value
    return sendView(ctx, target, target.view, viewData(data), status)
  }
  sendJson(ctx, target, value, status, undefined)
  return false
}

// the same URL answers HTML or JSON, a page or an htmx fragment: caches must keep them apart
const PAGE_VARY = ['Accept', 'HX-Request'] as const

function sendJson(ctx: RequestContext, target: SendTarget, value: unknown, status: number, explicit: TSchema | undefined): void {
  const schema = explicit ?? target.responseFor(status)
  // a route with a view answers browsers and htmx from the same URL: its JSON varies as its pages do
  answer(ctx as CoreContext, status, JSON_TYPE, schema ? modelText(target, schema, value) : plainJson(value), undefined, target.view === undefined ? undefined : PAGE_VARY)
}

/** The JSON of `value` under its model: shaped (computed fields, serializers), checked in development, written. */
function modelText(target: SendTarget, schema: TSchema, value: unknown): string {
  const shape = shaperFor(schema)
  const shaped = shape ? shape(value) : value
  if (target.checkResponses && target.compiler) {
    const mismatch = responseMismatch(schema, shaped, target.compiler)
    if (mismatch) throw new TrefoilError('TREFOIL_RESPONSE_MISMATCH', `Response of ${target.name} does not match its schema: ${mismatch}`)
    if (target.reportDropped) for (const field of droppedFields(schema, shaped)) target.reportDropped(field)
  }
  return serializerFor(schema)(shaped)
}

/** htmx requests and browsers asking for HTML get the view; API clients get JSON. */
export function wantsHtml(ctx: RequestContext): boolean {
  if (ctx.get('HX-Request') === 'true') return true
  const accept = ctx.get('Accept')
  if (accept === '' || accept === '*/*' || !accept.includes('html')) return false
  return ctx.accepts('json', 'html') === 'html'
}

function viewData(value: unknown): object {
  const locals = typeof value === 'object' && value !== null && !Array.isArray(value) ? viewLocals(value) : viewLocals()
  locals.data = value
  return locals
}

function sendView(ctx: RequestContext, target: SendTarget, view: string, data: object, status: number): false {
  if (!target.views) throw new TrefoilError('TREFOIL_VIEW_MISSING', `Route ${target.name} names view "${view}", but the app has no views folder`)
  // like koa-views: what dependencies put on `ctx.state` (the signed-in user, a CSRF token) reaches
  // every view and the layout, under the handler's data
  const htmx = ctx.get('HX-Request') === 'true'
  const locals = viewLocals(ctx.state, data)
  locals.htmx = htmx
  locals.path = pathOf(ctx)
  const fragment = target.views.render(view, locals)
  const layout = target.views.layout
  if (htmx || !layout) return sendPage(ctx, status, fragment)
  locals.body = fragment
  return sendPage(ctx, status, target.views.render(layout, locals))
}

function sendPage(ctx: RequestContext, status: number, page: string): false {
  answer(ctx as CoreContext, status, HTML_TYPE, page, undefined, PAGE_VARY)
  return false
}

async function sendFile(ctx: RequestContext, reply: Extract<Reply, { kind: 'file' }>): Promise<boolean> {
  let info
  try {
    info = await stat(reply.path)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT' || (error as NodeJS.ErrnoException).code === 'ENOTDIR') throw new NotFound('File not found')
    throw error
  }
  if (!info.isFile()) throw new NotFound('File not found')
  const size = info.size
  // strong, as nginx makes it (size and mtime), unless the caller knows the content's hash:
  // If-Range may only match a strong validator, and resumable downloads depend on it
  const etag = reply.etag !== undefined ? `"${reply.etag.replace(/"/g, '')}"` : `"${Math.floor(info.mtimeMs).toString(16)}-${size.toString(16)}"`
  const status = reply.status ?? 200
  const type = contentType(reply.type ?? (extname(reply.path) || 'application/octet-stream'))
  if (reply.download !== undefined) ctx.attachment(reply.download)
  ctx.lastModified = info.mtime
  ctx.set('ETag', etag)
  ctx.set('Accept-Ranges', 'bytes')
  const plain = status === 200 && (ctx.method === 'GET' || ctx.method === 'HEAD')
  // Koa's freshness check reads the response status: the one this answer will have
  ctx.res.statusCode = status
  if (plain && ctx.fresh) {
    answer(ctx as CoreContext, 304, undefined, null)
    return false
  }
  const range = plain && ctx.get('Range') !== '' && rangeStillValid(ctx.get('If-Range'), etag, info.mtime) ? parseRange(ctx.get('Range'), size) : undefined
  if (range === 'unsatisfiable') throw new HttpError(416, `Range not satisfiable: the file has ${size} bytes`, { headers: { 'Content-Range': `bytes */${size}` } })
  if (range) {
    ctx.set('Content-Range', `bytes ${range.start}-${range.end}/${size}`)
    const part = ctx.method === 'HEAD' ? null : createReadStream(reply.path, { start: range.start, end: range.end })
    answer(ctx as CoreContext, 206, type, part ?? Readable.from([]), range.end - range.start + 1)
    return true
  }
  answer(ctx as CoreContext, status, type, ctx.method === 'HEAD' ? Readable.from([]) : createReadStream(reply.path), size)
  return true
}

/** A full Content-Type from a type, an extension or a MIME type, as Koa's `ctx.type` makes it. */
function contentType(given: string): string {
  return mimeTypeFor(given) || 'application/octet-stream'
}
