// Schema compilation and FastAPI-shaped validation errors. Every schema is compiled once, at
// start-up, by its app's SchemaCompiler (ajv instances that differ only in how they treat the
// input, with the app's formats); then its refinements and cross-field rules run on the values
// that fit. There is no process-wide compiler: two apps in one process never share formats.
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv'
import addFormats from 'ajv-formats'
import addKeywords from 'ajv-keywords'
import t, { type Static, type TSchema } from 'typebox'
import { TrefoilError } from './trefoil-error.js'

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

/**
 * A compiled schema check: mutates `data` (coercion, defaults, dropped fields) and reports. After
 * the schema's own keywords, it runs the schema's refinements (`t.Refine`) and cross-field rules
 * ({@link rules}); their failures are in `errors` like any other, located at their fields.
 */
export interface Validator {
  (data: unknown): boolean
  errors?: ErrorObject[] | null | undefined
}

/** A custom string format: a pattern, or a function that accepts or refuses a string. */
export type FormatCheck = RegExp | ((value: string) => boolean)


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
    // ajv's optimising pass over its generated code (dropping unused names) was a quarter of the
    // compile time at start-up, and V8 drops those names itself: the validators run as fast without
    code: { optimize: false },
  })
  addFormats.default(ajv)
  addKeywords.default(ajv, ['transform'])
  return ajv
}

/**
 * The schema compilers of one app: three ajv instances that differ only in how they treat the
 * input, and the custom formats they share. An app that owns one keeps its formats to itself.
 */
export class SchemaCompiler {
  // Strings from the URL and headers are coerced ('7' → 7, 'a' → ['a']); bodies are not
  // (FastAPI's strict JSON), forms are (every form value is a string). Unknown input fields are
  // dropped. Output checks must not change the value they check.
  // Each instance is made on its first compile (~10 ms each, most of it compiling JSON Schema's
  // meta-schema): a compiler that never checks output costs nothing for it at start-up.
  private coercingAjv: Ajv | undefined
  private strictJsonAjv: Ajv | undefined
  // the same, stopping at the first error: for bodies too large to list every issue of (ajv builds
  // an error object for each one: 500,000 of them took 2.5 s)
  private strictJsonFirstAjv: Ajv | undefined
  private checkingAjv: Ajv | undefined
  private readonly added = new Map<string, FormatCheck>()

  /** A compiler that knows `formats` besides the standard ones (an app's `createApp({ formats })`). */
  constructor(formats: ReadonlyMap<string, FormatCheck> = new Map()) {
    for (const [name, format] of formats) this.addFormat(name, format)
  }

  /** The custom formats added so far. */
  get formats(): ReadonlyMap<string, FormatCheck> {
    return this.added
  }

  /** Compiles a schema for input that arrives as strings (path, query, headers, form fields). */
  compileCoercing(schema: TSchema): Validator {
    return withRefinements((this.coercingAjv ??= this.made(true, true)).compile(schema), schema)
  }

  /** Compiles a schema for JSON bodies: no coercion, defaults applied, unknown fields dropped. */
  compileBody(schema: TSchema): Validator {
    return withRefinements((this.strictJsonAjv ??= this.made(false, true)).compile(schema), schema)
  }

  /** Compiles a JSON body schema like {@link SchemaCompiler.compileBody}, stopping at the first error (cost bounded by where it is). */
  compileBodyFirstError(schema: TSchema): Validator {
    return withRefinements((this.strictJsonFirstAjv ??= this.made(false, true, false)).compile(schema), schema)
  }

  /** Compiles a schema that checks output without changing it (response models in development). */
  compileCheck(schema: TSchema): Validator {
    return withRefinements((this.checkingAjv ??= this.made(false, false)).compile(schema), schema)
  }

  /** Adds a string format (`t.String({ format: name })`) to every schema this compiler compiles next. */
  addFormat(name: string, format: FormatCheck): void {
    this.added.set(name, format)
    for (const ajv of [this.coercingAjv, this.strictJsonAjv, this.strictJsonFirstAjv, this.checkingAjv]) ajv?.addFormat(name, format)
  }

