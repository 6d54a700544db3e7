// Choosing the driver from settings: STORAGE_URL picks a folder or a bucket, and settings that
// cannot work fail at start-up with a message naming the setting.
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { createStorage, defineSettings, STORAGE_SETTINGS, t } from 'trefoil'

test('without STORAGE_URL the local driver stores in the default folder', () => {
  const storage = createStorage({}, { defaultDir: join(tmpdir(), 'files') })
  assert.is(storage.driver, 'local')
  assert.is(storage.location, join(tmpdir(), 'files'))
  assert.is(createStorage().location, resolve('storage'))
})

test('STORAGE_URL as a path or a file: URL names the local folder', () => {
  assert.is(createStorage({ STORAGE_URL: '/srv/files' }).location, '/srv/files')
  assert.is(createStorage({ STORAGE_URL: 'data/files' }).location, resolve('data/files'))
  assert.is(createStorage({ STORAGE_URL: 'file:///srv/my%20files' }).location, '/srv/my files')
  assert.is(createStorage({ STORAGE_URL: 'file:data/files' }).location, resolve('data/files'))
})

test('STORAGE_URL s3://bucket/prefix picks the S3 driver; the prefix always ends with a slash', () => {
  const storage = createStorage({ STORAGE_URL: 's3://my-bucket/app/uploads', S3_ENDPOINT: 'http://127.0.0.1:9000', S3_ACCESS_KEY_ID: 'id', S3_SECRET_ACCESS_KEY: 'secret' })
  assert.is(storage.driver, 's3')
  assert.is(storage.location, 's3://my-bucket/app/uploads/')
  assert.is(createStorage({ STORAGE_URL: 's3://my-bucket' }).location, 's3://my-bucket/')
})

test('settings that cannot work fail at start-up, naming the setting', () => {
  assert.throws(() => createStorage({ STORAGE_URL: 'ftp://host/dir' }), /Invalid STORAGE_URL "ftp:\/\/host\/dir"/)
  assert.throws(() => createStorage({ STORAGE_URL: 's3://key:secret@bucket/x' }), /credentials in S3_ACCESS_KEY_ID/)
  assert.throws(() => createStorage({ STORAGE_URL: 's3://bucket/x', S3_ACCESS_KEY_ID: 'id' }), /S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY go together/)
  assert.throws(() => createStorage({ STORAGE_URL: 's3://bucket/x' }, { partSize: 1024 }), /at least 5242880 bytes/)
})

test('STORAGE_SETTINGS spreads into an app schema, read from the environment and coerced', () => {
  const settings = defineSettings(t.Object({ ...STORAGE_SETTINGS, PORT: t.Integer({ default: 8000 }) }), { env: { STORAGE_URL: 's3://b/p', S3_FORCE_PATH_STYLE: 'true', S3_ACCESS_KEY_ID: 'id', S3_SECRET_ACCESS_KEY: 'hidden' }, envFile: false })
  assert.is(settings.S3_FORCE_PATH_STYLE, true)
  assert.is(createStorage(settings).driver, 's3')
  // a secret by its name: masked when settings are printed
  assert.not.match(JSON.stringify(settings), /hidden/)
})

test.run()
