// What both drivers do to the bytes on their way in: count them against the limit, hash them,
// and stop at once when the caller aborts. The hash runs on the event loop: a hashing thread fed
// with a copy of each chunk was tried (bench/storage.ts, 1 GiB through the S3 driver) and cost
// more than it saved on this 2-core machine, +6.6 CPU s/GiB over the hash-given run against +2.6
// for the hash here. Copying and messaging every chunk cost more than the hash; the uploads'
// thread avoids both by reading back from disk, which a streamed put does not have.
import { createHash } from 'node:crypto'
import { Readable } from 'node:stream'
import { PayloadTooLarge } from '../core/errors.js'
import type { PutSource } from './types.js'

/** The running totals of a metered source: final once its stream has ended. */
export interface Meter {
  size: number
  /** The hex digest once the source has ended (the given one when the caller had it). */
  sha256: string
}

/** Options of {@link meteredStream}. */
export interface MeterOptions {
  maxBytes: number | undefined
  signal: AbortSignal | undefined
  /** Known digest: skip hashing. */
  sha256: string | undefined
}

/** The 413 a put past its limit ends with. */
export function tooLarge(maxBytes: number): PayloadTooLarge {
  return new PayloadTooLarge(`File is larger than the limit: at most ${maxBytes} bytes`, { code: 'max_file_bytes' })
}

/**
 * Wraps `source` in a stream that counts, hashes and enforces the limit as the bytes pass; it
 * errors (413, or the abort reason) instead of yielding a byte past the limit. A Readable source
 * is paused there, not destroyed: the caller decides (a request still gets its answer).
 */
export function meteredStream(source: PutSource, options: MeterOptions): { stream: Readable; meter: Meter } {
  const meter: Meter = { size: 0, sha256: options.sha256 ?? '' }
  const hash = options.sha256 === undefined ? createHash('sha256') : undefined
  const { maxBytes, signal } = options
  // a request that goes over the limit must stay open to be answered (413): stop reading it,
  // never destroy it (a Readable's plain iterator would, on an early return)
  const chunks: AsyncIterable<Uint8Array> | Iterable<Uint8Array> = source instanceof Uint8Array ? [source] : source instanceof Readable ? source.iterator({ destroyOnReturn: false }) : source
  const iterator = Symbol.asyncIterator in chunks ? chunks[Symbol.asyncIterator]() : toAsync(chunks[Symbol.iterator]())
  let reading = false
  // not Readable.from(generator): destroying that waits for the generator's pending read, which
  // a stalled client may never finish; this one fails at once on abort or over the limit
  const stream = new Readable({
    highWaterMark: 1 << 20,
    read() {
      if (reading) return
      reading = true
      iterator.next().then(
        (step) => {
          reading = false
          if (stream.destroyed) return
          if (step.done) {
            if (hash) meter.sha256 = hash.digest('hex')
            stream.push(null)
            return
          }
          const chunk = step.value
          const bytes = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength)
          meter.size += bytes.length
          if (maxBytes !== undefined && meter.size > maxBytes) return void stream.destroy(tooLarge(maxBytes))
          hash?.update(bytes)
          // Node calls read() again while its buffer has room, or when the reader wants more
          stream.push(bytes)
        },
        (error: unknown) => {
          reading = false
          stream.destroy(error instanceof Error ? error : new Error(String(error)))
        },
      )
    },
    destroy(error, callback) {
      // tells the source we are done without waiting for it (it may be stalled)
      void iterator.return?.().catch(() => undefined)
      callback(error)
    },
  })
  if (signal) {
    const abort = (): void => void stream.destroy(abortReason(signal))
    if (signal.aborted) abort()
    else {
      signal.addEventListener('abort', abort, { once: true })
      stream.once('close', () => signal.removeEventListener('abort', abort))
    }
  }
  return { stream, meter }
}

async function* toAsync<T>(iterator: Iterator<T>): AsyncGenerator<T> {
  for (let step = iterator.next(); !step.done; step = iterator.next()) yield step.value
}

/** The signal's reason as an Error (an `AbortSignal.abort()` without one gives a DOMException). */
export function abortReason(signal: AbortSignal): Error {
  const reason: unknown = signal.reason
  return reason instanceof Error ? reason : Object.assign(new Error('Upload aborted'), { name: 'AbortError' })
}
