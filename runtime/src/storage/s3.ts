// The S3 driver, for any server that speaks the S3 protocol (AWS, MinIO, Ceph, s3rver): a put
// is a multipart upload whose parts are sent while the bytes arrive ((queueSize + 1) × partSize
// in memory, reused part after part, see s3-parts.ts; never the whole file, never a temp file),
// and a failed, aborted or over-limit put aborts its multipart upload, so no object and no parts
// are left. The AWS SDK is loaded on first use, so apps on the local driver never pay for it.
import type { Readable } from 'node:stream'
import type { S3Client, S3ClientConfig } from '@aws-sdk/client-s3'
import { NotFound } from '../core/errors.js'
import type { GetOptions, ListedObject, ObjectInfo, PresignOptions, PutOptions, PutResult, PutSource, Storage, StoredObject } from './types.js'
import { checkKey, checkPrefix } from './keys.js'
import { changed, fileExists } from './errors.js'
import { contentDisposition } from './download.js'
import { meteredStream } from './meter.js'
import { sendInParts } from './s3-parts.js'

/** Where and how the S3 driver stores. */
export interface S3Config {
  readonly bucket: string
  /** Prepended to every key: '' or ending with `/`. */
  readonly prefix: string
  /** A compatible server's URL (default: AWS's endpoint for the region). */
  readonly endpoint: string | undefined
  readonly region: string
  /** Static credentials; without them the SDK's usual chain (AWS_* variables, profile, role). */
  readonly credentials: { accessKeyId: string; secretAccessKey: string } | undefined
  /** `bucket` in the path rather than the host name (most compatible servers need it). */
  readonly forcePathStyle: boolean
  /** Bytes per part (at least 5 MiB, S3's minimum). */
  readonly partSize: number
  /** Parts sent at once. */
  readonly queueSize: number
}

interface Sdk {
  s3: typeof import('@aws-sdk/client-s3')
  client: S3Client
}

/** Objects in an S3 bucket under a prefix. */
export class S3Storage implements Storage {
  readonly driver = 's3'
  readonly #config: S3Config
  #sdk: Promise<Sdk> | undefined

  constructor(config: S3Config) {
    this.#config = config
  }

  get location(): string {
    return `s3://${this.#config.bucket}/${this.#config.prefix}`
  }

