// What every benchmark server shares: the data the three endpoints return and their rules, as
// plain JSON Schema (ajv and Fastify compile these; the trefoil server declares the same in TypeBox).

/** The server names the harness knows, in the order the table prints them. */
export const SERVERS = ['trefoil', 'trefoil-app', 'koa', 'fastify', 'express', 'node'] as const
export type ServerName = (typeof SERVERS)[number]

/** What each server is, for the table. */
export const SERVER_LABELS: Record<ServerName, string> = {
  trefoil: 'trefoil',
  'trefoil-app': 'trefoil-app (security, cors, openapi, log)',
  koa: 'Koa 3 + @koa/router + ajv (by hand)',
  fastify: 'Fastify 5 (schemas + response schema)',
  express: 'Express 5 + ajv',
  node: 'node:http + ajv (reference)',
}

export interface Project {
  id: number
  name: string
  tags: string[]
  active: boolean
}

export interface Task {
  id: number
  name: string
  status: string
  lock_holder: null
}

export interface ProjectIn {
  name: string
  priority: number
}

export interface ProjectCreated extends ProjectIn {
  id: number
}

const STATUSES = ['todo', 'in_progress', 'done'] as const

/**
 * The shapes of payload a run can ask for, so that a result that holds for one payload only shows:
 * `standard` (descriptive strings, 100 tasks), `short` (short strings, 100 tasks), `one` (a list
 * of one task).
 */
export const PAYLOADS = ['standard', 'short', 'one'] as const
export type Payload = (typeof PAYLOADS)[number]

/** The payload this server process answers with: `$BENCH_PAYLOAD`, read once at start. */
export const PAYLOAD: Payload = payloadOf(process.env.BENCH_PAYLOAD)

/** A payload name, checked (`standard` when none is given). */
export function payloadOf(name: string | undefined): Payload {
  if (name === undefined || name === '') return 'standard'
  if (!(PAYLOADS as readonly string[]).includes(name)) throw new Error(`Unknown payload "${name}": choose among ${PAYLOADS.join(', ')}`)
  return name as Payload
}

/** The project a lookup by id finds (a real unit would read it from the database). */
export function projectOf(id: number, payload: Payload = PAYLOAD): Project {
  if (payload === 'short') return { id, name: `P${id}`, tags: ['a', 'b'], active: true }
  return { id, name: `Project ${id}`, tags: ['mapping', 'field'], active: true }
}

/** A project's tasks (100, or 1 for `one`), built fresh for every request as rows from a database would be. */
export function tasksOf(projectId: number, payload: Payload = PAYLOAD): Task[] {
  const count = payload === 'one' ? 1 : 100
  const tasks: Task[] = new Array(count)
  if (payload === 'short') for (let i = 0; i < count; i++) tasks[i] = { id: projectId * 1000 + i, name: `T${i}`, status: STATUSES[i % 3]!, lock_holder: null }
  else for (let i = 0; i < count; i++) tasks[i] = { id: projectId * 1000 + i, name: `Task ${i} of project ${projectId}`, status: STATUSES[i % 3]!, lock_holder: null }
  return tasks
}

/** Ids for created projects: each server process counts on its own. */
export function idCounter(): () => number {
  let next = 1000
  return () => ++next
}

// The rules, as plain JSON Schema. Params are coerced from strings, bodies are not; unknown
// body fields are dropped (ajv `removeAdditional: 'all'`).
export const ID_PARAMS = {
  type: 'object',
  properties: { id: { type: 'integer', minimum: 1 } },
  required: ['id'],
} as const

export const PROJECT_IN = {
  type: 'object',
  properties: { name: { type: 'string', minLength: 1, maxLength: 128 }, priority: { type: 'integer', minimum: 0, maximum: 10 } },
  required: ['name', 'priority'],
} as const

export const PROJECT_OUT = {
  type: 'object',
  properties: { id: { type: 'integer' }, name: { type: 'string' }, tags: { type: 'array', items: { type: 'string' } }, active: { type: 'boolean' } },
  required: ['id', 'name', 'tags', 'active'],
} as const

export const PROJECT_CREATED = {
  type: 'object',
  properties: { id: { type: 'integer' }, name: { type: 'string' }, priority: { type: 'integer' } },
  required: ['id', 'name', 'priority'],
} as const

export const TASK_OUT = {
  type: 'object',
  properties: { id: { type: 'integer' }, name: { type: 'string' }, status: { type: 'string' }, lock_holder: { type: 'null' } },
  required: ['id', 'name', 'status', 'lock_holder'],
} as const

export const TASKS_OUT = { type: 'array', items: TASK_OUT } as const

/** Ajv options that match trefoil's: one instance coerces URL strings, the other checks JSON bodies as they are. */
export const AJV_PARAMS_OPTIONS = { allErrors: true, useDefaults: true, coerceTypes: 'array', removeAdditional: 'all', strict: false } as const
export const AJV_BODY_OPTIONS = { allErrors: true, useDefaults: true, coerceTypes: false, removeAdditional: 'all', strict: false } as const

/** A FastAPI-shaped 422 entry, as every server answers a bad id or body. */
export interface Issue {
  loc: (string | number)[]
  msg: string
  type: string
}

/** Ajv errors → `{detail: [...]}` entries (the hand-written servers' equivalent of trefoil's mapping). */
export function issuesOf(errors: readonly { instancePath: string; keyword: string; message?: string; params: Record<string, unknown> }[] | null | undefined, loc: string): Issue[] {
  return (errors ?? []).map((error) => {
    const path = error.instancePath === '' ? [] : error.instancePath.slice(1).split('/')
    if (error.keyword === 'required') path.push(String(error.params.missingProperty))
    return { loc: [loc, ...path], msg: error.message ?? 'Invalid value', type: error.keyword }
  })
}
