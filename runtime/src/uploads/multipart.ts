// Reads a multipart/form-data body with busboy: text fields collected for the route's schema,
// files streamed into the request's temp folder, every limit enforced while reading so a bad
// request stops at the byte that breaks it. On any failure nothing of the request stays on disk.
import Busboy from 'busboy'
import type { Readable } from 'node:stream'
import type { TSchema } from 'typebox'
import { BadRequest, UnsupportedMediaType } from '../core/errors.js'
import { codeOf, type RouteFailure } from '../core/trefoil-error.js'
import type { FileFieldSpec, MultipartSpec, UploadedFile } from './types.js'
import { validateCoerced, type ValidationIssue, type Validator } from '../core/validation.js'
import type { RequestContext } from '../core/context.js'
import { limitError, receiveFile, stopReading, sweptTempDir, tempCleanup, UploadFolder, type TempCleanup } from './file.js'
import { bareType, declaredRefused, isKnownType, SNIFFED_TYPES } from './sniff.js'
import { receiveIntoStorage, storagePrefix, type StorageTarget } from './streamed.js'

export const DEFAULT_FILE_BYTES = 10 * 1024 * 1024
export const DEFAULT_MANY = 10
const DEFAULT_MAX_FIELDS = 100
const DEFAULT_FIELD_BYTES = 1024 * 1024

interface FilePlan {
  readonly name: string
  readonly many: boolean
  readonly max: number
  readonly required: boolean
  readonly maxBytes: number
  readonly types: readonly string[] | undefined
  /** Where its files stream on arrival, when not to the temp folder. */
  readonly into: StorageTarget | undefined
}

/** A multipart spec checked and compiled at start-up. */
export interface MultipartPlan {
  readonly fieldsV: Validator | undefined
  readonly files: ReadonlyMap<string, FilePlan>
  readonly maxTotalBytes: number
  readonly maxFiles: number
  readonly maxFields: number
  readonly maxFieldBytes: number
  readonly tempDir: string
  readonly hash: boolean
}

/** Checks a route's `multipart` option; `fail` throws the start-up error naming the route. */
export function compileMultipart(spec: MultipartSpec, tempDir: string, compileFields: (schema: TSchema) => Validator, fail: RouteFailure): MultipartPlan {
  let fieldsV: Validator | undefined
  if (spec.fields) {
    try {
      fieldsV = compileFields(spec.fields)
    } catch (error) {
      fail(`its multipart fields schema does not compile: ${(error as Error).message}`, codeOf(error, 'TREFOIL_SCHEMA_INVALID'), error)
    }
  }
  const textNames = new Set(Object.keys((spec.fields as TSchema & { properties?: object } | undefined)?.properties ?? {}))
  const files = new Map<string, FilePlan>()
  for (const [name, file] of Object.entries(spec.files ?? {})) {
    if (textNames.has(name)) fail(`its multipart field "${name}" is both a text field and a file field`, 'TREFOIL_ROUTE_OPTIONS_INVALID')
    files.set(name, planFile(name, file, fail))
  }
  const maxFields = positive(spec.maxFields ?? DEFAULT_MAX_FIELDS, 'maxFields', fail)
  const maxFieldBytes = positive(spec.maxFieldBytes ?? DEFAULT_FIELD_BYTES, 'maxFieldBytes', fail)
  const budget = [...files.values()].reduce((sum, f) => sum + f.max * f.maxBytes, 0) + maxFields * maxFieldBytes
  return {
    fieldsV,
    files,
    maxTotalBytes: positive(spec.maxTotalBytes ?? budget, 'maxTotalBytes', fail),
    maxFiles: positive(spec.maxFiles ?? Math.max(1, [...files.values()].reduce((sum, f) => sum + f.max, 0)), 'maxFiles', fail),
    maxFields,
    maxFieldBytes,
    tempDir: sweptTempDir(spec.tempDir ?? tempDir),
    hash: spec.hash ?? true,
  }
}

