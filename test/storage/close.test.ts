// A storage listed as a plugin closes with the app: the S3 client's kept-alive sockets to the
// S3 server are gone once `app.close()` resolves, so a stopping instance leaves no connection
// open behind it (a rolling restart would otherwise pile them up on the store).
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { createApp, createStorage, defineStorage } from '../../runtime/src/index.js'
import { startS3Server, type S3Server } from '../helpers/s3-server.js'

let s3: S3Server

test.before(async () => {
  s3 = await startS3Server('closing')
})
test.after(async () => {
  await s3?.close()
})

/** The server's open connections, once they settle (a socket closed by the client takes a moment to be seen). */
async function settledConnections(expected: (count: number) => boolean): Promise<number> {
  let count = await s3.connections()
  for (let i = 0; i < 50 && !expected(count); i++) {
    await new Promise((resolve) => setTimeout(resolve, 20))
    count = await s3.connections()
  }
  return count
}

test('app.close() closes the S3 client of a storage plugin: no connection stays open on the server', async () => {
  const storage = createStorage(s3.settings('app/'))
  const plugin = defineStorage(storage)
  const app = createApp({ plugins: [plugin] })
  await app.start()
  assert.is(app.plugin(plugin), storage, 'app.plugin(p) is the storage')
  await app.plugin(plugin).put('a.txt', Buffer.from('hello'))
  const object = await storage.get('a.txt')
  assert.is(Buffer.concat(await object.body.toArray()).toString(), 'hello')
  assert.ok((await settledConnections((n) => n > 0)) > 0, 'the client keeps its connection alive between requests')

  await app.close()
  assert.is(await settledConnections((n) => n === 0), 0, 'no connection left once the app closed')
})

test('defineStorage takes a name, so an app may hold several storages', async () => {
  const photos = createStorage(s3.settings('photos/'))
  const exports = createStorage(s3.settings('exports/'))
  const app = createApp({ plugins: [defineStorage(photos, { name: 'photos' }), defineStorage(exports, { name: 'exports' })] })
  await app.start()
  await app.close()
  const duplicate = createApp({ plugins: [defineStorage(photos), defineStorage(exports)] })
  const refused = await duplicate.start().then(() => undefined, (error: unknown) => error)
  assert.match(String(refused), '"storage": a plugin with this name is already registered')
  photos.close()
  exports.close()
})

test.run()
