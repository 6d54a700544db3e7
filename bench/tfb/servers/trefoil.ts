// The six TechEmpower test types as a trefoil user writes them: `defineDatabase` (pg-promise) for
// the pool, one unit of routes with dependencies and response schemas, an EJS view for the
// fortunes, a plugin for the `Server` header. Nothing is cached between requests.
// $TREFOIL_ENTRY: the runtime compiled by tsc (the runner's default); unset: from source.
import { fileURLToPath } from 'node:url'
import type { ColumnSet } from 'pg-promise'
const trefoil: typeof import('trefoil') = process.env.TREFOIL_ENTRY ? await import(process.env.TREFOIL_ENTRY) : await import('trefoil')
const { createApp, defineDatabase, definePlugin, defineUnit, depends, html, t, text } = trefoil
import { byMessage, EXTRA_FORTUNE, FORTUNES_VIEW, queryCount, randomWorldId, SELECT_FORTUNES, SELECT_WORLD, type Fortune, type World } from '../shared.js'
import { announce, HOST, PORT } from '../../servers/serve.js'

// DATABASE_URL and DB_POOL_SIZE come from the environment, as in any deployed trefoil app
const { plugin: database, db } = defineDatabase({ health: false })

const WorldOut = t.Object({ id: t.Integer(), randomNumber: t.Integer() })
const Message = t.Object({ message: t.String() })

/** How many rows `/queries` and `/updates` handle: the rules clamp, never reject, so the parameter is read as text. */
const count = depends({ name: 'count', query: t.Object({ queries: t.Optional(t.String()) }) }, ({ query }) => queryCount(query.queries))

// pg-promise's multi-row update needs its ColumnSet, built once from the app's pg-promise instance
let worldColumns: ColumnSet | undefined

/** The rules ask for a `Server` header on every answer: a hook, computed once. */
const serverHeader = definePlugin({
  name: 'server-header',
  setup(app) {
    app.addHook('onSend', (_ctx, _answer, headers) => void headers.push('Server', 'trefoil'))
  },
})

const tfb = defineUnit('tfb', {}, (r) => {
  r.get('/json', { response: Message }, () => ({ message: 'Hello, World!' }))

  r.get('/db', { use: { db }, response: WorldOut }, ({ db }) => db.one<World>(SELECT_WORLD, [randomWorldId()]))

  r.get('/queries', { use: { db, count }, response: t.Array(WorldOut) }, ({ db, count }) => {
    const reads: Promise<World>[] = new Array(count)
    for (let i = 0; i < count; i++) reads[i] = db.one<World>(SELECT_WORLD, [randomWorldId()])
    return Promise.all(reads)
  })

  r.get('/fortunes', { use: { db } }, async ({ db }) => {
    const fortunes = await db.any<Fortune>(SELECT_FORTUNES)
    fortunes.push({ id: 0, message: EXTRA_FORTUNE })
    fortunes.sort(byMessage)
    return html({ view: 'fortunes', data: { fortunes } })
  })

  r.get('/updates', { use: { db, count }, response: t.Array(WorldOut) }, async ({ db, count, app }) => {
    const reads: Promise<World>[] = new Array(count)
    for (let i = 0; i < count; i++) reads[i] = db.one<World>(SELECT_WORLD, [randomWorldId()])
    const worlds = await Promise.all(reads)
    for (const world of worlds) world.randomNumber = randomWorldId()
    const { pgp } = app.plugin(database)
    worldColumns ??= new pgp.helpers.ColumnSet(['?id', { name: 'randomnumber', prop: 'randomNumber' }], { table: 'world' })
    // one UPDATE for the request's rows (the rules allow batches), in id order so that
    // concurrent requests lock rows in the same order and never deadlock
    const sorted = [...worlds].sort((a, b) => a.id - b.id)
    await db.none(`${pgp.helpers.update(sorted, worldColumns)} WHERE v.id = t.id`)
    return worlds
  })

  r.get('/plaintext', {}, () => text('Hello, World!'))
})

const app = createApp({
  plugins: [serverHeader, database, tfb],
  views: { dir: fileURLToPath(new URL('.', FORTUNES_VIEW)) },
})
const server = await app.listen({ port: PORT, host: HOST })
announce(server, () => app.close())
