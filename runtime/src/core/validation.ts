// Schema compilation and FastAPI-shaped validation errors. Every schema is compiled once, at
// start-up, by one of three ajv instances that differ only in how they treat the input.
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv'
import addFormats from 'ajv-formats'
import addKeywords from 'ajv-keywords'
import type { TSchema } from 'typebox'

/** Where a value came from, as FastAPI names it in `loc`. */
export type Location = 'path' | 'query' | 'header' | 'body' | 'response'

/** One entry of a 422 body: `{"loc": ["body", "email"], "msg": "...", "type": "..."}`. */
export interface ValidationIssue {
  loc: (string | number)[]
  msg: string
  type: string
  /** Details of the issue; `{ more }` on the last entry of a list cut at {@link MAX_ISSUES}. */
  ctx?: Record<string, unknown>
}

/** Most issues one 422 lists: the rest are counted in a last entry, never built (a bounded body for any input). */
export const MAX_ISSUES = 50
// ajv errors turned into issues at most; past these, errors are only counted (the union
// bookkeeping below compares errors with unions, so it stays on a bounded list)
const MAX_SCANNED_ERRORS = 1000
// an object key is client input and lands in `loc`: a 900 KiB key must not come back whole
const MAX_KEY_LENGTH = 100

/** A compiled schema check: mutates `data` (coercion, defaults, dropped fields) and reports. */
export type Validator = ValidateFunction<unknown>

function createAjv(coerce: boolean, strip: boolean, allErrors = true): Ajv {
  const ajv = new Ajv({
    allErrors,
    useDefaults: true,
    coerceTypes: coerce ? 'array' : false,
    removeAdditional: strip ? 'all' : false,
    strict: false, // TypeBox options may carry keywords of the caller's (docs, examples)
    messages: true,
    // '1e309' coerces to Infinity, which ajv's number and integer checks pass by default
    strictNumbers: true,
  })
  addFormats.default(ajv)
  addKeywords.default(ajv, ['transform'])
  return ajv
}

// Strings from the URL and headers are coerced ('7' → 7, 'a' → ['a']); bodies are not (FastAPI's
// strict JSON), forms are (every form value is a string). Unknown input fields are dropped.
const coercing = createAjv(true, true)
const strictJson = createAjv(false, true)
// the same, stopping at the first error: for bodies too large to list every issue of (ajv builds
// an error object for each one: 500,000 of them took 2.5 s)
const strictJsonFirst = createAjv(false, true, false)
// Output checks must not change the value they check.
const checking = createAjv(false, false)

/** Compiles a schema for input that arrives as strings (path, query, headers, form fields). */
export function compileCoercing(schema: TSchema): Validator {
  return coercing.compile(schema)
}

/** Compiles a schema for JSON bodies: no coercion, defaults applied, unknown fields dropped. */
export function compileBody(schema: TSchema): Validator {
  return strictJson.compile(schema)
}

/** Compiles a JSON body schema like {@link compileBody}, stopping at the first error (cost bounded by where it is). */
export function compileBodyFirstError(schema: TSchema): Validator {
  return strictJsonFirst.compile(schema)
}

/** Compiles a schema that checks output without changing it (response models in development). */
export function compileCheck(schema: TSchema): Validator {
  return checking.compile(schema)
}

/** Adds an ajv format to every validator (call before `start()`). */
export function addFormat(name: string, format: RegExp | ((value: string) => boolean)): void {
  for (const ajv of [coercing, strictJson, strictJsonFirst, checking]) ajv.addFormat(name, format)
}

/**
 * Turns ajv errors into FastAPI's `detail` entries, located under `loc`: at most
 * {@link MAX_ISSUES}, then one entry saying how many more there were (`ctx.more`).
 */
