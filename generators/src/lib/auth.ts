// Sign-in for a service (`yo trefoil --auth`): its roles, the files of its auth module (accounts,
// hashed passwords, bearer tokens and cookie sessions with CSRF, sign-in limits, roles) and who may
// call a unit's routes (`yo trefoil:unit <name> --auth`, `--role <role>`).
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import ejs from 'ejs'
import { NameError } from './names.js'
import { templatesOf } from './paths.js'
import { addImport, addToList } from './wiring.js'

/** The part of a Yeoman generator's mem-fs editor {@link writeAuth} uses. */
export interface AuthFs {
  read(path: string, options: { defaults: string }): string | null
  write(path: string, contents: string): string
  exists(path: string): boolean
}

/** The roles of a service made with `--auth` and no `--roles`, lowest first. */
export const DEFAULT_ROLES: readonly string[] = ['member', 'editor', 'admin']

/** How .yo-rc.json remembers a service's sign-in: its roles, lowest first. */
export interface AuthRecord {
  roles: string[]
}

/** Who may call a unit's routes, when not anyone: a signed-in user, holding at least `role` when given. */
export interface UnitAccess {
  role: string | undefined
  /** The service's roles, lowest first (the tests sign in with the one below `role` for a 403). */
  roles: readonly string[]
}

/**
 * Reads `--roles "member, editor, admin"`: lowest first, each holding the rights of those before
 * it; throws a {@link NameError} for a list that is empty, repeats a role or names one that is
 * not a lower-case word.
 * @example parseRoles('viewer, editor, admin') // ['viewer', 'editor', 'admin']
 */
export function parseRoles(value: string | undefined): string[] {
  if (value === undefined) return [...DEFAULT_ROLES]
  const roles = value.split(',').map((role) => role.trim()).filter(Boolean)
  if (roles.length === 0) throw new NameError('Cannot use an empty --roles: list the roles lowest first, e.g. --roles "member, editor, admin"')
  for (const role of roles) {
    // a role is stored in a CHECK constraint and read in TypeScript: a plain word keeps both simple
    if (!/^[a-z][a-z0-9_]{0,31}$/.test(role)) throw new NameError(`Cannot use the role "${role}": a role is a lower-case word of letters, digits and _ (e.g. field_manager)`)
  }
  const repeated = roles.find((role, i) => roles.indexOf(role) !== i)
  if (repeated) throw new NameError(`Cannot use --roles with "${repeated}" twice: list each role once, lowest first`)
  return roles
}

/**
 * Who may call a new or changed unit, from its flags, what the unit had before, and the service's
 * sign-in (undefined when the service has none). `--role` implies `--auth`; `--no-auth` makes the
 * unit public again; with neither, a unit keeps what it had. Throws a {@link NameError} for
 * `--auth` in a service without sign-in, and for a role the service does not have.
 */
export function unitAccess(unit: string, flags: { auth?: boolean | undefined; role?: string | undefined }, before: { auth?: boolean; role?: string } | undefined, service: AuthRecord | undefined): UnitAccess | undefined {
  if (flags.auth === false && flags.role !== undefined) throw new NameError('Cannot use --role with --no-auth: a unit that needs a role needs a signed-in user')
  const wanted = flags.auth === false ? false : flags.role !== undefined || flags.auth === true || before?.auth === true
  if (!wanted) return undefined
  if (!service) throw new NameError(`Cannot make unit "${unit}" need a signed-in user: this service has no sign-in (it was not made with yo trefoil --auth)`)
  // a role stays unless another is given: `--auth` alone never lowers what a unit asks for
  const role = flags.role?.trim() ?? before?.role
  if (role !== undefined && !service.roles.includes(role)) throw new NameError(`Cannot use --role ${role}: the service's roles are ${service.roles.join(', ')}`)
  return { role, roles: service.roles }
}

/** What .yo-rc.json keeps of a unit's access (nothing for a public unit). */
export function accessRecord(access: UnitAccess | undefined): { auth?: true; role?: string } {
  if (!access) return {}
  return access.role === undefined ? { auth: true } : { auth: true, role: access.role }
}

function render(template: string, data: object): string {
  return ejs.render(readFileSync(join(templatesOf('app'), 'auth', template), 'utf8'), data, { filename: join(templatesOf('app'), 'auth', template) })
}

/** The auth module's own files, by path in the service. */
function authFiles(roles: readonly string[], migration: string): Map<string, string> {
  const data = { roles }
  return new Map([
    ['src/auth/schemas.ts', render('src/schemas.ts.ejs', data)],
    ['src/auth/passwords.ts', render('src/passwords.ts', data)],
    ['src/auth/secret.ts', render('src/secret.ts', data)],
    ['src/auth/logic.ts', render('src/logic.ts', data)],
    ['src/auth/limits.ts', render('src/limits.ts', data)],
    ['src/auth/routes.ts', render('src/routes.ts.ejs', data)],
    ['src/auth/set-role.ts', render('src/set-role.ts', data)],
    [`src/db/migrations/${migration}`, render('src/migration.sql.ejs', data)],
    ['tests/auth.test.ts', render('tests/auth.test.ts.ejs', data)],
    ['tests/signed-in.ts', render('tests/signed-in.ts', data)],
  ])
}

/**
 * Writes a new service's sign-in: its auth module and test, the migration `migration` (users,
 * sessions, attempt counters), the users and sessions models in src/db/models.ts, and the auth
 * routes in main.ts's plugins. Run by `yo trefoil --auth` before the first unit is listed.
 */
export function writeAuth(fs: AuthFs, root: string, roles: readonly string[], migration: string): void {
  // as writeUnit's: a migration may have run, so one that exists is never written again; nor is
  // one given the number of another, which would run after the later ones on a database that has
  // them, but in name order on a fresh one: two schemas from one folder
  const number = /^(\d+)_/.exec(migration)?.[1]
  const folder = join(root, 'src', 'db', 'migrations')
  if (fs.exists(join(folder, migration))) throw new Error(`Refusing to rewrite the migration src/db/migrations/${migration}`)
  const sameNumber = number !== undefined && existsSync(folder) ? readdirSync(folder).find((name) => name.endsWith('.sql') && name.startsWith(`${number}_`)) : undefined
  if (sameNumber !== undefined) throw new Error(`Refusing to write the migration src/db/migrations/${migration} beside ${sameNumber}, which has its number`)
  for (const [path, contents] of authFiles(roles, migration)) fs.write(join(root, path), contents)
  const modelsPath = join(root, 'src', 'db', 'models.ts')
  const models = addImport(fs.read(modelsPath, { defaults: '' }) ?? '', "import type { Role, UserOut } from '../auth/schemas.js'")
  fs.write(modelsPath, `${models.trimEnd()}\n${render('src/models.ts', { roles })}`)
  const mainPath = join(root, 'src', 'main.ts')
  const main = addImport(fs.read(mainPath, { defaults: '' }) ?? '', "import auth from './auth/routes.js'")
  fs.write(mainPath, addToList(main, 'plugins', 'auth', 'Cannot list the auth routes in src/main.ts: it has no `plugins: [...]`'))
}
