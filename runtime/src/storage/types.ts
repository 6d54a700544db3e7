// The storage interface and the shapes it takes and gives, apart from the public module so that
// the drivers and helpers of this folder import them without importing `index.ts`.
import type { Readable } from 'node:stream'

/** What `put` reads: a Node stream (a request, a file), an async iterable of bytes, or bytes. */
export type PutSource = Readable | AsyncIterable<Uint8Array> | Uint8Array

/** Options of {@link Storage.put}. */
export interface PutOptions {
  /** Stored with the object and answered by `head` (default `application/octet-stream`). */
  contentType?: string
  /**
   * Largest object, in bytes: past it the read stops with 413 (`code: 'max_file_bytes'`) and
   * nothing is stored (an S3 multipart upload is aborted). Default: no limit.
   */
  maxBytes?: number
  /** Aborting stops the read and leaves nothing stored. */
  signal?: AbortSignal
  /**
   * `false`: refuse to replace an existing object (409, `code: 'file_exists'`). The local driver
   * links without clobbering; the S3 driver checks first and sends `If-None-Match: *`, which
   * AWS S3 enforces and some compatible servers (s3rver) ignore. Default `true`, as S3 does.
   */
  overwrite?: boolean
  /**
   * The bytes' SHA-256 when the caller already has it (an upload hashed on arrival): it is not
   * computed again, and is returned as given.
   */
  sha256?: string
}

/** What {@link Storage.put} stored. */
export interface PutResult {
  readonly key: string
  /** Size in bytes. */
  readonly size: number
  /** SHA-256 of the bytes, hex. */
  readonly sha256: string
  /** The strong ETag the store gives the object, quoted as in HTTP: `"…"`. */
  readonly etag: string
}

/** What {@link Storage.head} knows about an object. */
export interface ObjectInfo {
  readonly key: string
  /** Size in bytes (the whole object, even when a range was read). */
  readonly size: number
  /** Strong ETag, quoted as in HTTP. */
  readonly etag: string
  readonly contentType: string
  readonly lastModified: Date
}

/** A byte range, both ends included, as in HTTP: `{ start: 0, end: 99 }` is the first 100 bytes. */
export interface ByteRange {
  readonly start: number
  readonly end: number
}

/** Options of {@link Storage.get}. */
export interface GetOptions {
  /** Read only these bytes (the caller keeps it within the object's size: see `head`). */
  range?: ByteRange
  /** Read only if the object still has this ETag (else 412), so a read started from `head` is of the same bytes. */
  ifMatch?: string
}

/** An object being read: its description and its bytes. */
export interface StoredObject extends ObjectInfo {
  /** The bytes (of the range, when one was asked); read it to the end or destroy it. */
  readonly body: Readable
  /** The range that `body` holds, when one was asked. */
  readonly range: ByteRange | undefined
}

/** One object of a listing. */
export interface ListedObject {
  readonly key: string
  readonly size: number
  readonly etag: string
  readonly lastModified: Date
}

/** Options of {@link Storage.presignGet}. */
export interface PresignOptions {
  /** Seconds the URL stays valid (default 300). */
  expiresIn?: number
  /** Served as an attachment with this file name. */
  download?: string
  /** Served with this content type. */
  contentType?: string
}

/**
 * A place for files, addressed by keys like `attachments/3f9c….png`: segments of letters,
 * digits and `._-~@+=,!()` (no segment empty or starting with a dot), at most 1024 bytes. A key
 * never picks a path outside the store. Both drivers behave alike; errors are HTTP errors a route
 * can let through (404, 409, 412, 413).
 */
export interface Storage {
  /** `local` or `s3`. */
  readonly driver: 'local' | 's3'
  /** Where it stores, for logs: a folder, or `s3://bucket/prefix` (no credentials). */
  readonly location: string
  /**
   * Streams `source` into the object `key` and resolves once it is stored whole; until then
   * nothing is visible under `key`. A failed, aborted or over-limit put leaves nothing.
   * @example const saved = await storage.put(`attachments/${id}.png`, ctx.req, { contentType: 'image/png', maxBytes: 20e6 })
   */
  put(key: string, source: PutSource, options?: PutOptions): Promise<PutResult>
  /** Reads an object (or a range of it); 404 when there is none. */
  get(key: string, options?: GetOptions): Promise<StoredObject>
  /** Describes an object without reading it; `undefined` when there is none. */
  head(key: string): Promise<ObjectInfo | undefined>
  /** Deletes an object; deleting one that is not there is not an error. */
  delete(key: string): Promise<void>
  /**
   * The objects whose keys start with `prefix`, fetched page by page: in key order (bytes of
   * UTF-8) from AWS S3 and the local driver; some compatible servers (s3rver) use their own.
   * @example for await (const object of storage.list('attachments/')) total += object.size
   */
  list(prefix?: string): AsyncIterable<ListedObject>
  /**
   * A URL from which a client downloads the object straight from the store, or `undefined`
   * when the driver has none (the local driver): then serve it through the app.
   */
  presignGet(key: string, options?: PresignOptions): Promise<string | undefined>
  /** Releases connections (the S3 client's sockets). */
  close(): void
}
