// The checks a server passes before it is measured, after TechEmpower's verification: status,
// `Server` / `Date` / `Content-Type` / length headers, the body's shape for every test type, the
// clamping of `queries`, the fortunes' rows, order and escaping, that each request runs its own
// queries (counted by pg_stat_statements) and that updates are in the database afterwards.
import { request } from 'node:http'
import pg from 'pg'
import { EXTRA_FORTUNE, FORTUNES, WORLD_ROWS, type Fortune, type World } from './shared.js'

interface Answer {
  status: number
  headers: Record<string, string | string[] | undefined>
  body: string
}

/** GET `url` with node:http, so that every header (Transfer-Encoding too) is seen as sent. */
function get(url: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers: { accept: '*/*' } }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (chunk: Buffer) => chunks.push(chunk))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }))
      res.on('error', reject)
    })
    req.on('error', reject)
    req.setTimeout(30_000, () => req.destroy(new Error(`No answer from ${url} in 30 s`)))
    req.end()
  })
}

function fail(message: string): never {
  throw new Error(message)
}

/** Status 200, `Server` and `Date`, a length or chunked, the content type; returns the body. */
async function fetchChecked(url: string, type: RegExp): Promise<string> {
  const answer = await get(url)
  if (answer.status !== 200) fail(`expected 200, got ${answer.status}: ${answer.body.slice(0, 200)}`)
  if (!answer.headers.server) fail('no Server header')
  if (!answer.headers.date) fail('no Date header')
  if (answer.headers['content-length'] === undefined && answer.headers['transfer-encoding'] !== 'chunked') fail('neither Content-Length nor chunked Transfer-Encoding')
  const contentType = String(answer.headers['content-type'] ?? '')
  if (!type.test(contentType)) fail(`content type "${contentType}" is not ${type}`)
  return answer.body
}

const JSON_TYPE = /^application\/json(;\s*charset=utf-8)?$/i
const HTML_TYPE = /^text\/html;\s*charset=utf-8$/i
const TEXT_TYPE = /^text\/plain(;\s*charset=utf-8)?$/i

function checkWorld(value: unknown, where: string): World {
  const world = value as World
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail(`${where}: expected a World object, got ${JSON.stringify(value)}`)
  const keys = Object.keys(value).sort().join(',')
  if (keys !== 'id,randomNumber') fail(`${where}: expected exactly {id, randomNumber}, got keys ${keys}`)
  for (const key of ['id', 'randomNumber'] as const) {
    const n = world[key]
    if (!Number.isInteger(n) || n < 1 || n > WORLD_ROWS) fail(`${where}: ${key} ${JSON.stringify(n)} is not an integer in 1..${WORLD_ROWS}`)
  }
  return world
}

function checkWorlds(body: string, length: number, where: string): World[] {
  const value: unknown = JSON.parse(body)
  if (!Array.isArray(value)) fail(`${where}: expected an array, got ${body.slice(0, 100)}`)
  if (value.length !== length) fail(`${where}: expected ${length} rows, got ${value.length}`)
  return value.map((item, i) => checkWorld(item, `${where}[${i}]`))
}

/** The query parameters the rules name, and the count each must give. */
const CLAMPS: readonly [string, number][] = [
  ['', 1],
  ['?queries=', 1],
  ['?queries=foo', 1],
  ['?queries=0', 1],
  ['?queries=-3', 1],
  ['?queries=1', 1],
  ['?queries=7', 7],
  ['?queries=20', 20],
  ['?queries=500', 500],
  ['?queries=501', 500],
]

