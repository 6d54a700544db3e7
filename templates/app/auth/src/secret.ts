// The key that signs tokens and CSRF tokens: SECRET_KEY, or outside production a random key made
// once and kept in .trefoil/secret-key (readable by its owner only), so that no published key ever
// signs a token and sign-ins survive a restart. Read at start-up, before the server listens, so
// the synchronous file calls never hold a request.
import { randomBytes } from 'node:crypto'
import { linkSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { SettingsError } from 'trefoil'
import { settings } from '../config.js'

const FOLDER = '.trefoil'

/** The development key kept in `folder` (made there on first use). */
function developmentSecret(folder: string): string {
  const path = join(folder, 'secret-key')
  const existing = readSecret(path)
  if (existing) return existing
  mkdirSync(folder, { recursive: true })
  // written whole under another name, then linked into place: processes starting at once agree
  // on the first one linked, and none reads a half-written file
  const temporary = `${path}.${process.pid}.${randomBytes(4).toString('hex')}`
  writeFileSync(temporary, randomBytes(32).toString('base64url') + '\n', { mode: 0o600 })
  try {
    linkSync(temporary, path)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
  } finally {
    unlinkSync(temporary)
  }
  const secret = readSecret(path)
  if (!secret) throw new Error(`${path} holds no key: delete it to make a new development key`)
  return secret
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

if (settings.NODE_ENV === 'production' && settings.SECRET_KEY === undefined) {
  throw new SettingsError([{ variable: 'SECRET_KEY', msg: 'Set a secret of your own (at least 32 characters): a generated development key is refused when NODE_ENV is production' }])
}

/** The key that signs tokens: SECRET_KEY, or outside production the development key. */
export const secretKey: string = settings.SECRET_KEY ?? developmentSecret(FOLDER)
