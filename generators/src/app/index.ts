// `yo trefoil [name]`: a new service in the guide's layout, on the trefoil runtime, with a first
// unit, its tests and a README. Every prompt is also a flag; `--yes` takes the defaults, and
// nothing prompts when stdin is not a terminal (CI, scripts).
import { spawn, spawnSync } from 'node:child_process'
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { basename, join, resolve } from 'node:path'
import Generator, { type BaseOptions } from 'yeoman-generator'
import validateName from 'validate-npm-package-name'
import { parseRoles, writeAuth, type UnitAccess } from '../lib/auth.js'
import { FIELD_TYPES } from '../lib/fields.js'
import { NameError, refuse } from '../lib/names.js'
import { pinnedVersions, templatesOf } from '../lib/paths.js'
import { parseRuntime, RUNTIME_CHOICES, runtimeDependency, type RuntimeSource } from '../lib/runtime.js'
import { writeShell } from '../lib/pages.js'
import { writeSignInPages } from '../lib/sign-in-pages.js'
import { CONFIG_NAME, planUnit, recordOf, writeUnit, type UnitPlan } from '../lib/unit.js'

/** The flags of `yo trefoil`. */
export type AppOptions = BaseOptions & {
  name?: string
  description?: string
  port?: number | string
  database?: string
  unit?: string
  fields?: string
  crud?: boolean
  runtime?: string
  git?: boolean
  storage?: string
  pages?: boolean
  auth?: boolean
  roles?: string
  yes?: boolean
  force?: boolean
}

/** What the prompts (or flags, or defaults) settled. */
interface Answers {
  name: string
  description: string
  port: number
  database: string
  unit: string
}

/** Where a service keeps files, with `--storage`. */
type StorageChoice = 'local' | 's3'

const DEFAULT_UNIT = 'tasks'
/** The tables of `--auth` (src/auth/), which no unit may take. */
const AUTH_TABLES = ['users', 'auth_sessions', 'auth_attempts']
const DEFAULT_PORT = 8000

/** Why a package name is refused, or undefined when npm accepts it for a new package. */
export function packageNameProblem(name: string): string | undefined {
  const result = validateName(name)
  if (result.validForNewPackages) return undefined
  return [...(result.errors ?? []), ...(result.warnings ?? [])].join('; ')
}

function portProblem(value: number): string | undefined {
  return Number.isInteger(value) && value >= 0 && value <= 65535 ? undefined : `Cannot use the port "${value}": give a whole number from 0 to 65535`
}

function storageProblem(value: string): string | undefined {
  return value === 'local' || value === 's3' ? undefined : `Cannot use --storage ${value}: use local (a folder) or s3 (a bucket)`
}

function databaseProblem(value: string): string | undefined {
  return value === 'embedded' || /^postgres(ql)?:\/\/\S+$/.test(value) ? undefined : `Cannot use the database "${value}": answer "embedded" or a postgresql:// URL`
}

/**
 * `git init` and a first commit of everything in `folder` (.gitignore leaves out node_modules and
 * the database); nothing when the folder is inside a repository already. Answers what it did.
 */
export function firstCommit(folder: string): string {
  const git = (...args: string[]): ReturnType<typeof spawnSync> => spawnSync('git', args, { cwd: folder, encoding: 'utf8' })
  const inside = git('rev-parse', '--is-inside-work-tree')
  if (inside.error) return 'git: not found, so no repository was made (install git, then git init)'
  if (inside.status === 0) return 'git: the folder is inside a repository already; nothing committed'
  const init = git('init', '--quiet')
  if (init.status !== 0) return `git: cannot make a repository: ${String(init.stderr).trim()}`
  git('add', '--all')
  const commit = git('commit', '--quiet', '--message', 'A new trefoil service, written by yo trefoil')
  if (commit.status !== 0) return `git: repository made; the first commit failed (${String(commit.stderr).trim().split('\n')[0]}): commit it yourself`
  return 'git: repository made, everything committed'
}

/**
 * What shows that `folder` holds a service already, or undefined: its migrations (any, also ones
 * written by hand), else the generator's record of its units in .yo-rc.json (a `--no-crud`
 * service has no migration yet).
 */
export function existingService(folder: string): string | undefined {
  const migrations = join(folder, 'src', 'db', 'migrations')
  const files = existsSync(migrations) ? readdirSync(migrations).filter((name) => name.endsWith('.sql')).sort() : []
  if (files.length > 0) return `migrations ${files.slice(0, 4).join(', ')}${files.length > 4 ? ', …' : ''}`
  const rc = join(folder, '.yo-rc.json')
  if (!existsSync(rc)) return undefined
  try {
    const stored = JSON.parse(readFileSync(rc, 'utf8')) as Record<string, { units?: unknown } | undefined>
    return stored[CONFIG_NAME]?.units === undefined ? undefined : '.yo-rc.json records its units'
  } catch {
    // a .yo-rc.json yo itself could not read either: not a service's record
    return undefined
  }
}

