// Tasks logic: splitting an area on the worker pool, and the map → validate cycle with its locks.
import { Conflict, defineTask, Forbidden, NotFound, runInWorker, ValidationError, type Db, type WorkerPool } from 'trefoil'
import { PROJECT_ROLES, type ProjectRole, type TaskEvent, type TaskStatus } from '../db/enums.js'
import { taskEvents, tasks, type Project, type Task, type TaskHistoryEntry, type User } from '../db/models.js'
import type { Area } from '../projects/schemas.js'
import { MAX_SPLIT_COST, MAX_TASKS, type SplitIn, type TaskCollection } from './schemas.js'
import { cellMetresFor, gridOf, type Cell, type Grid } from './split-area.js'

/** The worker task that cuts rows of an area's grid (see split-area.ts). */
export const splitAreaTask = defineTask<typeof import('./split-area.js')>(new URL('./split-area.js', import.meta.url))

/** A split that passed its checks: the area, its grid and the cell side it was made from. */
export interface SplitPlan {
  projectId: number
  area: Area
  grid: Grid
  cellMetres: number
}

/**
 * Checks a split before it runs: the project has an area and no tasks yet (409), and the grid
 * over its area stays within {@link MAX_TASKS} cells (422). Fast: the grid is only counted.
 */
export async function planSplit(db: Db, input: { project: Project; split: SplitIn }): Promise<SplitPlan> {
  const { project, split } = input
  if (split.cellMetres !== undefined && split.taskCount !== undefined) {
    throw new ValidationError([{ loc: ['body'], msg: 'Give cellMetres or taskCount, not both', type: 'value_error' }])
  }
  if (!project.area) throw new Conflict(`Project ${project.id} has no area to split: set its area first`, { code: 'no_area' })
  if ((await tasks.count(db, project.id)) > 0) throw new Conflict(`Project ${project.id} already has tasks`, { code: 'already_split' })
  const cellMetres = split.taskCount !== undefined ? Math.max(50, cellMetresFor(project.area, split.taskCount)) : (split.cellMetres ?? 1000)
  const grid = gridOf(project.area, cellMetres)
  const cells = grid.columns * grid.rows
  if (cells > MAX_TASKS) {
    const field = split.taskCount !== undefined ? 'taskCount' : 'cellMetres'
    throw new ValidationError([{ loc: ['body', field], msg: `Too many tasks: ${cells} cells of ${cellMetres} m cover this area, at most ${MAX_TASKS} are allowed`, type: 'value_error' }])
  }
  // clipping costs about one intersection per place the outline crosses a grid line (a comb's
  // teeth cross every row): counted in one pass and refused up front rather than left to time out
  const crossings = gridCrossings(project.area, grid)
  if (crossings > MAX_SPLIT_COST) {
    const field = split.taskCount !== undefined ? 'taskCount' : 'cellMetres'
    throw new ValidationError([{ loc: ['body', field], msg: `Too costly to split: the area's outline crosses the lines of ${cells} cells of ${cellMetres} m ${crossings} times, at most ${MAX_SPLIT_COST} are allowed (larger cells, or a simpler outline)`, type: 'value_error' }])
  }
  return { projectId: project.id, area: project.area, grid, cellMetres }
}

// bands of rows per worker call: enough calls to keep every thread busy and report progress often
const BANDS = 8

/**
 * Cuts the area into tasks on the worker pool, a band of rows per call (`progress` hears the
 * share done, 0–100), then saves them in one transaction. Two splits of one project at once: the
 * second finds the tasks of the first and fails with 409.
 */
