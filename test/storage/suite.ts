// The storage suite, run as is against each driver (local.test.ts, s3.test.ts): what a route
// relies on from `put`, `get`, `head`, `delete`, `list` and `storedFile`, and that a failed put
// leaves nothing behind. `leftovers` is the driver's own way to see what a failed put could
// leave: temp files in the folder, or multipart uploads still open on the S3 server.
import { createHash } from 'node:crypto'
import { request } from 'node:http'
import { Readable } from 'node:stream'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { createApp, defineUnit, isHttpError, storedFile, t, type Storage } from 'trefoil'

/** What a driver's test file gives the suite. */
export interface DriverUnderTest {
  name: string
  /** A fresh, empty storage (each test gets its own). */
  open(): Promise<Storage>
  /** What a failed put could have left: temp files, open multipart uploads (keys). */
  leftovers(storage: Storage): Promise<string[]>
  cleanup(): Promise<void>
}

const MiB = 1024 * 1024

/** Deterministic bytes (not all zeros, so a misplaced range shows). */
export function bytes(size: number, seed = 1): Buffer {
  const out = Buffer.allocUnsafe(size)
  let x = seed
  for (let i = 0; i < size; i++) {
    x = (x * 1103515245 + 12345) >>> 0
    out[i] = x >>> 24
  }
  return out
}

const sha256 = (data: Buffer): string => createHash('sha256').update(data).digest('hex')

async function readAll(stream: AsyncIterable<unknown>): Promise<Buffer> {
  const chunks: Buffer[] = []
  for await (const chunk of stream) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks)
}

/** A source that yields `data` in 256 KiB chunks, then waits on `hold` (if given) before ending. */
function slowSource(data: Buffer, hold?: Promise<void>): Readable {
  return Readable.from(
    (async function* () {
      for (let i = 0; i < data.length; i += 256 * 1024) {
        yield data.subarray(i, i + 256 * 1024)
        await new Promise((resolve) => setImmediate(resolve))
      }
      if (hold) await hold
    })(),
  )
}

async function rejects(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise
  } catch (error) {
    return error
  }
  throw new Error('Expected a rejection')
}

async function waitFor(check: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 20_000
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

interface Got {
  status: number
  headers: Record<string, string | string[] | undefined>
  body: Buffer
}

function fetchRaw(url: string, headers: Record<string, string> = {}, method = 'GET'): Promise<Got> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers }, async (res) => {
      resolve({ status: res.statusCode ?? 0, headers: res.headers, body: await readAll(res) })
    })
    req.on('error', reject)
    req.setTimeout(20_000, () => req.destroy(new Error('no answer within 20 s')))
    req.end()
  })
}

