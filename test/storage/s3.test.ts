// The storage suite against the S3 driver and a real S3 server (s3rver on 127.0.0.1, see
// test/helpers/s3-server.ts): the SDK's requests go over the wire, nothing is mocked. Its
// leftovers are the multipart uploads the server still has open, asked with ListMultipartUploads.
import { createHash, randomBytes } from 'node:crypto'
import { ListMultipartUploadsCommand, S3Client } from '@aws-sdk/client-s3'
import { createStorage, type Storage } from 'trefoil'
import { startS3Server, S3RVER_CREDENTIALS, type S3Server } from '../helpers/s3-server.js'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { bytes, storageSuite } from './suite.js'

let server: S3Server | undefined
let client: S3Client | undefined
const prefixes = new WeakMap<Storage, string>()

storageSuite({
  name: 's3',
  async open() {
    server ??= await startS3Server()
    // each test in its own prefix of one bucket, as several apps would share one
    const prefix = `t-${randomBytes(4).toString('hex')}/`
    const storage = createStorage(server.settings(prefix))
    prefixes.set(storage, prefix)
    return storage
  },
  async leftovers(storage) {
    client ??= new S3Client({ endpoint: server!.endpoint, region: 'us-east-1', forcePathStyle: true, credentials: S3RVER_CREDENTIALS })
    const out = await client.send(new ListMultipartUploadsCommand({ Bucket: server!.bucket }))
    const prefix = prefixes.get(storage)!
    return (out.Uploads ?? []).map((upload) => upload.Key ?? '').filter((key) => key.startsWith(prefix))
  },
  async cleanup() {
    client?.destroy()
    await server?.close()
  },
})

// The S3 driver sends parts through (queueSize + 1) buffers, each filled again once its part is
// stored: with one part in flight, a body of many parts goes through two buffers over and over,
// so a buffer reused too early would show as wrong bytes. The sizes check the edges too: a body
// of exactly one part (sent as one PutObject) and one of exactly two full parts.
const parts = suite('s3 driver: parts through reused buffers')
let partsServer: S3Server

parts.before(async () => {
  partsServer = await startS3Server()
})
parts.after(() => partsServer.close())

parts('bodies of 1, 2 and 5 parts, cut in odd chunks, arrive whole through 2 or 3 part buffers', async () => {
  const MiB = 1024 * 1024
  for (const [size, queueSize] of [
    [5 * MiB, 1],
    [10 * MiB, 1],
    [23 * MiB + 3, 1],
    [23 * MiB + 3, 2],
  ] as const) {
    const storage = createStorage(partsServer.settings(`parts-${queueSize}/`), { queueSize })
    try {
      const data = bytes(size, size + queueSize)
      const key = `body-${size}.bin`
      const saved = await storage.put(
        key,
        (async function* () {
          // chunks that never line up with a part
          for (let i = 0; i < data.length; i += MiB + 7) yield data.subarray(i, i + MiB + 7)
        })(),
      )
      assert.is(saved.size, size)
      assert.is(saved.sha256, createHash('sha256').update(data).digest('hex'))
      const got = await storage.get(key)
      const chunks: Buffer[] = []
      for await (const chunk of got.body) chunks.push(chunk as Buffer)
      assert.ok(Buffer.concat(chunks).equals(data), `${size} bytes with ${queueSize} part(s) in flight arrive as sent`)
    } finally {
      storage.close()
    }
  }
  const client = new S3Client({ endpoint: partsServer.endpoint, region: 'us-east-1', forcePathStyle: true, credentials: S3RVER_CREDENTIALS })
  try {
    const open = await client.send(new ListMultipartUploadsCommand({ Bucket: partsServer.bucket }))
    assert.equal(open.Uploads ?? [], [], 'every multipart upload was completed')
  } finally {
    client.destroy()
  }
})

parts.run()
