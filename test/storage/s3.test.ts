// The storage suite against the S3 driver and a real S3 server (s3rver on 127.0.0.1, see
// test/helpers/s3-server.ts): the SDK's requests go over the wire, nothing is mocked. Its
// leftovers are the multipart uploads the server still has open, asked with ListMultipartUploads.
import { randomBytes } from 'node:crypto'
import { ListMultipartUploadsCommand, S3Client } from '@aws-sdk/client-s3'
import { createStorage, type Storage } from 'trefoil'
import { startS3Server, S3RVER_CREDENTIALS, type S3Server } from '../helpers/s3-server.js'
import { storageSuite } from './suite.js'

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
