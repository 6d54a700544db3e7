// Where a received file's bytes go: copied into 1 MiB blocks of a ring shared with the upload
// thread, which hashes each full block and writes it in one call. A file has at most BLOCKS
// blocks, so memory stays flat and a slow disk pauses the request. A file that fits in one
// block never reaches the thread: it is kept as received, hashed here (well under a
// millisecond) and written in one call, so apps taking small files never start the thread.
import { createHash } from 'node:crypto'
import { rm, writeFile } from 'node:fs/promises'
import { Worker } from 'node:worker_threads'
import { UPLOAD_THREAD_SOURCE } from './upload-thread.js'

const BLOCK = 1 << 20
// blocks to fill while others are hashed and written: 4 MiB per large file in flight
const BLOCKS = 4

type Reply = { t: 'free'; id: number; slot: number } | { t: 'error'; id: number; message: string; code?: string } | { t: 'done'; id: number; sha256: string } | { t: 'closed'; id: number }

/** The one upload thread of this process, started on the first file larger than a block. */
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

function uploadThread(): UploadThread {
  thread ??= new UploadThread()
  return thread
}

interface Waiting<T> {
  resolve(value: T): void
  reject(error: Error): void
}

/** Options of {@link FileSink}. */
export interface SinkOptions {
  /** Compute the SHA-256 of the bytes (else `end()` resolves to ''). */
  readonly hash: boolean
}

/** A new file (created with `wx`, mode 0600) written block by block; `end()` resolves to its SHA-256. */
export class FileSink {
  readonly #hash: boolean
  // until the file outgrows one block: the chunks as received (busboy's own, never reused)
  #pending: Buffer[] = []
  #pendingBytes = 0
  // then: the blocks shared with the thread, the free ones, the one being filled
  #blocks: Buffer[] = []
  #free: number[] = []
  #slot = -1
  #used = 0
  #thread: UploadThread | undefined
  #id = 0
  #error: Error | undefined
  #waitingSlot: Waiting<number> | undefined
  #waitingClose: Waiting<string> | undefined
  #closed: Promise<string> | undefined

  constructor(
    readonly path: string,
    options: SinkOptions,
  ) {
    this.#hash = options.hash
  }

  /** Takes `chunk` in; waits only when every block is with the thread (backpressure). */
  async write(chunk: Buffer): Promise<void> {
    if (this.#error) throw this.#error
    if (!this.#thread) {
      if (this.#pendingBytes + chunk.length <= BLOCK) {
        this.#pending.push(chunk)
        this.#pendingBytes += chunk.length
        return
      }
      this.#open()
      const pending = this.#pending
      this.#pending = []
      for (const earlier of pending) await this.#copy(earlier)
    }
    await this.#copy(chunk)
  }

  /** Writes what is left and closes the file; resolves to the SHA-256 (hex), '' without hashing. */
  async end(): Promise<string> {
    if (this.#error) throw this.#error
    if (!this.#thread) {
      // the whole file is in one block: no thread round trips for it
      const bytes = Buffer.concat(this.#pending, this.#pendingBytes)
      await writeFile(this.path, bytes, { flag: 'wx', mode: 0o600 })
      return this.#hash ? createHash('sha256').update(bytes).digest('hex') : ''
    }
    if (this.#used > 0) this.#send()
    const sha256 = await this.#close('end')
    if (this.#error) throw this.#error
    return sha256
  }

  /** Stops writing and deletes whatever was written. */
  async abort(): Promise<void> {
    this.#fail(new Error('Upload aborted'))
    if (this.#thread && !this.#thread.stopped) await this.#close('abort').catch(() => undefined)
    await rm(this.path, { force: true })
  }

  /** A message from the thread about this file. */
  receive(reply: Reply): void {
    if (reply.t === 'free') {
      if (this.#waitingSlot) {
        const waiting = this.#waitingSlot
        this.#waitingSlot = undefined
        waiting.resolve(reply.slot)
      } else this.#free.push(reply.slot)
    } else if (reply.t === 'error') {
      this.#fail(Object.assign(new Error(reply.message), reply.code === undefined ? {} : { code: reply.code }))
    } else {
      this.#thread?.forget(this.#id)
      const waiting = this.#waitingClose
      this.#waitingClose = undefined
      waiting?.resolve(reply.t === 'done' ? reply.sha256 : '')
    }
  }

  /** The thread died: nothing more of this file will be written. */
  lost(error: Error): void {
    this.#fail(error)
    const waiting = this.#waitingClose
    this.#waitingClose = undefined
    waiting?.reject(error)
  }

  #fail(error: Error): void {
    this.#error ??= error
    const waiting = this.#waitingSlot
    this.#waitingSlot = undefined
    waiting?.reject(error)
  }

  /** The file outgrew one block: its ring is made and the thread opens the file. */
  #open(): void {
    const ring = new SharedArrayBuffer(BLOCKS * BLOCK)
    for (let slot = 0; slot < BLOCKS; slot++) this.#blocks.push(Buffer.from(ring, slot * BLOCK, BLOCK))
    this.#free = Array.from({ length: BLOCKS }, (_, slot) => BLOCKS - 1 - slot)
    this.#thread = uploadThread()
    this.#id = this.#thread.register(this)
    this.#thread.post({ t: 'open', id: this.#id, path: this.path, hash: this.#hash, ring, block: BLOCK })
  }

  async #copy(chunk: Buffer): Promise<void> {
    let offset = 0
    while (offset < chunk.length) {
      if (this.#error) throw this.#error
      if (this.#slot < 0) {
        this.#slot = this.#free.pop() ?? (await new Promise<number>((resolve, reject) => (this.#waitingSlot = { resolve, reject })))
        this.#used = 0
      }
      const copied = chunk.copy(this.#blocks[this.#slot]!, this.#used, offset)
      this.#used += copied
      offset += copied
      if (this.#used === BLOCK) this.#send()
    }
  }

  /** Asks the thread to close the file (once: an abort during an `end` waits for that end). */
  #close(how: 'end' | 'abort'): Promise<string> {
    this.#closed ??= new Promise<string>((resolve, reject) => {
      this.#waitingClose = { resolve, reject }
      this.#thread!.post({ t: how, id: this.#id })
    })
    return this.#closed
  }

  #send(): void {
    this.#thread!.post({ t: 'data', id: this.#id, slot: this.#slot, len: this.#used })
    this.#slot = -1
    this.#used = 0
  }
}
