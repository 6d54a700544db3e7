// Reads a request body for a route that declares one: JSON or an urlencoded form, within a
// size limit. Multipart bodies are the uploads module's.
import { parse as parseQuery } from 'node:querystring'
import { BadRequest, PayloadTooLarge, UnsupportedMediaType } from './errors.js'
import type { RequestContext } from './context.js'

/** What was read, and whether its values arrived as strings (forms) and need coercion. */
export interface ReadBody {
  value: unknown
  form: boolean
  /** Characters read: how much work listing every issue of it may take. */
  size: number
}

/** Reads and parses the body; an absent body reads as `undefined`. */
export async function readBody(ctx: RequestContext, limit: number): Promise<ReadBody> {
  const req = ctx.req
  const length = req.headers['content-length']
  const chunked = req.headers['transfer-encoding'] !== undefined
  if (!chunked && (length === undefined || length === '0')) return { value: undefined, form: false, size: 0 }
  const type = (req.headers['content-type'] ?? 'application/json').split(';', 1)[0]!.trim().toLowerCase()
  const form = type === 'application/x-www-form-urlencoded'
  if (!form && type !== 'application/json' && !type.endsWith('+json')) {
    throw new UnsupportedMediaType(`Unsupported content type "${type}": send application/json or application/x-www-form-urlencoded`)
  }
  const text = await readText(ctx, limit)
  if (text.length === 0) return { value: undefined, form, size: 0 }
  if (form) return { value: { ...parseQuery(text) }, form: true, size: text.length }
  try {
    return { value: JSON.parse(text), form: false, size: text.length }
  } catch (error) {
    throw new BadRequest(`Malformed JSON body: ${(error as Error).message}`)
  }
}

// A reader of its own rather than raw-body: the body of a JSON route is small and read on every
// request, and raw-body's async-resource wrapping and iconv decoder cost as much as the rest of
// reading it. A body that closes without its end (a client gone mid-body) rejects here instead of
// leaving the request waiting.
function readText(ctx: RequestContext, limit: number): Promise<string> {
  const req = ctx.req
  const declared = req.headers['content-length']
  const expected = declared === undefined ? undefined : Number(declared)
  if (expected !== undefined && expected > limit) {
    // left unread and paused: the answer says why, and the connection closes after it
    return Promise.reject(new PayloadTooLarge(`Request body is larger than the limit of ${limit} bytes`))
  }
  if (!req.readable) return Promise.reject(new BadRequest('Cannot read the request body: it was already read'))
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let received = 0
    const cleanup = (): void => {
      req.off('data', onData)
      req.off('end', onEnd)
      req.off('error', onError)
      req.off('close', onClose)
    }
    const fail = (error: Error): void => {
      cleanup()
      req.pause()
      reject(error)
    }
    const onData = (chunk: Buffer): void => {
      received += chunk.length
      if (received > limit) fail(new PayloadTooLarge(`Request body is larger than the limit of ${limit} bytes`))
      else chunks.push(chunk)
    }
    const onEnd = (): void => {
      cleanup()
      if (expected !== undefined && received !== expected) return reject(new BadRequest('Request body length does not match Content-Length'))
      const bytes = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, received)
      const text = bytes.toString('utf8')
      // a byte-order mark is not part of the JSON or the form (decoders drop it, so does this)
      resolve(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text)
    }
    const onClose = (): void => fail(new BadRequest('Request aborted by the client'))
    const onError = (error: NodeJS.ErrnoException): void => (error.code === 'ECONNRESET' ? onClose() : fail(new BadRequest(`Cannot read the request body: ${error.message}`)))
    req.on('data', onData)
    req.on('end', onEnd)
    req.on('error', onError)
    req.on('close', onClose)
  })
}