  async put(key: string, source: PutSource, options: PutOptions = {}): Promise<PutResult> {
    const Key = this.#key(key)
    const { s3, client } = await this.#load()
    // servers that ignore If-None-Match (s3rver) still get this check
    if (options.overwrite === false && (await this.head(key))) throw fileExists(key)
    const { stream, meter } = meteredStream(source, { maxBytes: options.maxBytes, signal: options.signal, sha256: options.sha256 || undefined })
    let sent: string | undefined
    try {
      sent = await sendInParts(
        { s3, client, bucket: this.#config.bucket, key: Key, contentType: options.contentType ?? 'application/octet-stream', ifNoneMatch: options.overwrite === false },
        stream,
        { partSize: this.#config.partSize, queueSize: this.#config.queueSize },
      )
    } catch (error) {
      stream.destroy()
      const status = statusOf(error)
      if (status === 412 || status === 409) throw fileExists(key)
      throw error
    }
    const etag = sent ?? (await this.head(key))?.etag ?? ''
    return { key, size: meter.size, sha256: meter.sha256, etag }
  }

  async get(key: string, options: GetOptions = {}): Promise<StoredObject> {
    const Key = this.#key(key)
    const { s3, client } = await this.#load()
    const range = options.range
    let out
    try {
      out = await client.send(new s3.GetObjectCommand({ Bucket: this.#config.bucket, Key, Range: range ? `bytes=${range.start}-${range.end}` : undefined, IfMatch: options.ifMatch }))
    } catch (error) {
      const status = statusOf(error)
      if (status === 404) throw new NotFound('File not found')
      if (status === 412) throw changed()
      throw error
    }
    const body = out.Body as Readable
    // some compatible servers (s3rver) ignore If-Match: the answer's own ETag says it
    if (options.ifMatch !== undefined && out.ETag !== options.ifMatch) {
      body.destroy()
      throw changed()
    }
    let size = out.ContentLength ?? 0
    if (range) {
      const total = /\/(\d+)$/.exec(out.ContentRange ?? '')
      if (!total) {
        body.destroy()
        throw new Error(`The S3 server ignored the range asked for "${key}"`)
      }
      size = Number(total[1])
    }
    return { key, size, etag: out.ETag ?? '', contentType: out.ContentType ?? 'application/octet-stream', lastModified: out.LastModified ?? new Date(0), body, range }
  }

  async head(key: string): Promise<ObjectInfo | undefined> {
    const Key = this.#key(key)
    const { s3, client } = await this.#load()
    try {
      const out = await client.send(new s3.HeadObjectCommand({ Bucket: this.#config.bucket, Key }))
      return { key, size: out.ContentLength ?? 0, etag: out.ETag ?? '', contentType: out.ContentType ?? 'application/octet-stream', lastModified: out.LastModified ?? new Date(0) }
    } catch (error) {
      if (statusOf(error) === 404) return undefined
      throw error
    }
  }

  async delete(key: string): Promise<void> {
    const Key = this.#key(key)
    const { s3, client } = await this.#load()
    await client.send(new s3.DeleteObjectCommand({ Bucket: this.#config.bucket, Key }))
  }

  async *list(prefix = ''): AsyncIterable<ListedObject> {
    checkPrefix(prefix)
    const { s3, client } = await this.#load()
    const strip = this.#config.prefix.length
    let ContinuationToken: string | undefined
    do {
      const page = await client.send(new s3.ListObjectsV2Command({ Bucket: this.#config.bucket, Prefix: this.#config.prefix + prefix, ContinuationToken }))
      for (const object of page.Contents ?? []) {
        if (object.Key === undefined) continue
        yield { key: object.Key.slice(strip), size: object.Size ?? 0, etag: object.ETag ?? '', lastModified: object.LastModified ?? new Date(0) }
      }
      ContinuationToken = page.IsTruncated ? page.NextContinuationToken : undefined
    } while (ContinuationToken)
  }

  async presignGet(key: string, options: PresignOptions = {}): Promise<string> {
    const Key = this.#key(key)
    const { s3, client } = await this.#load()
    const { getSignedUrl } = await import('@aws-sdk/s3-request-presigner')
    const command = new s3.GetObjectCommand({
      Bucket: this.#config.bucket,
      Key,
      ResponseContentDisposition: options.download === undefined ? undefined : contentDisposition(options.download),
      ResponseContentType: options.contentType,
    })
    return getSignedUrl(client, command, { expiresIn: options.expiresIn ?? 300 })
  }

  close(): void {
    void this.#sdk?.then(({ client }) => client.destroy())
    this.#sdk = undefined
  }

  #key(key: string): string {
    return this.#config.prefix + checkKey(key)
  }

  #load(): Promise<Sdk> {
    this.#sdk ??= (async () => {
      const s3 = await import('@aws-sdk/client-s3')
      const config: S3ClientConfig = {
        region: this.#config.region,
        forcePathStyle: this.#config.forcePathStyle,
        // the SHA-256 is ours; the SDK's default CRC32 on every part is CPU on the event loop,
        // and its trailing-checksum encoding is not understood by every compatible server
        requestChecksumCalculation: 'WHEN_REQUIRED',
        responseChecksumValidation: 'WHEN_REQUIRED',
        ...(this.#config.endpoint === undefined ? {} : { endpoint: this.#config.endpoint }),
        ...(this.#config.credentials === undefined ? {} : { credentials: this.#config.credentials }),
      }
      return { s3, client: new s3.S3Client(config) }
    })()
    return this.#sdk
  }
}

function statusOf(error: unknown): number | undefined {
  return (error as { $metadata?: { httpStatusCode?: number } } | undefined)?.$metadata?.httpStatusCode
}