export async function runSplit(db: Db, input: { plan: SplitPlan; pool: WorkerPool; progress?: (percent: number) => void }): Promise<Task[]> {
  const { plan, pool, progress } = input
  const rowsPerBand = Math.max(1, Math.ceil(plan.grid.rows / BANDS))
  const bands: Promise<Cell[]>[] = []
  let done = 0
  for (let rowStart = 0; rowStart < plan.grid.rows; rowStart += rowsPerBand) {
    const input = { area: plan.area, grid: plan.grid, rowStart, rowEnd: Math.min(plan.grid.rows, rowStart + rowsPerBand) }
    bands.push(
      runInWorker(pool, splitAreaTask, input, { timeoutMs: 60_000, onTimeout: tooCostlyToSplit }).then((cells) => {
        progress?.(Math.floor((++done / Math.ceil(plan.grid.rows / rowsPerBand)) * 95))
        return cells
      }),
    )
  }
  const outlines = (await Promise.all(bands)).flat().map((cell) => cell.outline)
  if (outlines.length === 0) throw new ValidationError([{ loc: ['body', 'cellMetres'], msg: 'No cell covers enough of the area: it has no surface', type: 'value_error' }])
  return db.tx('split-area', async (tx) => {
    // one split at a time per project: the second waits here, then sees the first one's tasks
    const locked = await tx.oneOrNone('SELECT id FROM projects WHERE id = $1 FOR UPDATE', [plan.projectId])
    if (!locked) throw new NotFound(`Project ${plan.projectId} not found: it was deleted during the split`)
    if ((await tasks.count(tx, plan.projectId)) > 0) throw new Conflict(`Project ${plan.projectId} already has tasks`, { code: 'already_split' })
    return tasks.insertMany(tx, plan.projectId, outlines)
  })
}

/** A page of a project's tasks by number, how many it has in all, and how many in each status. */
export async function listTasks(db: Db, projectId: number, page: { limit: number; offset: number }): Promise<{ rows: Task[]; total: number; counts: Partial<Record<TaskStatus, number>> }> {
  const [rows, counts] = await Promise.all([tasks.list(db, projectId, page), tasks.counts(db, projectId)])
  return { rows, total: Object.values(counts).reduce((sum, n) => sum + n, 0), counts }
}

/** A page of a project's tasks as a GeoJSON FeatureCollection, for maps; each Feature's id is the task's number. */
export async function taskCollection(db: Db, projectId: number, page: { limit: number; offset: number }): Promise<TaskCollection> {
  const rows = await tasks.list(db, projectId, page)
  return {
    type: 'FeatureCollection',
    features: rows.map((task) => ({ type: 'Feature', id: task.id, geometry: task.outline, properties: { status: task.status, lockedBy: task.lockedBy, updatedAt: task.updatedAt } })),
  }
}

/** What was done to a task, oldest first. */
export function taskHistory(db: Db, forTask: Task): Promise<TaskHistoryEntry[]> {
  return taskEvents.list(db, forTask.rowId)
}

interface Rule {
  /** The least role allowed to do it. */
  role: ProjectRole
  /** The statuses it starts from. */
  from: readonly TaskStatus[]
  to: (from: TaskStatus) => TaskStatus
  /** Whether the user must hold the task's lock (for `reset`, a validator may release anyone's). */
  holder: boolean
}

const ALL: readonly TaskStatus[] = ['ready', 'locked_for_mapping', 'mapped', 'locked_for_validation', 'validated', 'invalidated']

const RULES: Readonly<Record<TaskEvent, Rule>> = {
  map: { role: 'mapper', from: ['ready', 'invalidated'], to: () => 'locked_for_mapping', holder: false },
  finish: { role: 'mapper', from: ['locked_for_mapping'], to: () => 'mapped', holder: true },
  validate: { role: 'validator', from: ['mapped'], to: () => 'locked_for_validation', holder: false },
  good: { role: 'validator', from: ['locked_for_validation'], to: () => 'validated', holder: true },
  bad: { role: 'validator', from: ['locked_for_validation'], to: () => 'invalidated', holder: true },
  reset: { role: 'mapper', from: ['locked_for_mapping', 'locked_for_validation'], to: (from) => (from === 'locked_for_mapping' ? 'ready' : 'mapped'), holder: true },
  comment: { role: 'mapper', from: ALL, to: (from) => from, holder: false },
}

// what each event does, for the reasons of a refusal
const DOING: Readonly<Record<TaskEvent, string>> = {
  map: 'lock it for mapping',
  finish: 'mark it mapped',
  validate: 'lock it for validation',
  good: 'mark it good',
  bad: 'mark it bad',
  reset: 'release it',
  comment: 'comment on it',
}

const LOCKED: ReadonlySet<TaskStatus> = new Set(['locked_for_mapping', 'locked_for_validation'])

function rank(role: ProjectRole | 'admin'): number {
  return role === 'admin' ? Infinity : PROJECT_ROLES.indexOf(role)
}

