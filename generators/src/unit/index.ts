// `yo trefoil:unit <name>`: a unit in the service of the current folder — its routes, schemas,
// logic, test and migration — listed in src/main.ts. Running it again with the same name and
// options changes nothing; a name that collides with another unit or a reserved word is refused.
import { existsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import Generator, { type BaseOptions } from 'yeoman-generator'
import { FIELD_TYPES } from '../lib/fields.js'
import { NameError, refuse } from '../lib/names.js'
import { planUnit, writeUnit, type UnitPlan } from '../lib/unit.js'

/** The flags of `yo trefoil:unit`. */
export type UnitOptions = BaseOptions & {
  name?: string
  fields?: string
  crud?: boolean
  yes?: boolean
  force?: boolean
}

/** The nearest folder at or above `from` holding a service (`package.json` and `src/main.ts`). */
function serviceRoot(from: string): string | undefined {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'src', 'main.ts'))) return dir
    if (dirname(dir) === dir) return undefined
  }
}

/** `yo trefoil:unit <name>`. */
export default class UnitGenerator extends Generator<Record<string, unknown>, UnitOptions> {
  private plan!: UnitPlan
  private changed: string[] = []

  constructor(args?: string[], options?: UnitOptions) {
    super(args, options)
    this.argument('name', { type: String, required: false, description: 'The unit: a noun, made plural for its route (task-event → /v1/task-events)' })
    this.option('fields', { type: String, description: `Its fields, e.g. "title:string, done:boolean, priority:integer?"; types: ${FIELD_TYPES.join(', ')}` })
    this.option('crud', { type: Boolean, default: true, description: 'CRUD routes, logic, model and table (--no-crud: an empty triple)' })
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
      this.plan = planUnit(name, { fields: this.options.fields, crud: this.options.crud })
    } catch (error) {
      refuse(error)
    }
  }

  /** Writes the unit, or nothing when it is there already as it would be written. */
  writing(): void {
    try {
      this.changed = writeUnit(this.fs, this.destinationPath(), this.plan, { force: this.options.force === true }).changed
    } catch (error) {
      refuse(error)
    }
  }

  /** Says what changed. */
  end(): void {
    const { names } = this.plan
    if (this.changed.length === 0) {
      this.log(`Unit "${names.kebab}" is already there as this command writes it: nothing changed.`)
      return
    }
    this.log(`\nUnit "${names.kebab}" added: ${names.route}, listed in src/main.ts. Its table is created by the migration at the next start; \`npm test\` runs its tests.`)
  }
}