export function toIssues(errors: readonly ErrorObject[] | null | undefined, loc: Location): ValidationIssue[] {
  if (!errors) return []
  const scanned = errors.length > MAX_SCANNED_ERRORS ? errors.slice(0, MAX_SCANNED_ERRORS) : errors
  // ajv reports each failed branch of a union, then the union itself: keep one issue per union
  const unions = scanned.filter((e) => e.keyword === 'anyOf' || e.keyword === 'oneOf')
  const branchOf = (error: ErrorObject) => (unions.length === 0 ? undefined : unions.find((u) => u !== error && error.schemaPath.startsWith(`${u.schemaPath}/`)))
  const issues: ValidationIssue[] = []
  for (const error of scanned) {
    if (error.keyword === 'if' || branchOf(error)) continue
    const path = pointerToPath(error.instancePath)
    if (error.keyword === 'required') path.push(String(error.params.missingProperty))
    if (error.keyword === 'additionalProperties') path.push(shortKey(String(error.params.additionalProperty)))
    const literals = unions.includes(error) ? scanned.filter((e) => branchOf(e) === error && e.keyword === 'const') : []
    if (literals.length > 0 && literals.length === scanned.filter((e) => branchOf(e) === error).length) {
      const allowed = literals.map((e) => JSON.stringify((e.params as { allowedValue: unknown }).allowedValue))
      issues.push({ loc: [loc, ...path], msg: `Input should be ${allowed.join(', ').replace(/, ([^,]*)$/, ' or $1')}`, type: 'literal_error' })
      continue
    }
    issues.push({ loc: [loc, ...path], msg: describe(error), type: issueType(error) })
  }
  // errors past the scanned ones are counted as issues: near enough for "how many more"
  return boundIssues(issues, errors.length - scanned.length)
}

/**
 * Keeps the first {@link MAX_ISSUES} issues and ends the list with one that says how many more
 * there were (`ctx.more`, counting those an earlier cut already left out); `uncounted` adds
 * issues known to exist but never built.
 * @example boundIssues(issues) // 50 issues, then { loc: ['body'], msg: 'And 1200 more issues', type: 'too_many_errors', ctx: { more: 1200 } }
 */
export function boundIssues(issues: ValidationIssue[], uncounted = 0): ValidationIssue[] {
  let more = uncounted
  let kept = 0
  const out: ValidationIssue[] = []
  for (const issue of issues) {
    if (issue.type === TOO_MANY) more += Number(issue.ctx?.more ?? 0)
    else if (kept < MAX_ISSUES) {
      out.push(issue)
      kept++
    } else more++
  }
  if (more > 0) out.push(moreIssues(issues[0]?.loc[0] ?? 'body', more))
  return out
}

const TOO_MANY = 'too_many_errors'

function moreIssues(loc: string | number, more: number): ValidationIssue {
  return { loc: [loc], msg: `And ${more} more issue${more === 1 ? '' : 's'}, not listed`, type: TOO_MANY, ctx: { more } }
}

function shortKey(key: string): string {
  return key.length > MAX_KEY_LENGTH ? `${key.slice(0, MAX_KEY_LENGTH)}…` : key
}

function pointerToPath(pointer: string): (string | number)[] {
  if (pointer === '') return []
  return pointer
    .slice(1)
    .split('/')
    .map((part) => {
      const key = part.replace(/~1/g, '/').replace(/~0/g, '~')
      return /^(0|[1-9]\d*)$/.test(key) ? Number(key) : shortKey(key)
    })
}

const TYPE_NAMES: Record<string, string> = {
  integer: 'a valid integer',
  number: 'a valid number',
  string: 'a valid string',
  boolean: 'a valid boolean',
  object: 'a valid object',
  array: 'a valid list',
  null: 'null',
}

