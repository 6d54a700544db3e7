// Shapes of the tasks unit.
import { named, t, type Static } from 'trefoil'
import { TASK_EVENTS, TASK_STATUSES } from '../db/enums.js'
import { Polygon } from '../projects/schemas.js'

/** A task as clients see it; `lockedBy` is whoever holds its lock. */
export const TaskOut = named(
  'TaskOut',
  t.Object({
    id: t.Integer(),
    projectId: t.Integer(),
    index: t.Integer({ description: 'Its number within the project, from 1' }),
    outline: Polygon,
    status: t.Enum(TASK_STATUSES),
    lockedBy: t.Union([t.Object({ id: t.Integer(), name: t.String() }), t.Null()]),
    updatedAt: t.String({ format: 'date-time' }),
  }),
)
export type TaskOut = Static<typeof TaskOut>

/** How to split a project's area into tasks. */
export const SplitIn = named(
  'SplitIn',
  t.Object({ cellMetres: t.Integer({ minimum: 50, maximum: 50_000, default: 1000, description: 'The side of a square task, in metres' }) }),
)
export type SplitIn = Static<typeof SplitIn>

/** Something a user does to a task: lock it, mark it mapped, validate it… */
export const TaskEventIn = named('TaskEventIn', t.Object({ event: t.Enum(TASK_EVENTS) }))
export type TaskEventIn = Static<typeof TaskEventIn>

/** One entry of a task's history: who did what, and the status it led to. */
export const TaskHistoryOut = named(
  'TaskHistoryOut',
  t.Object({ id: t.Integer(), event: t.Enum(TASK_EVENTS), status: t.Enum(TASK_STATUSES), user: t.Object({ id: t.Integer(), name: t.String() }), createdAt: t.String({ format: 'date-time' }) }),
)

/** Path params naming one task of one project. */
export const TaskParams = t.Object({ projectId: t.Integer({ minimum: 1 }), taskId: t.Integer({ minimum: 1 }) })