function unescapeHtml(text: string): string {
  return text
    .replace(/&#x([0-9a-f]+);/gi, (_, hex: string) => String.fromCodePoint(Number.parseInt(hex, 16)))
    .replace(/&#([0-9]+);/g, (_, dec: string) => String.fromCodePoint(Number(dec)))
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&')
}

/** Statement counts since the last reset, for statements on `world`: SELECTs run and rows UPDATEd. */
async function worldStatements(db: pg.Client): Promise<{ selects: number; updated: number }> {
  const { rows } = await db.query<{ selects: string | null; updated: string | null }>(
    `SELECT sum(calls) FILTER (WHERE query ILIKE 'select%') AS selects, sum(rows) FILTER (WHERE query ILIKE 'update%') AS updated
       FROM pg_stat_statements WHERE query ILIKE '%world%' AND query NOT ILIKE '%pg_stat_statements%'`,
  )
  return { selects: Number(rows[0]?.selects ?? 0), updated: Number(rows[0]?.updated ?? 0) }
}

/** Runs every check against the server at `base`; throws naming every failure. */
export async function verifyServer(name: string, base: string, databaseUrl: string): Promise<void> {
  const db = new pg.Client({ connectionString: databaseUrl })
  await db.connect()
  const failures: string[] = []
  const check = async (what: string, fn: () => Promise<void>): Promise<void> => {
    try {
      await fn()
    } catch (error) {
      failures.push(`${what}: ${(error as Error).message}`)
    }
  }
  try {
    await check('json', async () => {
      const body = await fetchChecked(`${base}/json`, JSON_TYPE)
      const value: unknown = JSON.parse(body)
      if (JSON.stringify(value) !== '{"message":"Hello, World!"}') fail(`expected {"message":"Hello, World!"}, got ${body}`)
    })

    await check('plaintext', async () => {
      const body = await fetchChecked(`${base}/plaintext`, TEXT_TYPE)
      if (body !== 'Hello, World!') fail(`expected "Hello, World!", got ${JSON.stringify(body)}`)
    })

    await check('db', async () => {
      await db.query('SELECT pg_stat_statements_reset()')
      const ids = new Set<number>()
      for (let i = 0; i < 10; i++) {
        const world = checkWorld(JSON.parse(await fetchChecked(`${base}/db`, JSON_TYPE)), 'db')
        const { rows } = await db.query<{ randomnumber: number }>('SELECT randomnumber FROM world WHERE id = $1', [world.id])
        if (rows[0]?.randomnumber !== world.randomNumber) fail(`row ${world.id} has randomNumber ${rows[0]?.randomnumber} in the database, the answer says ${world.randomNumber}`)
        ids.add(world.id)
      }
      if (ids.size < 2) fail('10 requests all read the same row: ids are not random')
      const { selects } = await worldStatements(db)
      if (selects < 10) fail(`10 requests ran ${selects} SELECTs on world (expected one each)`)
    })

    for (const [test, path] of [['queries', '/queries'], ['updates', '/updates']] as const) {
      for (const [query, length] of CLAMPS) {
        await check(`${test} ${path}${query}`, async () => {
          checkWorlds(await fetchChecked(`${base}${path}${query}`, JSON_TYPE), length, `${path}${query}`)
        })
      }
    }

    await check('queries: each row its own query', async () => {
      await db.query('SELECT pg_stat_statements_reset()')
      const ids = new Set<number>()
      for (let i = 0; i < 5; i++) for (const world of checkWorlds(await fetchChecked(`${base}/queries?queries=20`, JSON_TYPE), 20, 'queries=20')) ids.add(world.id)
      const { selects } = await worldStatements(db)
      if (selects < 100) fail(`5 requests of 20 rows ran ${selects} SELECTs on world (expected 100: no IN lists, no caching)`)
      if (ids.size < 50) fail(`100 random rows gave only ${ids.size} distinct ids`)
    })

    await check('updates: each row read and written', async () => {
      await db.query('SELECT pg_stat_statements_reset()')
      const worlds = checkWorlds(await fetchChecked(`${base}/updates?queries=20`, JSON_TYPE), 20, 'updates=20')
      const { selects, updated } = await worldStatements(db)
      const distinct = new Set(worlds.map((w) => w.id)).size
      if (selects < 20) fail(`20 rows were read by ${selects} SELECTs (expected 20)`)
      if (updated < distinct) fail(`${distinct} distinct rows but ${updated} rows updated`)
      // an id drawn twice in one request may keep either new number: only single ones are compared
      const once = worlds.filter((w) => worlds.filter((x) => x.id === w.id).length === 1)
      const { rows } = await db.query<{ id: number; randomnumber: number }>('SELECT id, randomnumber FROM world WHERE id = ANY($1)', [once.map((w) => w.id)])
      const stored = new Map(rows.map((r) => [r.id, r.randomnumber]))
      for (const world of once) {
        if (stored.get(world.id) !== world.randomNumber) fail(`row ${world.id}: the answer says ${world.randomNumber}, the database has ${stored.get(world.id)}`)
      }
    })

    await check('fortunes', async () => {
      await db.query('SELECT pg_stat_statements_reset()')
      const body = await fetchChecked(`${base}/fortunes`, HTML_TYPE)
      const compact = body.replace(/>\s+</g, '><').trim()
      if (!/^<!DOCTYPE html><html><head><title>Fortunes<\/title><\/head><body><table><tr><th>id<\/th><th>message<\/th><\/tr>/i.test(compact)) fail(`unexpected document start: ${compact.slice(0, 120)}`)
      if (!/<\/table><\/body><\/html>$/i.test(compact)) fail(`unexpected document end: ${compact.slice(-60)}`)
      if (body.includes('<script>')) fail('the <script> fortune is not escaped')
      if (!body.includes('&lt;script&gt;')) fail('the <script> fortune is missing or escaped unexpectedly')
      const rows = [...compact.matchAll(/<tr><td>([^<]*)<\/td><td>([^<]*)<\/td><\/tr>/g)].map((m): Fortune => ({ id: Number(m[1]), message: unescapeHtml(m[2]!) }))
      const expected = [...FORTUNES, { id: 0, message: EXTRA_FORTUNE }].sort((a, b) => (a.message < b.message ? -1 : a.message > b.message ? 1 : 0))
      if (JSON.stringify(rows) !== JSON.stringify(expected)) fail(`rows differ from the expected 13 sorted fortunes:\n    got      ${JSON.stringify(rows)}\n    expected ${JSON.stringify(expected)}`)
      const { rows: stats } = await db.query<{ calls: string | null }>("SELECT sum(calls) AS calls FROM pg_stat_statements WHERE query ILIKE '%fortune%' AND query NOT ILIKE '%pg_stat_statements%'")
      if (Number(stats[0]?.calls ?? 0) < 1) fail('the fortunes were not read from the database')
    })

    await check('unknown path', async () => {
      const answer = await get(`${base}/nothing-here`)
      if (answer.status !== 404) fail(`expected 404, got ${answer.status}`)
    })
  } finally {
    await db.end()
  }
  if (failures.length > 0) throw new Error(`Server "${name}" does not follow the rules:\n  ${failures.join('\n  ')}`)
}
