// Typed functions over parameterised SQL: every value travels apart from the query text (pg-promise
// `$<name>` / `$1` parameters), never concatenated into it. Rows come back in the shapes below.
import type { Db } from 'trefoil'
import type { Area, Polygon } from '../projects/schemas.js'
import type { ProjectRole, ProjectVisibility, TaskEvent, TaskStatus } from './enums.js'

/** An account, without its password hash. */
export interface User {
  id: number
  email: string
  name: string
  isAdmin: boolean
  createdAt: string
}

/** A project row. */
export interface Project {
  id: number
  name: string
  description: string
  /** What mappers read first, as Markdown. */
  instructions: string
  priority: number
  visibility: ProjectVisibility
  /** Finished with: still readable, listed last. */
  archived: boolean
  area: Area | null
  createdBy: number
  createdAt: string
  updatedAt: string
}

/** A project in a list: no area (it can be large), whether it has one, and its number of tasks. */
export interface ProjectSummary {
  id: number
  name: string
  description: string
  priority: number
  visibility: ProjectVisibility
  archived: boolean
  hasArea: boolean
  taskCount: number
  /** Share of its tasks mapped (mapped, being validated or validated), 0–100. */
  percentMapped: number
  /** Share of its tasks validated, 0–100. */
  percentValidated: number
  createdAt: string
}

/** A user's role in a project. */
export interface Member {
  userId: number
  name: string
  role: ProjectRole
}

/** A task row, with its lock holder's id and name. */
export interface Task {
  /** Its number within its project, from 1: the one in its URL, on its page and in messages. */
  id: number
  /** The row's key, for joins; never shown. */
  rowId: number
  projectId: number
  outline: Polygon
  status: TaskStatus
  lockedBy: { id: number; name: string } | null
  /** Who last finished mapping it (they may not validate it). */
  mappedBy: number | null
  updatedAt: string
}

// timestamps leave as RFC 3339 text, the way clients receive them
const iso = (column: string): string => `to_json(${column}) #>> '{}'`

const USER = `id, email, name, is_admin AS "isAdmin", ${iso('created_at')} AS "createdAt"`

/** Accounts. */
export const users = {
  insert: (db: Db, user: { email: string; name: string; passwordHash: string }): Promise<User> =>
    db.one<User>(`INSERT INTO users (email, name, password_hash) VALUES ($<email>, $<name>, $<passwordHash>) RETURNING ${USER}`, user),
  get: (db: Db, id: number): Promise<User | null> => db.oneOrNone<User>(`SELECT ${USER} FROM users WHERE id = $1`, [id]),
  /** An account with its token version (read with the account, so checking it costs no query). */
  withTokenVersion: (db: Db, id: number): Promise<(User & { tokenVersion: number }) | null> =>
    db.oneOrNone<User & { tokenVersion: number }>(`SELECT ${USER}, token_version AS "tokenVersion" FROM users WHERE id = $1`, [id]),
  /** Raises an account's token version, ending every token issued before; the new version. */
  revokeTokens: (db: Db, id: number): Promise<number> =>
    db.one<{ v: number }>('UPDATE users SET token_version = token_version + 1 WHERE id = $1 RETURNING token_version AS v', [id]).then((row) => row.v),
  /**
   * Sets a new password hash and raises the token version in one statement, when the stored hash
   * is still `expectedHash` (the one the current password was checked against); the new version,
   * or null when another change came first.
   */
  changePassword: (db: Db, id: number, change: { expectedHash: string; passwordHash: string }): Promise<number | null> =>
    db
      .oneOrNone<{ v: number }>('UPDATE users SET password_hash = $<passwordHash>, token_version = token_version + 1 WHERE id = $<id> AND password_hash = $<expectedHash> RETURNING token_version AS v', { id, ...change })
      .then((row) => row?.v ?? null),
  byEmail: (db: Db, email: string): Promise<User | null> => db.oneOrNone<User>(`SELECT ${USER} FROM users WHERE email = $1`, [email]),
  /** The account of an email, with its password hash, for logging in. */
  withPassword: (db: Db, email: string): Promise<(User & { passwordHash: string; tokenVersion: number }) | null> =>
    db.oneOrNone<User & { passwordHash: string; tokenVersion: number }>(`SELECT ${USER}, password_hash AS "passwordHash", token_version AS "tokenVersion" FROM users WHERE email = $1`, [email]),
}