  /** A new ajv instance that knows every format added so far. */
  private made(coerce: boolean, strip: boolean, allErrors = true): Ajv {
    const ajv = createAjv(coerce, strip, allErrors)
    for (const [name, format] of this.added) ajv.addFormat(name, format)
    return ajv
  }
}

// Which compiler is whose: code handed only the app (a dependency, a plugin's setup, a job
// runner) compiles with that app's formats. createApp records each app's; nothing else does.
const compilers = new WeakMap<object, SchemaCompiler>()

/** Records `compiler` as the one of `app` (createApp does, once per app). */
export function bindCompiler(app: object, compiler: SchemaCompiler): void {
  compilers.set(app, compiler)
}

/** The compiler of `app`, whose formats its schemas use; throws for an object createApp did not make. */
export function compilerOf(app: object): SchemaCompiler {
  const found = compilers.get(app)
  if (!found) throw new TrefoilError('TREFOIL_INVALID_ARGUMENT', 'Cannot compile a schema for this app: it was not made by createApp()')
  return found
}

/** One issue a cross-field rule reports: the field it is about (a key, or a path), and why. */
export interface RuleIssue {
  /** The field, relative to the value the rule checks: `'end'`, or `['points', 2, 'lat']`. */
  field: string | readonly (string | number)[]
  msg: string
  /** The `type` of the 422 entry (default `value_error`, pydantic's). */
  type?: string
}

/** A cross-field rule: runs once the value fits its schema; returns the issues it finds. */
export type Rule<T> = (value: T) => RuleIssue | readonly RuleIssue[] | undefined | void

/**
 * Adds cross-field rules to an object schema: each runs once the value fits the schema (so its
 * fields have their types) and its issues join the same 422 list as every other, with `loc`
 * pointing at the fields it names. Stored as TypeBox refinements, so `Value.Check` honours them.
 * @example
 * const Period = rules(t.Object({ start: t.String({ format: 'date' }), end: t.String({ format: 'date' }) }), (p) =>
 *   p.end < p.start ? { field: 'end', msg: 'End should not be before start' } : undefined)
 */
export function rules<S extends TSchema>(schema: S, ...checks: Rule<Static<S>>[]): S {
  let refined: TSchema = schema
  for (const rule of checks) {
    const issues = (value: unknown): RuleIssue[] => {
      const found = rule(value as Static<S>)
      return found === undefined ? [] : Array.isArray(found) ? [...(found as readonly RuleIssue[])] : [found as RuleIssue]
    }
    refined = t.Refine(
      refined,
      (value: unknown) => issues(value).length === 0,
      (value: unknown) => issues(value).map((issue) => issue.msg).join('; '),
    )
    // the refinement TypeBox just added also says where each issue is
    const added = refinementsOf(refined)!.at(-1) as RefinementLike
    added.issues = issues
  }
  return refined as S
}

interface RefinementLike {
  check: (value: unknown) => boolean
  error: (value: unknown) => string
  issues?: (value: unknown) => RuleIssue[]
}

/** A refined node of a schema: where its value sits (as a JSON pointer walk) and its checks. */
interface RefinedNode {
  readonly steps: readonly Step[]
  readonly refinements: readonly RefinementLike[]
}

type Step = { readonly key: string } | { readonly each: true } | { readonly index: number }

// Keywords under which a refinement could not be placed on one value: which branch, or which
// key, it belongs to is only known to ajv. Refused at start-up rather than silently ignored.
const UNPLACEABLE = ['anyOf', 'oneOf', 'allOf', 'not', 'if', 'then', 'else', 'patternProperties', 'additionalProperties', 'dependentSchemas', 'contains', '$defs', 'definitions']

function refinementsOf(schema: object): RefinementLike[] | undefined {
  const found = (schema as { '~refine'?: unknown })['~refine']
  return Array.isArray(found) && found.length > 0 ? (found as RefinementLike[]) : undefined
}

