// An S3 server for tests and benches: s3rver (from npm), speaking the S3 wire protocol on
// 127.0.0.1 and a free port, storing in a temp folder. s3rver 3.7 answers neither
// AbortMultipartUpload nor ListMultipartUploads ("not implemented"); the small middleware below
// adds both on its own store folder (where s3rver keeps the parts of an unfinished upload), so the
// driver's abort really deletes the parts and a test can ask the server, through the SDK, which
// uploads are still open. It does not check request signatures for those two calls.
// Run as a script (`node --import tsx test/helpers/s3-server.ts`), it serves in its own process
// and prints one JSON line with its endpoint, for the bench.
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { IncomingMessage, Server, ServerResponse } from 'node:http'
import { fileURLToPath } from 'node:url'

/** The credentials s3rver accepts by default. */
export const S3RVER_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' }

/** A running S3 server. */
export interface S3Server {
  /** `http://127.0.0.1:PORT` */
  readonly endpoint: string
  readonly bucket: string
  /** Where it stores (a temp folder, removed on close). */
  readonly directory: string
  /** Settings for `createStorage` pointing at this server under `prefix`. */
  /** The client connections open on the server now (kept-alive ones included). */
  connections(): Promise<number>
  settings(prefix?: string): { STORAGE_URL: string; S3_ENDPOINT: string; S3_REGION: string; S3_ACCESS_KEY_ID: string; S3_SECRET_ACCESS_KEY: string; S3_FORCE_PATH_STYLE: boolean }
  close(): Promise<void>
}

interface KoaLikeContext {
  method: string
  path: string
  query: Record<string, string | string[] | undefined>
  status: number
  type: string
  body: unknown
  req: IncomingMessage
  res: ServerResponse
}

interface S3rverInstance {
  middleware: ((ctx: KoaLikeContext, next: () => Promise<void>) => Promise<void>)[]
  run(): Promise<{ address: string; port: number }>
  /** The listening server, once `run()` resolved. */
  httpServer?: Server
  close(): Promise<void>
}

type S3rverClass = new (options: Record<string, unknown>) => S3rverInstance

/** Starts s3rver with one bucket (default `test`) in a fresh temp folder. */
export async function startS3Server(bucket = 'test'): Promise<S3Server> {
  const S3rver = createRequire(import.meta.url)('s3rver') as S3rverClass
  const directory = await mkdtemp(join(tmpdir(), 's3rver-'))
  const server = new S3rver({ address: '127.0.0.1', port: 0, directory, silent: true, configureBuckets: [{ name: bucket }] })
  server.middleware.unshift(multipartUploadsMiddleware(directory))
  const { port } = await server.run()
  const endpoint = `http://127.0.0.1:${port}`
  return {
    endpoint,
    bucket,
    directory,
    connections: () => new Promise((resolve, reject) => server.httpServer!.getConnections((error, count) => (error ? reject(error) : resolve(count)))),
    settings: (prefix = '') => ({ STORAGE_URL: `s3://${bucket}/${prefix}`, S3_ENDPOINT: endpoint, S3_REGION: 'us-east-1', S3_ACCESS_KEY_ID: S3RVER_CREDENTIALS.accessKeyId, S3_SECRET_ACCESS_KEY: S3RVER_CREDENTIALS.secretAccessKey, S3_FORCE_PATH_STYLE: true }),
    async close() {
      await server.close()
      await rm(directory, { recursive: true, force: true })
    },
  }
}

const escapeXml = (text: string): string => text.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`)

/** AbortMultipartUpload and ListMultipartUploads on s3rver's folder of unfinished uploads. */
function multipartUploadsMiddleware(directory: string) {
  return async function multipartUploads(ctx: KoaLikeContext, next: () => Promise<void>): Promise<void> {
    const [, bucket, ...rest] = ctx.path.split('/')
    if (!bucket) return next()
    const uploads = join(directory, bucket, '._S3rver_uploads')
    if (ctx.method === 'DELETE' && rest.length > 0 && typeof ctx.query.uploadId === 'string') {
      const id = ctx.query.uploadId
      if (!/^[0-9a-f]+$/.test(id) || !(await stat(join(uploads, id)).catch(() => undefined))) {
        ctx.status = 404
        ctx.type = 'application/xml'
        ctx.body = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>NoSuchUpload</Code><Message>The specified upload does not exist.</Message><UploadId>${escapeXml(id)}</UploadId></Error>`
        return
      }
      await rm(join(uploads, id), { recursive: true, force: true })
      ctx.status = 204
      ctx.body = null
      return
    }
    if (ctx.method === 'GET' && rest.filter(Boolean).length === 0 && 'uploads' in ctx.query) {
      const ids = await readdir(uploads).catch(() => [] as string[])
      const entries: string[] = []
      for (const id of ids.sort()) {
        const key = await readFile(join(uploads, id, 'key'), 'utf8').catch(() => undefined)
        if (key === undefined) continue
        const started = (await stat(join(uploads, id))).mtime.toISOString()
        entries.push(`<Upload><Key>${escapeXml(key)}</Key><UploadId>${id}</UploadId><Initiated>${started}</Initiated><StorageClass>STANDARD</StorageClass></Upload>`)
      }
      ctx.status = 200
      ctx.type = 'application/xml'
      ctx.body = `<?xml version="1.0" encoding="UTF-8"?>\n<ListMultipartUploadsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Bucket>${escapeXml(bucket)}</Bucket><KeyMarker></KeyMarker><UploadIdMarker></UploadIdMarker><MaxUploads>1000</MaxUploads><IsTruncated>false</IsTruncated>${entries.join('')}</ListMultipartUploadsResult>`
      return
    }
    return next()
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const server = await startS3Server(process.argv[2] ?? 'test')
  process.stdout.write(JSON.stringify({ endpoint: server.endpoint, bucket: server.bucket, directory: server.directory, pid: process.pid }) + '\n')
  const stop = (): void => void server.close().then(() => process.exit(0))
  process.once('SIGTERM', stop)
  process.once('SIGINT', stop)
}
