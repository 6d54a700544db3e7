// The six TechEmpower test types on Fastify 5 with `pg` (node-postgres): response schemas
// (fast-json-stringify), the fortunes through EJS compiled once at start-up, `Server` from a hook.
import { readFileSync } from 'node:fs'
import ejs from 'ejs'
import Fastify from 'fastify'
import pg from 'pg'
import { byMessage, DATABASE_URL, EXTRA_FORTUNE, FORTUNES_VIEW, POOL_SIZE, queryCount, randomWorldId, SELECT_FORTUNES, SELECT_WORLD, type Fortune, type World } from '../shared.js'
import { announce, HOST, PORT } from '../../servers/serve.js'

const pool = new pg.Pool({ connectionString: DATABASE_URL, max: POOL_SIZE })
const fortunesView = ejs.compile(readFileSync(FORTUNES_VIEW, 'utf8'))

const WORLD = { type: 'object', properties: { id: { type: 'integer' }, randomNumber: { type: 'integer' } }, required: ['id', 'randomNumber'] } as const
const WORLDS = { type: 'array', items: WORLD } as const
const MESSAGE = { type: 'object', properties: { message: { type: 'string' } }, required: ['message'] } as const

async function world(): Promise<World> {
  const result = await pool.query<World>(SELECT_WORLD, [randomWorldId()])
  return result.rows[0]!
}

function worlds(count: number): Promise<World[]> {
  const reads: Promise<World>[] = new Array(count)
  for (let i = 0; i < count; i++) reads[i] = world()
  return Promise.all(reads)
}

const app = Fastify({ logger: false })
app.addHook('onRequest', (_request, reply, done) => {
  void reply.header('Server', 'Fastify')
  done()
})

app.get('/json', { schema: { response: { 200: MESSAGE } } }, async () => ({ message: 'Hello, World!' }))
app.get('/db', { schema: { response: { 200: WORLD } } }, () => world())
app.get<{ Querystring: { queries?: string } }>('/queries', { schema: { response: { 200: WORLDS } } }, (request) => worlds(queryCount(request.query.queries)))

app.get('/fortunes', async (_request, reply) => {
  const { rows } = await pool.query<Fortune>(SELECT_FORTUNES)
  rows.push({ id: 0, message: EXTRA_FORTUNE })
  rows.sort(byMessage)
  return reply.type('text/html; charset=utf-8').send(fortunesView({ fortunes: rows }))
})

app.get<{ Querystring: { queries?: string } }>('/updates', { schema: { response: { 200: WORLDS } } }, async (request) => {
  const rows = await worlds(queryCount(request.query.queries))
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
  return rows
})

app.get('/plaintext', async (_request, reply) => reply.type('text/plain; charset=utf-8').send('Hello, World!'))

await app.listen({ port: PORT, host: HOST })
announce(app.server, async () => {
  await app.close()
  await pool.end()
})
