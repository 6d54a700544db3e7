// The embedded default: no DATABASE_URL, no DB_HOST → a real PostgreSQL in a folder of the app.
import { spawn } from 'node:child_process'
import { cp, lstat, mkdir, readdir, readFile, readlink, rm, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { createApp, defineDatabase, startEmbeddedDatabase, type DatabaseHandle, type Plugin } from 'trefoil'
import { embeddedBinaries, hydrateSymlinks } from '../../runtime/src/db/embedded-postgres.js'
import { captureLogs } from '../helpers/logs.js'
import { closeChild, startChild } from './fixtures/child.js'
import { eventually, loud, prepare, type Prepared } from './fixtures/harness.js'

const it = suite<{ place: Prepared }>('embedded PostgreSQL')

it.before.each(
  loud(async (context) => {
    context.place = await prepare('embedded')
  }),
)
it.after.each(async ({ place }) => {
  await place.cleanup()
})

function embeddedApp(dataDir: string, settings: Record<string, string> = {}) {
  const { plugin } = defineDatabase({ dataDir, health: false })
  const { logger, lines } = captureLogs('info')
  return { app: createApp({ settings, plugins: [plugin], logger }), plugin: plugin as Plugin<DatabaseHandle>, lines }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

it('starts a real PostgreSQL in the data folder on first start, and reuses it after', async ({ place }) => {
  const first = embeddedApp(place.dataDir)
  let started = performance.now()
  await first.app.start()
  const firstMs = performance.now() - started
  const handle = first.app.plugin(first.plugin)
  assert.is(handle.embedded, true)
  assert.ok(handle.url.startsWith('postgresql://postgres:********@127.0.0.1:'), handle.url)
  const version = await handle.db.one<{ server_version: string }>('SHOW server_version')
  assert.match(version.server_version, /^\d+\.\d+/)
  await handle.db.none('CREATE TABLE kept (id integer)')
  await first.app.close()
  assert.is(alive(handle.server!.pid), false, 'close() stops the server')

  const second = embeddedApp(place.dataDir)
  started = performance.now()
  await second.app.start()
  const secondMs = performance.now() - started
  try {
    assert.ok(await second.app.plugin(second.plugin).db.oneOrNone("SELECT to_regclass('kept') AS t"), 'the data survived the restart')
    assert.ok(secondMs < firstMs, `a later start (${secondMs.toFixed(0)} ms) is faster than the first (${firstMs.toFixed(0)} ms)`)
    const said = second.lines.filter((l) => String(l.msg).startsWith('Database: '))
    assert.is(said.length, 1)
    assert.match(String(said[0]!.msg), /^Database: embedded PostgreSQL at postgresql:\/\/postgres:\*{8}@127\.0\.0\.1:\d+\/postgres \(data in /)
  } finally {
    await second.app.close()
  }
})

it('a pool of DB_POOL_SIZE connections works concurrently', async ({ place }) => {
  const { plugin } = defineDatabase({ dataDir: place.dataDir, health: false })
  const app = createApp({ settings: { DB_POOL_SIZE: '12' }, plugins: [plugin], logger: false })
  await app.start()
  try {
    const { db, poolSize } = app.plugin(plugin)
    assert.is(poolSize, 12)
    const pids = await Promise.all(Array.from({ length: 12 }, () => db.task((t) => t.one<{ pid: number }>('SELECT pg_backend_pid() AS pid, pg_sleep(0.2)'))))
    assert.is(new Set(pids.map((r) => r.pid)).size, 12)
  } finally {
    await app.close()
  }
})

it('a stale lock file from a killed run is recovered from', async ({ place }) => {
  const first = embeddedApp(place.dataDir)
  await first.app.start()
  await first.app.close()
  // a lock file naming a process that no longer exists (PostgreSQL was killed with its app)
  await writeFile(join(place.dataDir, 'postmaster.pid'), `999999\n${place.dataDir}\n1700000000\n5432\n\nlocalhost\n  5432001  0\nready\n`)
  const second = embeddedApp(place.dataDir)
  await second.app.start()
  try {
    assert.equal(await second.app.plugin(second.plugin).db.one('SELECT 1 AS ok'), { ok: 1 })
  } finally {
    await second.app.close()
  }
})

it('a server left running by a killed app is stopped and replaced on the next start', async ({ place }) => {
  const { child, started } = await startChild([place.dataDir])
  assert.ok(started.ok && started.server, JSON.stringify(started))
  const orphan = started.server!.pid
  child.kill('SIGKILL')
  await new Promise((r) => child.once('exit', r))
  assert.ok(alive(orphan), 'PostgreSQL outlives its killed app')
  const next = embeddedApp(place.dataDir)
  await next.app.start()
  try {
    const handle = next.app.plugin(next.plugin)
    assert.is(handle.server!.owned, true)
    assert.is.not(handle.server!.pid, orphan)
    assert.is(alive(orphan), false, 'the orphan was stopped')
    assert.equal(await handle.db.one('SELECT 1 AS ok'), { ok: 1 })
    assert.ok(next.lines.some((l) => l.msg === 'Stopping an embedded PostgreSQL left running by an earlier run'))
  } finally {
    await next.app.close()
  }
})

it('a second process on the same data folder joins the running server, and leaves it running', async ({ place }) => {
  const { child, started } = await startChild([place.dataDir])
  try {
    const guest = embeddedApp(place.dataDir)
    await guest.app.start()
    const handle = guest.app.plugin(guest.plugin)
    assert.is(handle.server!.owned, false)
    assert.is(handle.server!.pid, started.server!.pid)
    assert.equal(await handle.db.one('SELECT 1 AS ok'), { ok: 1 })
    await guest.app.close()
    assert.ok(alive(started.server!.pid), 'the owner keeps its server')
  } finally {
    await closeChild(child)
  }
  await eventually(async () => !alive(started.server!.pid), 10_000, 'the owner to stop its server')
})

it('the process that started the server waits for those that joined it before stopping it', async ({ place }) => {
  const owner = embeddedApp(place.dataDir)
  await owner.app.start()
  const ownerHandle = owner.app.plugin(owner.plugin)
  assert.is(ownerHandle.server!.owned, true)
  const { child, started } = await startChild([place.dataDir])
  assert.is(started.server!.owned, false, 'the child joined')
  // the owner closes first (a `trefoil serve` worker stopping before the others): its close waits
  let ownerClosed = false
  const closing = owner.app.close().then(() => void (ownerClosed = true))
  await new Promise((resolve) => setTimeout(resolve, 500))
  assert.not.ok(ownerClosed, 'the owner waits for the guest')
  assert.ok(alive(ownerHandle.server!.pid), 'the server still runs for the guest')
  assert.ok(owner.lines.some((line) => line.msg === 'Waiting for the processes that joined the embedded PostgreSQL before stopping it'))
  await closeChild(child)
  await closing
  assert.ok(ownerClosed)
  await eventually(async () => !alive(ownerHandle.server!.pid), 10_000, 'the server to stop once the guest left')
})

it('a guest killed without closing does not hold the owner back', async ({ place }) => {
  const owner = embeddedApp(place.dataDir)
  await owner.app.start()
  const { child } = await startChild([place.dataDir])
  child.kill('SIGKILL')
  await new Promise((resolve) => child.once('exit', resolve))
  const started = Date.now()
  await owner.app.close()
  assert.ok(Date.now() - started < 5_000, 'closed without waiting for the dead guest')
})

it('a process that came to join an owner which then stops and leaves takes the server over', async ({ place }) => {
  const first = embeddedApp(place.dataDir)
  await first.app.start()
  await first.app.close()
  // an owner still shutting down as a script starts on the same folder (`npm start` stopped,
  // then set-role.ts): it holds the lock with no server ready, and exits a moment later
  const leaving = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 1500)'], { stdio: 'ignore' })
  await writeFile(join(place.dataDir, 'trefoil.owner'), String(leaving.pid))
  const next = embeddedApp(place.dataDir)
  const started = Date.now()
  await next.app.start()
  try {
    const handle = next.app.plugin(next.plugin)
    assert.is(handle.server!.owned, true)
    assert.ok(Date.now() - started < 10_000, `took ${Date.now() - started} ms`)
    assert.equal(await handle.db.one('SELECT 1 AS ok'), { ok: 1 })
  } finally {
    await next.app.close()
    leaving.kill()
  }
})

it('startEmbeddedDatabase runs the server for other processes to reach through DATABASE_URL', async ({ place }) => {
  const embedded = await startEmbeddedDatabase({ dataDir: place.dataDir, log: captureLogs('silent').logger })
  try {
    assert.ok(embedded.url.includes(':********@') && !embedded.connectionString.includes('********'))
    const { child, started } = await startChild([join(place.dataDir, 'unused')], { DATABASE_URL: embedded.connectionString })
    assert.is(started.embedded, false, 'the child uses the URL, not an embedded server of its own')
    await closeChild(child)
  } finally {
    await embedded.stop()
  }
})

it('processes starting at once on a new data folder share one server', async ({ place }) => {
  const [a, b] = await Promise.all([startChild([place.dataDir]), startChild([place.dataDir])])
  try {
    assert.ok(a.started.ok && b.started.ok, JSON.stringify([a.started, b.started]))
    assert.equal([a.started.server!.owned, b.started.server!.owned].sort(), [false, true])
    assert.is(a.started.server!.pid, b.started.server!.pid)
    assert.is(a.started.server!.port, b.started.server!.port)
  } finally {
    const [guest, owner] = a.started.server?.owned ? [b, a] : [a, b]
    await closeChild(guest.child)
    await closeChild(owner.child)
  }
  assert.is(alive(a.started.server!.pid), false)
})

it('reads DATABASE_URL or the DB_* parts from the app settings, else from the environment', async ({ place }) => {
  const embedded = await startEmbeddedDatabase({ dataDir: place.dataDir, log: captureLogs('silent').logger })
  const url = new URL(embedded.connectionString)
  const parts = { DB_HOST: url.hostname, DB_PORT: url.port, DB_USER: url.username, DB_PASSWORD: decodeURIComponent(url.password), DB_NAME: 'postgres', DB_POOL_SIZE: '2' }
  const unused = join(place.dataDir, 'unused')
  const connect = async (settings: Record<string, string> | undefined): Promise<DatabaseHandle> => {
    const { plugin } = defineDatabase({ dataDir: unused, health: false })
    const app = createApp({ settings, plugins: [plugin], logger: false })
    await app.start()
    const handle = app.plugin(plugin)
    await app.close()
    return handle
  }
  try {
    const fromParts = await connect(parts)
    assert.is(fromParts.embedded, false)
    assert.is(fromParts.poolSize, 2)
    assert.is(fromParts.url, `postgresql://postgres:********@127.0.0.1:${url.port}/postgres`)
    process.env.DATABASE_URL = embedded.connectionString
    try {
      const fromEnv = await connect({ SOMETHING_ELSE: 'x' } as Record<string, string>)
      assert.is(fromEnv.embedded, false)
      assert.is(fromEnv.poolSize, 10)
    } finally {
      delete process.env.DATABASE_URL
    }
    let message = ''
    await connect({ ...parts, DB_POOL_SIZE: 'many' }).catch((error: Error) => (message = error.message))
    assert.match(message, 'Invalid DB_POOL_SIZE: expected a positive integer, got "many"')
  } finally {
    await embedded.stop()
  }
})

it('refuses a data folder that holds something else, naming it', async ({ place }) => {
  await mkdir(place.dataDir, { recursive: true })
  await writeFile(join(place.dataDir, 'notes.txt'), 'mine')
  const { app } = embeddedApp(place.dataDir)
  let message = ''
  await app.start().catch((error: Error) => (message = error.message))
  assert.match(message, `Cannot use "${place.dataDir}" for the embedded database: the folder is not empty and holds no PostgreSQL data`)
  assert.is(await readFile(join(place.dataDir, 'notes.txt'), 'utf8'), 'mine')
})

it('restores the library symlinks npm could not install (no install script needed)', async ({ place }) => {
  const native = await embeddedBinaries()
  const copy = join(dirname(place.dataDir), 'pkg')
  // a copy of the package as the tarball has it: regular files only, no symlinks
  await cp(dirname(native), copy, { recursive: true, filter: async (source) => !(await lstat(source)).isSymbolicLink() })
  const lib = join(copy, 'native', 'lib')
  assert.not.ok((await readdir(lib)).includes('libpq.so.5'))
  await hydrateSymlinks(copy)
  assert.is(await readlink(join(lib, 'libpq.so.5')), 'libpq.so.5.18')
  await hydrateSymlinks(copy) // a second run changes nothing and does not fail
  await rm(copy, { recursive: true, force: true })
})

it.run()
