// A received file streamed straight into a Storage while it arrives, for file fields and raw
// uploads that name one: no temp file on this machine, so an instance behind a load balancer
// needs no disk for uploads and a large file costs the store's part buffers, not its size. The
// first bytes are held back until they tell the file's type (a refused type never reaches the
// store); after that, each chunk is counted against the limit and handed to the store's put,
// which hashes it and sends it on. The put reads through a small pass-through whose full buffer
// makes the reader wait, so a slow store pauses the request instead of growing memory.
import { randomBytes } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { mkdir } from 'node:fs/promises'
import { resolve } from 'node:path'
import { addAbortSignal, PassThrough, type Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { UnsupportedMediaType } from '../core/errors.js'
import { TrefoilError, type RouteFailure } from '../core/trefoil-error.js'
import { checkKey } from '../storage/index.js'
import type { PutResult, Storage } from '../storage/types.js'
import { checkPlainName, displayName, limitError, writeNoClobber, type ReceiveOptions } from './file.js'
import { decideType, SNIFF_BYTES } from './sniff.js'
import type { SaveOptions, UploadedFile } from './types.js'

// What the pass-through to the store holds before the reader waits: a few of busboy's 256 KiB
// chunks, so most chunks go in without a wait, and small beside the S3 driver's part buffers.
const HANDOFF_BYTES = 1 << 20

/** Where a streamed file goes: the storage, and what goes before its generated name in the key. */
export interface StorageTarget {
  readonly storage: Storage
  readonly prefix: string
}

/**
 * Streams `source` into the target storage under `prefix + storedName`; rejects with 413 / 415
 * or on abort, leaving nothing stored (the put is stopped: an S3 multipart upload is aborted).
 * The file is registered with the request's folder, which deletes it on discard unless saved.
 */
export async function receiveIntoStorage(source: Readable, options: ReceiveOptions, target: StorageTarget): Promise<StreamedFile | undefined> {
  addAbortSignal(options.signal, source)
  const id = randomBytes(16).toString('hex')
  // our own refusals (the limit) stop the put at once, as the request's abort does
  const stop = new AbortController()
  const head: Buffer[] = []
  let headBytes = 0
  let size = 0
  let body: PassThrough | undefined
  let put: Promise<PutResult> | undefined
  let putFailure: { error: unknown } | undefined
  let decided: { type: string; ext: string } | undefined

  const open = (): void => {
    decided = decideType(Buffer.concat(head), options.declaredType, options.types)
    if (!decided) throw new UnsupportedMediaType(`Unsupported file type for ${options.label}: allowed ${options.types!.join(', ')}`, { code: 'file_type' })
    const handoff = new PassThrough({ highWaterMark: HANDOFF_BYTES })
    // a write after the put failed errors the stream: that failure is the put's, reported below
    handoff.on('error', () => undefined)
    body = handoff
    // the key is 128 random bits: nothing can be there, so no existence check (a round trip)
    put = target.storage.put(target.prefix + id + decided.ext, handoff, { contentType: decided.type, maxBytes: options.maxBytes, signal: AbortSignal.any([options.signal, stop.signal]) })
    put.catch((error: unknown) => {
      putFailure = { error }
      // wakes a reader waiting for room that will never come
      handoff.destroy()
    })
    for (const chunk of head) handoff.write(chunk)
  }
  const write = async (chunk: Buffer): Promise<void> => {
    // destroyed only once the put has failed: its failure is thrown just below
    if (!body!.destroyed && !body!.write(chunk)) await room(body!)
    if (putFailure) throw putFailure.error
  }

  let stored: PutResult
  try {
    for await (const chunk of source as AsyncIterable<Buffer>) {
      size += chunk.length
      if (size > options.maxBytes) throw limitError('max_file_bytes', `File is larger than the limit for ${options.label}: at most ${options.maxBytes} bytes`)
      if (body) {
        await write(chunk)
        continue
      }
      head.push(chunk)
      headBytes += chunk.length
      if (headBytes >= SNIFF_BYTES) open()
    }
    if (size === 0 && options.skipEmpty && !options.filename) return undefined
    if (!body) open()
    body!.end()
    stored = await put!
  } catch (error) {
    // the put must have let go (its multipart upload aborted, its temp file removed) before the
    // request is answered: a client told 413 must not find the object afterwards
    stop.abort(error)
    body?.destroy()
    await put?.catch(() => undefined)
    throw options.signal.aborted && options.signal.reason instanceof Error ? options.signal.reason : error
  }
  const file = new StreamedFile(
    {
      field: options.field,
      originalName: displayName(options.filename),
      storedName: id + decided!.ext,
      size: stored.size,
      mediaType: decided!.type,
      declaredType: options.declaredType,
      sha256: stored.sha256,
    },
    target,
    stored.key,
  )
  options.folder.onDiscard(() => file.discardUnsaved())
  return file
}

/** Resolves once `stream` has room again (or is gone: the caller then finds out why). */
function room(stream: PassThrough): Promise<void> {
  return new Promise((resolve) => {
    if (stream.destroyed) return resolve()
    const done = (): void => {
      stream.off('drain', done)
      stream.off('close', done)
      resolve()
    }
    stream.on('drain', done)
    stream.on('close', done)
  })
}

type StreamedFileInit = Pick<UploadedFile, 'field' | 'originalName' | 'storedName' | 'size' | 'mediaType' | 'declaredType' | 'sha256'>

/**
 * The UploadedFile of a file streamed into a storage on arrival. It is in the storage from the
 * start; `saveTo` keeps it there or moves it, and a file not kept is deleted after the response.
 */
export class StreamedFile implements UploadedFile {
  readonly field: string
  readonly originalName: string
  readonly storedName: string
  readonly size: number
  readonly mediaType: string
  readonly declaredType: string
  readonly sha256: string
  // where it is now: a storage and key, or (after saveTo(dir)) a path
  #storage: Storage | undefined
  #key: string | undefined
  #path = ''
  #prefix: string
  #saved = false

  constructor(init: StreamedFileInit, target: StorageTarget, key: string) {
    this.field = init.field
    this.originalName = init.originalName
    this.storedName = init.storedName
    this.size = init.size
    this.mediaType = init.mediaType
    this.declaredType = init.declaredType
    this.sha256 = init.sha256
    this.#storage = target.storage
    this.#prefix = target.prefix
    this.#key = key
  }

  get path(): string {
    return this.#path
  }

  get key(): string | undefined {
    return this.#key
  }

  get saved(): boolean {
    return this.#saved
  }

  async saveTo(target: string | Storage, options: SaveOptions = {}): Promise<string> {
    const name = options.name ?? this.storedName
    checkPlainName(name)
    const from = this.#storage
    const fromKey = this.#key
    if (!from || fromKey === undefined) {
      // like a temp file once moved: a second move would have to find it on disk again
      throw new TrefoilError('TREFOIL_UPLOAD_ALREADY_SAVED', `Cannot save "${this.storedName}" again: it was already saved to ${this.#path}`)
    }
    if (typeof target === 'string') return this.#moveToFolder(from, fromKey, target, name)
    const key = (options.prefix ?? this.#prefix) + name
    if (target === from && key === fromKey) {
      // already there: keeping it is all there is to do
      this.#saved = true
      return key
    }
    const object = await from.get(fromKey)
    try {
      await target.put(key, object.body, { contentType: this.mediaType, overwrite: false, ...(this.sha256 === '' ? {} : { sha256: this.sha256 }) })
    } finally {
      object.body.destroy()
    }
    await from.delete(fromKey)
    this.#storage = target
    this.#prefix = options.prefix ?? this.#prefix
    this.#key = key
    this.#saved = true
    return key
  }

  stream(): Readable {
    const storage = this.#storage
    const key = this.#key
    if (!storage || key === undefined) return createReadStream(this.#path, { highWaterMark: 1 << 20 })
    // get() is asynchronous and stream() is not: hand its body through once it answers
    const out = new PassThrough({ highWaterMark: HANDOFF_BYTES })
    storage.get(key).then(
      (object) => void pipeline(object.body, out).catch((error: unknown) => out.destroy(error as Error)),
      (error: unknown) => out.destroy(error as Error),
    )
    return out
  }

  /** Deletes the object unless a handler kept it (run when the request's uploads are discarded). */
  async discardUnsaved(): Promise<void> {
    if (this.#saved || !this.#storage || this.#key === undefined) return
    await this.#storage.delete(this.#key)
  }

  /** Copies the object into `dir/name` (never replacing a file there), then deletes it from the store. */
  async #moveToFolder(from: Storage, fromKey: string, dir: string, name: string): Promise<string> {
    await mkdir(dir, { recursive: true })
    const path = resolve(dir, name)
    await writeNoClobber((await from.get(fromKey)).body, path, name)
    await from.delete(fromKey)
    this.#storage = undefined
    this.#key = undefined
    this.#path = path
    this.#saved = true
    return path
  }

  /** Shown by `JSON.stringify` (e.g. in logs): the data, without methods. */
  toJSON(): StreamedFileInit & { path: string; key: string | undefined; saved: boolean } {
    return { field: this.field, originalName: this.originalName, storedName: this.storedName, path: this.#path, key: this.#key, size: this.size, mediaType: this.mediaType, declaredType: this.declaredType, sha256: this.sha256, saved: this.#saved }
  }
}

/** A route's `prefix` for keys, checked at start-up: '' or the start of a valid key. */
export function storagePrefix(prefix: string | undefined, what: string, fail: RouteFailure): string {
  if (prefix === undefined || prefix === '') return ''
  try {
    // a prefix is good when a key made with it is: the generated name is letters and digits
    checkKey(`${prefix}0.bin`)
  } catch {
    fail(`its ${what} has the prefix "${prefix.slice(0, 80)}", which makes no valid storage key: use segments of letters, digits and ._-~@+=,!() separated by /`, 'TREFOIL_ROUTE_OPTIONS_INVALID')
  }
  return prefix
}
