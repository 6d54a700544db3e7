// The dependencies the units share: who is signed in, their role in the route's project, and the
// project and task a path names. Routes list them in `use`; each runs once per request, however
// many routes' dependencies ask for it. The ones that prepare the pages (the viewer, the CSRF
// token, the viewer's role) write request state here, so that the units' logic.ts files stay
// plain functions over the database.
import { defineAuth, depends, NotFound, t } from 'trefoil'
import { mapTiles, secretKey, settings } from './config.js'
import { database } from './db/database.js'
import { PROJECT_ROLES, type ProjectRole } from './db/enums.js'
import { members, projects, tasks, users, type Project, type Task, type User } from './db/models.js'
import { renderMarkdown } from './projects/markdown.js'
import { ProjectParams } from './projects/schemas.js'
import { TaskParams } from './tasks/schemas.js'

/**
 * Authentication for the API (bearer tokens) and the pages (the same token in a cookie, with a
 * CSRF token on unsafe methods). `requireRole` answers 404 for a missing project before any 403.
 */
export const auth = defineAuth({
  secret: secretKey,
  audience: 'fieldwork',
  // a signed token whose sub is not a user id is a 401 before any query
  claims: t.Object({ sub: t.String({ pattern: '^[1-9][0-9]{0,14}$' }) }),
  use: { db: database },
  roles: PROJECT_ROLES,
  // the account's token version is read with the account: a token from before the last logout
  // (or "sign out everywhere") is refused by every process at once, for no extra query
  loadUser: async (claims, { db }) => {
    const found = await users.withTokenVersion(db, Number(claims.sub))
    if (!found || claims.ver !== found.tokenVersion) return undefined
    const { tokenVersion: _version, ...user } = found
    return user
  },
  roleIn: async (user, projectId, { db }) => {
    const role = await members.roleIn(db, projectId, user.id)
    if (role === undefined) throw new NotFound(`Project ${projectId} not found`)
    return role
  },
  isAdmin: (user) => user.isAdmin,
  session: true,
})

/** The signed-in user (401 otherwise). */
export const currentUser = auth.currentUser

/** The user's grant in the route's project when they hold at least `min` (404 / 403 otherwise). */
export const requireRole = auth.requireRole

// what the layout tells the maps' script: the basemap's tiles and their attribution
const MAP = { tiles: mapTiles, attribution: settings.MAP_ATTRIBUTION }

/**
 * The signed-in user, also put where the pages' layout finds it (`ctx.state.viewer`: a name no
 * view's data uses, as data wins over state), with the CSRF token htmx sends back on unsafe
 * requests and the raw query (`ctx.state.query`: a search box keeps its text, a pager its
 * place), the maps' basemap (`ctx.state.map`) and `markdown(text)` for the views. Units with
 * pages use this instead of `currentUser`.
 */
export const signedIn = depends({ name: 'signedIn', use: { user: currentUser } }, function signedIn({ user, ctx }): User {
  ctx.state.viewer = user
  ctx.state.csrfToken = auth.csrfToken(ctx)
  ctx.state.query = ctx.query
  ctx.state.map = MAP
  ctx.state.markdown = renderMarkdown
  return user
})

/**
 * The project named by `:projectId` if the signed-in user may read it, or 404 (a private project
 * is not found by those who are not its members, rather than forbidden: its name stays unknown).
 * Cached for the rest of the request.
 */
export const project = depends({ params: ProjectParams, use: { db: database, user: currentUser }, errors: [404] }, async function project({ params, db, user }): Promise<Project> {
  const row = await projects.readableBy(db, params.projectId, user)
  if (!row) throw new NotFound(`Project ${params.projectId} not found`)
  return row
})

/**
 * The viewer's role in the route's project (`admin` for an organisation admin, null for someone
 * who is not a member), also put where views find it (`ctx.state.role`): pages show only the
 * buttons it allows. The routes check the role again; this is a courtesy, not the rule.
 */
export const viewerRole = depends({ name: 'viewerRole', use: { user: currentUser, project, db: database } }, async function viewerRole({ user, project, db, ctx }): Promise<ProjectRole | 'admin' | null> {
  const role = user.isAdmin ? 'admin' : ((await members.roleIn(db, project.id, user.id)) ?? null)
  ctx.state.role = role
  return role
})

/** The task whose number in the route's project is `:taskId`, or 404. Cached for the rest of the request. */
export const task = depends({ params: TaskParams, use: { db: database, project }, errors: [404] }, async function task({ params, db, project }): Promise<Task> {
  const row = await tasks.get(db, project.id, params.taskId)
  if (!row) throw new NotFound(`Task ${params.taskId} not found in project ${project.id}`)
  return row
})
