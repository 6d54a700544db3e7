// Tasks of a project: split its area into a grid (on the worker pool), list them, and move each
// through the map → validate cycle with events. JSON for API clients, fragments for htmx.
import { defineUnit, t, workers } from 'trefoil'
import { requireRole, signedIn } from '../auth/logic.js'
import { database, transaction } from '../db/database.js'
import { project } from '../projects/logic.js'
import { applyTaskEvent, listTasks, splitProject, task, taskHistory } from './logic.js'
import { SplitIn, TaskEventIn, TaskHistoryOut, TaskOut } from './schemas.js'

/** The tasks unit: `/v1/projects/:projectId/tasks` (signed-in users; splitting by project managers). */
export default defineUnit('tasks', { prefix: '/v1/projects/:projectId/tasks', use: { user: signedIn, project } }, (r) => {
  r.get('/', { use: { db: database }, response: t.Array(TaskOut), view: 'tasks/list', summary: "List a project's tasks" }, ({ db, project }) => listTasks(db, project.id))

  r.post(
    '/',
    { body: SplitIn, use: { grant: requireRole('project_manager'), db: database, pool: workers }, status: 201, response: { 201: t.Array(TaskOut) }, view: 'tasks/list', errors: [409, 422], summary: "Split the project's area into a grid of tasks (project managers)" },
    ({ body, project, db, pool }) => splitProject(db, { project, cellMetres: body.cellMetres, pool }),
  )

  r.get('/:taskId', { use: { task }, response: TaskOut, view: 'tasks/show', summary: 'Get a task' }, ({ task }) => task)

  r.get('/:taskId/events', { use: { task, db: database }, response: t.Array(TaskHistoryOut), view: 'tasks/history', summary: "A task's history" }, ({ task, db }) => taskHistory(db, task.id))

  // events rather than verbs in the path: `POST …/events {"event": "lock_for_mapping"}`
  r.post(
    '/:taskId/events',
    { body: TaskEventIn, use: { task, grant: requireRole('mapper'), tx: transaction }, status: 201, response: { 201: TaskOut }, view: 'tasks/row', errors: [409], summary: 'Lock, map, validate or unlock a task' },
    ({ body, task, grant, tx }) => applyTaskEvent(tx, { task, user: grant.user, role: grant.role, event: body.event }),
  )
})
