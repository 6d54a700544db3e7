// Writes a task (worker-pool module, its route and test), a durable job (and its test) or a plugin
// (and its test) into a service, with what they share: src/workers.ts (the pool) and src/jobs.ts
// (the job queue), listed in main.ts before the units. Running it again changes nothing; a file
// that exists with other contents is a collision, refused unless `force`.
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import ejs from 'ejs'
import { kindNames, NameError, type KindNames } from './names.js'
import { templatesOf } from './paths.js'
import { routeOwner, type UnitFs } from './unit.js'
import { addImport, addToList, importedNames, wirePlugin } from './wiring.js'

/** What `yo trefoil:task`, `yo trefoil:job` and `yo trefoil:plugin` write. */
export type Kind = 'task' | 'job' | 'plugin'

/** Everything one task, job or plugin is made from. */
export interface KindPlan {
  kind: Kind
  names: KindNames
  /** The route of a task: `/v1/split-area`. */
  route: string
}

/**
 * Plans a task, job or plugin from its name; throws a {@link NameError} for a bad name.
 * @example planKind('task', 'split-area').route // '/v1/split-area'
 */
export function planKind(kind: Kind, name: string): KindPlan {
  const names = kindNames(name, kind)
  return { kind, names, route: `/v1/${names.kebab}` }
}

const capital = (text: string): string => text.charAt(0).toUpperCase() + text.slice(1)

function render(plan: KindPlan, template: string): string {
  return ejs.render(readFileSync(join(templatesOf(plan.kind), template), 'utf8'), { ...plan, capital }, { filename: template })
}

/** The files of one task, job or plugin, by path in the service. */
function kindFiles(plan: KindPlan): Map<string, string> {
  const folder = `src/${plan.names.kebab}`
  const own: Record<Kind, string[]> = { task: ['task', 'schemas', 'logic', 'routes'], job: ['job'], plugin: ['plugin'] }
  const files = new Map(own[plan.kind].map((file) => [`${folder}/${file}.ts`, render(plan, `src/name/${file}.ts.ejs`)]))
  files.set(`tests/${plan.names.kebab}.test.ts`, render(plan, 'tests/name.test.ts.ejs'))
  return files
}

/** The value a kind's module gives main.ts, and the import that brings it. */
function mainEntry(plan: KindPlan): { identifier: string; from: string } | undefined {
  const { names } = plan
  if (plan.kind === 'task') return { identifier: names.camel, from: `./${names.kebab}/routes.js` }
  if (plan.kind === 'plugin') return { identifier: `${names.camel}Plugin`, from: `./${names.kebab}/plugin.js` }
  return undefined
}

/** What {@link writeKind} did: paths (relative to the service) written or changed. */
export interface KindOutcome {
  changed: string[]
}

/**
 * Writes a task, job or plugin into the service at `root`, and lists it where it belongs: a task's
 * route in main.ts's plugins (after the worker pool, added with src/workers.ts when missing), a
 * job in src/jobs.ts's list (made, and listed in main.ts, with the first job), a plugin in main.ts
 * before the units. Refuses (a {@link NameError}) a folder another unit or kind owns, a name main.ts
 * uses for something else, and files edited since written, unless `force`.
 */
