// Uploads streamed straight into storage (`files: { photo: { storage } }`, `upload: { storage }`),
// end to end over real sockets, against both drivers: the S3 one against a real S3 server
// (s3rver on 127.0.0.1, over the wire). A file goes into the store while it arrives, never
// into the request's temp folder (a watcher looks at that folder all along); an over-limit, cut,
// refused or unsaved upload leaves no object and no open multipart upload; a slow store pauses
// the client instead of filling the server's memory.
import { createHash, randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { readdir } from 'node:fs/promises'
import { request, type IncomingHttpHeaders } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { ListMultipartUploadsCommand, S3Client } from '@aws-sdk/client-s3'
import { createApp, createStorage, defineUnit, t, type MultipartSpec, type PutOptions, type PutSource, type Storage, type UploadSpec } from 'trefoil'
import { startS3Server, S3RVER_CREDENTIALS, type S3Server } from '../helpers/s3-server.js'
import { eventually, filesUnder, PDF, PNG } from '../uploads/fixtures/client.js'

const MiB = 1024 * 1024
setFlagsFromString('--expose-gc')
/** A full garbage collection (the test runner starts node without --expose-gc). */
const collect = runInNewContext('gc') as () => void
const BOUNDARY = '----trefoil-streamed-test-boundary'
const work = mkdtempSync(join(tmpdir(), 'trefoil-streamed-'))

/** Deterministic bytes for a file of `size` bytes starting with `head`, in 256 KiB chunks. */
function* fileBytes(size: number, head: Buffer, seed = 1): Generator<Buffer> {
  const block = Buffer.allocUnsafe(256 * 1024)
  let x = seed
  for (let i = 0; i < block.length; i++) {
    x = (x * 1103515245 + 12345) >>> 0
    block[i] = x >>> 24
  }
  let sent = 0
  const first = Buffer.concat([head, block]).subarray(0, Math.min(size, block.length))
  yield first
  sent += first.length
  while (sent < size) {
    // a fresh copy each time: the server may keep a chunk while we make the next one
    const piece = Buffer.from(block.subarray(0, Math.min(block.length, size - sent)))
    piece[0] = sent & 0xff
    yield piece
    sent += piece.length
  }
}

type Field = { name: string; value: string } | { name: string; filename: string; type: string; bytes: Iterable<Buffer> }

function* multipart(fields: Field[]): Generator<Buffer> {
  for (const field of fields) {
    if ('value' in field) {
      yield Buffer.from(`--${BOUNDARY}\r\nContent-Disposition: form-data; name="${field.name}"\r\n\r\n${field.value}\r\n`)
      continue
    }
    yield Buffer.from(`--${BOUNDARY}\r\nContent-Disposition: form-data; name="${field.name}"; filename="${field.filename}"\r\nContent-Type: ${field.type}\r\n\r\n`)
    yield* field.bytes
    yield Buffer.from('\r\n')
  }
  yield Buffer.from(`--${BOUNDARY}--\r\n`)
}

interface Sent {
  status: number
  headers: IncomingHttpHeaders
  json: Record<string, unknown>
  /** Body bytes the client wrote into its socket. */
  sent: number
}

interface SendOptions {
  method?: string
  headers?: Record<string, string>
  /** Once this many body bytes are written: run `atPause`, then go on, or cut the connection when `cut`. */
  pauseAt?: number
  atPause?: (sent: () => number) => Promise<void>
  cut?: boolean
}

/** Streams `chunks` as a request body (waiting for the socket to drain, as a real client does). */
function send(url: string, chunks: Iterable<Buffer>, options: SendOptions = {}): Promise<Sent> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: options.method ?? 'POST', headers: { 'content-type': `multipart/form-data; boundary=${BOUNDARY}`, ...options.headers } })
    let sent = 0
    let answered = false
    req.on('response', async (res) => {
      answered = true
      const parts: Buffer[] = []
      for await (const part of res) parts.push(part as Buffer)
      const text = Buffer.concat(parts).toString('utf8')
      let json: Record<string, unknown> = {}
      try {
        json = JSON.parse(text) as Record<string, unknown>
      } catch {
        json = { text }
      }
      resolve({ status: res.statusCode ?? 0, headers: res.headers, json, sent })
    })
    req.on('error', (error) => {
      if (options.cut) resolve({ status: 0, headers: {}, json: {}, sent })
      else if (!answered) reject(error)
    })
    void (async () => {
      let paused = options.pauseAt === undefined
      for (const chunk of chunks) {
        if (answered || req.destroyed) return
        if (!paused && sent + chunk.length > options.pauseAt!) {
          paused = true
          const before = chunk.subarray(0, options.pauseAt! - sent)
          req.write(before)
          sent += before.length
          await options.atPause?.(() => sent)
          if (options.cut) return void req.destroy()
          const rest = chunk.subarray(before.length)
          sent += rest.length
          if (!req.write(rest)) await drained(req, () => answered)
          continue
        }
        sent += chunk.length
        if (!req.write(chunk)) await drained(req, () => answered)
      }
      if (!answered && !req.destroyed) req.end()
    })().catch(reject)
  })
}