/**
 * Applies an event to a task: checks the role, the status and the lock, moves the task and
 * records the event. Run it in a transaction. Refusals say why: 403 for a missing role or for
 * validating one's own mapping, 409 for a task in the wrong status, locked by someone else, or a
 * second lock in the same project. Two users racing for one lock: one wins, the other gets 409
 * naming the winner.
 */
export async function applyTaskEvent(db: Db, input: { task: Task; user: User; role: ProjectRole | 'admin'; event: TaskEvent; comment?: string | undefined }): Promise<Task> {
  const { task, user, role, event, comment } = input
  const rule = RULES[event]
  if (rank(role) < rank(rule.role)) throw new Forbidden(`Missing role "${rule.role}" in project ${task.projectId}: you are ${role}`, { code: 'role_required' })
  if (event === 'comment') {
    if (!comment) throw new ValidationError([{ loc: ['body', 'comment'], msg: 'Field required with the comment event', type: 'missing' }])
    await taskEvents.insert(db, { taskId: task.rowId, userId: user.id, event, status: task.status, comment })
    return task
  }
  const heldByOther = task.lockedBy !== null && task.lockedBy.id !== user.id
  if (!rule.from.includes(task.status)) {
    if (heldByOther) throw lockedBy(task)
    throw new Conflict(`Task ${task.id} is ${words(task.status)}: cannot ${DOING[event]}`, { code: 'invalid_transition' })
  }
  if (rule.holder && heldByOther && !(event === 'reset' && rank(role) >= rank('validator'))) throw lockedBy(task)
  if (event === 'validate' && task.mappedBy === user.id) {
    throw new Forbidden(`You mapped task ${task.id}: someone else validates it`, { code: 'own_mapping' })
  }
  const to = rule.to(task.status)
  if (LOCKED.has(to)) {
    const held = await tasks.heldBy(db, task.projectId, user.id)
    if (held && held.id !== task.id) throw new Conflict(`You already hold task ${held.id} in this project: finish or reset it first`, { code: 'one_lock' })
  }
  const moved = await tasks.transition(db, {
    rowId: task.rowId,
    from: task.status,
    fromHolder: task.lockedBy?.id ?? null,
    to,
    holder: LOCKED.has(to) ? user.id : null,
    mappedBy: event === 'finish' ? user.id : undefined,
  })
  if (!moved) {
    // another request changed it since it was read: say what it is now
    const now = await tasks.get(db, task.projectId, task.id)
    if (now?.lockedBy && now.lockedBy.id !== user.id) throw lockedBy(now)
    throw new Conflict(`Task ${task.id} changed meanwhile: it is ${words(now?.status ?? 'gone')}`, { code: 'task_changed' })
  }
  await taskEvents.insert(db, { taskId: task.rowId, userId: user.id, event, status: to, comment })
  return moved
}

function lockedBy(task: Task): Conflict {
  return new Conflict(`Task ${task.id} is locked by ${task.lockedBy?.name ?? 'another user'}`, { code: 'task_locked' })
}

function words(identifier: string): string {
  return identifier.replaceAll('_', ' ')
}

// within the cost cap a split should finish well within its budget; past it, the outline was too
// intricate for the cells asked, which the client can change
function tooCostlyToSplit(): ValidationError {
  return new ValidationError([{ loc: ['body'], msg: 'The area is too intricate to split in reasonable time: use larger cells or simplify its outline', type: 'value_error' }])
}

// how many times the area's outline crosses the grid's row and column lines
function gridCrossings(area: Area, grid: Grid): number {
  const polygons = area.type === 'Polygon' ? [area.coordinates] : area.coordinates
  let count = 0
  for (const ring of polygons.flat()) {
    for (let i = 0; i + 1 < ring.length; i++) {
      const [x0, y0] = ring[i]!
      const [x1, y1] = ring[i + 1]!
      count += Math.abs(Math.floor((y1! - grid.south) / grid.dLat) - Math.floor((y0! - grid.south) / grid.dLat))
      count += Math.abs(Math.floor((x1! - grid.west) / grid.dLon) - Math.floor((x0! - grid.west) / grid.dLon))
    }
  }
  return count
}
