// Typed response helpers. A handler returns a plain value (JSON, shaped by the route's response
// schema) or one of these replies; the route runner turns the reply into bytes.
import type { Readable } from 'node:stream'
import type { TSchema } from 'typebox'

/** Options shared by every reply. */
export interface ReplyOptions {
  status?: number
  headers?: Record<string, string>
}

/** What a handler returned besides a plain value; built by the helpers below, read by the runner. */
export type Reply =
  | { readonly kind: 'value'; readonly status: number; readonly headers: Record<string, string> | undefined; readonly value: unknown }
  | { readonly kind: 'json'; readonly status: number | undefined; readonly headers: Record<string, string> | undefined; readonly value: unknown; readonly schema: TSchema | undefined }
  | { readonly kind: 'html'; readonly status: number | undefined; readonly headers: Record<string, string> | undefined; readonly markup: string }
  | { readonly kind: 'text'; readonly status: number | undefined; readonly headers: Record<string, string> | undefined; readonly body: string; readonly type: string }
  | { readonly kind: 'view'; readonly status: number | undefined; readonly headers: Record<string, string> | undefined; readonly view: string; readonly data: object }
  | { readonly kind: 'redirect'; readonly status: number; readonly headers: Record<string, string> | undefined; readonly url: string }
  | { readonly kind: 'file'; readonly status: number | undefined; readonly headers: Record<string, string> | undefined; readonly path: string; readonly download: string | undefined; readonly type: string | undefined; readonly etag?: string | undefined }
  | { readonly kind: 'stream'; readonly status: number | undefined; readonly headers: Record<string, string> | undefined; readonly source: Readable | AsyncIterable<unknown>; readonly type: string }
  | { readonly kind: 'empty'; readonly status: number; readonly headers: Record<string, string> | undefined }

declare const REPLY_STATUS: unique symbol
declare const REPLY_VALUE: unique symbol

/**
 * A reply carrying a value for the route's response model: its status (`'default'` for the
 * route's own, `'any'` when not known at compile time) and value type are kept for the compiler,
 * which checks them against the model of that status. Nothing of it exists at run time.
 */
export type ModelReply<S extends number | 'default' | 'any', T> = Reply & { readonly [REPLY_STATUS]?: S; readonly [REPLY_VALUE]?: T }

/** The status type a reply records: a literal status, the route's default, or `'any'` (a computed one). */
export type ReplyStatus<S> = [S] extends [never] ? 'default' : number extends S ? 'any' : S extends number ? S : 'default'

const REPLY = Symbol('trefoil.reply')
type Branded = Reply & { readonly [REPLY]: true }

function reply<R extends Reply>(value: R): R {
  return Object.assign(value, { [REPLY]: true as const })
}

/** Whether a handler's result is a reply built by a helper (rather than a plain value). */
export function isReply(value: unknown): value is Reply {
  return typeof value === 'object' && value !== null && (value as Branded)[REPLY] === true
}

/**
 * JSON, shaped by the route's response schema for its status when it has one.
 * @example return json({ ok: true }, { status: 202 })
 */
export function json<T, S extends number = never>(value: T, options: { status?: S; headers?: Record<string, string> } = {}): ModelReply<ReplyStatus<NoInfer<S>>, NoInfer<T>> {
  return reply({ kind: 'json', status: options.status, headers: options.headers, value, schema: undefined })
}

/**
 * JSON written by a serializer compiled from `schema` (or the route's response schema): the
 * fastest way to send many objects; fields outside the schema are never written.
 * @example return fastJson(rows, t.Array(TaskOut))
 */
export function fastJson(value: unknown, schema?: TSchema, options: ReplyOptions = {}): Reply {
  return reply({ kind: 'json', status: options.status, headers: options.headers, value, schema })
}

/**
 * 201 Created with the new object and an optional `Location`: answered as a plain return is, JSON
 * shaped by the route's 201 schema, or the route's view for htmx and browsers.
 * @example return created(project, { location: `/v1/projects/${project.id}` })
 */
export function created<T>(value: T, options: { location?: string; headers?: Record<string, string> } = {}): ModelReply<201, NoInfer<T>> {
  const headers = options.location ? { ...options.headers, location: options.location } : options.headers
  return reply({ kind: 'value', status: 201, headers, value })
}

/** The source of an HTML reply: markup, or an EJS view of the app's `views` folder with its data. */
export type HtmlSource = string | { view: string; data?: object }

/**
 * HTML from a string, or rendered from an EJS view (`views/<view>.ejs`).
 * @example return html({ view: 'projects/list', data: { projects } })
 */
export function html(source: HtmlSource, options: ReplyOptions = {}): Reply {
  if (typeof source === 'string') return reply({ kind: 'html', status: options.status, headers: options.headers, markup: source })
  return reply({ kind: 'view', status: options.status, headers: options.headers, view: source.view, data: source.data ?? {} })
}

/**
 * Text as it is, `text/plain; charset=utf-8` unless another type is given (CSV, XML, a
 * `robots.txt`): one write, no JSON encoding.
 * @example return text('Hello, World!')
 */
export function text(body: string, options: ReplyOptions & { type?: string } = {}): Reply {
  return reply({ kind: 'text', status: options.status, headers: options.headers, body, type: options.type ?? TEXT_TYPE })
}

const TEXT_TYPE = 'text/plain; charset=utf-8'

/** Redirect statuses: 307/308 keep the method and body, 301/302/303 turn the follow-up into a GET. */
export type RedirectStatus = 301 | 302 | 303 | 307 | 308

/**
 * A redirect, 307 by default (the method is kept); use 303 after a form POST.
 * @example return redirect(signedS3Url)
 */
export function redirect(url: string, status: RedirectStatus = 307, options: { headers?: Record<string, string> } = {}): Reply {
  return reply({ kind: 'redirect', status, headers: options.headers, url })
}

/** Options of {@link file}. */
export interface FileOptions extends ReplyOptions {
  /** Send as an attachment with this file name (`Content-Disposition`). */
  download?: string
  /** Content type; by default from the file's extension. */
  type?: string
  /** The ETag's value, e.g. the upload's `sha256` (default: from the file's mtime and size). */
  etag?: string
}

/**
 * A file streamed from disk with its content type, length, ETag and Last-Modified; answers
 * conditional requests (304) and single byte ranges (206, resumable downloads); 404 when it
 * does not exist.
 * @example return file(path.join(uploads, row.storedName), { download: row.originalName })
 */
export function file(path: string, options: FileOptions = {}): Reply {
  return reply({ kind: 'file', status: options.status, headers: options.headers, path, download: options.download, type: options.type, etag: options.etag })
}

/**
 * A streamed body from a Node stream or an async iterable of strings / bytes.
 * @example return stream(exportRows(db), { type: 'text/csv' })
 */
export function stream(source: Readable | AsyncIterable<unknown>, options: ReplyOptions & { type?: string } = {}): Reply {
  return reply({ kind: 'stream', status: options.status, headers: options.headers, source, type: options.type ?? 'application/octet-stream' })
}

/** 204 No Content: success with no body. */
export function noContent(options: { headers?: Record<string, string> } = {}): Reply {
  return reply({ kind: 'empty', status: 204, headers: options.headers })
}
