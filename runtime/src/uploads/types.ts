// The shapes of uploads: what a route declares (a multipart body of text fields and files, or a
// raw body PUT as one file) and what its handler receives. Kept apart from index.ts so the files
// that read uploads can name them without importing the capability's public module.
import type { Readable } from 'node:stream'
import type { Static, TSchema } from 'typebox'
import type { Storage } from '../storage/types.js'

/** One file field of a multipart body. */
export interface FileFieldSpec {
  /**
   * Accept several files under this name: at most this many (`true`: up to 10). Absent or
   * `false`: one file, and a second one is refused with 413.
   */
  many?: number | boolean
  /** The request must carry at least one file here (else 422 with `loc: ['body', name]`). */
  required?: boolean
  /** Largest file, in bytes (default 10 MiB); a larger one stops the read with 413. */
  maxBytes?: number
  /**
   * Allowed media types, checked against the bytes' signature (and the part's header when it
   * names a type): `['image/jpeg', 'image/png']`. Absent: any bytes. See {@link SNIFFED_TYPES}.
   */
  types?: readonly string[]
  /**
   * Stream this field's files straight into this storage while they arrive, instead of into the
   * request's temp folder. Each file is stored under `prefix + storedName`: to S3 as a multipart
   * upload whose parts are sent as the bytes come (memory per file bounded by the driver's part
   * buffers; nothing written to a local temp file), to a local store through its own temp file
   * and a rename. The size limit and the type check on the first bytes hold as for the temp
   * folder, and the SHA-256 is computed on the way (always: the drivers hash what they store, so
   * `hash: false` changes nothing here). A slow store slows the client: the request is paused,
   * not buffered.
   *
   * The handler gets an {@link UploadedFile} already in the storage (`key` set, `path` ''), and
   * the usual rule holds: what the handler does not keep with `saveTo` is deleted after the
   * response, as are the files of a request that fails (413, 415, a client that leaves, a 422 on
   * any field); an unfinished S3 upload is aborted, so no object and no parts are left.
   * `saveTo(sameStorage)` keeps the file where it arrived, with no copy.
   * @example
   * r.post('/photos', { multipart: { files: { photo: { required: true, types: ['image/jpeg'], maxBytes: 50e6, storage, prefix: 'photos/' } } } }, async ({ files }) => ({ key: await files.photo.saveTo(storage) }))
   */
  storage?: Storage
  /** With `storage`: put before each file's generated name to make its key (`photos/`); default ''. */
  prefix?: string
}

/**
 * A multipart/form-data body: text fields validated by a schema (coerced like a form), files
 * streamed to disk with limits per file and per request.
 * @example
 * r.post('/:taskId/submissions', { multipart: { fields: SubmissionFields, files: { attachments: { many: 10, maxBytes: 20e6, types: ['image/jpeg', 'image/png'] } } } }, ({ fields, files }) => …)
 */
export interface MultipartSpec {
  /** The text fields, e.g. `t.Object({ xml: t.String(), deviceId: t.Optional(t.String()) })`. */
  fields?: TSchema
  /** The file fields by name. A file under any other name is refused with 400. */
  files?: Readonly<Record<string, FileFieldSpec>>
  /** Largest body, in bytes (default: every file field's budget plus `maxFields × maxFieldBytes`). */
  maxTotalBytes?: number
  /** Most files in one request (default: the sum of the file fields' counts). */
  maxFiles?: number
  /** Most text fields in one request (default 100). */
  maxFields?: number
  /** Largest text field, in bytes (default 1 MiB). */
  maxFieldBytes?: number
  /** Where requests' temp folders go (default: the settings' `UPLOAD_TEMP_DIR`, else `<os tmp>/trefoil-uploads`). */
  tempDir?: string
  /**
   * Compute each file's SHA-256 while it arrives (default `true`), on the upload thread for files
   * over 512 KiB (one write batch). `false` leaves `sha256` empty and saves about 0.65
   * CPU-seconds per GiB, for routes that never look at it.
   */
  hash?: boolean
}

/**
 * A raw (non-multipart) body received as one file, for clients that PUT a file.
 * @example r.put('/:id/file', { upload: { maxBytes: 2 ** 30, types: ['application/pdf'] } }, ({ upload }) => upload.saveTo(dir))
 */
