// What a route that answers with `storedFile()` or `file()` sends, for its `responses` option:
// the bytes whole (200) or one range of them (206), 304 when the client's copy is current, 416
// for a range past the end, with the headers a download resumes and caches by. Written once
// here, so that the docs of every download say what the runtime really does.
import type { ResponseDocs } from '../core/routing.js'

/** Options of {@link fileResponses}. */
export interface FileResponsesOptions {
  /** The media types the file can have (default `application/octet-stream`). */
  types?: readonly string[]
  /**
   * What `Content-Disposition` says, when the route sets it (`download` or `inline` of
   * `storedFile()`, `download` of `file()`): e.g. `'attachment, with the original file name'`.
   */
  disposition?: string
  /** The route may answer 307 to a presigned URL of the store (`storedFile()`'s `presign`). */
  presign?: boolean
}

/**
 * The responses of a file download, for a route's `responses` option: 200 and 206 with the file's
 * bytes in each of its types, 304 with no body, 404 and 416 with the JSON error body.
 * @example
 * r.get('/:id/photo', { responses: fileResponses({ types: ['image/jpeg'] }) }, ({ ctx, params }) =>
 *   storedFile(ctx, storage, `photos/${params.id}.jpg`))
 */
export function fileResponses(options: FileResponsesOptions = {}): ResponseDocs {
  const types = options.types?.length ? options.types : ['application/octet-stream']
  const content = Object.fromEntries(types.map((type) => [type, 'binary' as const]))
  const validators = {
    ETag: 'The version of the file: send it back in If-None-Match for a 304, or in If-Range to resume',
    'Last-Modified': 'When the file was stored',
  }
  const sent = {
    ...validators,
    'Accept-Ranges': '`bytes`: a download can be resumed with a Range header',
    'Content-Length': 'The number of bytes in this response',
    ...(options.disposition === undefined ? {} : { 'Content-Disposition': options.disposition }),
  }
  // a 304 carries the headers of the 200 it stands for, but no body
  const { 'Content-Length': _length, ...notModified } = sent
  const docs: Record<number, ResponseDocs[number]> = {
    200: { description: 'The whole file', content, headers: sent },
    206: { description: 'The one byte range the Range header asked for', content, headers: { ...sent, 'Content-Range': 'The bytes sent and the size of the file: `bytes 0-99/1234`' } },
    304: { description: 'Not Modified: the client has the current file (If-None-Match, If-Modified-Since)', content: {}, headers: notModified },
    // whatever else the route's dependencies answer 404 for, the file itself may be missing
    404: {},
    416: { description: 'Range Not Satisfiable: the range holds no byte of the file (it starts past the end)', headers: { 'Content-Range': 'The size of the file: `bytes */1234`' } },
  }
  if (options.presign === true) docs[307] = { description: 'Fetch the file from the store at this presigned URL', content: {}, headers: { Location: 'The presigned URL', 'Cache-Control': '`no-store`' } }
  return docs
}
