// Photo thumbnails as the task page's browser asks for them, over real HTTP: a phone-sized photo
// becomes a small JPEG made on the worker pool (the event loop keeps answering meanwhile), kept in
// the attachments' storage under the photo's hash and size, and served from there with its ETag
// from then on, without another worker task. Photos taken sideways come out upright; bytes that
// only look like a photo get a 422, never a 500.
import { readdir } from 'node:fs/promises'
import { request } from 'node:http'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { createHash } from 'node:crypto'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import type { WorkerPool } from 'trefoil'
import { call, signUp, signUpAdmin, square, startFieldwork, type Account, type Fieldwork } from './fixtures/fieldwork.js'
import { saw, undocumented } from './fixtures/traffic.js'
import { decoded, meanColour, photoJpeg, screenshotPng } from './fixtures/photos.js'

const FAKE_JPEG = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 16, 0x4a, 0x46, 0x49, 0x46, 0]), Buffer.alloc(2048, 3)])
const FAKE_PNG = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52]), Buffer.alloc(30_000, 7)])

let fw: Fieldwork
let base: string
let pool: WorkerPool
let mapper: Account
let stranger: Account
let submissionsUrl: string
let photo: Buffer

test.before(async () => {
  fw = await startFieldwork({ WORKER_THREADS: '1' })
  await fw.app.listen({ port: 0, host: '127.0.0.1' })
  base = fw.app.url!
  const { workersPlugin } = await import('../../examples/fieldwork/src/workers.js')
  pool = fw.app.plugin(workersPlugin)
  const pm = await signUpAdmin(fw.app, 'Pat')
  mapper = await signUp(fw.app, 'Mo')
  stranger = await signUp(fw.app, 'Stranger')
  const made = await call(fw.app, 'POST', '/v1/projects', pm, { name: 'Clinic photos', area: square(32.5, 0.3, 0.01) })
  assert.is(made.status, 201, made.body)
  const projectId = made.json().id as number
  await call(fw.app, 'PUT', `/v1/projects/${projectId}/members/${mapper.id}`, pm, { role: 'mapper' })
  const split = await call(fw.app, 'POST', `/v1/projects/${projectId}/tasks`, pm, { cellMetres: 1000 })
  assert.is(split.status, 201, split.body)
  submissionsUrl = `/v1/projects/${projectId}/tasks/${split.json()[0].id}/submissions`
  photo = await photoJpeg(2000, 1500)
})

test.after(async () => {
  await fw?.close()
})

/** Sends a submission with these photos; the URLs of their attachments. */
async function submit(files: { name: string; bytes: Buffer; type: string }[]): Promise<string[]> {
  const body = new FormData()
  body.append('submission_xml', '<data><clinic>Amana</clinic></data>')
  for (const file of files) body.append('attachments', new Blob([file.bytes], { type: file.type }), file.name)
  const res = await fetch(`${base}${submissionsUrl}`, { method: 'POST', headers: mapper.headers, body })
  assert.is(res.status, 201, await res.clone().text())
  return ((await res.json()) as { attachments: { url: string }[] }).attachments.map((a) => a.url)
}

/** A GET's status through node:http: fetch adds `Cache-Control: no-cache` to a conditional request, which asks the server not to answer 304. */
function statusOf(target: string, headers: Record<string, string>): Promise<number> {
  return new Promise((done, fail) => {
    request(target, { headers }, (res) => {
      res.resume()
      res.on('end', () => done(res.statusCode ?? 0))
    })
      .on('error', fail)
      .end()
  })
}

const isRed = ([r, , b]: [number, number, number]) => r > 150 && b < 100
const isBlue = ([r, , b]: [number, number, number]) => b > 150 && r < 100

let thumbnailUrl: string
let etag: string

