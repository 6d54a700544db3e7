// Object keys, checked the same way by both drivers: a key that works on one works on the
// other, and no key can name a path outside the local store (no `..`, no absolute path, no
// backslash, no hidden name, where the local driver keeps its temp and metadata files).
import { BadRequest } from '../core/errors.js'

const SEGMENT = /^[A-Za-z0-9_\-~@+=,!()][A-Za-z0-9._\-~@+=,!()]*$/
const MAX_KEY_BYTES = 1024

/** Throws 400 (`code: 'storage_key'`) unless `key` is a safe object key; returns it. */
export function checkKey(key: string): string {
  if (typeof key !== 'string' || key === '' || Buffer.byteLength(key) > MAX_KEY_BYTES || !key.split('/').every((segment) => SEGMENT.test(segment))) {
    throw new BadRequest(`Invalid storage key "${String(key).slice(0, 80)}": use segments of letters, digits and ._-~@+=,!() separated by /, none empty or starting with a dot`, { code: 'storage_key' })
  }
  return key
}

/** Throws 400 unless `prefix` is empty or a key prefix (it may end with `/`). */
export function checkPrefix(prefix: string): string {
  if (prefix === '') return prefix
  checkKey(prefix.endsWith('/') ? prefix.slice(0, -1) : prefix)
  return prefix
}
