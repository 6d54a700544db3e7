// Tasks of a project: split its area into a grid (on the worker pool, in the background or
// while the request waits), list them as a table or as GeoJSON, and move each through the
// map → validate cycle with events. JSON for API clients, fragments for htmx.
import { Readable } from 'node:stream'
import { background, defineUnit, json, stream, t, workers } from 'trefoil'
import { database, transaction } from '../db/database.js'
import { project, requireRole, signedIn, task, viewerRole } from '../deps.js'
import { applyTaskEvent, listTasks, planSplit, runSplit, taskCollection, taskHistory } from './logic.js'
import { MAX_TASKS, SplitAccepted, SplitIn, TaskCollection, TaskEventIn, TaskHistoryOut, TaskListQuery, TaskOut, TASKS_PER_PAGE } from './schemas.js'

const GEOJSON = 'application/geo+json'

/** The tasks unit: `/v1/projects/:projectId/tasks` and `…/task-splits` (signed-in users; splitting by project managers). */
export default defineUnit('tasks', { prefix: '/v1/projects/:projectId', use: { user: signedIn, project, role: viewerRole }, description: 'The areas a project is split into, locked, mapped and validated one at a time' }, (r) => [
  r.get(
    '/tasks',
    {
      query: TaskListQuery,
      use: { db: database },
      response: t.Array(TaskOut),
      // the same status in GeoJSON, for maps; the count comes with the table only
      responses: { 200: { content: { [GEOJSON]: TaskCollection }, headers: { 'X-Total-Count': "How many tasks the project has over all pages (with the JSON table, not with GeoJSON)" } } },
      view: 'tasks/list',
      summary: "List a project's tasks by number, a page at a time (`limit`, `offset`; `X-Total-Count` says how many in all): a JSON table, or a GeoJSON FeatureCollection with `?format=geojson` or `Accept: application/geo+json`",
    },
    async ({ query, db, project, ctx }) => {
      if (query.format === 'geojson' || (query.format === undefined && ctx.get('Accept').includes(GEOJSON))) {
        return stream(Readable.from([JSON.stringify(await taskCollection(db, project.id, { limit: query.limit ?? MAX_TASKS, offset: query.offset }))]), { type: GEOJSON })
      }
      const page = { limit: query.limit ?? TASKS_PER_PAGE, offset: query.offset }
      const { rows, total, counts } = await listTasks(db, project.id, page)
      ctx.set('X-Total-Count', String(total))
      // for the page: its pager and the legend's count of every status, not only this page's
      Object.assign(ctx.state, { page: { ...page, total }, counts })
      return rows
    },
  ),

  // the page's form: split and answer the tasks in one request (the API's way is task-splits)
  r.post(
    '/tasks',
    { body: SplitIn, use: { grant: requireRole('project_manager'), db: database, pool: workers }, status: 201, response: { 201: t.Array(TaskOut) }, view: 'tasks/list', errors: [409, 422], summary: "Split the project's area into a grid of tasks and wait for them (project managers)" },
    async ({ body, project, db, pool }) => runSplit(db, { plan: await planSplit(db, { project, split: body }), pool }),
  ),

  r.post(
    '/task-splits',
    { body: SplitIn, use: { grant: requireRole('project_manager'), db: database, pool: workers, background }, status: 202, response: { 202: SplitAccepted }, responseHeaders: { Location: 'The statusUrl: poll it for the split' }, view: 'tasks/split', errors: [409, 422], summary: "Split the project's area into a grid of tasks in the background (project managers): poll the answer's statusUrl" },
    async ({ body, project, db, pool, background, ctx }) => {
      const plan = await planSplit(db, { project, split: body })
      const id = await background.track('task-split', async (progress) => ({ tasks: (await runSplit(db, { plan, pool, progress })).length }))
      const statusUrl = `/v1/background-tasks/${id}`
      // a plain value (not json()) so that htmx gets the progress view (tasks/split) that polls it
      ctx.set('Location', statusUrl)
      return { id, status: 'pending', statusUrl, cellMetres: plan.cellMetres, cells: plan.grid.columns * plan.grid.rows } satisfies SplitAccepted
    },
  ),

  r.get('/tasks/:taskId', { use: { task }, response: TaskOut, view: 'tasks/show', summary: 'Get a task' }, ({ task, project, ctx }) => {
    // for the page: the project's name in its title and the instructions its mappers work by
    ctx.state.projectInfo = { name: project.name, instructions: project.instructions }
    return task
  }),

  r.get('/tasks/:taskId/events', { use: { task, db: database }, response: t.Array(TaskHistoryOut), view: 'tasks/history', summary: "A task's history" }, ({ task, db }) => taskHistory(db, task)),

  // events rather than verbs in the path: `POST …/events {"event": "map"}`
  r.post(
    '/tasks/:taskId/events',
    { body: TaskEventIn, use: { task, grant: requireRole('mapper'), tx: transaction }, status: 201, response: { 201: TaskOut }, view: 'tasks/row', errors: [409], summary: 'Map, finish, validate, judge (good / bad), reset or comment on a task' },
    ({ body, task, grant, tx }) => applyTaskEvent(tx, { task, user: grant.user, role: grant.role, event: body.event, comment: body.comment }),
  ),
])
