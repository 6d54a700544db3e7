// A task's own database connection, opened in its worker from the settings' DATABASE_URL.
// Needs a PostgreSQL server: runs only when DATABASE_URL is set.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import pgPromise from 'pg-promise'
import { createWorkerPool, defineTask } from 'trefoil'

const db = defineTask<typeof import('./fixtures/db.js')>(new URL('./fixtures/db.js', import.meta.url))
const url = process.env.DATABASE_URL

if (url) {
  test('a task queries through its worker\'s own connection, closed when the pool closes', async () => {
    const pool = createWorkerPool({ size: 2, databaseUrl: url })
    let pids: number[] = []
    try {
      const replies = await Promise.all(Array.from({ length: 4 }, () => pool.run(db, undefined)))
      for (const reply of replies) assert.is(reply.n, 1)
      pids = [...new Set(replies.map((r) => r.pid))]
    } finally {
      await pool.close()
    }
    assert.is(pool.stats().size, 0)
    // the workers' backends are gone: their pools were ended, not leaked
    const pgp = pgPromise()
    const main = pgp(url)
    try {
      let alive = -1
      for (let i = 0; i < 100 && alive !== 0; i++) {
        alive = (await main.one<{ n: number }>('SELECT count(*)::int AS n FROM pg_stat_activity WHERE pid = ANY($1)', [pids])).n
        if (alive !== 0) await new Promise((resolve) => setTimeout(resolve, 20))
      }
      assert.is(alive, 0)
    } finally {
      pgp.end()
    }
  })
} else {
  // left out rather than skipped: the runner counts tests run; this line says why
  console.log('worker-db: DATABASE_URL is not set, the worker connection test is left out')
}

test('a task asking for ctx.db without a database URL fails with a message saying so', async () => {
  const pool = createWorkerPool({ size: 1, databaseUrl: false })
  try {
    const error = await pool.run(db, undefined).then(() => undefined, (e: unknown) => e as Error)
    assert.match(error?.message ?? '', /no DATABASE_URL in the settings/)
  } finally {
    await pool.close()
  }
})

test.run()