test('a 2000 × 1500 photo gets a 320 × 240 JPEG thumbnail, shown inline, made on a worker while the event loop keeps turning', async () => {
  // two more photos of about the same size, so that the loop is watched over three resizes
  const [front, ...others] = await submit([
    { name: 'front.jpg', bytes: photo, type: 'image/jpeg' },
    { name: 'left.jpg', bytes: await photoJpeg(2000, 1504), type: 'image/jpeg' },
    { name: 'right.jpg', bytes: await photoJpeg(2004, 1500), type: 'image/jpeg' },
  ])
  thumbnailUrl = `${base}${front}/thumbnail`
  const tasksBefore = pool.stats().completed
  // the longest the event loop went without running a timer while the thumbnails were made
  let last = performance.now()
  let longestGap = 0
  const ticker = setInterval(() => {
    const now = performance.now()
    longestGap = Math.max(longestGap, now - last)
    last = now
  }, 2)
  const started = performance.now()
  const answers = await Promise.all([thumbnailUrl, ...others.map((url) => `${base}${url}/thumbnail`)].map(async (url) => {
    const res = await fetch(url, { headers: mapper.headers })
    return { res, bytes: await res.arrayBuffer() }
  }))
  const took = performance.now() - started
  clearInterval(ticker)
  const { res, bytes } = answers[0]!
  assert.is(res.status, 200, Buffer.from(bytes).toString())
  assert.is(res.headers.get('content-type'), 'image/jpeg')
  assert.is(res.headers.get('content-disposition'), 'inline', 'shown, not downloaded')
  etag = res.headers.get('etag')!
  assert.ok(etag, 'an ETag to revalidate with')
  const image = await decoded(bytes)
  assert.is(image.format, 'jpeg')
  assert.equal([image.width, image.height], [320, 240])
  assert.ok(bytes.byteLength < 40_000, `${bytes.byteLength} bytes, for ${photo.length} in the photo`)
  // the photo itself, shrunk: red on the left, blue on the right
  assert.ok(isRed(meanColour(image, { x: 10, y: 10, width: 100, height: 200 })), 'left half red')
  assert.ok(isBlue(meanColour(image, { x: 210, y: 10, width: 100, height: 200 })), 'right half blue')
  for (const other of answers.slice(1)) assert.ok((await decoded(other.bytes)).width <= 320)
  assert.is(pool.stats().completed, tasksBefore + 3, 'a task per photo ran on the worker pool')
  // made on the loop, three resizes would be gaps about as long as the whole wait; on a worker
  // the loop's timers keep firing while it waits
  console.log(`3 thumbnails of ~2000 × 1500 (${Math.round(photo.length / 1024)} KiB each): ${Math.round(took)} ms, longest event-loop gap ${Math.round(longestGap)} ms`)
  assert.ok(longestGap < took / 2, `the event loop stalled for ${Math.round(longestGap)} ms of the ${Math.round(took)} ms wait`)
})

test('the second request is served from the storage: no new worker task, the same ETag, and 304 for the browser’s copy', async () => {
  const tasksBefore = pool.stats().completed
  const again = await fetch(thumbnailUrl, { headers: mapper.headers })
  assert.is(again.status, 200)
  assert.is(again.headers.get('etag'), etag)
  assert.is((await decoded(await again.arrayBuffer())).width, 320)
  assert.is(await statusOf(thumbnailUrl, { ...mapper.headers, 'if-none-match': etag }), 304)
  assert.is(pool.stats().completed, tasksBefore, 'no worker task: it came from the cache')
  // kept beside the photos, named by the photo's hash and the box size
  const sha = createHash('sha256').update(photo).digest('hex')
  const kept = (await readdir(join(fw.dataDir, 'uploads', 'thumbnails'))).filter((name) => !name.startsWith('.'))
  assert.ok(kept.includes(`${sha}-320.jpg`), kept.join(', '))
  assert.is(kept.length, 3, 'one per photo')
})

