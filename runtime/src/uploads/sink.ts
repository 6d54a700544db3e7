// Where a received file's bytes go: written by positioned writev calls on libuv's pool, the
// received chunks gathered into batches of about 512 KiB without being copied, and hashed by the
// upload thread, which reads back what was written (see thread.ts): the event loop only
// parses. At most IN_FLIGHT bytes of a file are being written (two writes: the rest of the pool
// stays free for the app; four measured no faster), and at most HASH_LAG written bytes wait for
// the thread: beyond either, `write` waits, which pauses the request (memory stays flat, a slow
// disk slows the client). A file of one batch (up to 512 KiB) never reaches the thread: it is
// hashed here (well under a millisecond), so apps taking small files never start the thread.
//
// Measured on a 2-core machine, 1 GiB multipart upload, CPU s/GiB per thread: event loop
// 1.0-1.1 (busboy's boundary search ~0.2 of it, the rest Node's HTTP parsing and socket reads),
// upload thread 0.7 (SHA-256 0.56, reading back 0.14), pool writes 0.27. Why this split: hashing
// on the event loop cost it 1.6 s/GiB, and copying every byte into blocks shared with a thread that
// hashed and wrote them 1.2-1.45 s/GiB (and the thread 0.8-1.7 s).
import { createHash } from 'node:crypto'
import { open, rm, type FileHandle } from 'node:fs/promises'
import { Worker } from 'node:worker_threads'
import { UPLOAD_THREAD_SOURCE } from './thread.js'

// 512 KiB batches, two in flight: smaller batches measured faster, most likely because the chunks
// are still in the CPU's cache (2 MiB of L2 per core here) when a pool thread copies them into
// the page cache. In the bench (3 rounds each, same load), 1 MiB batches gave 73-78% of
// the baseline at 2.8-3.1 CPU s/GiB, 512 KiB 115% at 2.37, 256 KiB 93-101% at 2.5; 128 KiB
// collapsed (45%, 4.9 s: four times the writes and messages).
const BATCH = 512 * 1024
const IN_FLIGHT = 2 * BATCH
const HASH_LAG = 16 << 20

type Reply = { t: 'hashed'; id: number; upTo: number } | { t: 'error'; id: number; message: string; code?: string } | { t: 'done'; id: number; sha256: string } | { t: 'closed'; id: number }

/** The one upload thread of this process, started by the first file larger than a batch. */
class UploadThread {
  readonly #worker: Worker
  readonly #sinks = new Map<number, FileSink>()
  #nextId = 1
  #stopped: Error | undefined

  constructor() {
    // no inherited flags: the thread runs plain JavaScript and needs no loader or profiler
    this.#worker = new Worker(UPLOAD_THREAD_SOURCE, { eval: true, execArgv: [], env: {} })
    this.#worker.on('message', (reply: Reply) => this.#sinks.get(reply.id)?.receive(reply))
    this.#worker.on('error', (error) => this.#stop(error))
    this.#worker.on('exit', (code) => this.#stop(new Error(`The upload thread stopped (exit code ${code})`)))
    // open files hold their requests, which hold the process: the thread itself never should
    // (after the listeners: adding a 'message' listener refs the thread again)
    this.#worker.unref()
  }

  get stopped(): boolean {
    return this.#stopped !== undefined
  }

  register(sink: FileSink): number {
    const id = this.#nextId++
    this.#sinks.set(id, sink)
    return id
  }

  forget(id: number): void {
    this.#sinks.delete(id)
  }

  post(message: object): void {
    this.#worker.postMessage(message)
  }

  #stop(error: Error): void {
    if (this.#stopped) return
    this.#stopped = error
    if (thread === this) thread = undefined
    for (const sink of this.#sinks.values()) sink.lost(error)
    this.#sinks.clear()
    void this.#worker.terminate()
  }
}

let thread: UploadThread | undefined

interface Waiting<T> {
  resolve(value: T): void
  reject(error: Error): void
}

/** Options of {@link FileSink}. */
export interface SinkOptions {
  /** Compute the SHA-256 of the bytes (else `end()` resolves to ''). */
  readonly hash: boolean
}

/** A new file (created with `wx`, mode 0600) written in batches; `end()` resolves to its SHA-256. */
export class FileSink {
  readonly #hash: boolean
  #batch: Buffer[] = []
  #batchBytes = 0
  // bytes handed to writes so far: the next batch's position in the file
  #position = 0
  #inFlight = 0
  #writes = new Set<Promise<void>>()
  // writes finish in any order: the thread is told only of the prefix written with no gap
  #finished = new Map<number, number>()
  #written = 0
  // what the thread was last told is written, and what it has hashed
  #told = 0
  #hashed = 0
  #file: Promise<FileHandle> | undefined
  #thread: UploadThread | undefined
  #id = 0
  #error: Error | undefined
  #waiting: Waiting<void> | undefined
  #waitingDigest: Waiting<string> | undefined
  #digest: Promise<string> | undefined

  constructor(
    readonly path: string,
    options: SinkOptions,
  ) {
    this.#hash = options.hash
  }

