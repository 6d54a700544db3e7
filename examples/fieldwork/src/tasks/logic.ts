// Tasks logic: splitting an area on the worker pool, and the map → validate cycle with its locks.
import { Conflict, defineTask, depends, Forbidden, NotFound, runInWorker, ValidationError, type Db, type WorkerPool } from 'trefoil'
import { database } from '../db/database.js'
import { PROJECT_ROLES, type ProjectRole, type TaskEvent, type TaskStatus } from '../db/enums.js'
import { taskEvents, tasks, type Project, type Task, type TaskHistoryEntry, type User } from '../db/models.js'
import { project } from '../projects/logic.js'
import { TaskParams } from './schemas.js'
import { gridOf } from './split-area.js'

/** The worker task that cuts an area into cells (see split-area.ts). */
export const splitAreaTask = defineTask<typeof import('./split-area.js')>(new URL('./split-area.js', import.meta.url))

/** The most cells a split may produce; past it the request asks for larger cells. */
export const MAX_TASKS = 2500

/** Splits a project's area into a grid of tasks, on a worker thread (409 when it has no area or has tasks already). */
export async function splitProject(db: Db, input: { project: Project; cellMetres: number; pool: WorkerPool }): Promise<Task[]> {
  const { project, cellMetres } = input
  if (!project.area) throw new Conflict(`Project ${project.id} has no area to split: set its area first`, { code: 'no_area' })
  if ((await tasks.count(db, project.id)) > 0) throw new Conflict(`Project ${project.id} already has tasks`, { code: 'already_split' })
  const { columns, rows } = gridOf(project.area, cellMetres)
  if (columns * rows > MAX_TASKS) {
    throw new ValidationError([{ loc: ['body', 'cellMetres'], msg: `Too many tasks: ${columns * rows} cells of ${cellMetres} m cover this area, at most ${MAX_TASKS} are allowed`, type: 'value_error' }])
  }
  const outlines = await runInWorker(input.pool, splitAreaTask, { area: project.area, cellMetres }, { timeoutMs: 30_000 })
  if (outlines.length === 0) throw new ValidationError([{ loc: ['body', 'cellMetres'], msg: 'No cell covers enough of the area: it has no surface', type: 'value_error' }])
  return db.tx('split-area', (tx) => tasks.insertMany(tx, project.id, outlines))
}

/** A project's tasks, in index order. */
export function listTasks(db: Db, projectId: number): Promise<Task[]> {
  return tasks.list(db, projectId)
}

/** What was done to a task, oldest first. */
export function taskHistory(db: Db, taskId: number): Promise<TaskHistoryEntry[]> {
  return taskEvents.list(db, taskId)
}

interface Rule {
  /** The least role allowed to do it. */
  role: ProjectRole
  /** The statuses it starts from. */
  from: readonly TaskStatus[]
  to: (from: TaskStatus) => TaskStatus
  /** Whether the user must hold the task's lock (project managers may release anyone's). */
  holder: boolean
}

const RULES: Readonly<Record<TaskEvent, Rule>> = {
  lock_for_mapping: { role: 'mapper', from: ['ready', 'invalidated'], to: () => 'locked_for_mapping', holder: false },
  mark_mapped: { role: 'mapper', from: ['locked_for_mapping'], to: () => 'mapped', holder: true },
  lock_for_validation: { role: 'validator', from: ['mapped'], to: () => 'locked_for_validation', holder: false },
  validate: { role: 'validator', from: ['locked_for_validation'], to: () => 'validated', holder: true },
  invalidate: { role: 'validator', from: ['locked_for_validation'], to: () => 'invalidated', holder: true },
  unlock: { role: 'mapper', from: ['locked_for_mapping', 'locked_for_validation'], to: (from) => (from === 'locked_for_mapping' ? 'ready' : 'mapped'), holder: true },
}

const LOCKED: ReadonlySet<TaskStatus> = new Set(['locked_for_mapping', 'locked_for_validation'])

function rank(role: ProjectRole | 'admin'): number {
  return role === 'admin' ? Infinity : PROJECT_ROLES.indexOf(role)
}

/**
 * Applies an event to a task: checks the role, the status and the lock, moves the task and
 * records the event. Run it in a transaction. Two users racing for one lock: one wins, the
 * other gets 409 naming the winner.
 */
export async function applyTaskEvent(db: Db, input: { task: Task; user: User; role: ProjectRole | 'admin'; event: TaskEvent }): Promise<Task> {
  const { task, user, role, event } = input
  const rule = RULES[event]
  if (rank(role) < rank(rule.role)) throw new Forbidden(`Missing role "${rule.role}" in project ${task.projectId}: you are ${role}`, { code: 'role_required' })
  const heldByOther = task.lockedBy !== null && task.lockedBy.id !== user.id
  if (!rule.from.includes(task.status)) {
    if (heldByOther) throw lockedBy(task)
    throw new Conflict(`Task ${task.index} is ${words(task.status)}: cannot ${words(event)}`, { code: 'invalid_transition' })
  }
  if (rule.holder && heldByOther && !(event === 'unlock' && rank(role) >= rank('project_manager'))) throw lockedBy(task)
  const to = rule.to(task.status)
  const moved = await tasks.transition(db, { taskId: task.id, from: task.status, fromHolder: task.lockedBy?.id ?? null, to, holder: LOCKED.has(to) ? user.id : null })
  if (!moved) {
    // another request changed it since it was read: say what it is now
    const now = await tasks.get(db, task.projectId, task.id)
    if (now?.lockedBy && now.lockedBy.id !== user.id) throw lockedBy(now)
    throw new Conflict(`Task ${task.index} changed meanwhile: it is ${words(now?.status ?? 'gone')}`, { code: 'task_changed' })
  }
  await taskEvents.insert(db, { taskId: task.id, userId: user.id, event, status: to })
  return moved
}

function lockedBy(task: Task): Conflict {
  return new Conflict(`Task ${task.index} is locked by ${task.lockedBy?.name ?? 'another user'}`, { code: 'task_locked' })
}

function words(identifier: string): string {
  return identifier.replaceAll('_', ' ')
}

/** The task named by `:taskId` in the route's project, or 404. Cached for the rest of the request. */
export const task = depends({ params: TaskParams, use: { db: database, project }, errors: [404] }, async function task({ params, db, project }): Promise<Task> {
  const row = await tasks.get(db, project.id, params.taskId)
  if (!row) throw new NotFound(`Task ${params.taskId} not found in project ${project.id}`)
  return row
})
