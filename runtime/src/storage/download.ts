// Serving a stored object from a route, whichever driver holds it: ETag, Last-Modified, 304 for
// a client that has it, one byte range (206) for a resumed download, 416 for a range past the
// end; or a redirect to a presigned URL, where the route prefers the client to fetch it from the
// store itself. The Range and If-Range rules are the same as `file()`'s for files on disk.
import { Readable } from 'node:stream'
import { HttpError, NotFound } from '../core/errors.js'
import { parseRange, rangeStillValid } from '../core/ranges.js'
import { redirect, stream, type Reply } from '../core/responses.js'
import type { ByteRange, Storage } from './types.js'

/** The request as {@link storedFile} reads it (a handler's `ctx`). */
export interface DownloadRequest {
  readonly method: string
  get(field: string): string
}

/** Options of {@link storedFile}. */
export interface StoredFileOptions {
  /** Send as an attachment with this file name (`Content-Disposition`). */
  download?: string
  /**
   * `Content-Disposition: inline`: a browser shows it in the page (a photo) rather than saving it.
   * Ignored when `download` is given.
   */
  inline?: boolean
  /** Content type (default: the one stored with the object). */
  type?: string
  /**
   * Answer with a 307 redirect to a presigned URL valid this many seconds, when the driver has
   * them (S3); the local driver serves through the app as usual. The client then gets ETag and
   * ranges from the store.
   */
  presign?: number
  /** `Cache-Control` (default `private, no-cache`: the client keeps it and asks with its ETag). */
  cacheControl?: string
}

/**
 * Answers a download of `key` from `storage`: 200 with the bytes, 206 for a Range, 304 when the
 * client's copy is current, 404 when there is no such object.
 * @example
 * r.get('/:id/file', {}, async ({ params, ctx }) => storedFile(ctx, storage, `attachments/${params.id}.png`, { download: 'photo.png' }))
 */
export async function storedFile(ctx: DownloadRequest, storage: Storage, key: string, options: StoredFileOptions = {}): Promise<Reply> {
  if (options.presign !== undefined) {
    const url = await storage.presignGet(key, { expiresIn: options.presign, ...(options.download === undefined ? {} : { download: options.download }), ...(options.type === undefined ? {} : { contentType: options.type }) })
    if (url !== undefined) return redirect(url, 307, { headers: { 'Cache-Control': 'no-store' } })
  }
  const info = await storage.head(key)
  if (!info) throw new NotFound('File not found')
  const headers: Record<string, string> = {
    ETag: info.etag,
    'Last-Modified': info.lastModified.toUTCString(),
    'Accept-Ranges': 'bytes',
    'Cache-Control': options.cacheControl ?? 'private, no-cache',
  }
  if (options.download !== undefined) headers['Content-Disposition'] = contentDisposition(options.download)
  else if (options.inline === true) headers['Content-Disposition'] = 'inline'
  const type = options.type ?? info.contentType
  const readable = ctx.method === 'GET' || ctx.method === 'HEAD'
  if (readable && notModified(ctx, info.etag, info.lastModified)) return stream(Readable.from([]), { status: 304, type, headers })

  const asked = readable && ctx.get('Range') !== '' && rangeStillValid(ctx.get('If-Range'), info.etag, info.lastModified) ? parseRange(ctx.get('Range'), info.size) : undefined
  if (asked === 'unsatisfiable') throw new HttpError(416, `Range not satisfiable: the file has ${info.size} bytes`, { headers: { 'Content-Range': `bytes */${info.size}` } })
  const length = asked ? asked.end - asked.start + 1 : info.size
  headers['Content-Length'] = String(length)
  if (asked) headers['Content-Range'] = `bytes ${asked.start}-${asked.end}/${info.size}`
  const status = asked ? 206 : 200
  // HEAD answers the headers alone: no read from the store
  if (ctx.method === 'HEAD' || info.size === 0) return stream(Readable.from([]), { status, type, headers })
  // the bytes must be those the headers describe: a replaced object fails with 412, not mixes
  const object = await storage.get(key, { ifMatch: info.etag, ...(asked ? { range: asked } : {}) })
  return stream(object.body, { status, type, headers })
}

/** If-None-Match (weak comparison), else If-Modified-Since, as RFC 9110 orders them. */
function notModified(ctx: DownloadRequest, etag: string, lastModified: Date): boolean {
  if (/(?:^|,)\s*no-cache\s*(?:,|$)/i.test(ctx.get('Cache-Control'))) return false
  const noneMatch = ctx.get('If-None-Match')
  if (noneMatch !== '') {
    if (noneMatch.trim() === '*') return true
    const ours = etag.replace(/^W\//, '')
    return noneMatch.split(',').some((tag) => tag.trim().replace(/^W\//, '') === ours)
  }
  const since = Date.parse(ctx.get('If-Modified-Since'))
  return !Number.isNaN(since) && Math.floor(lastModified.getTime() / 1000) * 1000 <= since
}

/** `attachment` with the name as an ASCII fallback and in UTF-8 (RFC 6266). */
export function contentDisposition(name: string): string {
  const fallback = name.replace(/[^\x20-\x7e]|["\\%]/g, '_')
  const encoded = encodeURIComponent(name).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
  return `attachment; filename="${fallback}"; filename*=UTF-8''${encoded}`
}
