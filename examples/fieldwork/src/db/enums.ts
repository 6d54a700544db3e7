// The database's enums, mirrored for TypeScript and the schemas: keep each list in the order of
// its `CREATE TYPE` (PostgreSQL compares enum values by that order; roles rank lowest first).

/** `project_role`: what a user may do in one project, lowest first; each includes the ones before. */
export const PROJECT_ROLES = ['mapper', 'validator', 'field_manager', 'project_manager'] as const
/** A role in a project. */
export type ProjectRole = (typeof PROJECT_ROLES)[number]

/** `task_status`: where a task is in the map → validate cycle. */
export const TASK_STATUSES = ['ready', 'locked_for_mapping', 'mapped', 'locked_for_validation', 'validated', 'invalidated'] as const
/** A task's status. */
export type TaskStatus = (typeof TASK_STATUSES)[number]

/**
 * `task_event`: what a user does to a task (the task's history records each one): `map` locks it
 * for mapping, `finish` marks it mapped, `validate` locks it for validation, `good` / `bad` end
 * the validation, `reset` releases a lock, `comment` only adds to the history.
 */
export const TASK_EVENTS = ['map', 'finish', 'validate', 'good', 'bad', 'reset', 'comment'] as const
/** An event on a task. */
export type TaskEvent = (typeof TASK_EVENTS)[number]


/** `project_visibility`: who may read a project: everyone signed in, or its members (and admins). */
export const PROJECT_VISIBILITIES = ['public', 'private'] as const
/** A project's visibility. */
export type ProjectVisibility = (typeof PROJECT_VISIBILITIES)[number]