/** Waits for `drain`, or until the answer came (a 413 stops the server reading). */
async function drained(req: ReturnType<typeof request>, answered: () => boolean): Promise<void> {
  while (!answered() && !req.destroyed && req.writableNeedDrain) await new Promise((resolve) => setTimeout(resolve, 5))
}

async function waitFor(check: () => Promise<boolean>, what: string, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}

/** A storage whose puts read their source slowly while `held`: a store that cannot keep up. */
class HeldStorage {
  held = false
  #release: (() => void) | undefined
  #gate: Promise<void> = Promise.resolve()

  constructor(readonly inner: Storage) {}

  hold(): void {
    this.held = true
    this.#gate = new Promise((resolve) => (this.#release = resolve))
  }

  release(): void {
    this.held = false
    this.#release?.()
  }

  wrap(): Storage {
    const inner = this.inner
    const self = this
    return new Proxy(inner, {
      get(target, property) {
        // the drivers keep private fields: their methods and getters run on the driver itself
        if (property !== 'put') {
          const value = Reflect.get(target, property) as unknown
          return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value
        }
        return (key: string, source: PutSource, options?: PutOptions) => {
          async function* slowly(): AsyncGenerator<Uint8Array> {
            let read = 0
            for await (const chunk of source as AsyncIterable<Uint8Array>) {
              yield chunk
              read += chunk.length
              // the first 2 MiB go in; then the store stalls until released
              if (read >= 2 * MiB) await self.#gate
            }
          }
          return inner.put(key, slowly(), options)
        }
      },
    })
  }
}

const s3Client = new Map<string, S3Client>()
let s3: S3Server | undefined

