// Shapes of the tasks unit.
import { named, t, withDefault, type Static } from 'trefoil'
import { TASK_EVENTS, TASK_STATUSES } from '../db/enums.js'
import { Id, Polygon, TEXT_PATTERN } from '../projects/schemas.js'

/** The most tasks a split may produce; past it the request asks for larger cells. */
export const MAX_TASKS = 2500

/** The most work a split may cost, as the times the area's outline crosses the grid's lines: an intricate outline gets fewer, larger cells. */
export const MAX_SPLIT_COST = 20_000

const Holder = t.Union([t.Object({ id: t.Integer(), name: t.String() }), t.Null()])

/** A task as clients see it; `lockedBy` is whoever holds its lock. */
export const TaskOut = named(
  'TaskOut',
  t.Object({
    id: t.Integer({ description: 'Its number within the project, from 1: the one in its URL' }),
    projectId: t.Integer(),
    outline: Polygon,
    status: t.Enum(TASK_STATUSES),
    lockedBy: Holder,
    mappedBy: t.Union([t.Integer(), t.Null()], { description: 'The id of the user who last finished mapping it (someone else validates it)' }),
    updatedAt: t.String({ format: 'date-time' }),
  }),
)
export type TaskOut = Static<typeof TaskOut>

/** A task as a GeoJSON Feature: its outline, and the rest as properties. */
export const TaskFeature = named(
  'TaskFeature',
  t.Object({
    type: t.Literal('Feature'),
    id: t.Integer({ description: "The task's number within the project" }),
    geometry: Polygon,
    properties: t.Object({ status: t.Enum(TASK_STATUSES), lockedBy: Holder, updatedAt: t.String({ format: 'date-time' }) }),
  }),
)

/** A project's tasks as a GeoJSON FeatureCollection, for maps. */
export const TaskCollection = named('TaskCollection', t.Object({ type: t.Literal('FeatureCollection'), features: t.Array(TaskFeature) }))
export type TaskCollection = Static<typeof TaskCollection>

/** Tasks in one page of the table (the page and the JSON list) when `limit` is not given. */
export const TASKS_PER_PAGE = 100

/**
 * How to list tasks: a JSON table (default) or GeoJSON (also chosen by `Accept:
 * application/geo+json`), a page at a time; `X-Total-Count` says how many there are in all.
 */
export const TaskListQuery = t.Object({
  format: t.Optional(t.Enum(['json', 'geojson'], { description: 'geojson: a FeatureCollection for maps' })),
  limit: t.Optional(t.Integer({ minimum: 1, maximum: MAX_TASKS, description: `Tasks per page (default ${TASKS_PER_PAGE}; for GeoJSON, all of them)` })),
  offset: withDefault(t.Integer({ minimum: 0, maximum: MAX_TASKS }), 0),
})
export type TaskListQuery = Static<typeof TaskListQuery>

/** How to split a project's area into tasks: squares of a given side, or about a given number of them. */
export const SplitIn = named(
  'SplitIn',
  t.Object(
    {
      cellMetres: t.Optional(t.Integer({ minimum: 50, maximum: 50_000, description: 'The side of a square task, in metres (default 1000 when taskCount is not given)' })),
      taskCount: t.Optional(t.Integer({ minimum: 1, maximum: MAX_TASKS, description: 'About how many tasks to make (the side of the squares is chosen to match)' })),
    },
    { additionalProperties: false },
  ),
)
export type SplitIn = Static<typeof SplitIn>

/** A split accepted to run in the background: poll `statusUrl` until it is done or failed. */
export const SplitAccepted = named(
  'SplitAccepted',
  t.Object({ id: t.String({ format: 'uuid' }), status: t.Literal('pending'), statusUrl: t.String(), cellMetres: t.Integer(), cells: t.Integer({ description: "Cells in the grid over the area's bounding box (the tasks are those that cover part of the area)" }) }),
)
export type SplitAccepted = Static<typeof SplitAccepted>

/** Something a user does to a task: `map` locks it, `finish` marks it mapped, `validate` locks it for validation… */
export const TaskEventIn = named(
  'TaskEventIn',
  t.Object(
    {
      event: t.Enum(TASK_EVENTS, { description: 'map, finish, validate, good, bad, reset (release a lock), comment' }),
      comment: t.Optional(t.String({ minLength: 1, maxLength: 2000, pattern: TEXT_PATTERN, transform: ['trim'], description: 'Required with `comment`; optional with the others' })),
    },
    { additionalProperties: false },
  ),
)
export type TaskEventIn = Static<typeof TaskEventIn>

/** One entry of a task's history: who did what, and the status it led to. */
export const TaskHistoryOut = named(
  'TaskHistoryOut',
  t.Object({
    id: t.Integer(),
    event: t.Enum(TASK_EVENTS),
    status: t.Enum(TASK_STATUSES),
    user: t.Object({ id: t.Integer(), name: t.String() }),
    comment: t.Union([t.String(), t.Null()]),
    createdAt: t.String({ format: 'date-time' }),
  }),
)

/** Path params naming one task of one project. */
export const TaskParams = t.Object({ projectId: Id, taskId: Id })