// Messages follow pydantic's wording, so clients written against FastAPI read them unchanged.
function describe(error: ErrorObject): string {
  const p = error.params as Record<string, unknown>
  switch (error.keyword) {
    case 'required':
      return 'Field required'
    case 'type': {
      const types = String(p.type).split(',')
      return `Input should be ${types.map((t) => TYPE_NAMES[t] ?? t).join(' or ')}`
    }
    case 'minLength':
      return `String should have at least ${p.limit} character${p.limit === 1 ? '' : 's'}`
    case 'maxLength':
      return `String should have at most ${p.limit} character${p.limit === 1 ? '' : 's'}`
    case 'minimum':
      return `Input should be greater than or equal to ${p.limit}`
    case 'maximum':
      return `Input should be less than or equal to ${p.limit}`
    case 'exclusiveMinimum':
      return `Input should be greater than ${p.limit}`
    case 'exclusiveMaximum':
      return `Input should be less than ${p.limit}`
    case 'multipleOf':
      return `Input should be a multiple of ${p.multipleOf}`
    case 'pattern':
      return `String should match pattern '${p.pattern}'`
    case 'format':
      return `Input should be a valid ${p.format}`
    case 'enum':
      return `Input should be ${(p.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ').replace(/, ([^,]*)$/, ' or $1')}`
    case 'const':
      return `Input should be ${JSON.stringify(p.allowedValue)}`
    case 'minItems':
      return `List should have at least ${p.limit} item${p.limit === 1 ? '' : 's'}`
    case 'maxItems':
      return `List should have at most ${p.limit} item${p.limit === 1 ? '' : 's'}`
    case 'uniqueItems':
      return 'List items should be unique'
    case 'additionalProperties':
      return 'Extra inputs are not permitted'
    case 'anyOf':
    case 'oneOf':
      return 'Input does not match any allowed shape'
    default:
      return capitalise(error.message ?? 'Invalid value')
  }
}

const ISSUE_TYPES: Record<string, string> = {
  required: 'missing',
  minLength: 'string_too_short',
  maxLength: 'string_too_long',
  minimum: 'greater_than_equal',
  maximum: 'less_than_equal',
  exclusiveMinimum: 'greater_than',
  exclusiveMaximum: 'less_than',
  multipleOf: 'multiple_of',
  pattern: 'string_pattern_mismatch',
  enum: 'enum',
  const: 'literal_error',
  minItems: 'too_short',
  maxItems: 'too_long',
  uniqueItems: 'unique_items',
  additionalProperties: 'extra_forbidden',
  anyOf: 'union_error',
  oneOf: 'union_error',
}

function issueType(error: ErrorObject): string {
  if (error.keyword === 'type') {
    const first = String((error.params as { type: string }).type).split(',')[0]
    return `${first === 'integer' ? 'int' : first === 'number' ? 'float' : first === 'array' ? 'list' : first === 'object' ? 'dict' : first === 'boolean' ? 'bool' : first}_type`
  }
  if (error.keyword === 'format') return `${String((error.params as { format: string }).format).replace(/-/g, '_')}_format`
  return ISSUE_TYPES[error.keyword] ?? error.keyword
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1)
}

/**
 * Runs a validator of coerced input (path, query, headers, form and multipart fields) on `data`,
 * in place, and adds its issues; also one for every number coercion made infinite ('1e309'):
 * ajv does not re-check the value it coerced. Strings arrive flat, so only top-level values and
 * arrays can hold such numbers.
 */
export function validateCoerced(validator: Validator, data: Record<string, unknown>, loc: Location, issues: ValidationIssue[]): void {
  if (!validator(data)) {
    // a loop, not push(...): spreading a huge list overflows the stack
    for (const issue of toIssues(validator.errors, loc)) issues.push(issue)
    return
  }
  for (const key in data) {
    const value = data[key]
    if (typeof value === 'number') {
      if (!Number.isFinite(value)) issues.push(infinite([loc, shortKey(key)]))
    } else if (Array.isArray(value)) {
      for (let index = 0; index < value.length && issues.length <= MAX_ISSUES; index++) {
        const item: unknown = value[index]
        if (typeof item === 'number' && !Number.isFinite(item)) issues.push(infinite([loc, shortKey(key), index]))
      }
    }
  }
}

function infinite(loc: (string | number)[]): ValidationIssue {
  return { loc, msg: 'Input should be a finite number', type: 'finite_number' }
}
