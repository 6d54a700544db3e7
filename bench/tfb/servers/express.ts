// The six TechEmpower test types on Express 5 with `pg` (node-postgres): `res.json`, the fortunes
// through Express's own view engine support (EJS, cached in production), `Server` from a
// middleware; Express's defaults kept (weak ETags, X-Powered-By), as an app from the docs has them.
import { fileURLToPath } from 'node:url'
import express from 'express'
import pg from 'pg'
import { byMessage, DATABASE_URL, EXTRA_FORTUNE, FORTUNES_VIEW, POOL_SIZE, queryCount, randomWorldId, SELECT_FORTUNES, SELECT_WORLD, type Fortune, type World } from '../shared.js'
import { announce, HOST, listening, PORT } from '../../servers/serve.js'

const pool = new pg.Pool({ connectionString: DATABASE_URL, max: POOL_SIZE })

async function world(): Promise<World> {
  const result = await pool.query<World>(SELECT_WORLD, [randomWorldId()])
  return result.rows[0]!
}

function worlds(count: number): Promise<World[]> {
  const reads: Promise<World>[] = new Array(count)
  for (let i = 0; i < count; i++) reads[i] = world()
  return Promise.all(reads)
}

const app = express()
app.set('views', fileURLToPath(new URL('.', FORTUNES_VIEW)))
app.set('view engine', 'ejs')
app.use((_req, res, next) => {
  res.set('Server', 'Express')
  next()
})

app.get('/json', (_req, res) => {
  res.json({ message: 'Hello, World!' })
})
app.get('/db', async (_req, res) => {
  res.json(await world())
})
app.get('/queries', async (req, res) => {
  res.json(await worlds(queryCount(req.query.queries)))
})
app.get('/fortunes', async (_req, res) => {
  const { rows } = await pool.query<Fortune>(SELECT_FORTUNES)
  rows.push({ id: 0, message: EXTRA_FORTUNE })
  rows.sort(byMessage)
  res.render('fortunes', { fortunes: rows })
})
app.get('/updates', async (req, res) => {
  const rows = await worlds(queryCount(req.query.queries))
  for (const row of rows) row.randomNumber = randomWorldId()
  // one UPDATE for the request's rows, in id order (concurrent requests never deadlock)
  const sorted = [...rows].sort((a, b) => a.id - b.id)
  const values: number[] = []
  const tuples: string[] = []
  for (const row of sorted) {
    tuples.push(`($${values.length + 1}::int, $${values.length + 2}::int)`)
    values.push(row.id, row.randomNumber)
  }
  await pool.query(`UPDATE world AS w SET randomnumber = v.r FROM (VALUES ${tuples.join(', ')}) AS v(id, r) WHERE w.id = v.id`, values)
  res.json(rows)
})
app.get('/plaintext', (_req, res) => {
  res.type('text/plain').send('Hello, World!')
})

const server = await listening(app.listen(PORT, HOST))
announce(server, async () => {
  await new Promise<void>((resolve) => {
    server.close(() => resolve())
    server.closeAllConnections()
  })
  await pool.end()
})
