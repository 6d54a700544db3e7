// The runtime's own errors: mistakes in how an app is put together (found at start-up) or in how
// it answers (found by a request, always a 500). Each has a stable code that programs can match on
// and that docs/errors.md explains; the message names the route, plugin, dependency or file at
// fault. Errors a client caused are HttpErrors (errors.ts), with their own bodies, not codes here.

/**
 * Every code a {@link TrefoilError} can carry, as `ERROR_CODES.TREFOIL_…` (each value is its own
 * name), so a program matches on a constant rather than a retyped string.
 * @example if (error instanceof TrefoilError && error.code === ERROR_CODES.TREFOIL_SETTINGS_INVALID) process.exit(78)
 */
export const ERROR_CODES = Object.freeze({
  // plugins and the app's life
  TREFOIL_PLUGIN_DUPLICATE: 'TREFOIL_PLUGIN_DUPLICATE',
  TREFOIL_PLUGIN_ORDER: 'TREFOIL_PLUGIN_ORDER',
  TREFOIL_PLUGIN_NOT_SET_UP: 'TREFOIL_PLUGIN_NOT_SET_UP',
  TREFOIL_PLUGIN_SETUP_FAILED: 'TREFOIL_PLUGIN_SETUP_FAILED',
  TREFOIL_SETUP_ONLY: 'TREFOIL_SETUP_ONLY',
  TREFOIL_HOOK_UNKNOWN: 'TREFOIL_HOOK_UNKNOWN',
  TREFOIL_INVALID_ARGUMENT: 'TREFOIL_INVALID_ARGUMENT',
  // routes and their schemas
  TREFOIL_DUPLICATE_ROUTE: 'TREFOIL_DUPLICATE_ROUTE',
  TREFOIL_ROUTE_PATH_INVALID: 'TREFOIL_ROUTE_PATH_INVALID',
  TREFOIL_ROUTE_OPTIONS_INVALID: 'TREFOIL_ROUTE_OPTIONS_INVALID',
  TREFOIL_ROUTE_PARAM_MISSING: 'TREFOIL_ROUTE_PARAM_MISSING',
  TREFOIL_SCHEMA_INVALID: 'TREFOIL_SCHEMA_INVALID',
  TREFOIL_REFINEMENT_UNPLACEABLE: 'TREFOIL_REFINEMENT_UNPLACEABLE',
  // dependencies
  TREFOIL_DEPENDENCY_NAME_TAKEN: 'TREFOIL_DEPENDENCY_NAME_TAKEN',
  TREFOIL_NOT_A_DEPENDENCY: 'TREFOIL_NOT_A_DEPENDENCY',
  TREFOIL_DEPENDENCY_CYCLE: 'TREFOIL_DEPENDENCY_CYCLE',
  // answers
  TREFOIL_RESPONSE_MISMATCH: 'TREFOIL_RESPONSE_MISMATCH',
  TREFOIL_VIEW_MISSING: 'TREFOIL_VIEW_MISSING',
  TREFOIL_VIEW_INVALID: 'TREFOIL_VIEW_INVALID',
  // settings
  TREFOIL_SETTINGS_INVALID: 'TREFOIL_SETTINGS_INVALID',
  TREFOIL_APP_CLOSED: 'TREFOIL_APP_CLOSED',
  TREFOIL_APP_NOT_STARTED: 'TREFOIL_APP_NOT_STARTED',
  // auth
  TREFOIL_AUTH_OPTIONS_INVALID: 'TREFOIL_AUTH_OPTIONS_INVALID',
  TREFOIL_AUTH_NOT_CONFIGURED: 'TREFOIL_AUTH_NOT_CONFIGURED',
  TREFOIL_SECRET_TOO_SHORT: 'TREFOIL_SECRET_TOO_SHORT',
  TREFOIL_ROLE_UNKNOWN: 'TREFOIL_ROLE_UNKNOWN',
  // database
  TREFOIL_DATABASE_UNAVAILABLE: 'TREFOIL_DATABASE_UNAVAILABLE',
  TREFOIL_DATABASE_NOT_CONFIGURED: 'TREFOIL_DATABASE_NOT_CONFIGURED',
  TREFOIL_QUERY_FILE_INVALID: 'TREFOIL_QUERY_FILE_INVALID',
  TREFOIL_MIGRATIONS_UNREADABLE: 'TREFOIL_MIGRATIONS_UNREADABLE',
  TREFOIL_MIGRATION_FAILED: 'TREFOIL_MIGRATION_FAILED',
  TREFOIL_EMBEDDED_DATABASE_FAILED: 'TREFOIL_EMBEDDED_DATABASE_FAILED',
  // background tasks, jobs and workers
  TREFOIL_JOB_DUPLICATE: 'TREFOIL_JOB_DUPLICATE',
  TREFOIL_JOB_NOT_REGISTERED: 'TREFOIL_JOB_NOT_REGISTERED',
  TREFOIL_TASK_INVALID: 'TREFOIL_TASK_INVALID',
  TREFOIL_SERVE_ENTRY_INVALID: 'TREFOIL_SERVE_ENTRY_INVALID',
  TREFOIL_SERVE_IN_WORKER: 'TREFOIL_SERVE_IN_WORKER',
  // OpenAPI and uploads
  TREFOIL_OPENAPI_NAME_TAKEN: 'TREFOIL_OPENAPI_NAME_TAKEN',
  TREFOIL_OPENAPI_CLIENT_FAILED: 'TREFOIL_OPENAPI_CLIENT_FAILED',
  TREFOIL_UPLOAD_ALREADY_SAVED: 'TREFOIL_UPLOAD_ALREADY_SAVED',
} as const)

/** One of the codes in {@link ERROR_CODES}. */
export type TrefoilErrorCode = keyof typeof ERROR_CODES

/** Options of a {@link TrefoilError}. */
export interface TrefoilErrorOptions {
  /** The error behind this one (a schema compiler's, a plugin's own), kept for the log. */
  cause?: unknown
}

/**
 * An error of the runtime itself, with a stable `code` documented in docs/errors.md. Thrown at
 * start-up for a mistake in how the app is put together, or by a request that reaches one (it is
 * then answered with a 500 and logged, never shown to the client).
 * @example
 * try { await app.start() } catch (error) {
 *   if (error instanceof TrefoilError && error.code === 'TREFOIL_DUPLICATE_ROUTE') console.error(error.message)
 * }
 */
export class TrefoilError extends Error {
  /** The stable code: what kind of mistake this is (see docs/errors.md). */
  readonly code: TrefoilErrorCode

  constructor(code: TrefoilErrorCode, message: string, options: TrefoilErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.name = 'TrefoilError'
    this.code = code
  }
}

/** Whether `value` is a {@link TrefoilError}, and of `code` when given. */
export function isTrefoilError(value: unknown, code?: TrefoilErrorCode): value is TrefoilError {
  return value instanceof TrefoilError && (code === undefined || value.code === code)
}

/** The code of `error` when it is a {@link TrefoilError}, else `fallback`: wrapping keeps the inner kind. */
export function codeOf(error: unknown, fallback: TrefoilErrorCode): TrefoilErrorCode {
  return error instanceof TrefoilError ? error.code : fallback
}

/** Throws a route's start-up error: the message after the route's name, its kind as a code. */
export type RouteFailure = (message: string, code: TrefoilErrorCode, cause?: unknown) => never