const PROJECT_FIELDS = `id, name, description, instructions, priority, visibility, archived, created_by AS "createdBy", ${iso('created_at')} AS "createdAt", ${iso('updated_at')} AS "updatedAt"`
const PROJECT = `${PROJECT_FIELDS}, area`

const SUMMARY = `p.id, p.name, p.description, p.priority, p.visibility, p.archived, p.area IS NOT NULL AS "hasArea", ${iso('p.created_at')} AS "createdAt",
  c.total AS "taskCount",
  CASE WHEN c.total = 0 THEN 0 ELSE floor(100.0 * c.mapped / c.total)::int END AS "percentMapped",
  CASE WHEN c.total = 0 THEN 0 ELSE floor(100.0 * c.validated / c.total)::int END AS "percentValidated"`

// whom a project shows to: everyone signed in when public; its members and admins when private
// (parameters $<viewer> and $<admin>)
const VISIBLE = `(p.visibility = 'public' OR $<admin> OR EXISTS (SELECT 1 FROM project_members m WHERE m.project_id = p.id AND m.user_id = $<viewer>))`

// each project's task counts, for SUMMARY (joined LATERAL: one pass over its tasks)
const COUNTS = `CROSS JOIN LATERAL (SELECT count(*)::int AS total,
  count(*) FILTER (WHERE t.status IN ('mapped', 'locked_for_validation', 'validated'))::int AS mapped,
  count(*) FILTER (WHERE t.status = 'validated')::int AS validated
  FROM tasks t WHERE t.project_id = p.id) c`

