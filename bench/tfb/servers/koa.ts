// The six TechEmpower test types on Koa 3 + @koa/router by hand with pg-promise: what trefoil's
// own stack (Koa, pg-promise, EJS) costs without trefoil. `ctx.body = object` is Koa's
// JSON.stringify; the fortunes through EJS compiled once at start-up.
import { readFileSync } from 'node:fs'
import Router from '@koa/router'
import ejs from 'ejs'
import Koa from 'koa'
import pgPromise from 'pg-promise'
import { byMessage, DATABASE_URL, EXTRA_FORTUNE, FORTUNES_VIEW, POOL_SIZE, queryCount, randomWorldId, SELECT_FORTUNES, SELECT_WORLD, type Fortune, type World } from '../shared.js'
import { announce, HOST, listening, PORT } from '../../servers/serve.js'

const pgp = pgPromise()
const db = pgp({ connectionString: DATABASE_URL, max: POOL_SIZE })
const worldColumns = new pgp.helpers.ColumnSet(['?id', { name: 'randomnumber', prop: 'randomNumber' }], { table: 'world' })
const fortunesView = ejs.compile(readFileSync(FORTUNES_VIEW, 'utf8'))

function worlds(count: number): Promise<World[]> {
  const reads: Promise<World>[] = new Array(count)
  for (let i = 0; i < count; i++) reads[i] = db.one<World>(SELECT_WORLD, [randomWorldId()])
  return Promise.all(reads)
}

const router = new Router()
router.get('/json', (ctx) => {
  ctx.body = { message: 'Hello, World!' }
})
router.get('/db', async (ctx) => {
  ctx.body = await db.one<World>(SELECT_WORLD, [randomWorldId()])
})
router.get('/queries', async (ctx) => {
  ctx.body = await worlds(queryCount(ctx.query.queries))
})
router.get('/fortunes', async (ctx) => {
  const fortunes = await db.any<Fortune>(SELECT_FORTUNES)
  fortunes.push({ id: 0, message: EXTRA_FORTUNE })
  fortunes.sort(byMessage)
  ctx.type = 'text/html; charset=utf-8'
  ctx.body = fortunesView({ fortunes })
})
router.get('/updates', async (ctx) => {
  const rows = await worlds(queryCount(ctx.query.queries))
  for (const row of rows) row.randomNumber = randomWorldId()
  // one UPDATE for the request's rows, in id order (concurrent requests never deadlock)
  const sorted = [...rows].sort((a, b) => a.id - b.id)
  await db.none(`${pgp.helpers.update(sorted, worldColumns)} WHERE v.id = t.id`)
  ctx.body = rows
})
router.get('/plaintext', (ctx) => {
  ctx.type = 'text/plain; charset=utf-8'
  ctx.body = 'Hello, World!'
})

const app = new Koa()
app.use(async (ctx, next) => {
  ctx.set('Server', 'Koa')
  await next()
})
app.use(router.routes())
app.use(router.allowedMethods())
const server = await listening(app.listen(PORT, HOST))
announce(server, async () => {
  await new Promise<void>((resolve) => {
    server.close(() => resolve())
    server.closeAllConnections()
  })
  await db.$pool.end()
})
