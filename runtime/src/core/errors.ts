// The errors a handler or dependency throws to answer with a 4xx/5xx. The messages of 4xx errors
// reach the client as FastAPI's `{"detail": ...}`; those of 5xx errors never do.
import type { ValidationIssue } from './validation.js'

/** Options of an {@link HttpError}. */
export interface HttpErrorOptions {
  /** A stable machine-readable code, sent as `code` beside `detail`. */
  code?: string
  /** The error behind this one; logged, never sent. */
  cause?: unknown
  /** Headers to send with the error response (e.g. `WWW-Authenticate`, `Retry-After`). */
  headers?: Record<string, string>
}

/**
 * An error that becomes an HTTP response with `status` and `{"detail": message}`.
 * @example throw new HttpError(409, 'A project with this name already exists', { code: 'project_exists' })
 */
export class HttpError extends Error {
  readonly status: number
  readonly code: string | undefined
  readonly headers: Record<string, string> | undefined
  /** What the client sees as `detail`: the message, or structured detail (422 issues). */
  readonly detail: unknown

  constructor(status: number, message: string, options: HttpErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.name = 'HttpError'
    this.status = status
    this.code = options.code
    this.headers = options.headers
    this.detail = message
  }

  /** Whether the message may be shown to the client (4xx) or must stay in the log (5xx). */
  get expose(): boolean {
    return this.status < 500
  }
}

/** 400: the request cannot be read (malformed JSON, a broken multipart body). */
export class BadRequest extends HttpError {
  constructor(message = 'Bad Request', options?: HttpErrorOptions) {
    super(400, message, options)
    this.name = 'BadRequest'
  }
}

/** 401: no or invalid credentials; send `WWW-Authenticate` through `options.headers`. */
export class Unauthorized extends HttpError {
  constructor(message = 'Not authenticated', options?: HttpErrorOptions) {
    super(401, message, options)
    this.name = 'Unauthorized'
  }
}

/** 403: authenticated, but not allowed to do this. */
export class Forbidden extends HttpError {
  constructor(message = 'Forbidden', options?: HttpErrorOptions) {
    super(403, message, options)
    this.name = 'Forbidden'
  }
}

/**
 * 404: the thing named by the request does not exist.
 * @example if (!row) throw new NotFound(`Project ${id} not found`)
 */
export class NotFound extends HttpError {
  constructor(message = 'Not Found', options?: HttpErrorOptions) {
    super(404, message, options)
    this.name = 'NotFound'
  }
}

/** 409: the request conflicts with the current state (a duplicate, a stale update). */
export class Conflict extends HttpError {
  constructor(message = 'Conflict', options?: HttpErrorOptions) {
    super(409, message, options)
    this.name = 'Conflict'
  }
}

/** 413: the body is larger than the limit it names. */
export class PayloadTooLarge extends HttpError {
  constructor(message = 'Payload Too Large', options?: HttpErrorOptions) {
    super(413, message, options)
    this.name = 'PayloadTooLarge'
  }
}

/** 415: a body of a media type the route does not read. */
export class UnsupportedMediaType extends HttpError {
  constructor(message = 'Unsupported Media Type', options?: HttpErrorOptions) {
    super(415, message, options)
    this.name = 'UnsupportedMediaType'
  }
}

/** 503: a service the app needs (the database) is not answering; try again later. */
export class ServiceUnavailable extends HttpError {
  constructor(message = 'Service Unavailable', options?: HttpErrorOptions) {
    super(503, message, options)
    this.name = 'ServiceUnavailable'
  }
}

/**
 * 422 with every problem of the request at once, in FastAPI's shape:
 * `{"detail": [{"loc": ["body", "name"], "msg": "Field required", "type": "missing"}]}`.
 * Throw it from a dependency for checks a schema cannot express.
 * @example throw new ValidationError([{ loc: ['body', 'end'], msg: 'End must be after start', type: 'value_error' }])
 */
export class ValidationError extends HttpError {
  override readonly detail: ValidationIssue[]

  constructor(issues: ValidationIssue[], options?: HttpErrorOptions) {
    super(422, summarise(issues), options)
    this.name = 'ValidationError'
    this.detail = issues
  }
}

function summarise(issues: ValidationIssue[]): string {
  const first = issues[0]
  if (!first) return 'Validation failed'
  const more = issues.length > 1 ? ` (and ${issues.length - 1} more)` : ''
  return `Validation failed: ${first.loc.join('.')}: ${first.msg}${more}`
}

/** Whether a value thrown anywhere is one of ours, to answer with its own status. */
export function isHttpError(value: unknown): value is HttpError {
  return value instanceof HttpError
}