/** Projects. */
export const projects = {
  /**
   * One page of projects, highest priority first, with how many match in all. `search` matches
   * anywhere in the name or description, case-insensitively (`%` and `_` in it are literal).
   */
  page: async (db: Db, query: { search: string | undefined; limit: number; offset: number; viewer: { id: number; isAdmin: boolean } }): Promise<{ rows: ProjectSummary[]; total: number }> => {
    const pattern = query.search ? `%${query.search.replaceAll(/[\\%_]/g, (c) => `\\${c}`)}%` : null
    const params = { pattern, limit: query.limit, offset: query.offset, viewer: query.viewer.id, admin: query.viewer.isAdmin }
    const rows = await db.manyOrNone<ProjectSummary & { total: number }>(
      `SELECT ${SUMMARY}, count(*) OVER ()::int AS total FROM projects p ${COUNTS}
       WHERE ${VISIBLE} AND ($<pattern> IS NULL OR p.name ILIKE $<pattern> OR p.description ILIKE $<pattern>)
       ORDER BY p.archived, p.priority DESC, p.id DESC LIMIT $<limit> OFFSET $<offset>`,
      params,
    )
    // past the last page there are no rows to carry the total: count once more
    const total = rows[0]?.total ?? (query.offset > 0 ? (await db.one<{ n: number }>(`SELECT count(*)::int AS n FROM projects p WHERE ${VISIBLE} AND ($<pattern> IS NULL OR p.name ILIKE $<pattern> OR p.description ILIKE $<pattern>)`, params)).n : 0)
    return { rows: rows.map(({ total: _total, ...row }) => row), total }
  },
  /** Deletes a project and, by cascade, its tasks, history and submissions; the stored names of its attachments come back. */
  remove: async (db: Db, id: number): Promise<string[]> => {
    const files = await db.map<string>(
      'SELECT a.stored_name FROM attachments a JOIN submissions s ON s.id = a.submission_id JOIN tasks t ON t.id = s.task_id WHERE t.project_id = $1',
      [id],
      (row: { stored_name: string }) => row.stored_name,
    )
    await db.none('DELETE FROM projects WHERE id = $1', [id])
    return files
  },
  get: (db: Db, id: number): Promise<Project | null> => db.oneOrNone<Project>(`SELECT ${PROJECT} FROM projects WHERE id = $1`, [id]),
  /** A project if this viewer may read it (null when it does not exist or is private to others). */
  readableBy: (db: Db, id: number, viewer: { id: number; isAdmin: boolean }): Promise<Project | null> =>
    db.oneOrNone<Project>(`SELECT ${PROJECT} FROM projects p WHERE p.id = $<id> AND ${VISIBLE}`, { id, viewer: viewer.id, admin: viewer.isAdmin }),
  /**
   * Inserts a project and makes its creator its project manager, in one statement: both or
   * neither without a transaction, so the connection is held for one round trip and not across
   * turns of the event loop. The area is not read back (it can be large, and the caller has it).
   */
  create: async (db: Db, project: { name: string; description: string; instructions: string; priority: number; visibility: ProjectVisibility; area: Area | undefined; createdBy: number }): Promise<Project> => {
    const row = await db.one<Omit<Project, 'area'>>(
      `WITH p AS (
         INSERT INTO projects (name, description, instructions, priority, visibility, area, created_by)
         VALUES ($<name>, $<description>, $<instructions>, $<priority>, $<visibility>, $<area>::jsonb, $<createdBy>) RETURNING ${PROJECT_FIELDS}
       ), m AS (
         INSERT INTO project_members (project_id, user_id, role) SELECT id, "createdBy", 'project_manager' FROM p
       )
       SELECT * FROM p`,
      { ...project, area: jsonOrNull(project.area) },
    )
    return { ...row, area: project.area ?? null }
  },
  /** Changes the given fields (absent ones are kept); null when the project does not exist. */
  update: (db: Db, id: number, patch: { name?: string | undefined; description?: string | undefined; instructions?: string | undefined; archived?: boolean | undefined; priority?: number | undefined; visibility?: ProjectVisibility | undefined; area?: Area | undefined }): Promise<Project | null> =>
    db.oneOrNone<Project>(
      `UPDATE projects SET
         name = COALESCE($<name>, name),
         description = COALESCE($<description>, description),
         instructions = COALESCE($<instructions>, instructions),
         archived = COALESCE($<archived>, archived),
         priority = COALESCE($<priority>, priority),
         visibility = COALESCE($<visibility>::project_visibility, visibility),
         area = COALESCE($<area>::jsonb, area),
         updated_at = now()
       WHERE id = $<id> RETURNING ${PROJECT}`,
      { id, name: patch.name ?? null, description: patch.description ?? null, instructions: patch.instructions ?? null, archived: patch.archived ?? null, priority: patch.priority ?? null, visibility: patch.visibility ?? null, area: jsonOrNull(patch.area) },
    ),
}

/** Who holds which role in which project. */
export const members = {
  /**
   * A user's role in a project: `undefined` when the project does not exist, `null` when the user
   * has no role in it (one query answers both, so a missing project is a 404, not a 403).
   */
  roleIn: async (db: Db, projectId: number, userId: number): Promise<ProjectRole | null | undefined> => {
    const row = await db.oneOrNone<{ role: ProjectRole | null }>(
      'SELECT m.role FROM projects p LEFT JOIN project_members m ON m.project_id = p.id AND m.user_id = $2 WHERE p.id = $1',
      [projectId, userId],
    )
    return row ? row.role : undefined
  },
  /** Takes a user's role in a project away; false when they had none. */
  remove: async (db: Db, projectId: number, userId: number): Promise<boolean> => (await db.result('DELETE FROM project_members WHERE project_id = $1 AND user_id = $2', [projectId, userId])).rowCount === 1,
  /** How many project managers a project has. */
  managers: async (db: Db, projectId: number): Promise<number> =>
    (await db.one<{ n: number }>("SELECT count(*)::int AS n FROM project_members WHERE project_id = $1 AND role = 'project_manager'", [projectId])).n,
  list: (db: Db, projectId: number): Promise<Member[]> =>
    db.manyOrNone<Member>(
      `SELECT m.user_id AS "userId", u.name, m.role FROM project_members m JOIN users u ON u.id = m.user_id
       WHERE m.project_id = $1 ORDER BY m.role DESC, u.name`,
      [projectId],
    ),
  /** Gives a user a role in a project (replacing the one they had). */
  set: (db: Db, member: { projectId: number; userId: number; role: ProjectRole }): Promise<Member> =>
    db.one<Member>(
      `WITH saved AS (
         INSERT INTO project_members (project_id, user_id, role) VALUES ($<projectId>, $<userId>, $<role>)
         ON CONFLICT (project_id, user_id) DO UPDATE SET role = EXCLUDED.role RETURNING user_id, role
       )
       SELECT s.user_id AS "userId", u.name, s.role FROM saved s JOIN users u ON u.id = s.user_id`,
      member,
    ),
}