function planFile(name: string, file: FileFieldSpec, fail: RouteFailure): FilePlan {
  for (const type of file.types ?? []) {
    if (!isKnownType(type)) fail(`its file field "${name}" allows "${type}", whose bytes trefoil cannot check: use one of ${SNIFFED_TYPES.join(', ')}`, 'TREFOIL_ROUTE_OPTIONS_INVALID')
  }
  const many = file.many !== undefined && file.many !== false
  if (file.prefix !== undefined && !file.storage) fail(`its file field "${name}" has a prefix but no storage: the prefix is for keys in a storage`, 'TREFOIL_ROUTE_OPTIONS_INVALID')
  return {
    name,
    many,
    max: file.many === true ? DEFAULT_MANY : typeof file.many === 'number' ? positive(file.many, `files.${name}.many`, fail) : 1,
    required: file.required ?? false,
    maxBytes: positive(file.maxBytes ?? DEFAULT_FILE_BYTES, `files.${name}.maxBytes`, fail),
    types: file.types?.length ? file.types : undefined,
    into: file.storage ? { storage: file.storage, prefix: storagePrefix(file.prefix, `file field "${name}"`, fail) } : undefined,
  }
}

function positive(value: number, what: string, fail: RouteFailure): number {
  if (!Number.isInteger(value) || value < 1) fail(`its multipart ${what} must be a positive whole number, not ${value}`, 'TREFOIL_ROUTE_OPTIONS_INVALID')
  return value
}

/** What was read: raw text fields, files by field, issues for the 422, and the temp folder's removal. */
export interface MultipartBody {
  readonly fields: Record<string, string | string[]>
  readonly files: Record<string, UploadedFile | UploadedFile[] | undefined>
  readonly issues: ValidationIssue[]
  /** Deletes the temp files not saved: at once, or when both the handler and the response are done. */
  readonly cleanup: TempCleanup
}

