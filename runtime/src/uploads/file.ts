// One received file: written in chunks into the request's temp folder under a generated name,
// with its size limit checked per chunk, its type read from its first bytes and its SHA-256
// computed on the way; and the UploadedFile a handler gets, which can move itself into place.
import { randomBytes } from 'node:crypto'
import { createReadStream, createWriteStream, type ReadStream } from 'node:fs'
import { link, mkdir, mkdtemp, rm, unlink } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import type { Socket } from 'node:net'
import { addAbortSignal, type Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { Conflict, PayloadTooLarge, UnsupportedMediaType } from '../core/errors.js'
import type { SaveOptions, UploadedFile } from './types.js'
import type { Storage } from '../storage/types.js'
import type { RequestContext } from '../core/context.js'
import { FileSink } from './sink.js'
import { sweepStaleFolders } from './sweep.js'
import { decideType, SNIFF_BYTES } from './sniff.js'
import { TrefoilError } from '../core/trefoil-error.js'

/** Where request temp folders go when neither the route nor the settings say. */
export function defaultTempDir(settings: unknown): string {
  const fromSettings = (settings as { UPLOAD_TEMP_DIR?: unknown } | undefined)?.UPLOAD_TEMP_DIR
  return typeof fromSettings === 'string' && fromSettings !== '' ? fromSettings : join(tmpdir(), 'trefoil-uploads')
}

/** A route's temp root, checked at start-up: stale request folders in it are swept in the background. */
export function sweptTempDir(root: string): string {
  void sweepStaleFolders(root)
  return root
}

/**
 * A request's own temp folder, made at its first file and removed with whatever is left in it;
 * and the files it streamed into a storage, deleted with it unless a handler saved them.
 */
export class UploadFolder {
  #dir: Promise<string> | undefined
  #elsewhere: (() => Promise<void>)[] = []

  constructor(readonly base: string) {}

  /** Runs `remove` on discard: it deletes a file this request put outside the folder, unless kept. */
  onDiscard(remove: () => Promise<void>): void {
    this.#elsewhere.push(remove)
  }

  /** The folder's path (created, mode 0700, on first use). */
  dir(): Promise<string> {
    this.#dir ??= mkdir(this.base, { recursive: true, mode: 0o700 }).then(() => mkdtemp(join(this.base, 'req-')))
    return this.#dir
  }

  /** Deletes the folder and every file still in it (those a handler did not save). */
  async discard(): Promise<void> {
    const pending = this.#dir
    this.#dir = undefined
    // every removal is tried, whichever fails: the first failure is reported after
    const removals = Promise.allSettled(this.#elsewhere.splice(0).map((remove) => remove()))
    const dir = await pending?.catch(() => undefined)
    if (dir) await rm(dir, { recursive: true, force: true })
    for (const removal of await removals) if (removal.status === 'rejected') throw removal.reason
  }
}

/** When a request's temp folder goes. */
export interface TempCleanup {
  /** Deletes it now (a failed read, a failed validation). */
  discard(): Promise<void>
  /** The handler has finished: delete once the response is out too (it may stream from there). */
  handlerDone(): void
}

/**
 * Deletes the folder once both the handler and the response are done: a client that leaves
 * while the handler still moves its files must not pull the files from under it.
 */
export function tempCleanup(ctx: RequestContext, folder: UploadFolder): TempCleanup {
  let done: Promise<void> | undefined
  let responded = false
  let handled = false
  const discard = (): Promise<void> => (done ??= folder.discard().catch((error: unknown) => void ctx.app.emit('error', error)))
  const check = (): void => {
    if (responded && handled) void discard()
  }
  const onResponse = (): void => {
    responded = true
    check()
  }
  ctx.res.once('close', onResponse)
  ctx.res.once('finish', onResponse)
  return {
    discard,
    handlerDone() {
      handled = true
      check()
    },
  }
}

/** 413 with a code naming the limit (`max_file_bytes`, `max_total_bytes`, `max_files`, …). */
export function limitError(code: string, message: string): PayloadTooLarge {
  return new PayloadTooLarge(message, { code })
}

// How long the rest of a refused body is read and dropped after the error response is out.
const LINGER_MS = 1000

/**
 * Stops reading a body we will not finish: nothing more is parsed or stored, and the error goes
 * out at once with `Connection: close` (the connection cannot carry another request). Closing
 * the socket right after the response would make the kernel answer the bytes still in flight
 * with a reset, which can destroy the 413 before the client has read it; so, like nginx's
 * lingering close, the server half-closes, drops what the client still sends for a moment, then
 * closes (a client that stops on the error, as curl does, closes first).
 */
export function stopReading(ctx: RequestContext): void {
  const { req, res } = ctx
  req.pause()
  res.shouldKeepAlive = false
  const socket = req.socket as Socket | undefined
  if (!socket || typeof socket.destroySoon !== 'function') return
  // Node calls destroySoon once a `Connection: close` response is written
  socket.destroySoon = function lingeringClose(): void {
    socket.end()
    const timer = setTimeout(() => socket.destroy(), LINGER_MS)
    timer.unref()
    socket.once('close', () => clearTimeout(timer))
    req.resume()
    socket.resume()
  }
}

/** What {@link receiveFile} needs besides the bytes. */
export interface ReceiveOptions {
  readonly folder: UploadFolder
  readonly field: string
  /** The client's name for the file (undefined for a raw body without one). */
  readonly filename: string | undefined
  readonly declaredType: string
  readonly maxBytes: number
  readonly types: readonly string[] | undefined
  /** Aborting destroys the source and removes the partial file. */
  readonly signal: AbortSignal
  /** Describes the limit for the 413 message (`file field "photos"`). */
  readonly label: string
  /** Resolve to undefined for a nameless empty part (a browser's empty file input). */
  readonly skipEmpty: boolean
  /** Compute the SHA-256 (else `sha256` is ''). */
  readonly hash: boolean
}

/** Streams `source` into the temp folder; rejects with 413 / 415 (nothing left on disk) or on abort. */
export async function receiveFile(source: Readable, options: ReceiveOptions): Promise<StoredFile | undefined> {
  addAbortSignal(options.signal, source)
  const dir = await options.folder.dir()
  const id = randomBytes(16).toString('hex')
  const head: Buffer[] = []
  let headBytes = 0
  let size = 0
  let sink: FileSink | undefined
  let decided: { type: string; ext: string } | undefined

  const open = async (): Promise<void> => {
    const first = Buffer.concat(head)
    decided = decideType(first, options.declaredType, options.types)
    if (!decided) throw new UnsupportedMediaType(`Unsupported file type for ${options.label}: allowed ${options.types!.join(', ')}`, { code: 'file_type' })
    // the name is ours alone: 128 random bits, and the sniffed type's extension
    sink = new FileSink(join(dir, id + decided.ext), { hash: options.hash })
    await sink.write(first)
  }

  let sha256: string
  try {
    for await (const chunk of source as AsyncIterable<Buffer>) {
      size += chunk.length
      if (size > options.maxBytes) throw limitError('max_file_bytes', `File is larger than the limit for ${options.label}: at most ${options.maxBytes} bytes`)
      if (sink) {
        // most chunks need no wait: no promise to await for them
        const wait = sink.write(chunk)
        if (wait) await wait
        continue
      }
      head.push(chunk)
      headBytes += chunk.length
      if (headBytes >= SNIFF_BYTES) await open()
    }
    if (size === 0 && options.skipEmpty && !options.filename) return undefined
    if (!sink) await open()
    sha256 = await sink!.end()
  } catch (error) {
    await sink?.abort()
    throw options.signal.aborted && options.signal.reason instanceof Error ? options.signal.reason : error
  }
  return new StoredFile({
    field: options.field,
    originalName: displayName(options.filename),
    storedName: id + decided!.ext,
    path: sink!.path,
    size,
    mediaType: decided!.type,
    declaredType: options.declaredType,
    sha256,
  })
}

// Control characters (C0, DEL, C1) and the bidi controls that make `gpj.exe` read as `exe.jpg`.
const UNSAFE_DISPLAY = /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g

/** The client's file name made fit for display: never a path, only data. */
export function displayName(name: string | undefined): string {
  const clean = (name ?? '').normalize('NFC').replace(UNSAFE_DISPLAY, '').trim()
  const cut = Array.from(clean).slice(0, 255).join('')
  return cut === '' ? 'file' : cut
}

type StoredFileInit = Omit<UploadedFile, 'saved' | 'saveTo' | 'stream' | 'key'>

/** The UploadedFile a handler receives. */
export class StoredFile implements UploadedFile {
  readonly field: string
  readonly originalName: string
  readonly storedName: string
  readonly size: number
  readonly mediaType: string
  readonly declaredType: string
  readonly sha256: string
  #path: string
  #key: string | undefined
  #saved = false

  constructor(init: StoredFileInit) {
    this.field = init.field
    this.originalName = init.originalName
    this.storedName = init.storedName
    this.size = init.size
    this.mediaType = init.mediaType
    this.declaredType = init.declaredType
    this.sha256 = init.sha256
    this.#path = init.path
  }

  get path(): string {
    return this.#path
  }

  get saved(): boolean {
    return this.#saved
  }

  get key(): string | undefined {
    return this.#key
  }

  async saveTo(dir: string | Storage, options: SaveOptions = {}): Promise<string> {
    if (typeof dir !== 'string') return this.#putIn(dir, options)
    const name = options.name ?? this.storedName
    checkPlainName(name)
    await mkdir(dir, { recursive: true })
    const target = resolve(dir, name)
    if (target === this.#path) return target
    try {
      // link + unlink is a rename that refuses to replace: rename(2) would overwrite silently
      await link(this.#path, target)
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code
      if (code === 'EEXIST') throw exists(name)
      // another disk (EXDEV) or a file system without hard links: copy in chunks
      if (code !== 'EXDEV' && code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'EMLINK') throw error
      await writeNoClobber(createReadStream(this.#path, { highWaterMark: 1 << 20 }), target, name)
    }
    await unlink(this.#path)
    this.#path = target
    this.#saved = true
    return target
  }

  stream(): ReadStream {
    return createReadStream(this.#path, { highWaterMark: 1 << 20 })
  }

  /** Streams the temp file into `storage` (never replacing a key), then deletes it. */
  async #putIn(storage: Storage, options: SaveOptions): Promise<string> {
    if (this.#key !== undefined) return this.#key
    // a second saveTo(dir) after this one would find no temp file either
    if (this.#saved) throw new TrefoilError('TREFOIL_UPLOAD_ALREADY_SAVED', `Cannot put "${this.storedName}" in a storage: it was already saved to ${this.#path}`)
    const name = options.name ?? this.storedName
    checkPlainName(name)
    const key = (options.prefix ?? '') + name
    const saved = await storage.put(key, this.stream(), { contentType: this.mediaType, overwrite: false, ...(this.sha256 === '' ? {} : { sha256: this.sha256 }) })
    await unlink(this.#path)
    this.#path = ''
    this.#key = saved.key
    this.#saved = true
    return saved.key
  }

  /** Shown by `JSON.stringify` (e.g. in logs): the data, without methods. */
  toJSON(): StoredFileInit & { saved: boolean; key: string | undefined } {
    return { field: this.field, originalName: this.originalName, storedName: this.storedName, path: this.#path, key: this.#key, size: this.size, mediaType: this.mediaType, declaredType: this.declaredType, sha256: this.sha256, saved: this.#saved }
  }
}

function exists(name: string): Conflict {
  return new Conflict(`Cannot save the upload: a file named "${name}" already exists there`, { code: 'file_exists' })
}

/** Throws unless `name` is a plain file name (no path, no separator, at most 255 bytes). */
export function checkPlainName(name: string): void {
  if (name === '' || name === '.' || name === '..' || /[/\\\u0000]/.test(name) || Buffer.byteLength(name) > 255) {
    throw new TrefoilError('TREFOIL_INVALID_ARGUMENT', `Cannot save the upload as "${name.slice(0, 80)}": give a plain file name, not a path`)
  }
}

/**
 * Writes `source` into a new file `to` (mode 0600), never replacing one: an existing file is a 409
 * naming `name`, and a write that fails part-way leaves no file behind.
 */
export async function writeNoClobber(source: Readable, to: string, name: string): Promise<void> {
  let created = false
  const out = createWriteStream(to, { flags: 'wx', mode: 0o600 })
  out.once('open', () => (created = true))
  try {
    await pipeline(source, out)
  } catch (error) {
    if (created) await rm(to, { force: true })
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') throw exists(name)
    throw error
  }
}