/** Registers and runs the suite against one driver. */
export function storageSuite(driver: DriverUnderTest): void {
  const test = suite(`storage (${driver.name})`)
  let storage: Storage
  test.before.each(async () => {
    storage = await driver.open()
  })
  test.after.each(() => storage.close())
  test.after(() => driver.cleanup())

  test('put streams a body in and returns its size, SHA-256 and an ETag that head gives too', async () => {
    const data = bytes(3 * MiB + 17)
    const saved = await storage.put('files/one.bin', slowSource(data), { contentType: 'application/pdf' })
    assert.is(saved.key, 'files/one.bin')
    assert.is(saved.size, data.length)
    assert.is(saved.sha256, sha256(data))
    assert.match(saved.etag, /^"[^"]+"$/)
    const info = await storage.head('files/one.bin')
    assert.ok(info)
    assert.is(info.size, data.length)
    assert.is(info.etag, saved.etag)
    assert.is(info.contentType, 'application/pdf')
    assert.ok(info.lastModified instanceof Date)
    const got = await storage.get('files/one.bin')
    assert.is(got.size, data.length)
    assert.ok((await readAll(got.body)).equals(data))
  })

  test('a put larger than several S3 parts arrives whole and in order', async () => {
    const data = bytes(17 * MiB + 5, 7)
    const saved = await storage.put('big/file.bin', slowSource(data))
    assert.is(saved.size, data.length)
    assert.is(saved.sha256, sha256(data))
    const got = await storage.get('big/file.bin')
    assert.is(sha256(await readAll(got.body)), sha256(data))
  })

  test('put takes bytes and async iterables as well as streams', async () => {
    await storage.put('small/a.txt', Buffer.from('hello'), { contentType: 'text/plain' })
    await storage.put(
      'small/b.txt',
      (async function* () {
        yield new TextEncoder().encode('wor')
        yield new TextEncoder().encode('ld')
      })(),
    )
    assert.is((await readAll((await storage.get('small/a.txt')).body)).toString(), 'hello')
    assert.is((await readAll((await storage.get('small/b.txt')).body)).toString(), 'world')
    const empty = await storage.put('small/empty', Buffer.alloc(0))
    assert.is(empty.size, 0)
    assert.is(empty.sha256, sha256(Buffer.alloc(0)))
    assert.is((await storage.head('small/empty'))?.size, 0)
  })

  test('get with a range reads only those bytes and still tells the whole size', async () => {
    const data = bytes(2 * MiB, 3)
    await storage.put('r.bin', data)
    const got = await storage.get('r.bin', { range: { start: 1000, end: 1999 } })
    assert.is(got.size, data.length)
    assert.equal(got.range, { start: 1000, end: 1999 })
    assert.ok((await readAll(got.body)).equals(data.subarray(1000, 2000)))
    const tail = await storage.get('r.bin', { range: { start: data.length - 10, end: data.length - 1 } })
    assert.ok((await readAll(tail.body)).equals(data.subarray(data.length - 10)))
  })

  test('a missing key: head gives undefined, get fails with 404, delete is not an error', async () => {
    assert.is(await storage.head('nope/missing.bin'), undefined)
    const error = await rejects(storage.get('nope/missing.bin'))
    assert.ok(isHttpError(error))
    assert.is(error.status, 404)
    await storage.delete('nope/missing.bin')
  })

  test('get with an ETag the object no longer has fails with 412 (the bytes changed since head)', async () => {
    await storage.put('c.txt', Buffer.from('first'))
    const before = await storage.head('c.txt')
    await storage.put('c.txt', Buffer.from('second version'))
    const error = await rejects(storage.get('c.txt', { ifMatch: before!.etag }))
    assert.ok(isHttpError(error))
    assert.is(error.status, 412)
  })

  test('put replaces an object, unless overwrite is false: then 409 and the old bytes stay', async () => {
    await storage.put('o.txt', Buffer.from('one'))
    await storage.put('o.txt', Buffer.from('two'))
    assert.is((await readAll((await storage.get('o.txt')).body)).toString(), 'two')
    const error = await rejects(storage.put('o.txt', Buffer.from('three'), { overwrite: false }))
    assert.ok(isHttpError(error))
    assert.is(error.status, 409)
    assert.is(error.code, 'file_exists')
    assert.is((await readAll((await storage.get('o.txt')).body)).toString(), 'two')
    await storage.put('fresh.txt', Buffer.from('new'), { overwrite: false })
    assert.is((await storage.head('fresh.txt'))?.size, 3)
  })

  test('delete removes the object', async () => {
    await storage.put('d/x.txt', Buffer.from('x'))
    await storage.delete('d/x.txt')
    assert.is(await storage.head('d/x.txt'), undefined)
    assert.equal(await keys(storage, 'd/'), [])
  })

  test('list gives the keys under a prefix, with size and ETag', async () => {
    for (const key of ['l/b.txt', 'l/a/2.txt', 'l/a/1.txt', 'l/a-b.txt', 'm/other.txt', 'la.txt']) await storage.put(key, Buffer.from(key))
    assert.equal(await keys(storage, 'l/'), ['l/a-b.txt', 'l/a/1.txt', 'l/a/2.txt', 'l/b.txt'])
    assert.equal(await keys(storage, 'l/a/'), ['l/a/1.txt', 'l/a/2.txt'])
    assert.equal(await keys(storage, 'l/a'), ['l/a-b.txt', 'l/a/1.txt', 'l/a/2.txt'])
    assert.equal(await keys(storage, 'l'), ['l/a-b.txt', 'l/a/1.txt', 'l/a/2.txt', 'l/b.txt', 'la.txt'])
    if (storage.driver === 'local') {
      // byte order of the whole key, as AWS S3 lists ("l/a-b" before "l/a/1")
      const listed: string[] = []
      for await (const object of storage.list('l')) listed.push(object.key)
      assert.equal(listed, ['l/a-b.txt', 'l/a/1.txt', 'l/a/2.txt', 'l/b.txt', 'la.txt'])
    }
    const all: string[] = []
    for await (const object of storage.list()) {
      all.push(object.key)
      if (object.key === 'l/b.txt') {
        assert.is(object.size, 'l/b.txt'.length)
        assert.is(object.etag, (await storage.head('l/b.txt'))?.etag)
      }
    }
    assert.ok(all.includes('m/other.txt'))
  })

  test('keys that could leave the store are refused with 400 before anything is written', async () => {
    for (const key of ['../escape.txt', 'a/../../escape.txt', '/etc/passwd', 'a//b', 'a\\b', '.hidden', 'a/.meta', '', 'a/b/', 'x\u0000y']) {
      const error = await rejects(storage.put(key, Buffer.from('x')))
      assert.ok(isHttpError(error), key)
      assert.is(error.status, 400, key)
      assert.is(error.code, 'storage_key', key)
      assert.ok(isHttpError(await rejects(storage.get(key))), key)
    }
    assert.equal(await keys(storage, ''), [])
  })

  test('an over-limit put fails with 413, leaves no object and aborts its multipart upload', async () => {
    const data = bytes(12 * MiB)
    const source = slowSource(data)
    const error = await rejects(storage.put('over/limit.bin', source, { maxBytes: 11 * MiB }))
    assert.ok(isHttpError(error))
    assert.is(error.status, 413)
    assert.is(error.code, 'max_file_bytes')
    // a request body is left for its route to answer, not destroyed
    assert.is(source.destroyed, false)
    source.destroy()
    assert.is(await storage.head('over/limit.bin'), undefined)
    assert.equal(await driver.leftovers(storage), [])
  })

  test('an aborted put (signal) leaves no object and aborts its multipart upload', async () => {
    const controller = new AbortController()
    let release = (): void => undefined
    const hold = new Promise<void>((resolve) => (release = resolve))
    // 11 MiB then a pause: the S3 driver has begun its multipart upload and sent a part
    const put = storage.put('aborted/file.bin', slowSource(bytes(11 * MiB), hold), { signal: controller.signal })
    const failed = rejects(put)
    await waitFor(async () => (await driver.leftovers(storage)).length > 0, 'the put to have started writing')
    controller.abort(new Error('client went away'))
    const error = (await failed) as Error
    release()
    assert.is(error.message, 'client went away')
    assert.is(await storage.head('aborted/file.bin'), undefined)
    assert.equal(await driver.leftovers(storage), [])
  })

  test('a source that fails mid-way (a client gone) leaves no object and no parts', async () => {
    const source = Readable.from(
      (async function* () {
        yield bytes(6 * MiB)
        yield bytes(6 * MiB)
        throw Object.assign(new Error('aborted'), { code: 'ECONNRESET' })
      })(),
    )
    const error = (await rejects(storage.put('broken/file.bin', source))) as Error
    assert.is(error.message, 'aborted')
    assert.is(await storage.head('broken/file.bin'), undefined)
    assert.equal(await driver.leftovers(storage), [])
  })

  test('storedFile serves through the app with ETag, 304, one range (206), 416, HEAD and 404', async () => {
    const data = bytes(MiB + 3, 5)
    const saved = await storage.put('dl/photo.png', data, { contentType: 'image/png' })
    const unit = defineUnit('dl', (r) => {
      r.get('/files/:name', { params: t.Object({ name: t.String({ pattern: '^[a-z.]+$' }) }) }, ({ params, ctx }) => storedFile(ctx, storage, `dl/${params.name}`, { download: 'my phöto.png' }))
    })
    const app = createApp({ plugins: [unit], logger: false })
    await app.listen({ port: 0 })
    try {
      const url = `${app.url}/files/photo.png`
      const whole = await fetchRaw(url)
      assert.is(whole.status, 200)
      assert.ok(whole.body.equals(data))
      assert.is(whole.headers['content-type'], 'image/png')
      assert.is(whole.headers['content-length'], String(data.length))
      assert.is(whole.headers.etag, saved.etag)
      assert.is(whole.headers['accept-ranges'], 'bytes')
      assert.match(String(whole.headers['content-disposition']), /^attachment; filename="my ph_to.png"; filename\*=UTF-8''my%20ph%C3%B6to.png$/)
      const again = await fetchRaw(url, { 'If-None-Match': saved.etag })
      assert.is(again.status, 304)
      assert.is(again.body.length, 0)
      const range = await fetchRaw(url, { Range: 'bytes=100-199' })
      assert.is(range.status, 206)
      assert.is(range.headers['content-range'], `bytes 100-199/${data.length}`)
      assert.ok(range.body.equals(data.subarray(100, 200)))
      const suffix = await fetchRaw(url, { Range: 'bytes=-3' })
      assert.ok(suffix.body.equals(data.subarray(data.length - 3)))
      const stale = await fetchRaw(url, { Range: 'bytes=0-9', 'If-Range': '"some-older-copy"' })
      assert.is(stale.status, 200)
      assert.is(stale.body.length, data.length)
      const beyond = await fetchRaw(url, { Range: `bytes=${data.length}-` })
      assert.is(beyond.status, 416)
      assert.is(beyond.headers['content-range'], `bytes */${data.length}`)
      const head = await fetchRaw(url, {}, 'HEAD')
      assert.is(head.status, 200)
      assert.is(head.headers['content-length'], String(data.length))
      assert.is(head.body.length, 0)
      const missing = await fetchRaw(`${app.url}/files/none.png`)
      assert.is(missing.status, 404)
    } finally {
      await app.close()
    }
  })

  test('storedFile with presign: S3 redirects to a URL that serves the bytes; local serves through the app', async () => {
    const data = bytes(1000, 9)
    await storage.put('p/doc.pdf', data, { contentType: 'application/pdf' })
    const unit = defineUnit('p', (r) => {
      r.get('/doc', {}, ({ ctx }) => storedFile(ctx, storage, 'p/doc.pdf', { presign: 60, download: 'doc.pdf' }))
    })
    const app = createApp({ plugins: [unit], logger: false })
    await app.listen({ port: 0 })
    try {
      const res = await fetchRaw(`${app.url}/doc`)
      if (storage.driver === 's3') {
        assert.is(res.status, 307)
        const location = String(res.headers.location)
        assert.match(location, /X-Amz-Signature=/)
        const direct = await fetchRaw(location)
        assert.is(direct.status, 200)
        assert.ok(direct.body.equals(data))
        assert.match(String(direct.headers['content-disposition']), /filename="doc.pdf"/)
      } else {
        assert.is(res.status, 200)
        assert.ok(res.body.equals(data))
      }
    } finally {
      await app.close()
    }
  })

  test.run()
}

async function keys(storage: Storage, prefix: string): Promise<string[]> {
  const found: string[] = []
  for await (const object of storage.list(prefix)) found.push(object.key)
  // s3rver lists in its own order (AWS and the local driver in byte order): compare as sets
  return found.sort()
}
