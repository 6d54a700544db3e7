// What `yo trefoil:task`, `yo trefoil:job` and `yo trefoil:plugin` share: the service around the
// current folder, the name (asked only at a terminal), one refusal line, the writing and the report.
import { existsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import Generator, { type BaseOptions } from 'yeoman-generator'
import { planKind, writeKind, type Kind, type KindPlan } from './kinds.js'
import { NameError, refuse } from './names.js'

/** The flags of `yo trefoil:task`, `yo trefoil:job` and `yo trefoil:plugin`. */
export type KindOptions = BaseOptions & {
  name?: string
  yes?: boolean
  force?: boolean
}

/** The nearest folder at or above `from` holding a service (`package.json` and `src/main.ts`). */
export function serviceRoot(from: string): string | undefined {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'src', 'main.ts'))) return dir
    if (dirname(dir) === dir) return undefined
  }
}

const EXAMPLES: Readonly<Record<Kind, string>> = { task: 'split-area', job: 'send-report', plugin: 'request-counter' }

const WHAT: Readonly<Record<Kind, string>> = {
  task: 'a worker-pool task (CPU-bound work off the event loop) with a route that runs it',
  job: 'a durable job (pg-boss on the service\'s PostgreSQL), retried when it fails',
  plugin: 'a plugin: a value made at start-up, closed at shutdown, with a hook on every request',
}

/** A generator writing one task, job or plugin (see {@link kindGenerator}). */
export type KindGenerator = InstanceType<ReturnType<typeof kindGenerator>>

/**
 * The generator class of one kind, each kind's `index.ts` default export. A class of its own per
 * kind, not a subclass: Yeoman runs the methods of the generator's own prototype only.
 */
export function kindGenerator(kind: Kind) {
  return class extends Generator<Record<string, unknown>, KindOptions> {
    readonly kind: Kind = kind
    plan!: KindPlan
    changed: string[] = []

    constructor(args?: string[], options?: KindOptions) {
      // these generators never change package.json: no install step, and none of yo's words about one
      super(args ?? [], options ?? ({} as KindOptions), { customInstallTask: true })
      this.argument('name', { type: String, required: false, description: `The ${kind}'s name, e.g. ${EXAMPLES[kind]}: ${WHAT[kind]}` })
      this.option('yes', { type: Boolean, alias: 'y', description: 'Ask nothing' })
    }

    /** Works on the service around the current folder. */
    initializing(): void {
      const root = serviceRoot(this.destinationRoot())
      if (root !== undefined && root !== this.destinationRoot()) this.destinationRoot(root)
    }

    /** Asks for the name only when none was given and someone is at a terminal. */
    async prompting(): Promise<void> {
      let name = this.options.name
      if (name === undefined && !this.options.yes && process.stdin.isTTY === true) {
        name = (await this.prompt<{ name: string }>([{ type: 'input', name: 'name', message: `${this.kind} name (e.g. ${EXAMPLES[this.kind]})` }])).name
      }
      try {
        if (name === undefined) throw new NameError(`A ${this.kind} needs a name: yo trefoil:${this.kind} <name>, e.g. yo trefoil:${this.kind} ${EXAMPLES[this.kind]}`)
        this.plan = planKind(this.kind, name)
      } catch (error) {
        refuse(error)
      }
    }

    /** Writes it, or nothing when it is there already as it would be written. */
    writing(): void {
      try {
        this.changed = writeKind(this.fs, this.destinationPath(), this.plan, { force: this.options.force === true }).changed
      } catch (error) {
        refuse(error)
      }
    }

    /** Says what changed. */
    end(): void {
      const { names, route } = this.plan
      if (this.changed.length === 0) {
        this.log(`The ${this.kind} "${names.kebab}" is already there as this command writes it: nothing changed.`)
        return
      }
      const where: Record<Kind, string> = {
        task: `src/${names.kebab}/task.ts runs on the worker pool; POST ${route} runs it`,
        job: `src/${names.kebab}/job.ts, listed in src/jobs.ts; enqueue it with the jobs dependency`,
        plugin: `src/${names.kebab}/plugin.ts, listed in src/main.ts; routes reach it with use: { ${names.camel} }`,
      }
      this.log(`\nThe ${this.kind} "${names.kebab}" added: ${where[this.kind]}. Written: ${this.changed.join(', ')}. \`npm test\` runs its tests.`)
    }
  }
}