  /**
   * Takes `chunk` in (kept, not copied: the caller must not reuse it). Returns a promise only
   * when the caller must wait (the disk or the hashing is behind), else undefined.
   */
  write(chunk: Buffer): Promise<void> | undefined {
    if (this.#error) return Promise.reject(this.#error)
    this.#batch.push(chunk)
    this.#batchBytes += chunk.length
    if (this.#batchBytes >= BATCH) {
      if (this.#hash && !this.#thread) this.#start()
      this.#flush()
    }
    if (!this.#behind()) return undefined
    return new Promise<void>((resolve, reject) => (this.#waiting = { resolve, reject }))
  }

  /** Writes what is left and closes the file; resolves to the SHA-256 (hex), '' without hashing. */
  async end(): Promise<string> {
    if (this.#error) throw this.#error
    // the whole file is in one batch: hashed here, no thread round trips for it
    const local = this.#hash && this.#position === 0 ? createHash('sha256') : undefined
    if (local) for (const chunk of this.#batch) local.update(chunk)
    this.#flush()
    await this.#settled()
    if (this.#error) throw this.#error
    try {
      if (local) return local.digest('hex')
      if (!this.#thread) return ''
      return await this.#finish('end')
    } finally {
      await this.#close()
    }
  }

  /** Stops writing and deletes whatever was written. */
  async abort(): Promise<void> {
    this.#fail(new Error('Upload aborted'))
    // no write or read may still use the descriptor when it closes (it could be reused)
    await this.#settled()
    if (this.#thread && !this.#thread.stopped) await this.#finish('abort').catch(() => undefined)
    await this.#close().catch(() => undefined)
    await rm(this.path, { force: true })
  }

  /** A message from the thread about this file. */
  receive(reply: Reply): void {
    if (reply.t === 'hashed') {
      this.#hashed = reply.upTo
      this.#tellThread()
      this.#wake()
    } else if (reply.t === 'error') {
      this.#fail(Object.assign(new Error(reply.message), reply.code === undefined ? {} : { code: reply.code }))
    } else {
      this.#thread?.forget(this.#id)
      const waiting = this.#waitingDigest
      this.#waitingDigest = undefined
      if (reply.t === 'done') waiting?.resolve(reply.sha256)
      else waiting?.reject(this.#error ?? new Error('Upload aborted'))
    }
  }

  /** The thread died: this file cannot be hashed. */
  lost(error: Error): void {
    this.#fail(error)
    const waiting = this.#waitingDigest
    this.#waitingDigest = undefined
    waiting?.reject(error)
  }

  #behind(): boolean {
    return this.#inFlight >= IN_FLIGHT || (this.#thread !== undefined && this.#written - this.#hashed > HASH_LAG)
  }

  #wake(): void {
    if (!this.#waiting || this.#behind()) return
    const waiting = this.#waiting
    this.#waiting = undefined
    waiting.resolve()
  }

  #fail(error: Error): void {
    this.#error ??= error
    const waiting = this.#waiting
    this.#waiting = undefined
    waiting?.reject(error)
  }

  /** The file outgrew one batch: the thread will hash it (told of the descriptor once open). */
  #start(): void {
    thread ??= new UploadThread()
    this.#thread = thread
    this.#id = thread.register(this)
  }

  #opened(): Promise<FileHandle> {
    // wx: the name is fresh and random, never write through something already there; + (read
    // too): the thread reads the bytes back through this descriptor to hash them
    this.#file ??= open(this.path, 'wx+', 0o600).then((file) => {
      this.#thread?.post({ t: 'open', id: this.#id, fd: file.fd })
      return file
    })
    return this.#file
  }

  /** A write finished: the thread hears of the bytes written with no gap before them. */
  #wrote(position: number, bytes: number): void {
    this.#finished.set(position, bytes)
    const before = this.#written
    for (let next = this.#finished.get(this.#written); next !== undefined; next = this.#finished.get(this.#written)) {
      this.#finished.delete(this.#written)
      this.#written += next
    }
    if (this.#written > before) this.#tellThread()
  }

  /**
   * Tells the thread how far the file is written, when it has hashed all it was told before: it
   * then reads as much as is ready in one go (one message per batch while it keeps up, fewer
   * when it falls behind).
   */
  #tellThread(): void {
    if (!this.#thread || this.#told > this.#hashed || this.#written === this.#told) return
    this.#told = this.#written
    this.#thread.post({ t: 'written', id: this.#id, upTo: this.#told })
  }

  /** Asks the thread for the digest ('end') or to drop the file ('abort'); once. */
  #finish(how: 'end' | 'abort'): Promise<string> {
    this.#digest ??= new Promise<string>((resolve, reject) => {
      this.#waitingDigest = { resolve, reject }
      this.#thread!.post({ t: how, id: this.#id, upTo: this.#written })
    })
    return this.#digest
  }

  async #close(): Promise<void> {
    const file = this.#file
    this.#file = undefined
    if (file) await (await file).close()
  }

  async #settled(): Promise<void> {
    while (this.#writes.size > 0) await Promise.allSettled(this.#writes)
  }

  #flush(): void {
    if (this.#batchBytes === 0 && this.#file) return
    const buffers = this.#batch
    const bytes = this.#batchBytes
    const position = this.#position
    this.#batch = []
    this.#batchBytes = 0
    this.#position += bytes
    this.#inFlight += bytes
    const write = this.#writeAt(buffers, bytes, position).then(
      () => {
        this.#writes.delete(write)
        this.#inFlight -= bytes
        this.#wrote(position, bytes)
        this.#wake()
      },
      (error: Error) => {
        this.#writes.delete(write)
        this.#fail(error)
      },
    )
    this.#writes.add(write)
  }

  async #writeAt(buffers: Buffer[], bytes: number, position: number): Promise<void> {
    const file = await this.#opened()
    if (bytes === 0) return
    let written = (await file.writev(buffers, position)).bytesWritten
    while (written < bytes) {
      // a short write (rare: a signal, a nearly full disk): the rest, from where it stopped
      const rest = Buffer.concat(buffers).subarray(written)
      written += (await file.write(rest, 0, rest.length, position + written)).bytesWritten
    }
  }
}