/** Reads the request's multipart body; throws 400 / 413 / 415 with nothing left on disk. */
export async function readMultipart(ctx: RequestContext, plan: MultipartPlan): Promise<MultipartBody> {
  const req = ctx.req
  const folder = new UploadFolder(plan.tempDir)
  const cleanup = tempCleanup(ctx, folder)
  const fields = Object.create(null) as Record<string, string | string[]>
  const received = new Map<string, (UploadedFile | undefined)[]>()
  const misplaced = new Set<string>()
  const type = bareType(req.headers['content-type'])
  const length = req.headers['content-length'] === undefined ? undefined : Number(req.headers['content-length'])
  const empty = length === 0 || (length === undefined && req.headers['transfer-encoding'] === undefined)

  if (type === '' && empty) return finish(plan, fields, received, misplaced, cleanup)
  if (type !== 'multipart/form-data') throw new UnsupportedMediaType(`Unsupported content type "${type}": send multipart/form-data`)
  if (length !== undefined && length > plan.maxTotalBytes) {
    stopReading(ctx)
    throw tooLarge(plan)
  }
  let parser: ReturnType<typeof Busboy>
  try {
    parser = Busboy({
      headers: req.headers,
      defParamCharset: 'utf8',
      // bigger buffers than busboy's 16 KiB: fewer pause/resume cycles per GiB, and still a
      // small bounded amount of memory per request (1 MiB buffers measured +30 MiB of RSS)
      highWaterMark: 256 * 1024,
      fileHwm: 256 * 1024,
      // one past each limit, so going over is an event of ours rather than a silent truncation
      limits: { fields: plan.maxFields, files: plan.maxFiles, fieldSize: plan.maxFieldBytes, parts: plan.maxFields + plan.maxFiles, fieldNameSize: 200, headerPairs: 100 },
    })
  } catch (error) {
    throw new BadRequest(`Malformed multipart body: ${(error as Error).message}`)
  }

  const controller = new AbortController()
  const jobs: Promise<void>[] = []
  const started = new Map<string, number>()
  let total = 0
  let failure: Error | undefined
  let settle!: () => void
  const parsed = new Promise<void>((resolve) => (settle = resolve))

  const fail = (error: Error, stop = true): void => {
    if (failure) return
    failure = error
    req.off('data', count)
    req.unpipe(parser)
    if (stop) stopReading(ctx)
    controller.abort(error)
    parser.destroy()
    settle()
  }
  const count = (chunk: Buffer): void => {
    total += chunk.length
    if (total > plan.maxTotalBytes) fail(tooLarge(plan))
  }
  const aborted = (): void => {
    if (!req.complete) fail(new BadRequest('Request aborted by the client'), false)
  }

  parser.on('field', (name, value, info) => {
    if (failure) return
    if (info.nameTruncated || info.valueTruncated) return fail(limitError('max_field_bytes', `Field "${name.slice(0, 100)}" is larger than the limit: at most ${plan.maxFieldBytes} bytes`))
    // text where the route takes a file: said so (422), not dropped for the route to miss
    if (plan.files.has(name)) return void misplaced.add(name)
    const previous = fields[name]
    fields[name] = previous === undefined ? value : Array.isArray(previous) ? [...previous, value] : [previous, value]
  })
  parser.on('file', (name: string, stream: Readable, info: { filename?: string; mimeType: string }) => {
    // destroying the parser errors its open file streams: their failure is already ours
    stream.on('error', () => undefined)
    if (failure) return void stream.resume()
    const spec = plan.files.get(name)
    if (!spec) {
      stream.resume()
      const names = [...plan.files.keys()].map((n) => `"${n}"`).join(', ')
      return fail(new BadRequest(`Unexpected file field "${name.slice(0, 100)}": ${names ? `this route takes files in ${names}` : 'this route takes no files'}`))
    }
    const nth = (started.get(name) ?? 0) + 1
    started.set(name, nth)
    if (nth > spec.max) {
      stream.resume()
      return fail(limitError('max_files', `Too many files in "${name}": at most ${spec.max}`))
    }
    const declared = bareType(info.mimeType)
    if (declaredRefused(declared, spec.types)) {
      stream.resume()
      return fail(new UnsupportedMediaType(`Unsupported file type for file field "${name}": allowed ${spec.types!.join(', ')}`, { code: 'file_type' }))
    }
    const options = { folder, field: name, filename: info.filename, declaredType: declared, maxBytes: spec.maxBytes, types: spec.types, signal: controller.signal, label: `file field "${name}"`, skipEmpty: true, hash: plan.hash }
    // files finish in any order; the handler sees them in the order they were sent
    const slot = nth - 1
    jobs.push(
      (spec.into ? receiveIntoStorage(stream, options, spec.into) : receiveFile(stream, options)).then(
        (file) => {
          const list = received.get(name) ?? []
          list[slot] = file
          received.set(name, list)
        },
        (error: Error) => fail(error),
      ),
    )
  })
  parser.on('filesLimit', () => fail(limitError('max_files', `Too many files: at most ${plan.maxFiles} per request`)))
  parser.on('fieldsLimit', () => fail(limitError('max_fields', `Too many fields: at most ${plan.maxFields} per request`)))
  parser.on('partsLimit', () => fail(limitError('max_parts', `Too many parts: at most ${plan.maxFields + plan.maxFiles} per request`)))
  parser.on('error', (error: Error) => fail(new BadRequest(`Malformed multipart body: ${error.message}`)))
  parser.on('close', () => settle())
  req.on('data', count)
  req.once('close', aborted)
  req.pipe(parser)

  await parsed
  // files finish after the parser has seen their last byte; a late failure still counts
  await Promise.allSettled(jobs)
  req.off('close', aborted)
  if (failure) {
    await cleanup.discard()
    throw failure
  }
  return finish(plan, fields, received, misplaced, cleanup)
}

function finish(plan: MultipartPlan, fields: Record<string, string | string[]>, received: Map<string, (UploadedFile | undefined)[]>, misplaced: ReadonlySet<string>, cleanup: TempCleanup): MultipartBody {
  const files: Record<string, UploadedFile | UploadedFile[] | undefined> = {}
  const issues: ValidationIssue[] = []
  if (plan.fieldsV) validateCoerced(plan.fieldsV, fields, 'body', issues)
  for (const spec of plan.files.values()) {
    const list = (received.get(spec.name) ?? []).filter((file) => file !== undefined)
    if (misplaced.has(spec.name)) issues.push({ loc: ['body', spec.name], msg: 'Expected a file: this field takes an uploaded file (a part with a filename), not text', type: 'file_expected' })
    else if (spec.required && list.length === 0) issues.push({ loc: ['body', spec.name], msg: 'Field required', type: 'missing' })
    files[spec.name] = spec.many ? list : list[0]
  }
  return { fields, files, issues, cleanup }
}

function tooLarge(plan: MultipartPlan) {
  return limitError('max_total_bytes', `Request body is larger than the limit: at most ${plan.maxTotalBytes} bytes`)
}