/** Every refined node of `schema`; throws, naming the place, for one it cannot enforce. */
function findRefinements(schema: object, steps: Step[], where: string, out: RefinedNode[]): void {
  const own = refinementsOf(schema)
  if (own) out.push({ steps: [...steps], refinements: own })
  const node = schema as Record<string, unknown>
  const properties = node.properties as Record<string, object> | undefined
  if (properties && typeof properties === 'object') {
    for (const [key, sub] of Object.entries(properties)) findRefinements(sub, [...steps, { key }], `${where}/${key}`, out)
  }
  if (Array.isArray(node.items)) node.items.forEach((sub: object, index) => findRefinements(sub, [...steps, { index }], `${where}/${index}`, out))
  else if (node.items && typeof node.items === 'object') findRefinements(node.items as object, [...steps, { each: true }], `${where}/*`, out)
  if (Array.isArray(node.prefixItems)) node.prefixItems.forEach((sub: object, index) => findRefinements(sub, [...steps, { index }], `${where}/${index}`, out))
  for (const keyword of UNPLACEABLE) {
    const value = node[keyword]
    if (!value || typeof value !== 'object') continue
    const inner: object[] = Array.isArray(value) ? value : keyword === '$defs' || keyword === 'definitions' || keyword === 'patternProperties' || keyword === 'dependentSchemas' ? Object.values(value) : [value]
    if (inner.some(hasRefinement)) {
      throw new TrefoilError('TREFOIL_REFINEMENT_UNPLACEABLE', `a refinement (t.Refine or rules()) under "${keyword}" at ${where || '/'} cannot be enforced: refine the whole ${keyword === 'additionalProperties' || keyword === 'patternProperties' ? 'object' : 'union'} instead`)
    }
  }
}

function hasRefinement(schema: object): boolean {
  if (refinementsOf(schema)) return true
  return Object.values(schema).some((value) => {
    if (Array.isArray(value)) return value.some((item) => typeof item === 'object' && item !== null && hasRefinement(item))
    return typeof value === 'object' && value !== null && hasRefinement(value)
  })
}

/** Wraps a compiled schema so that its refinements run on the values that fit their schema. */
function withRefinements(validate: ValidateFunction<unknown>, schema: TSchema): Validator {
  const nodes: RefinedNode[] = []
  findRefinements(schema, [], '', nodes)
  if (nodes.length === 0) return validate
  // outer refinements after inner ones: a rule about the whole sees fields that passed their own
  nodes.sort((a, b) => b.steps.length - a.steps.length)
  const refined: Validator = (data) => {
    const fits = validate(data)
    const errors: ErrorObject[] = fits ? [] : [...(validate.errors ?? [])]
    for (const node of nodes) {
      for (const { value, pointer } of locate(data, node.steps, '')) {
        // a value with errors of its own (a wrong type, a missing field) is not refined further
        if (errors.some((error) => error.instancePath === pointer || error.instancePath.startsWith(`${pointer}/`))) continue
        for (const refinement of node.refinements) {
          if (refinement.issues) {
            for (const issue of refinement.issues(value)) {
              const field = typeof issue.field === 'string' ? [issue.field] : issue.field
              errors.push(refineError(`${pointer}${field.map((part) => `/${String(part).replace(/~/g, '~0').replace(/\//g, '~1')}`).join('')}`, issue.msg, issue.type))
            }
          } else if (!refinement.check(value)) {
            errors.push(refineError(pointer, refinement.error(value), undefined))
          }
        }
      }
    }
    refined.errors = errors.length > 0 ? errors : null
    return errors.length === 0
  }
  return refined
}

function refineError(instancePath: string, message: string, type: string | undefined): ErrorObject {
  // the keyword becomes the issue's `type`, the message its `msg` (see issueType and describe)
  return { keyword: type ?? 'value_error', instancePath, schemaPath: '#/~refine', params: {}, message }
}

function* locate(value: unknown, steps: readonly Step[], pointer: string): Generator<{ value: unknown; pointer: string }> {
  if (steps.length === 0) {
    yield { value, pointer }
    return
  }
  const [step, ...rest] = steps as [Step, ...Step[]]
  if ('key' in step) {
    if (typeof value !== 'object' || value === null || Array.isArray(value) || !Object.hasOwn(value, step.key)) return
    yield* locate((value as Record<string, unknown>)[step.key], rest, `${pointer}/${step.key.replace(/~/g, '~0').replace(/\//g, '~1')}`)
  } else if ('index' in step) {
    if (!Array.isArray(value) || step.index >= value.length) return
    yield* locate(value[step.index], rest, `${pointer}/${step.index}`)
  } else if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) yield* locate(value[i], rest, `${pointer}/${i}`)
  }
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