const TASK = `SELECT t.project_task_index AS id, t.id AS "rowId", t.project_id AS "projectId", t.outline, t.status, t.mapped_by AS "mappedBy", ${iso('t.updated_at')} AS "updatedAt",
  CASE WHEN u.id IS NULL THEN NULL ELSE json_build_object('id', u.id, 'name', u.name) END AS "lockedBy"`

/** Tasks of projects. */
export const tasks = {
  /** A project's tasks by number; a page of them when `limit` is given. */
  list: (db: Db, projectId: number, page: { limit: number; offset: number } = { limit: 1_000_000, offset: 0 }): Promise<Task[]> =>
    db.manyOrNone<Task>(`${TASK} FROM tasks t LEFT JOIN users u ON u.id = t.locked_by WHERE t.project_id = $1 ORDER BY t.project_task_index LIMIT $2 OFFSET $3`, [projectId, page.limit, page.offset]),
  /** The task of a project with this number. */
  get: (db: Db, projectId: number, taskNumber: number): Promise<Task | null> =>
    db.oneOrNone<Task>(`${TASK} FROM tasks t LEFT JOIN users u ON u.id = t.locked_by WHERE t.project_id = $1 AND t.project_task_index = $2`, [projectId, taskNumber]),
  /** How many of a project's tasks are in each status (missing statuses: none). */
  counts: async (db: Db, projectId: number): Promise<Partial<Record<TaskStatus, number>>> =>
    Object.fromEntries((await db.manyOrNone<{ status: TaskStatus; n: number }>('SELECT status, count(*)::int AS n FROM tasks WHERE project_id = $1 GROUP BY status', [projectId])).map((r) => [r.status, r.n])),
  count: async (db: Db, projectId: number): Promise<number> => (await db.one<{ n: number }>('SELECT count(*)::int AS n FROM tasks WHERE project_id = $1', [projectId])).n,
  /** Inserts a project's tasks in one statement; their indexes are their order in `outlines`, from 1. */
  insertMany: (db: Db, projectId: number, outlines: readonly Polygon[]): Promise<Task[]> =>
    db.manyOrNone<Task>(
      `WITH inserted AS (
         INSERT INTO tasks (project_id, project_task_index, outline)
         SELECT $1, c.ordinality, c.outline FROM unnest($2::jsonb[]) WITH ORDINALITY AS c(outline, ordinality)
         RETURNING *
       )
       ${TASK} FROM inserted t LEFT JOIN users u ON u.id = t.locked_by ORDER BY t.project_task_index`,
      [projectId, outlines.map((outline) => JSON.stringify(outline))],
    ),
  /** The task a user holds a lock on in a project, if any (a user holds at most one per project). */
  heldBy: (db: Db, projectId: number, userId: number): Promise<{ id: number } | null> =>
    db.oneOrNone<{ id: number }>('SELECT project_task_index AS id FROM tasks WHERE project_id = $1 AND locked_by = $2', [projectId, userId]),
  /**
   * Moves a task from the status and holder it had when read to a new status and holder (and,
   * when given, records who finished mapping it). Null when it changed meanwhile (another
   * request got there first): the caller reads it again.
   */
  transition: (db: Db, change: { rowId: number; from: TaskStatus; fromHolder: number | null; to: TaskStatus; holder: number | null; mappedBy?: number | undefined }): Promise<Task | null> =>
    db.oneOrNone<Task>(
      `WITH updated AS (
         UPDATE tasks SET status = $<to>, locked_by = $<holder>, mapped_by = COALESCE($<mappedBy>::int, mapped_by), updated_at = now()
         WHERE id = $<rowId> AND status = $<from> AND locked_by IS NOT DISTINCT FROM $<fromHolder>::int
         RETURNING *
       )
       ${TASK} FROM updated t LEFT JOIN users u ON u.id = t.locked_by`,
      { ...change, mappedBy: change.mappedBy ?? null },
    ),
}