/** `npm install` in `folder`, its output shown; a failure is reported, not thrown (the service is written). */
function npmInstall(folder: string): Promise<void> {
  return new Promise((resolve) => {
    // npm is npm.cmd on Windows, which only a shell runs
    const child = spawn('npm', ['install'], { cwd: folder, stdio: 'inherit', shell: process.platform === 'win32' })
    child.on('error', (error) => {
      console.error(`npm install could not start (${error.message}): run it yourself in ${folder}`)
      resolve()
    })
    child.on('close', (code) => {
      if (code !== 0) console.error(`npm install failed (exit code ${code}): run it yourself in ${folder}`)
      resolve()
    })
  })
}

/** `yo trefoil [name]`. */
export default class AppGenerator extends Generator<Record<string, unknown>, AppOptions> {
  private answers!: Answers
  private plan!: UnitPlan
  private runtime!: RuntimeSource
  /** The roles, lowest first, with `--auth`. */
  private roles: string[] | undefined
  private installTarget: { folder: string }

  constructor(args?: string[], options?: AppOptions) {
    // npm, which the service's scripts and README use: yo would guess from lock files, and a
    // fresh folder has none ("Error detecting the package manager"); the folder is settled later
    const target = { folder: process.cwd() }
    super(args, options, { customInstallTask: () => npmInstall(target.folder) })
    this.installTarget = target
    this.argument('name', { type: String, required: false, description: 'Package name of the service; it is written to a folder of this name (default: the current folder, named after it)' })
    this.option('description', { type: String, description: 'One line on what the service does' })
    this.option('port', { type: Number, description: `Port it listens on (default ${DEFAULT_PORT})` })
    this.option('database', { type: String, description: '"embedded" (default: a PostgreSQL started with the app) or a postgresql:// URL, written to .env' })
    this.option('unit', { type: String, description: `Name of the first unit (default ${DEFAULT_UNIT})` })
    this.option('fields', { type: String, description: `Fields of the first unit, e.g. "title:string, done:boolean, priority:integer?"; types: ${FIELD_TYPES.join(', ')}` })
    this.option('crud', { type: Boolean, default: true, description: 'CRUD routes, logic and a table for the first unit (--no-crud: an empty triple)' })
    this.option('runtime', { type: String, description: `Where trefoil comes from: ${RUNTIME_CHOICES}` })
    this.option('storage', { type: String, description: 'File storage (src/storage.ts, STORAGE_URL): local (a folder) or s3 (a bucket; S3_* settings in .env.example); default none' })
    this.option('pages', { type: Boolean, description: 'Pages for browsers and htmx: a layout, error pages and htmx served by the app; its units answer HTML on the same routes as their JSON (default: JSON only)' })
    this.option('auth', { type: Boolean, description: 'Sign-in: accounts, bearer tokens and cookie sessions with CSRF, sign-in limits and roles (src/auth/); then yo trefoil:unit <name> --auth' })
    this.option('roles', { type: String, description: 'With --auth: the roles, lowest first (default "member, editor, admin")' })
    this.option('git', { type: Boolean, default: true, description: 'Make the folder a git repository with a first commit (--no-git: leave git alone)' })
    this.option('yes', { type: Boolean, alias: 'y', description: 'Take the default of every question not given as a flag' })
  }

  /**
   * Who may call the first unit: with a sign-in, a signed-in user (as `yo trefoil:unit <name>
   * --auth` writes it), since a service that has accounts is expected to guard its data;
   * `yo trefoil:unit <name> --no-auth` opens it again.
   */
  private firstUnitAccess(): UnitAccess | undefined {
    return this.roles ? { role: undefined, roles: this.roles } : undefined
  }

