// Reads a raw (non-multipart) body as one file, for clients that PUT a file: streamed to the
// request's temp folder in chunks with the same limits, type check and hashing as multipart.
import { PassThrough } from 'node:stream'
import type { UploadedFile, UploadSpec } from './types.js'
import type { ValidationIssue } from '../core/validation.js'
import type { RequestContext } from '../core/context.js'
import { limitError, receiveFile, stopReading, sweptTempDir, tempCleanup, UploadFolder, type TempCleanup } from './file.js'
import { receiveIntoStorage, storagePrefix, type StorageTarget } from './streamed.js'
import { bareType, declaredRefused, isKnownType, SNIFFED_TYPES } from './sniff.js'
import { BadRequest, UnsupportedMediaType } from '../core/errors.js'
import type { RouteFailure } from '../core/trefoil-error.js'

const DEFAULT_UPLOAD_BYTES = 10 * 1024 * 1024

/** An upload spec checked at start-up. */
export interface UploadPlan {
  readonly maxBytes: number
  readonly types: readonly string[] | undefined
  readonly tempDir: string
  readonly hash: boolean
  /** Where the body streams on arrival, when not to the temp folder. */
  readonly into: StorageTarget | undefined
}

/** Checks a route's `upload` option; `fail` throws the start-up error naming the route. */
export function compileUpload(spec: UploadSpec, tempDir: string, fail: RouteFailure): UploadPlan {
  for (const type of spec.types ?? []) {
    if (!isKnownType(type)) fail(`its upload allows "${type}", whose bytes trefoil cannot check: use one of ${SNIFFED_TYPES.join(', ')}`, 'TREFOIL_ROUTE_OPTIONS_INVALID')
  }
  const maxBytes = spec.maxBytes ?? DEFAULT_UPLOAD_BYTES
  if (!Number.isInteger(maxBytes) || maxBytes < 1) fail(`its upload maxBytes must be a positive whole number, not ${maxBytes}`, 'TREFOIL_ROUTE_OPTIONS_INVALID')
  if (spec.prefix !== undefined && !spec.storage) fail('its upload has a prefix but no storage: the prefix is for keys in a storage', 'TREFOIL_ROUTE_OPTIONS_INVALID')
  const into = spec.storage ? { storage: spec.storage, prefix: storagePrefix(spec.prefix, 'upload', fail) } : undefined
  return { maxBytes, types: spec.types?.length ? spec.types : undefined, tempDir: sweptTempDir(spec.tempDir ?? tempDir), hash: spec.hash ?? true, into }
}

/** What was read: the file (undefined for an empty body), issues for the 422, the temp folder's cleanup. */
export interface RawUpload {
  readonly file: UploadedFile | undefined
  readonly issues: ValidationIssue[]
  readonly cleanup: TempCleanup
}

/** Streams the request body into a temp file; throws 400 / 413 / 415 with nothing left on disk. */
export async function readUpload(ctx: RequestContext, plan: UploadPlan): Promise<RawUpload> {
  const req = ctx.req
  const folder = new UploadFolder(plan.tempDir)
  const cleanup = tempCleanup(ctx, folder)
  const length = req.headers['content-length'] === undefined ? undefined : Number(req.headers['content-length'])
  const limit = `at most ${plan.maxBytes} bytes`
  if (length !== undefined && length > plan.maxBytes) {
    stopReading(ctx)
    throw limitError('max_file_bytes', `File is larger than the limit for this upload: ${limit}`)
  }
  const declared = bareType(req.headers['content-type'])
  if (declaredRefused(declared, plan.types)) {
    stopReading(ctx)
    throw new UnsupportedMediaType(`Unsupported file type for this upload: allowed ${plan.types!.join(', ')}`, { code: 'file_type' })
  }
  const controller = new AbortController()
  const aborted = (): void => {
    if (!req.complete) controller.abort(new BadRequest('Request aborted by the client'))
  }
  req.once('close', aborted)
  // the reader destroys its source when it stops early; destroying `req` itself would cut the
  // socket before the 413 / 415 is written, so it reads through a pass-through
  const bytes = new PassThrough({ highWaterMark: 1 << 20 })
  req.pipe(bytes)
  let file: UploadedFile | undefined
  try {
    const options = {
      folder,
      field: 'upload',
      filename: filenameOf(req.headers['content-disposition']),
      declaredType: declared,
      maxBytes: plan.maxBytes,
      types: plan.types,
      signal: controller.signal,
      label: 'this upload',
      skipEmpty: true,
      hash: plan.hash,
    }
    file = await (plan.into ? receiveIntoStorage(bytes, options, plan.into) : receiveFile(bytes, options))
  } catch (error) {
    req.unpipe(bytes)
    if (!controller.signal.aborted) stopReading(ctx)
    await cleanup.discard()
    throw error
  } finally {
    req.off('close', aborted)
  }
  return { file, issues: file ? [] : [{ loc: ['body'], msg: 'Field required', type: 'missing' }], cleanup }
}

/** The file name a client may give in `Content-Disposition` (`filename*=UTF-8''…` wins). */
function filenameOf(header: string | undefined): string | undefined {
  if (!header) return undefined
  const extended = /filename\*\s*=\s*(?:UTF-8|utf-8)''([^;]+)/.exec(header)
  if (extended) {
    try {
      return decodeURIComponent(extended[1]!.trim())
    } catch {
      // a broken escape: fall back to the plain parameter
    }
  }
  const plain = /filename\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^;]+))/.exec(header)
  return plain ? (plain[1]?.replace(/\\(.)/g, '$1') ?? plain[2]!.trim()) : undefined
}
