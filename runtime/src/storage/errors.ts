// The storage errors both drivers raise, so that a route sees the same status and code whichever
// driver is configured.
import { Conflict, HttpError } from '../core/errors.js'

/** 409 for a put with `overwrite: false` onto an existing key. */
export function fileExists(key: string): Conflict {
  return new Conflict(`Cannot store the file: "${key}" already exists`, { code: 'file_exists' })
}

/** 412 for a read whose object changed since its `head`. */
export function changed(): HttpError {
  return new HttpError(412, 'The file changed while it was being read', { code: 'file_changed' })
}
