// The signing key of a development install with no SECRET_KEY: random, made once and kept in the
// app's data folder (readable by its owner only), so that no published key ever signs a token and
// sessions survive a restart. Read once at start-up, before the server listens, so the synchronous
// file calls never hold a request.
import { randomBytes } from 'node:crypto'
import { linkSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

/** The file under the data folder that keeps the development key. */
export const SECRET_FILE = 'secret-key'

/** The development key kept in `dataDir` (made there on first use), and whether it was just made. */
export function developmentSecret(dataDir: string): { secret: string; path: string; created: boolean } {
  const path = join(dataDir, SECRET_FILE)
  const existing = readSecret(path)
  if (existing) return { secret: existing, path, created: false }
  mkdirSync(dataDir, { recursive: true })
  const secret = randomBytes(32).toString('base64url')
  // written whole under another name, then linked into place: several processes starting at once
  // (`trefoil serve --workers N`) agree on the first one linked, and none reads a half-written file
  const temporary = `${path}.${process.pid}.${randomBytes(4).toString('hex')}`
  writeFileSync(temporary, secret + '\n', { mode: 0o600 })
  try {
    linkSync(temporary, path)
    return { secret, path, created: true }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
    const winner = readSecret(path)
    if (!winner) throw new Error(`${path} is empty: delete it to make a new development key`)
    return { secret: winner, path, created: false }
  } finally {
    unlinkSync(temporary)
  }
}

function readSecret(path: string): string | undefined {
  try {
    const text = readFileSync(path, 'utf8').trim()
    return text.length >= 32 ? text : undefined
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw error
  }
}