  /** Checks every flag before anything is asked or written. */
  initializing(): void {
    try {
      const name = this.options.name
      if (name !== undefined) {
        const problem = packageNameProblem(name)
        if (problem) throw new NameError(`Cannot name the service "${name}": not a valid npm package name (${problem})`)
      }
      if (this.options.port !== undefined) {
        const problem = portProblem(Number(this.options.port))
        if (problem) throw new NameError(problem)
      }
      if (this.options.database !== undefined) {
        const problem = databaseProblem(this.options.database)
        if (problem) throw new NameError(problem)
      }
      if (this.options.storage !== undefined) {
        const problem = storageProblem(this.options.storage)
        if (problem) throw new NameError(problem)
      }
      if (this.options.roles !== undefined && !this.options.auth) throw new NameError('Cannot use --roles without --auth: roles belong to signed-in users')
      this.roles = this.options.auth ? parseRoles(this.options.roles) : undefined
      this.runtime = parseRuntime(this.options.runtime)
      // a bad unit name or field list fails now, not after the questions
      planUnit(this.options.unit ?? DEFAULT_UNIT, { fields: this.options.fields, crud: this.options.crud, pages: this.options.pages, access: this.firstUnitAccess() })
    } catch (error) {
      refuse(error)
    }
  }

  /** Asks for what no flag gave, when someone is at a terminal and `--yes` is not set. */
  async prompting(): Promise<void> {
    const folderName = basename(process.cwd()).toLowerCase().replace(/[^a-z0-9._-]+/g, '-').replace(/^[._-]+/, '') || 'my-service'
    const defaults: Answers = {
      name: this.options.name ?? folderName,
      description: this.options.description ?? 'A web API on trefoil',
      port: this.options.port === undefined ? DEFAULT_PORT : Number(this.options.port),
      database: this.options.database ?? 'embedded',
      unit: this.options.unit ?? DEFAULT_UNIT,
    }
    const interactive = !this.options.yes && process.stdin.isTTY === true
    if (!interactive) {
      this.answers = defaults
    } else {
      const asked = await this.prompt<Answers>([
        ...(this.options.name === undefined ? [{ type: 'input' as const, name: 'name' as const, message: 'Package name', default: defaults.name, validate: (v: string) => packageNameProblem(v) ?? true }] : []),
        ...(this.options.description === undefined ? [{ type: 'input' as const, name: 'description' as const, message: 'Description', default: defaults.description }] : []),
        ...(this.options.port === undefined ? [{ type: 'number' as const, name: 'port' as const, message: 'Port', default: defaults.port, validate: (v: number | undefined) => portProblem(Number(v)) ?? true }] : []),
        ...(this.options.database === undefined ? [{ type: 'input' as const, name: 'database' as const, message: 'Database: "embedded" or a postgresql:// URL', default: defaults.database, validate: (v: string) => databaseProblem(v) ?? true }] : []),
        ...(this.options.unit === undefined ? [{ type: 'input' as const, name: 'unit' as const, message: 'First unit (a plural noun)', default: defaults.unit }] : []),
      ])
      this.answers = { ...defaults, ...asked, port: Number(asked.port ?? defaults.port) }
    }
    const problem = packageNameProblem(this.answers.name)
    if (problem) refuse(new NameError(`Cannot name the service "${this.answers.name}": not a valid npm package name (${problem}); give one as \`yo trefoil <name>\``))
    try {
      this.plan = planUnit(this.answers.unit, { fields: this.options.fields, crud: this.options.crud, pages: this.options.pages, access: this.firstUnitAccess() })
      if (this.roles && AUTH_TABLES.includes(this.plan.names.table)) throw new NameError(`Cannot name the first unit "${this.answers.unit}" with --auth: the table ${this.plan.names.table} holds the sign-in's data; pick another name`)
    } catch (error) {
      refuse(error)
    }
  }

