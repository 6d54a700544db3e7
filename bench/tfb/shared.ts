// What the TechEmpower test implementations share: the data set, the SQL, the rules on the
// `queries` parameter, and the environment a server reads. Each server still does its own
// queries, sorting and rendering; only constants and the clamping rule live here.

/** The 12 fortunes of TechEmpower's data set, `<script>` and non-ASCII rows included. */
export const FORTUNES: readonly { id: number; message: string }[] = [
  { id: 1, message: 'fortune: No such file or directory' },
  { id: 2, message: "A computer scientist is someone who fixes things that aren't broken." },
  { id: 3, message: 'After enough decimal places, nobody gives a damn.' },
  { id: 4, message: 'A bad random number generator: 1, 1, 1, 1, 1, 4.33e+67, 1, 1, 1' },
  { id: 5, message: 'A computer program does what you tell it to do, not what you want it to do.' },
  { id: 6, message: 'Emacs is a nice operating system, but I prefer UNIX. — Tom Christaensen' },
  { id: 7, message: 'Any program that runs right is obsolete.' },
  { id: 8, message: 'A list is only as strong as its weakest link. — Donald Knuth' },
  { id: 9, message: 'Feature: A bug with seniority.' },
  { id: 10, message: 'Computers make very fast, very accurate mistakes.' },
  { id: 11, message: '<script>alert("This should not be displayed in a browser alert box.");</script>' },
  { id: 12, message: 'フレームワークのベンチマーク' },
]

/** The fortune every handler adds before sorting (id 0). */
export const EXTRA_FORTUNE = 'Additional fortune added at request time.'

/** Rows in `world`. */
export const WORLD_ROWS = 10_000

/** One `world` row by id, its column named as the JSON answer names it. */
export const SELECT_WORLD = 'SELECT id, randomnumber AS "randomNumber" FROM world WHERE id = $1'
export const SELECT_FORTUNES = 'SELECT id, message FROM fortune'

/** A `world` row as every answer writes it. */
export interface World {
  id: number
  randomNumber: number
}

/** A `fortune` row. */
export interface Fortune {
  id: number
  message: string
}

/** A random id (and a random number): an integer in 1..10000. */
export function randomWorldId(): number {
  return 1 + Math.floor(Math.random() * WORLD_ROWS)
}

/**
 * The `queries` parameter as the rules read it: missing, not an integer or below 1 counts as 1,
 * above 500 as 500.
 */
export function queryCount(raw: unknown): number {
  const value = typeof raw === 'string' ? Number.parseInt(raw, 10) : Number.NaN
  if (!Number.isFinite(value) || value < 1) return 1
  return value > 500 ? 500 : value
}

/** Orders fortunes by message, by UTF-16 code units as every peer's default string order does. */
export function byMessage(a: Fortune, b: Fortune): number {
  return a.message < b.message ? -1 : a.message > b.message ? 1 : 0
}

/** The connection string and pool size the runner gives every server (the same for each). */
export const DATABASE_URL = process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/hello_world'
export const POOL_SIZE = Number(process.env.DB_POOL_SIZE ?? 10)

/** The fortunes view every Node server renders (EJS, `<%= %>` escapes HTML). */
export const FORTUNES_VIEW = new URL('./views/fortunes.ejs', import.meta.url)