export interface UploadSpec {
  /** Largest body, in bytes (default 10 MiB). */
  maxBytes?: number
  /** Allowed media types, checked as for multipart files. */
  types?: readonly string[]
  /** As {@link MultipartSpec.tempDir}. */
  tempDir?: string
  /** As {@link MultipartSpec.hash}. */
  hash?: boolean
  /** Stream the body straight into this storage while it arrives, as {@link FileFieldSpec.storage}. */
  storage?: Storage
  /** As {@link FileFieldSpec.prefix}. */
  prefix?: string
}

/** Options of {@link UploadedFile.saveTo}. */
export interface SaveOptions {
  /** File name inside the folder (default: the generated `storedName`); a plain name, never a path. */
  name?: string
  /**
   * With a storage target: put before the name to make the key (`attachments/` gives
   * `attachments/<name>`). Default '', or, for a file streamed into a storage on arrival, the
   * prefix it arrived under (so `saveTo(thatStorage)` keeps it where it is).
   */
  prefix?: string
}

/**
 * A file received by the server, sitting in the request's temp folder until `saveTo` moves it,
 * or already in a storage when its field streams there (see {@link FileFieldSpec.storage}). Files not
 * saved are deleted after the response, wherever they are.
 */
export interface UploadedFile {
  /** The form field it came in (the route's name for a raw upload: `upload`). */
  readonly field: string
  /**
   * The client's file name, for display only: control characters removed, NFC-normalised, at
   * most 255 characters. Never use it in a path.
   */
  readonly originalName: string
  /** A generated name: 32 random hex digits and the extension of the sniffed type (`…b1.png`). */
  readonly storedName: string
  /** Where the file is now: in the temp folder, or where `saveTo` put it; '' while it is in a storage. */
  readonly path: string
  /**
   * Its key in a storage: the one `saveTo(storage)` stored it under, or, for a file streamed
   * into a storage, the key it arrived under (deleted after the response unless saved); else
   * undefined.
   */
  readonly key: string | undefined
  /** Size in bytes. */
  readonly size: number
  /** The media type read from the bytes (or the declared one for text without a signature). */
  readonly mediaType: string
  /** The media type the client declared for this part or body. */
  readonly declaredType: string
  /** SHA-256 of the bytes, hex ('' on a route with `hash: false`). */
  readonly sha256: string
  /** Whether `saveTo` has kept it (it then stays after the response). */
  readonly saved: boolean
  /**
   * Moves the file into `dir` (created if needed) and resolves to its new path: a rename on the
   * same disk, a chunked copy across disks; or puts it in a {@link Storage} (a local folder or S3,
   * as `STORAGE_URL` says) under `prefix + name` and resolves to the key, with its media type and
   * the SHA-256 computed on arrival. Never overwrites: an existing file or key → 409.
   *
   * A file streamed into a storage on arrival is already stored: `saveTo` into that same storage
   * object, under the key it has (no options, or the same prefix and name), keeps it there with
   * no copy; another key, another storage or a folder moves it there (copied through this
   * process, then deleted where it was).
   * @example const key = await file.saveTo(storage, { prefix: 'attachments/' })
   */
  saveTo(target: string | Storage, options?: SaveOptions): Promise<string>
  /** Reads the file in chunks (from the storage, for a file that is in one). */
  stream(): Readable
}

/** What a handler gets for the files of a multipart spec: arrays for `many`, one file (or undefined) otherwise. */
export type UploadedFiles<F> = {
  [K in keyof F]: F[K] extends { many: number | true } ? UploadedFile[] : F[K] extends { required: true } ? UploadedFile : UploadedFile | undefined
}

/** The text fields a multipart spec yields: its schema's type, or raw strings without one. */
export type MultipartFields<M> = M extends { fields: infer S extends TSchema } ? Static<S> : Record<string, string | string[]>

/** The inputs a `multipart` or `upload` route option adds to the handler's. */
export type UploadInput<M, UP> = (M extends MultipartSpec ? { fields: MultipartFields<M>; files: UploadedFiles<M extends { files: infer F } ? F : {}> } : {}) &
  (UP extends UploadSpec ? { upload: UploadedFile } : {})