  /**
   * Picks the folder: `./<name>` when a name was given, else the current folder; it must be empty
   * (`--force`: any folder but a service's).
   */
  configuring(): void {
    const folder = this.options.name === undefined ? process.cwd() : resolve(this.answers.name.replace(/^@[^/]+\//, ''))
    // a service there already is never written over, not even with --force: its migrations may
    // have run (the generator cannot see the database), so none may change or gain a twin of its
    // number, and a new service's main.ts and models.ts would drop the units added since
    const living = existingService(folder)
    if (living) {
      refuse(new NameError(`Cannot write a new service into ${folder}: it holds one already (${living}), and migrations are never rewritten, not even with --force; change it with yo trefoil:unit <name>, or pick another folder`))
    }
    const present = existsSync(folder) ? readdirSync(folder).filter((entry) => entry !== '.git') : []
    if (present.length > 0 && !this.options.force) {
      refuse(new NameError(`Cannot write the service into ${folder}: the folder is not empty (${present.slice(0, 3).join(', ')}${present.length > 3 ? ', …' : ''}); pick another name or run with --force`))
    }
    this.destinationRoot(folder)
    // `npm install` after writing runs in the service, not where yo was started
    this.env.cwd = folder
    this.installTarget.folder = folder
  }

  /** Renders the service's files, then its first unit through the unit generator's code. */
  async writing(): Promise<void> {
    const runtime = await runtimeDependency(this.runtime)
    const { name, description, port, database } = this.answers
    const storage = this.options.storage as StorageChoice | undefined
    // the README names the first unit, which needs a signed-in user when there is a sign-in
    const auth = this.roles ? { roles: this.roles, unit: { route: this.plan.names.route, kebab: this.plan.names.kebab } } : undefined
    const data = { name, description, port, database, storage, auth, pages: this.options.pages === true, runtime: runtime.spec, versions: pinnedVersions(), fieldTypes: FIELD_TYPES.join(', ') }
    const templates = templatesOf('app')
    const copy = (from: string, to: string = from.replace(/\.ejs$/, '')): void => this.fs.copyTpl(join(templates, from), this.destinationPath(to), data)
    copy('package.json.ejs')
    copy('tsconfig.json')
    copy('README.md.ejs')
    copy('gitignore', '.gitignore')
    copy('env.example.ejs', '.env.example')
    if (database !== 'embedded') copy('env.ejs', '.env')
    copy('src/main.ts.ejs')
    copy('src/config.ts.ejs')
    copy('src/db/database.ts')
    copy('src/db/models.ts.ejs')
    copy('src/db/enums.ts.ejs')
    copy('tests/test.env')
    copy('tests/run.ts')
    if (storage) {
      copy('storage/storage.ts.ejs', 'src/storage.ts')
      copy('storage/storage.test.ts', 'tests/storage.test.ts')
    }
    if (runtime.vendor) this.fs.write(this.destinationPath('vendor', runtime.vendor.name), runtime.vendor.contents)
    try {
      // listed in main.ts before the first unit; its migration after the unit's (numbered from the disk, where nothing is yet)
      if (this.roles) writeAuth(this.fs, this.destinationPath(), this.roles, `${this.plan.crud ? '002' : '001'}_users.sql`)
      writeUnit(this.fs, this.destinationPath(), this.plan)
      // the layout, error page and htmx, also when the first unit has no pages (--no-crud)
      if (this.options.pages) writeShell(this.fs, this.destinationPath())
      // with both: the sign-in page, signing out, and who is signed in in the layout
      if (this.options.pages && this.roles) writeSignInPages(this.fs, this.destinationPath())
    } catch (error) {
      refuse(error)
    }
  }

  /** Makes the service a git repository with a first commit (after `npm install`: its lock file is in it), then says what to do next. */
  end(): void {
    const folder = this.destinationPath()
    // what yo trefoil:unit reads to change the first unit later. Written here, on disk, rather
    // than through yo's storage, which announces a new .yo-rc.json as "force"
    const rc = join(folder, '.yo-rc.json')
    const stored = existsSync(rc) ? (JSON.parse(readFileSync(rc, 'utf8')) as Record<string, unknown>) : {}
    // `pages`: the units yo trefoil:unit adds get pages too
    const record = { runtime: this.runtime.kind === 'tarball' ? 'pack' : this.runtime.kind, ...(this.options.pages ? { pages: true } : {}), units: { [this.plan.names.kebab]: recordOf(this.plan) }, ...(this.roles ? { auth: { roles: this.roles } } : {}) }
    writeFileSync(rc, `${JSON.stringify({ ...stored, [CONFIG_NAME]: record }, null, 2)}\n`)
    if (this.options.git !== false) this.log(firstCommit(folder))
    const cd = folder === process.cwd() ? '' : `cd ${basename(folder)} && `
    const guarded = this.plan.access ? ', its routes need a signed-in user' : ''
    this.log(`\nService "${this.answers.name}" written to ${folder}: ${this.plan.names.route} is its first unit${guarded}.`)
    // yo ran `npm install` already, unless told not to
    const install = this.options.skipInstall ? 'npm install && ' : ''
    this.log(`Next: ${cd}${install}npm start   (then open http://127.0.0.1:${this.answers.port}/${this.options.pages ? '' : 'docs'})`)
    if (this.roles) {
      this.log(`Sign-in: /v1/auth (README.md, "Sign-in"); routes that need it: yo trefoil:unit <name> --auth, or --role ${this.roles[this.roles.length - 1]}`)
      this.log(`Open ${this.plan.names.route} to anyone: yo trefoil:unit ${this.plan.names.kebab} --no-auth`)
    }
    this.log(`Tests: npm test   Another unit: yo trefoil:unit <name> --fields "title:string, done:boolean"`)
    this.log(`Work off the request: yo trefoil:task <name> (worker pool), yo trefoil:job <name> (durable job); shared values: yo trefoil:plugin <name>`)
  }
}