test('the same photo in another submission shares the thumbnail; requests arriving together make it once', async () => {
  const [again] = await submit([{ name: 'front-again.jpg', bytes: photo, type: 'image/jpeg' }])
  let tasksBefore = pool.stats().completed
  const shared = await fetch(`${base}${again}/thumbnail`, { headers: mapper.headers })
  assert.is(shared.headers.get('etag'), etag)
  assert.is(pool.stats().completed, tasksBefore)
  const [other] = await submit([{ name: 'side.jpg', bytes: await photoJpeg(1200, 900), type: 'image/jpeg' }])
  tasksBefore = pool.stats().completed
  const answers = await Promise.all([1, 2, 3].map(() => fetch(`${base}${other}/thumbnail`, { headers: mapper.headers })))
  assert.equal(answers.map((res) => res.status), [200, 200, 200])
  const sizes = await Promise.all(answers.map(async (res) => (await decoded(await res.arrayBuffer())).width))
  assert.equal(sizes, [320, 320, 320])
  assert.is(pool.stats().completed, tasksBefore + 1, 'one worker task for the three requests')
})

test('a photo taken with the phone on its side (EXIF orientation 6) gets an upright thumbnail, 240 × 320', async () => {
  const [sideways] = await submit([{ name: 'portrait.jpg', bytes: await photoJpeg(2000, 1500, { orientation: 6 }), type: 'image/jpeg' }])
  const res = await fetch(`${base}${sideways}/thumbnail`, { headers: mapper.headers })
  assert.is(res.status, 200)
  const image = await decoded(await res.arrayBuffer())
  assert.equal([image.width, image.height], [240, 320])
  // turned a quarter clockwise: the stored left half (red) is now on top
  assert.ok(isRed(meanColour(image, { x: 10, y: 10, width: 220, height: 100 })), 'top half red')
  assert.ok(isBlue(meanColour(image, { x: 10, y: 210, width: 220, height: 100 })), 'bottom half blue')
})

test('a PNG gets a thumbnail too, its transparency on white; a file that only looks like a photo is a 422 naming the problem, never a 500', async () => {
  const [screenshot, fake, broken] = await submit([
    { name: 'screen.png', bytes: await screenshotPng(800, 600), type: 'image/png' },
    { name: 'odd.png', bytes: FAKE_PNG, type: 'image/png' },
    { name: 'broken.jpg', bytes: FAKE_JPEG, type: 'image/jpeg' },
  ])
  const shrunk = await fetch(`${base}${screenshot}/thumbnail`, { headers: mapper.headers })
  assert.is(shrunk.headers.get('content-type'), 'image/jpeg')
  const image = await decoded(await shrunk.arrayBuffer())
  assert.equal([image.width, image.height], [320, 240])
  const [r, g, b] = meanColour(image, { x: 10, y: 10, width: 140, height: 220 })
  assert.ok(r > 240 && g > 240 && b > 240, `the transparent half is white: ${[r, g, b]}`)
  assert.ok(isBlue(meanColour(image, { x: 170, y: 10, width: 140, height: 220 })), 'right half blue')
  const refused = await fetch(`${base}${fake}/thumbnail`, { headers: mapper.headers })
  assert.is(refused.status, 422)
  const body = (await refused.json()) as { detail: string; code: string }
  assert.is(body.code, 'unreadable_image')
  assert.match(body.detail, /^No thumbnail can be made of this photo: The PNG cannot be read: /, body.detail)
  const unreadable = await fetch(`${base}${broken}/thumbnail`, { headers: mapper.headers })
  assert.is(unreadable.status, 422)
  assert.match(((await unreadable.json()) as { detail: string }).detail, /^No thumbnail can be made of this photo: The JPEG cannot be read: /)
  // a page's thumbnail then falls back to the photo itself, which still downloads as sent
  assert.is((await fetch(`${base}${fake}`, { headers: mapper.headers })).status, 200)
})

test('only the project’s members see thumbnails', async () => {
  const res = await fetch(thumbnailUrl, { headers: stranger.headers })
  assert.is(res.status, 403)
  assert.is((await fetch(thumbnailUrl)).status, 401)
})

// last: judges what every test above received
test('every status, media type and header the flows above received is documented for its operation', async () => {
  assert.ok(fw.traffic.length > 0, 'the answers were recorded')
  const thumbnail = /\/thumbnail$/
  for (const status of [200, 304, 422]) assert.ok(saw(fw.traffic, 'GET', thumbnail, { status }), `a thumbnail answered ${status}`)
  assert.equal(await undocumented(fw.app, fw.traffic), [])
})

test.run()
