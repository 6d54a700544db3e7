// `yo trefoil:unit <name>`: a unit in the service of the current folder — its routes, schemas,
// logic, test and migration — listed in src/main.ts. Run again with other fields, it changes the
// unit: its files follow the fields and the next migration alters its table (migrations that exist
// are never rewritten). Run again with the same options, it changes nothing; a name that collides
// with another unit or a reserved word is refused.
import Generator, { type BaseOptions } from 'yeoman-generator'
import { unitAccess, type AuthRecord } from '../lib/auth.js'
import { FIELD_TYPES } from '../lib/fields.js'
import { serviceRoot } from '../lib/kind-generator.js'
import { NameError, refuse } from '../lib/names.js'
import { alterTable, parseFills, parseRenames, type Alteration } from '../lib/migration.js'
import { CONFIG_NAME, planUnit, recordOf, writeUnit, type UnitPlan, type UnitRecord } from '../lib/unit.js'

/** The flags of `yo trefoil:unit`. */
export type UnitOptions = BaseOptions & {
  name?: string
  fields?: string
  crud?: boolean
  rename?: string
  fill?: string
  allowDrop?: boolean
  pages?: boolean
  auth?: boolean
  role?: string
  yes?: boolean
  force?: boolean
}

/** `yo trefoil:unit <name>`. */
export default class UnitGenerator extends Generator<Record<string, unknown>, UnitOptions> {
  private plan!: UnitPlan
  private previous: UnitPlan | undefined
  private alteration: Alteration | undefined
  private changed: string[] = []
  private migration: string | undefined
  private dependencies = false

  constructor(args?: string[], options?: UnitOptions) {
    // a unit never changes package.json: no install step, and none of yo's words about one
    super(args, options, { customInstallTask: true })
    this.argument('name', { type: String, required: false, description: 'The unit: a noun, made plural for its route (task-event → /v1/task-events)' })
    this.option('fields', { type: String, description: `Its fields, e.g. "title:string, done:boolean, priority:integer?"; types: ${FIELD_TYPES.join(', ')}` })
    this.option('crud', { type: Boolean, description: 'CRUD routes, logic, model and table (default; --no-crud: an empty triple)' })
    this.option('rename', { type: String, description: 'On a unit that exists: fields renamed, old:new (its column is renamed, its data kept), e.g. --rename "title:name"' })
    this.option('fill', { type: String, description: 'On a unit that exists: the value rows already there get for a field made required, e.g. --fill "status=open"' })
    this.option('allowDrop', { type: Boolean, description: 'On a unit that exists: allow changes that lose data (a dropped field, a narrowed type)' })
    this.option('pages', { type: Boolean, description: 'Pages: its routes also answer browsers and htmx (list with search, detail, forms), with browser tests (default: as the service was made, or as the unit was; --no-pages: JSON only)' })
    this.option('auth', { type: Boolean, description: 'Its routes need a signed-in user (a service made with yo trefoil --auth); --no-auth: anyone may call them again' })
    this.option('role', { type: String, description: 'Its routes need a signed-in user holding this role or a higher one (implies --auth)' })
    this.option('yes', { type: Boolean, alias: 'y', description: 'Ask nothing' })
  }

  /** Works on the service around the current folder: run from `src/tasks`, it still writes to the service. */
  initializing(): void {
    const root = serviceRoot(this.destinationRoot())
    if (root !== undefined && root !== this.destinationRoot()) this.destinationRoot(root)
  }