export function writeKind(fs: UnitFs, root: string, plan: KindPlan, options: { force?: boolean } = {}): KindOutcome {
  const { kind, names } = plan
  const read = (path: string): string | null => (fs.exists(join(root, path)) ? fs.read(join(root, path), { defaults: '' }) : null)
  const main = read('src/main.ts')
  if (!main) throw new NameError(`Cannot add a ${kind} here: ${join(root, 'src', 'main.ts')} is missing; run yo trefoil:${kind} in a service made by yo trefoil`)
  const files = kindFiles(plan)

  // a folder is one thing's: a unit's triple, a task, a job or a plugin, never two of them
  const folder = join(root, 'src', names.kebab)
  const strangers = existsSync(folder) ? readdirSync(folder).filter((file) => !files.has(`src/${names.kebab}/${file}`)) : []
  if (strangers.length > 0) throw new NameError(`Cannot add the ${kind} "${names.kebab}": src/${names.kebab}/ holds something else already (${strangers.slice(0, 3).join(', ')}); pick another name`)

  const collisions: string[] = []
  for (const [path, contents] of files) {
    const existing = read(path)
    if (existing !== null && existing !== contents) collisions.push(`${path} exists with other contents`)
  }
  const entry = mainEntry(plan)
  const imports = importedNames(main)
  if (entry) {
    const taken = imports.get(entry.identifier)
    // another thing of that name cannot be listed in its place, not even with --force
    if (taken !== undefined && taken !== entry.from) throw new NameError(`Cannot add the ${kind} "${names.kebab}": src/main.ts already uses the name "${entry.identifier}" (from ${taken}); pick another name`)
  }
  if (kind === 'task') {
    const owner = routeOwner(root, plan.route)
    if (owner !== undefined && owner !== names.kebab) throw new NameError(`Cannot add the task "${names.kebab}": src/${owner}/routes.ts already serves ${plan.route}; pick another name`)
  }
  if (collisions.length > 0 && !options.force) throw new NameError(`Cannot add the ${kind} "${names.kebab}": ${collisions.join('; ')} (run with --force to overwrite)`)

  // the shared module: made with the first task or job, a job added to the list of the others
  let shared: [string, string] | undefined
  if (kind === 'task') {
    const workers = read('src/workers.ts')
    if (workers !== null && !/^export const workersPlugin\b/m.test(workers)) throw new NameError('Cannot add a task: src/workers.ts exists but does not export workersPlugin (the worker pool); rename that file, or export the pool from it as workersPlugin')
    shared = ['src/workers.ts', workers ?? render(plan, 'src/workers.ts.ejs')]
  } else if (kind === 'job') {
    const jobs = read('src/jobs.ts')
    if (jobs === null) shared = ['src/jobs.ts', render(plan, 'src/jobs.ts.ejs')]
    else {
      if (!/^export const jobsPlugin\b/m.test(jobs)) throw new NameError('Cannot add a job: src/jobs.ts exists but does not export jobsPlugin (the job queue); rename that file, or export the queue from it as jobsPlugin')
      const statement = `import { ${names.camel} } from './${names.kebab}/job.js'`
      const taken = importedNames(jobs).get(names.camel)
      if (taken !== undefined && taken !== `./${names.kebab}/job.js`) throw new NameError(`Cannot add the job "${names.kebab}": src/jobs.ts already uses the name "${names.camel}" (from ${taken}); pick another name`)
      const imported = jobs.includes(statement) ? jobs : addImport(jobs, statement)
      shared = ['src/jobs.ts', addToList(imported, 'jobs', names.camel, `Cannot list the job "${names.kebab}" in src/jobs.ts: it has no \`jobs: [...]\`; add ${names.camel} to defineJobs({ jobs }) by hand`)]
    }
  }

  let wired = main
  if (kind === 'task') {
    wired = wirePlugin(wired, 'workersPlugin', "import { workersPlugin } from './workers.js'")
    const statement = `import ${names.camel} from './${names.kebab}/routes.js'`
    wired = addToList(wired.includes(statement) ? wired : addImport(wired, statement), 'plugins', names.camel, `Cannot list the task's routes in src/main.ts: it has no \`plugins: [...]\`; add ${names.camel} to createApp({ plugins }) by hand`)
  } else if (kind === 'job') {
    wired = wirePlugin(wired, 'jobsPlugin', "import { jobsPlugin } from './jobs.js'")
  } else {
    wired = wirePlugin(wired, entry!.identifier, `import { ${entry!.identifier} } from '${entry!.from}'`)
  }

  const changed: string[] = []
  const put = (path: string, contents: string): void => {
    const absolute = join(root, path)
    const existing = read(path)
    if (existing === contents) return
    fs.write(absolute, contents)
    // an edit of a file that exists is what the user asked for: no conflict prompt
    if (existing !== null && existsSync(absolute)) (fs.store.get(absolute) as { conflicter?: string }).conflicter = 'force'
    changed.push(path)
  }
  for (const [path, contents] of files) put(path, contents)
  if (shared) put(shared[0], shared[1])
  put('src/main.ts', wired)
  return { changed }
}
