// The service's file storage, whichever STORAGE_URL names (tests/test.env: a folder of their own;
// an s3:// URL in the environment takes its place): a file stored whole, read back, listed, deleted.
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { after, test } from 'node:test'
import { text } from 'node:stream/consumers'
import { storage } from '../src/storage.js'

after(() => storage.close())

test('a file put in the storage is read back whole, listed under its prefix, then deleted', async () => {
  const key = `tests/${randomUUID()}.txt`
  const saved = await storage.put(key, new TextEncoder().encode('Map the river bank'), { contentType: 'text/plain' })
  assert.equal(saved.size, 18)
  const stored = await storage.get(key)
  assert.equal(stored.contentType, 'text/plain')
  assert.equal(await text(stored.body), 'Map the river bank')
  const listed: string[] = []
  for await (const object of storage.list('tests/')) listed.push(object.key)
  assert.ok(listed.includes(key), `${key} in ${listed.join(', ')}`)
  await storage.delete(key)
  assert.equal(await storage.head(key), undefined)
})

test('reading a file that is not there is a 404, not a crash', async () => {
  await assert.rejects(storage.get(`tests/${randomUUID()}.txt`), (error: { status?: number }) => error.status === 404)
})