  /** Asks for the name only when none was given and someone is at a terminal. */
  async prompting(): Promise<void> {
    let name = this.options.name
    if (name === undefined && !this.options.yes && process.stdin.isTTY === true) {
      name = (await this.prompt<{ name: string }>([{ type: 'input', name: 'name', message: 'Unit name (a noun, e.g. task-events)' }])).name
    }
    try {
      if (name === undefined) throw new NameError('A unit needs a name: yo trefoil:unit <name>, e.g. yo trefoil:unit task-events')
      const kebab = planUnit(name, { crud: false }).names.kebab
      const config = this.createStorage('.yo-rc.json', CONFIG_NAME)
      const record = (config.get('units') as Record<string, UnitRecord> | undefined)?.[kebab]
      const service = config.get('auth') as AuthRecord | undefined
      this.previous = record ? planUnit(name, { ...record, access: unitAccess(kebab, {}, record, service) }) : undefined
      // a unit that exists keeps its fields, pages and who may call it unless the flags say
      // otherwise; a new one has pages when the service was made with them
      const pages = this.options.pages ?? (record ? record.pages === true : config.get('pages') === true)
      const access = unitAccess(kebab, { auth: this.options.auth, role: this.options.role }, record, service)
      this.plan = planUnit(name, { fields: this.options.fields ?? record?.fields, crud: this.options.crud ?? record?.crud, pages, access })
      if (this.previous?.crud && this.plan.crud) {
        this.alteration = alterTable(this.plan.names.table, this.previous.fields, this.plan.fields, { renames: parseRenames(this.options.rename), fills: parseFills(this.options.fill) })
      } else if (this.options.rename || this.options.fill) {
        throw new NameError(`Cannot use --rename or --fill: "${kebab}" is not a unit the generator wrote with a table`)
      }
    } catch (error) {
      refuse(error)
    }
    const losses = this.alteration?.destructive ?? []
    if (losses.length > 0 && !this.options.allowDrop) {
      const question = `Change unit "${this.plan.names.kebab}"? Its migration ${losses.join('; ')}`
      const interactive = !this.options.yes && process.stdin.isTTY === true
      if (!interactive) refuse(new NameError(`Cannot change unit "${this.plan.names.kebab}" without --allow-drop: its migration ${losses.join('; ')}`))
      const { allow } = await this.prompt<{ allow: boolean }>([{ type: 'confirm', name: 'allow', message: question, default: false }])
      // the user said no: not a missing flag to point at, but a choice to confirm (nothing written)
      if (!allow) refuse(new NameError(`Unit "${this.plan.names.kebab}" left as it was (answered no): its migration ${losses.join('; ')}`))
    }
  }

  /** Writes the unit, or nothing when it is there already as it would be written. */
  writing(): void {
    try {
      const outcome = writeUnit(this.fs, this.destinationPath(), this.plan, { force: this.options.force === true, ...(this.previous ? { previous: this.previous } : {}), ...(this.alteration ? { alteration: this.alteration } : {}) })
      this.changed = outcome.changed
      this.migration = outcome.migration
      this.dependencies = outcome.dependencies === true
      const config = this.createStorage('.yo-rc.json', CONFIG_NAME)
      if (this.changed.length > 0) config.set('units', { ...(config.get('units') as Record<string, UnitRecord> | undefined), [this.plan.names.kebab]: recordOf(this.plan) })
      if (this.plan.pages && config.get('pages') !== true) config.set('pages', true)
    } catch (error) {
      refuse(error)
    }
  }

  /** Says what changed. */
  end(): void {
    const { names } = this.plan
    // the pages' first unit in a service made without them: htmx and playwright-core to install
    if (this.dependencies) this.log('package.json gained htmx.org and playwright-core for the pages: run npm install.')
    if (this.changed.length === 0) {
      this.log(`Unit "${names.kebab}" is already there as this command writes it: nothing changed.`)
      return
    }
    if (this.previous) {
      const what = this.migration ? `; ${this.migration} (${this.alteration!.summary.join(', ')}) runs at the next start` : ''
      this.log(`\nUnit "${names.kebab}" changed: ${this.changed.filter((path) => path !== this.migration).join(', ')}${what}.`)
      return
    }
    const access = this.plan.access
    const who = access ? ` Its routes need a signed-in user${access.role ? ` holding ${access.role} or a higher role` : ''}.` : ''
    this.log(`\nUnit "${names.kebab}" added: ${names.route}, listed in src/main.ts.${who} Its table is created by the migration at the next start; \`npm test\` runs its tests.`)
  }
}
