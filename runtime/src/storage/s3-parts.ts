// Sending a stream to S3 in parts through a fixed set of part buffers. The bytes are copied into
// one of at most queueSize + 1 buffers of partSize bytes (one filling, up to queueSize being
// sent), and a buffer is filled again once its part is stored. lib-storage's Upload instead makes
// a new part with Buffer.concat for every part: each one becomes garbage once sent, and since a
// part lives long enough to reach V8's old generation, the dead parts pile up until a full
// collection (V8 lets external memory grow by about 64 MiB before it forces one) — that, not the
// parts in flight, was most of a 1 GiB upload's RSS growth. Here the memory an upload holds is
// (queueSize + 1) × partSize, whatever the garbage collector does.
import type { CompletedPart, S3Client } from '@aws-sdk/client-s3'
import { PayloadTooLarge } from '../core/errors.js'

/** Where the parts go, and the SDK to send them with. */
export interface PartsTarget {
  readonly s3: typeof import('@aws-sdk/client-s3')
  readonly client: S3Client
  readonly bucket: string
  readonly key: string
  readonly contentType: string
  /** Send `If-None-Match: *`, so the store refuses to replace an object. */
  readonly ifNoneMatch: boolean
}

/** How the bytes are cut and how many parts are sent at once. */
export interface PartsOptions {
  /** Bytes per part (at least 5 MiB, but for the last). */
  readonly partSize: number
  /** Parts being sent at once. */
  readonly queueSize: number
}

// S3's limit on the parts of one upload
const MAX_PARTS = 10_000

/**
 * Stores `body` under the target's key: as one PutObject when it fits in one part, else as a
 * multipart upload whose parts are sent while the body arrives. A failure of the body or of the
 * store aborts the multipart upload (no object, no parts left) and rethrows. Resolves to the
 * object's ETag, when the store gave one.
 */
export async function sendInParts(target: PartsTarget, body: AsyncIterable<Buffer>, options: PartsOptions): Promise<string | undefined> {
  const { s3, client, bucket: Bucket, key: Key } = target
  const { partSize, queueSize } = options
  const free: Buffer[] = []
  // unpooled: parts are large and kept for the whole upload
  const take = (): Buffer => free.pop() ?? Buffer.allocUnsafeSlow(partSize)
  const sending = new Set<Promise<void>>()
  const parts: CompletedPart[] = []
  let uploadId: Promise<string> | undefined
  let failure: { error: unknown } | undefined
  let partNumber = 0

  const start = async (): Promise<string> => {
    const made = await client.send(new s3.CreateMultipartUploadCommand({ Bucket, Key, ContentType: target.contentType }))
    if (!made.UploadId) throw new Error(`The S3 server started no multipart upload for "${Key}"`)
    return made.UploadId
  }
  const send = (buffer: Buffer, length: number): void => {
    const PartNumber = ++partNumber
    const sent = (uploadId ??= start())
      .then((UploadId) => client.send(new s3.UploadPartCommand({ Bucket, Key, UploadId, PartNumber, Body: buffer.subarray(0, length), ContentLength: length })))
      .then(
        (out) => {
          if (!out.ETag) throw new Error(`The S3 server gave part ${PartNumber} of "${Key}" no ETag`)
          parts.push({ PartNumber, ETag: out.ETag })
          // only a stored part's buffer is reused: a failed one may still be on its way out
          free.push(buffer)
        },
      )
      .catch((error: unknown) => {
        failure ??= { error }
      })
      .finally(() => sending.delete(sent))
    sending.add(sent)
  }
  const settle = async (): Promise<void> => {
    while (sending.size > 0) await Promise.race(sending)
  }

  let current = take()
  let filled = 0
  try {
    for await (const chunk of body) {
      for (let offset = 0; offset < chunk.length; ) {
        if (filled === partSize) {
          // a full part goes once more bytes follow it: so the last part is never empty, and a
          // body of one part or less is a single PutObject
          while (sending.size >= queueSize && !failure) await Promise.race(sending)
          if (failure) throw failure.error
          if (partNumber + 1 >= MAX_PARTS) throw new PayloadTooLarge(`File is larger than S3 takes in ${MAX_PARTS} parts of ${partSize} bytes`, { code: 'max_file_bytes' })
          send(current, filled)
          current = take()
          filled = 0
        }
        const copied = chunk.copy(current, filled, offset, offset + Math.min(chunk.length - offset, partSize - filled))
        filled += copied
        offset += copied
      }
      if (failure) throw failure.error
    }
    if (partNumber === 0) {
      const put = await client.send(new s3.PutObjectCommand({ Bucket, Key, Body: current.subarray(0, filled), ContentLength: filled, ContentType: target.contentType, ...(target.ifNoneMatch ? { IfNoneMatch: '*' } : {}) }))
      return put.ETag
    }
    send(current, filled)
    await settle()
    if (failure) throw failure.error
    parts.sort((a, b) => a.PartNumber! - b.PartNumber!)
    const UploadId = await uploadId!
    const done = await client.send(new s3.CompleteMultipartUploadCommand({ Bucket, Key, UploadId, MultipartUpload: { Parts: parts }, ...(target.ifNoneMatch ? { IfNoneMatch: '*' } : {}) }))
    return done.ETag
  } catch (error) {
    await settle()
    if (uploadId) {
      const id = await uploadId.catch(() => undefined)
      if (id !== undefined) await client.send(new s3.AbortMultipartUploadCommand({ Bucket, Key, UploadId: id })).catch((abortError: unknown) => {
        // the failure that stopped the upload is the one to report; the abort's rides along
        if (error instanceof Error && error.cause === undefined) error.cause = abortError
      })
    }
    throw error
  }
}
