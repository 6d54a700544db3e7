// Reads a request body for a route that declares one: JSON or an urlencoded form, within a
// size limit. Multipart bodies are the uploads module's.
import { parse as parseQuery } from 'node:querystring'
import getRawBody from 'raw-body'
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

async function readText(ctx: RequestContext, limit: number): Promise<string> {
  try {
    return await getRawBody(ctx.req, { limit, length: ctx.req.headers['content-length'], encoding: 'utf8' })
  } catch (error) {
    const type = (error as { type?: string }).type
    if (type === 'entity.too.large') throw new PayloadTooLarge(`Request body is larger than the limit of ${limit} bytes`)
    if (type === 'request.aborted') throw new BadRequest('Request aborted by the client')
    if (type === 'request.size.invalid') throw new BadRequest('Request body length does not match Content-Length')
    if (type === 'encoding.unsupported' || type === 'charset.unsupported') throw new UnsupportedMediaType('Unsupported body encoding')
    throw new BadRequest(`Cannot read the request body: ${(error as Error).message}`)
  }
}
