// Photo thumbnails, made once and kept: the first time one is asked for, the photo is read from
// the attachments' storage, shrunk on the worker pool and stored beside it under a key made of
// the photo's SHA-256 and the box size; every later request (on any instance sharing the
// storage, local folder or S3) is served from there with its ETag, and no worker runs again.
import { defineTask, HttpError, TaskError, type Storage, type WorkerPool } from 'trefoil'
import { UNREADABLE_IMAGE } from './types.js'

/** The box a thumbnail fits in, in pixels: a 2000 × 1500 photo gives 320 × 240. */
export const THUMBNAIL_BOX = 320

/** The worker task that makes a thumbnail (see make-thumbnail.ts). */
export const thumbnailTask = defineTask<typeof import('./make-thumbnail.js')>(new URL('./make-thumbnail.js', import.meta.url))

// a 50 MP JPEG decodes in a few seconds here: far past that, the worker is stuck, not busy
const TASK_TIMEOUT_MS = 30_000

/** The photo a thumbnail is made of: where it is stored, its content's hash, and its type. */
export interface Original {
  key: string
  sha256: string
  mediaType: string
}

/**
 * Where the thumbnail of a photo with this SHA-256 is stored: the same photo sent twice has one
 * thumbnail, and a photo's bytes never change under its hash, so the cached file never goes stale.
 */
export function thumbnailKey(sha256: string, box: number = THUMBNAIL_BOX): string {
  if (!/^[0-9a-f]{64}$/.test(sha256)) throw new RangeError(`Not a SHA-256: ${sha256}`)
  return `thumbnails/${sha256}-${box}.jpg`
}

// thumbnails being made now, per storage: requests arriving together wait for one worker task
const making = new WeakMap<Storage, Map<string, Promise<void>>>()

/**
 * The storage key of the thumbnail of `original`, made on `pool` and stored the first time it is
 * asked for. A photo that cannot be read (damaged, too many megapixels) is a 422 naming it.
 * @example storedFile(ctx, storage, await cachedThumbnail(storage, pool, original), { type: 'image/jpeg', inline: true })
 */
export async function cachedThumbnail(storage: Storage, pool: WorkerPool, original: Original, box: number = THUMBNAIL_BOX): Promise<string> {
  const key = thumbnailKey(original.sha256, box)
  if (await storage.head(key)) return key
  let inStorage = making.get(storage)
  if (!inStorage) making.set(storage, (inStorage = new Map()))
  let pending = inStorage.get(key)
  if (!pending) {
    const started = makeAndStore(storage, pool, original, key, box).finally(() => inStorage.delete(key))
    inStorage.set(key, started)
    pending = started
  }
  await pending
  return key
}

// sharp's native library, loaded by this thread before any worker loads it: on glibc a worker
// that exits could otherwise unload it while another thread still uses it (sharp's documentation
// on worker threads asks for this)
let nativeLoaded: Promise<unknown> | undefined

async function makeAndStore(storage: Storage, pool: WorkerPool, original: Original, key: string, box: number): Promise<void> {
  nativeLoaded ??= import('sharp')
  await nativeLoaded
  const bytes = await readWhole(storage, original.key)
  try {
    // the photo's buffer moves to the worker rather than being copied (up to 20 MiB)
    const thumbnail = await pool.run(thumbnailTask, { bytes, mediaType: original.mediaType, box }, { transferList: [bytes.buffer as ArrayBuffer], timeoutMs: TASK_TIMEOUT_MS })
    await storage.put(key, thumbnail.bytes, { contentType: 'image/jpeg' })
  } catch (error) {
    if (error instanceof TaskError && error.reason === 'error' && error.code === UNREADABLE_IMAGE) {
      throw new HttpError(422, `No thumbnail can be made of this photo: ${error.message}; download it instead`, { code: UNREADABLE_IMAGE, cause: error })
    }
    throw error
  }
}

/** An object's bytes in one buffer of their own (never a slice of Node's shared pool, so it can be moved to a worker). */
async function readWhole(storage: Storage, key: string): Promise<Uint8Array> {
  const object = await storage.get(key)
  const bytes = new Uint8Array(object.size)
  let at = 0
  for await (const chunk of object.body as AsyncIterable<Uint8Array>) {
    if (at + chunk.byteLength > bytes.byteLength) {
      object.body.destroy()
      throw new Error(`Stored object ${key} is longer than its ${object.size} bytes`)
    }
    bytes.set(chunk, at)
    at += chunk.byteLength
  }
  if (at !== bytes.byteLength) throw new Error(`Stored object ${key} ended after ${at} of its ${object.size} bytes`)
  return bytes
}