/** One entry of a task's history. */
export interface TaskHistoryEntry {
  id: number
  event: TaskEvent
  status: TaskStatus
  user: { id: number; name: string }
  comment: string | null
  createdAt: string
}

/** The history of tasks. */
export const taskEvents = {
  /** A task's history, oldest first. */
  list: (db: Db, taskId: number): Promise<TaskHistoryEntry[]> =>
    db.manyOrNone<TaskHistoryEntry>(
      `SELECT e.id::int AS id, e.event, e.status, json_build_object('id', u.id, 'name', u.name) AS "user", e.comment, ${iso('e.created_at')} AS "createdAt"
       FROM task_events e JOIN users u ON u.id = e.user_id WHERE e.task_id = $1 ORDER BY e.id`,
      [taskId],
    ),
  insert: (db: Db, event: { taskId: number; userId: number; event: TaskEvent; status: TaskStatus; comment?: string | undefined }): Promise<TaskHistoryEntry> =>
    db.one<TaskHistoryEntry>(
      `WITH e AS (INSERT INTO task_events (task_id, user_id, event, status, comment) VALUES ($<taskId>, $<userId>, $<event>, $<status>, $<comment>) RETURNING *)
       SELECT e.id::int AS id, e.event, e.status, json_build_object('id', u.id, 'name', u.name) AS "user", e.comment, ${iso('e.created_at')} AS "createdAt"
       FROM e JOIN users u ON u.id = e.user_id`,
      { ...event, comment: event.comment ?? null },
    ),
}

function jsonOrNull(value: object | undefined): string | null {
  return value === undefined ? null : JSON.stringify(value)
}

// submissions and their attachments: src/submissions/queries.ts (the unit that owns them)

/** One submission as exports write it: flat, with its task's number and its author's name. */
export interface SubmissionExportRow {
  id: number
  /** The task's number within the project. */
  taskId: number
  userId: number
  userName: string
  deviceId: string | null
  createdAt: string
  attachments: number
  /** A validator's review: approved, has_issues, rejected; null until reviewed. */
  reviewState: string | null
  xml: string
}

/** What exports read, batch by batch. */
export const exportsQueries = {
  /** The row ids of a project's tasks (what its submissions are found by). */
  taskIds: (db: Db, projectId: number): Promise<number[]> => db.map('SELECT id FROM tasks WHERE project_id = $1', [projectId], (row: { id: number }) => row.id),
  /**
   * The next `limit` submissions of the given tasks after the one with id `afterId`, in id order
   * (keyset pagination: each batch walks the primary key from where the last one stopped). The
   * batch is chosen from `submissions` alone, on its own statistics: joined to `tasks` first, a
   * planner that takes a project for small (a few dozen tasks are never auto-analysed) sorts all
   * its submissions for every batch.
   */
  submissionsAfter: (db: Db, taskIds: readonly number[], afterId: number, limit: number): Promise<SubmissionExportRow[]> =>
    db.manyOrNone<SubmissionExportRow>(
      `SELECT s.id, t.project_task_index AS "taskId", s.user_id AS "userId", u.name AS "userName", s.device_id AS "deviceId",
         ${iso('s.created_at')} AS "createdAt", (SELECT count(*)::int FROM attachments a WHERE a.submission_id = s.id) AS attachments, s.review_state AS "reviewState", s.xml
       FROM (SELECT * FROM submissions WHERE task_id = ANY($1::int[]) AND id > $2 ORDER BY id LIMIT $3) s
       JOIN tasks t ON t.id = s.task_id JOIN users u ON u.id = s.user_id
       ORDER BY s.id`,
      [taskIds, afterId, limit],
    ),
}