for (const driver of ['local', 's3'] as const) {
  const test = suite(`uploads streamed into storage (${driver})`)
  const temp = join(work, `temp-${driver}`)
  const kept = join(work, `kept-${driver}`)
  const storeDir = join(work, `store-${driver}`)
  const prefix = `t-${randomBytes(4).toString('hex')}/`
  let storage: Storage
  let held: HeldStorage
  let app: ReturnType<typeof createApp>
  // every name ever seen in the temp folder while a test ran
  let tempSeen = new Set<string>()
  let watching: ReturnType<typeof setInterval> | undefined

  /** Keys of the objects in the store (under the test's prefix). */
  async function objects(): Promise<string[]> {
    const found: string[] = []
    for await (const object of storage.list('')) found.push(object.key)
    return found.sort()
  }

  /** What an unfinished put leaves: open multipart uploads (S3), temp files in the store (local). */
  async function leftovers(): Promise<string[]> {
    if (driver === 'local') return (await filesUnder(storeDir)).filter((path) => path.split('/').some((part) => part.startsWith('.tmp-')))
    let client = s3Client.get(s3!.endpoint)
    if (!client) {
      client = new S3Client({ endpoint: s3!.endpoint, region: 'us-east-1', forcePathStyle: true, credentials: S3RVER_CREDENTIALS })
      s3Client.set(s3!.endpoint, client)
    }
    const out = await client.send(new ListMultipartUploadsCommand({ Bucket: s3!.bucket }))
    return (out.Uploads ?? []).map((upload) => upload.Key ?? '').filter((key) => key.startsWith(prefix))
  }

  /** The put has begun storing (an S3 multipart upload open, or the store's temp file). */
  const started = (): Promise<void> => waitFor(async () => (await leftovers()).length > 0, 'the put to have started storing')
  const nothingLeft = async (): Promise<boolean> => (await objects()).length === 0 && (await leftovers()).length === 0

  test.before(async () => {
    if (driver === 's3') s3 = await startS3Server()
    storage = driver === 's3' ? createStorage(s3!.settings(prefix)) : createStorage({ STORAGE_URL: storeDir })
    held = new HeldStorage(storage)
    const slow = held.wrap()
    const unit = defineUnit('streamed', (r) => {
      r.post(
        '/photos',
        {
          multipart: {
            fields: t.Object({ title: t.String({ minLength: 1 }), keep: t.Optional(t.Union([t.Literal('here'), t.Literal('moved'), t.Literal('folder'), t.Literal('no')])) }),
            files: { photo: { required: true, maxBytes: 64 * MiB, types: ['image/png'], storage, prefix: 'photos/' } },
            tempDir: temp,
          },
        },
        async ({ fields, files }) => {
          const photo = files.photo
          const arrived = { key: photo.key, path: photo.path, saved: photo.saved }
          let where = ''
          if (fields.keep === 'here' || fields.keep === undefined) where = await photo.saveTo(storage)
          else if (fields.keep === 'moved') where = await photo.saveTo(storage, { prefix: 'kept/', name: 'photo.png' })
          else if (fields.keep === 'folder') where = await photo.saveTo(kept)
          return { arrived, where, key: photo.key, path: photo.path, saved: photo.saved, size: photo.size, sha256: photo.sha256, mediaType: photo.mediaType, storedName: photo.storedName }
        },
      )
      r.post('/small', { multipart: { files: { photo: { required: true, maxBytes: 12 * MiB, types: ['image/png'], storage, prefix: 'small/' } }, tempDir: temp } }, async ({ files }) => ({ key: await files.photo.saveTo(storage) }))
      r.post('/slow', { multipart: { files: { photo: { required: true, maxBytes: 64 * MiB, storage: slow } }, tempDir: temp } }, async ({ files }) => ({ key: await files.photo.saveTo(slow), sha256: files.photo.sha256 }))
      r.put('/raw', { upload: { maxBytes: 64 * MiB, types: ['application/pdf'], storage, prefix: 'raw/', tempDir: temp } }, async ({ upload }) => ({ key: await upload.saveTo(storage), sha256: upload.sha256, size: upload.size, mediaType: upload.mediaType }))
      r.put('/raw-small', { upload: { maxBytes: 12 * MiB, storage, tempDir: temp } }, async ({ upload }) => ({ key: await upload.saveTo(storage) }))
    })
    app = createApp({ plugins: [unit], logger: false })
    await app.listen({ port: 0 })
  })
  test.after(async () => {
    await app.close()
    storage.close()
    if (driver === 's3') {
      for (const client of s3Client.values()) client.destroy()
      s3Client.clear()
      await s3?.close()
    }
  })
  test.before.each(() => {
    tempSeen = new Set()
    // the request's temp folder must never get a file: looked at every few milliseconds
    watching = setInterval(() => {
      void readdir(temp, { recursive: true }).then(
        (names) => names.forEach((name) => tempSeen.add(String(name))),
        () => undefined,
      )
    }, 5)
  })
  test.after.each(async () => {
    clearInterval(watching)
    assert.equal([...tempSeen], [], 'nothing was ever written in the request temp folder')
    assert.equal(await filesUnder(temp), [])
    for (const key of await objects()) await storage.delete(key)
    await rm(kept)
  })

  test('a 40 MiB photo streams into the store whole, with its SHA-256, in bounded memory, and is kept under its key', async () => {
    const size = 40 * MiB + 7
    const hash = createHash('sha256')
    const hashed = (function* () {
      for (const chunk of fileBytes(size, PNG, 3)) {
        hash.update(chunk)
        yield chunk
      }
    })()
    // collected before each sample: RSS then tells what is held, not what awaits collection
    // (the client's chunks in this same process are garbage as soon as they are sent)
    collect()
    const before = process.memoryUsage().rss
    let peak = before
    const sampler = setInterval(() => {
      collect()
      peak = Math.max(peak, process.memoryUsage().rss)
    }, 50)
    let res: Sent
    try {
      res = await send(`${app.url}/photos`, multipart([{ name: 'title', value: 'well' }, { name: 'photo', filename: 'big.png', type: 'image/png', bytes: hashed }]))
    } finally {
      clearInterval(sampler)
    }
    assert.is(res.status, 200, JSON.stringify(res.json))
    const body = res.json as { arrived: { key: string; path: string; saved: boolean }; where: string; key: string; path: string; saved: boolean; size: number; sha256: string; mediaType: string; storedName: string }
    const digest = hash.digest('hex')
    assert.match(body.arrived.key, /^photos\/[0-9a-f]{32}\.png$/)
    assert.is(body.arrived.path, '')
    assert.is(body.arrived.saved, false)
    assert.is(body.where, body.arrived.key, 'saveTo(the same storage) keeps it under its key')
    assert.is(body.key, body.arrived.key)
    assert.is(body.saved, true)
    assert.is(body.key, `photos/${body.storedName}`)
    assert.is(body.size, size)
    assert.is(body.sha256, digest)
    assert.is(body.mediaType, 'image/png')
    const info = await storage.head(body.key)
    assert.is(info?.size, size)
    assert.is(info?.contentType, 'image/png')
    const back = createHash('sha256')
    for await (const chunk of (await storage.get(body.key)).body) back.update(chunk as Buffer)
    assert.is(back.digest('hex'), digest, 'the stored bytes are the ones sent')
    // kept: still there once the response is out and the request's cleanup has run
    await new Promise((resolve) => setTimeout(resolve, 100))
    assert.equal(await objects(), [body.key])
    assert.equal(await leftovers(), [])
    // the store's part buffers (S3: 5 of 5 MiB; local: none) and a few stream buffers, never the
    // file (measured: local ~4 MiB, S3 ~20 MiB, with s3rver in this process too)
    const growth = (peak - before) / MiB
    const buffers = driver === 's3' ? 25 : 0
    assert.ok(growth < buffers + 12, `RSS grew by ${growth.toFixed(1)} MiB for a 40 MiB upload`)
  })

  test('a raw PUT streams into the store with its sniffed type and SHA-256', async () => {
    const size = 13 * MiB + 5
    const hash = createHash('sha256')
    const res = await send(
      `${app.url}/raw`,
      (function* () {
        for (const chunk of fileBytes(size, PDF, 5)) {
          hash.update(chunk)
          yield chunk
        }
      })(),
      { method: 'PUT', headers: { 'content-type': 'application/pdf' } },
    )
    assert.is(res.status, 200, JSON.stringify(res.json))
    const body = res.json as { key: string; sha256: string; size: number; mediaType: string }
    assert.match(body.key, /^raw\/[0-9a-f]{32}\.pdf$/)
    assert.is(body.sha256, hash.digest('hex'))
    assert.is(body.size, size)
    assert.is((await storage.head(body.key))?.contentType, 'application/pdf')
    assert.equal(await leftovers(), [])
  })

  test('over the limit: 413, and no object and no open multipart upload', async () => {
    const res = await send(`${app.url}/small`, multipart([{ name: 'photo', filename: 'huge.png', type: 'image/png', bytes: fileBytes(30 * MiB, PNG) }]), {
      // past the first part: the S3 multipart upload is open when the limit is crossed
      pauseAt: 8 * MiB,
      atPause: started,
    })
    assert.is(res.status, 413)
    assert.is(res.json.code, 'max_file_bytes')
    assert.ok(res.sent < 30 * MiB, 'the server stopped reading')
    assert.equal(await objects(), [])
    assert.equal(await leftovers(), [], 'the multipart upload was aborted before the answer')
  })

  test('a raw PUT over the limit: 413, nothing stored, nothing open', async () => {
    const res = await send(`${app.url}/raw-small`, fileBytes(30 * MiB, PDF), { method: 'PUT', headers: { 'content-type': 'application/octet-stream' }, pauseAt: 8 * MiB, atPause: started })
    assert.is(res.status, 413)
    assert.equal(await objects(), [])
    assert.equal(await leftovers(), [])
  })

  test('a client that disconnects mid-body leaves no object and no open multipart upload', async () => {
    const res = await send(`${app.url}/photos`, multipart([{ name: 'title', value: 'cut' }, { name: 'photo', filename: 'cut.png', type: 'image/png', bytes: fileBytes(30 * MiB, PNG) }]), {
      pauseAt: 12 * MiB,
      atPause: started,
      cut: true,
    })
    assert.is(res.status, 0)
    assert.ok(await eventually(nothingLeft, 10_000), `left: ${JSON.stringify({ objects: await objects(), open: await leftovers() })}`)
  })

  test('a raw PUT cut mid-body leaves nothing either', async () => {
    const res = await send(`${app.url}/raw`, fileBytes(30 * MiB, PDF), { method: 'PUT', headers: { 'content-type': 'application/pdf' }, pauseAt: 12 * MiB, atPause: started, cut: true })
    assert.is(res.status, 0)
    assert.ok(await eventually(nothingLeft, 10_000), `left: ${JSON.stringify({ objects: await objects(), open: await leftovers() })}`)
  })

  test('a wrong type is refused (415) as from the temp folder, and nothing is stored', async () => {
    // declared wrong: refused before a byte is read
    const declared = await send(`${app.url}/photos`, multipart([{ name: 'title', value: 'x' }, { name: 'photo', filename: 'a.jpg', type: 'image/jpeg', bytes: fileBytes(6 * MiB, PNG) }]))
    assert.is(declared.status, 415)
    // declared vaguely, bytes of a PDF: refused on its first bytes, before the put begins
    const sniffed = await send(`${app.url}/photos`, multipart([{ name: 'title', value: 'x' }, { name: 'photo', filename: 'a.png', type: 'application/octet-stream', bytes: fileBytes(6 * MiB, PDF) }]))
    assert.is(sniffed.status, 415)
    assert.is(sniffed.json.code, 'file_type')
    const raw = await send(`${app.url}/raw`, fileBytes(6 * MiB, PNG), { method: 'PUT', headers: { 'content-type': 'application/octet-stream' } })
    assert.is(raw.status, 415)
    assert.equal(await objects(), [])
    assert.equal(await leftovers(), [])
  })

  test('a 422 on another field deletes the file already streamed in, before the answer', async () => {
    // the title is missing: found once the whole body, photo included, has been read and stored
    const res = await send(`${app.url}/photos`, multipart([{ name: 'photo', filename: 'p.png', type: 'image/png', bytes: fileBytes(7 * MiB, PNG) }]))
    assert.is(res.status, 422)
    assert.equal((res.json.detail as { loc: string[] }[]).map((issue) => issue.loc.join('.')), ['body.title'])
    assert.equal(await objects(), [])
    assert.equal(await leftovers(), [])
  })

  test('a handler that does not keep the file: nothing is left after the response', async () => {
    const res = await send(`${app.url}/photos`, multipart([{ name: 'title', value: 'x' }, { name: 'keep', value: 'no' }, { name: 'photo', filename: 'p.png', type: 'image/png', bytes: fileBytes(6 * MiB, PNG) }]))
    assert.is(res.status, 200, JSON.stringify(res.json))
    const body = res.json as { arrived: { key: string }; saved: boolean }
    assert.match(body.arrived.key, /^photos\//, 'it was in the store while the handler ran')
    assert.is(body.saved, false)
    assert.ok(await eventually(nothingLeft), `left: ${JSON.stringify(await objects())}`)
  })

  test('saveTo another key moves the file there; saveTo a folder moves it out of the store', async () => {
    const bytes = [...fileBytes(6 * MiB + 1, PNG, 9)]
    const digest = createHash('sha256').update(Buffer.concat(bytes)).digest('hex')
    const moved = await send(`${app.url}/photos`, multipart([{ name: 'title', value: 'x' }, { name: 'keep', value: 'moved' }, { name: 'photo', filename: 'p.png', type: 'image/png', bytes }]))
    assert.is(moved.status, 200, JSON.stringify(moved.json))
    assert.is(moved.json.where, 'kept/photo.png')
    assert.ok(await eventually(async () => (await objects()).join() === 'kept/photo.png'), `objects: ${JSON.stringify(await objects())}`)
    const back = createHash('sha256')
    for await (const chunk of (await storage.get('kept/photo.png')).body) back.update(chunk as Buffer)
    assert.is(back.digest('hex'), digest)
    // the same key again: never replaced (409), and the new upload is not kept
    const again = await send(`${app.url}/photos`, multipart([{ name: 'title', value: 'x' }, { name: 'keep', value: 'moved' }, { name: 'photo', filename: 'p.png', type: 'image/png', bytes: fileBytes(100, PNG) }]))
    assert.is(again.status, 409)
    // a handler that fails keeps nothing it did not save: deleted before its answer went out
    assert.equal(await objects(), ['kept/photo.png'])
    await storage.delete('kept/photo.png')

    const folder = await send(`${app.url}/photos`, multipart([{ name: 'title', value: 'x' }, { name: 'keep', value: 'folder' }, { name: 'photo', filename: 'p.png', type: 'image/png', bytes }]))
    assert.is(folder.status, 200, JSON.stringify(folder.json))
    const body = folder.json as { where: string; path: string; key: string | undefined; storedName: string }
    assert.is(body.where, join(kept, body.storedName))
    assert.is(body.path, body.where)
    assert.is(body.key, undefined)
    assert.equal(await filesUnder(kept), [body.storedName])
    assert.ok(await eventually(nothingLeft))
  })

  test('a slow store slows the client: the request is paused, not buffered', async () => {
    held.hold()
    const size = 48 * MiB
    const hash = createHash('sha256')
    let stalled = 0
    const answer = send(
      `${app.url}/slow`,
      multipart([
        {
          name: 'photo',
          filename: 'slow.png',
          type: 'image/png',
          bytes: (function* () {
            for (const chunk of fileBytes(size, PNG, 11)) {
              hash.update(chunk)
              yield chunk
            }
          })(),
        },
      ]),
      {
        pauseAt: 1,
        async atPause(sent) {
          // let the client write as fast as the server reads, for a second, with the store stalled
          setTimeout(() => {
            stalled = sent()
            held.release()
          }, 1500)
        },
      },
    )
    // `sent` is read while the client is still writing: the closure runs on the timer
    const res = await answer
    assert.is(res.status, 200, JSON.stringify(res.json))
    assert.is(res.json.sha256, hash.digest('hex'))
    // 2 MiB reached the store; the rest of what left the client sits in a few stream buffers
    // (1 MiB each) and the sockets' kernel buffers, far from the 48 MiB it had to send
    assert.ok(stalled > 0 && stalled < 20 * MiB, `the client had sent ${(stalled / MiB).toFixed(1)} MiB while the store was stalled`)
  })

  test.run()
}

const startup = suite('uploads into storage: checked at start-up')

startup('a prefix without a storage, or one that makes no valid key, stops the start naming the route', async () => {
  const storage = createStorage({ STORAGE_URL: join(work, 'unused') })
  const cases: [{ multipart?: MultipartSpec; upload?: UploadSpec }, RegExp][] = [
    [{ multipart: { files: { photo: { prefix: 'photos/' } } } }, /file field "photo" has a prefix but no storage/],
    [{ multipart: { files: { photo: { storage, prefix: '../photos/' } } } }, /file field "photo" has the prefix "\.\.\/photos\/", which makes no valid storage key/],
    [{ upload: { prefix: 'scans/' } }, /upload has a prefix but no storage/],
    [{ upload: { storage, prefix: 'a//b' } }, /upload has the prefix "a\/\/b"/],
  ]
  for (const [options, says] of cases) {
    const unit = defineUnit('checked', (r) => r.post('/checked', options, () => ({ ok: true })))
    let error: { code?: string; message: string } | undefined
    try {
      await createApp({ plugins: [unit], logger: false }).start()
    } catch (caught) {
      error = caught as { code?: string; message: string }
    }
    assert.is(error?.code, 'TREFOIL_ROUTE_OPTIONS_INVALID', JSON.stringify(options))
    assert.match(error!.message, says)
    assert.match(error!.message, /POST \/checked/)
  }
})

startup.run()

async function rm(path: string): Promise<void> {
  rmSync(path, { recursive: true, force: true })
}

process.on('exit', () => rmSync(work, { recursive: true, force: true }))
