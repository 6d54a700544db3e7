// The dependency graph of an app (built at start-up, overrides applied, cycles rejected) and the
// per-request solver: each dependency runs at most once, independent ones concurrently.
import { schemasCheckedBy, type Cleanup, type Dependency, type DependencyInput } from './depends.js'
import { checkFor } from './serialize.js'
import { validateCoerced, type SchemaCompiler, type ValidationIssue, type Validator } from './validation.js'
import type { AppView } from './app-view.js'
import type { RequestContext } from './context.js'
import { TrefoilError } from './trefoil-error.js'

/** A dependency as placed in the graph: its effective definition, children and compiled inputs. */
export interface DepNode {
  readonly original: Dependency
  readonly dep: Dependency
  readonly children: readonly (readonly [string, DepNode])[]
  readonly params: Validator | undefined
  readonly query: Validator | undefined
  readonly headers: Validator | undefined
}

/** Builds graph nodes for an app; one node per dependency, shared by all routes. */
export class DependencyGraph {
  private readonly nodes = new Map<Dependency, DepNode>()
  private readonly validators = new WeakMap<object, Validator>()

  constructor(
    private readonly overrides: ReadonlyMap<Dependency, Dependency>,
    private readonly compiler: SchemaCompiler,
  ) {}

  /** The nodes for a `use` map, in declaration order; throws on a cycle, naming the chain. */
  entries(use: Readonly<Record<string, Dependency>>, owner: string): (readonly [string, DepNode])[] {
    return Object.keys(use).map((key) => [key, this.node(requireDependency(use[key], key, owner), [])] as const)
  }

  /** Every node reachable from `roots`, each once, dependencies before their users. */
  static closure(roots: readonly (readonly [string, DepNode])[]): DepNode[] {
    const seen = new Set<DepNode>()
    const order: DepNode[] = []
    const visit = (node: DepNode): void => {
      if (seen.has(node)) return
      seen.add(node)
      for (const [, child] of node.children) visit(child)
      order.push(node)
    }
    for (const [, node] of roots) visit(node)
    return order
  }

  private node(original: Dependency, path: Dependency[]): DepNode {
    const existing = this.nodes.get(original)
    if (existing) return existing
    if (path.includes(original)) {
      const chain = [...path.slice(path.indexOf(original)), original].map((d) => d.name).join(' -> ')
      throw new TrefoilError('TREFOIL_DEPENDENCY_CYCLE', `Dependency cycle: ${chain}`)
    }
    const dep = this.overrides.get(original) ?? original
    const next = [...path, original]
    const children = Object.keys(dep.use).map((key) => [key, this.node(requireDependency(dep.use[key], key, dep.name), next)] as const)
    const node: DepNode = {
      original,
      dep,
      children,
      params: this.compile(dep.params),
      query: this.compile(dep.query),
      headers: this.compile(dep.headers),
    }
    // schemas the dependency checks values against itself: compiled now, with the app's formats
    for (const schema of schemasCheckedBy(dep)) {
      try {
        checkFor(schema, this.compiler)
      } catch (error) {
        throw new TrefoilError('TREFOIL_SCHEMA_INVALID', `The schema dependency "${dep.name}" checks does not compile: ${(error as Error).message}`, { cause: error })
      }
    }
    this.nodes.set(original, node)
    return node
  }

  private compile(schema: object | undefined): Validator | undefined {
    if (!schema) return undefined
    let validator = this.validators.get(schema)
    if (!validator) {
      validator = this.compiler.compileCoercing(schema as never)
      this.validators.set(schema, validator)
    }
    return validator
  }
}

function requireDependency(value: Dependency | undefined, key: string, owner: string): Dependency {
  if (!value || value.kind !== 'dependency') {
    throw new TrefoilError('TREFOIL_NOT_A_DEPENDENCY', `"${owner}" uses "${key}", which is not a dependency made by depends()`)
  }
  return value
}

/** The raw request parts a dependency may read, before its own schema checks them. */
export interface RawInputs {
  params: Record<string, string>
  query: Record<string, unknown>
  headers: Record<string, unknown>
}

interface NodeInputs {
  params: unknown
  query: unknown
  headers: unknown
}

/** One request's view of the graph: cached values, validated inputs, cleanups. */
export class RequestScope {
  // allocated on first use: most requests have one or two synchronous dependencies
  private values: Map<DepNode, unknown> | undefined
  private inputs: Map<DepNode, NodeInputs> | undefined
  private started: Promise<unknown>[] | undefined
  private cleanups: Cleanup[] | undefined
  // a field, not a closure made inside a method per request: that closure kept each request's
  // objects alive past two scavenges (promoted to the old generation: 2-3x the GC time)
  private readonly addCleanup = (fn: Cleanup): void => {
    ;(this.cleanups ??= []).push(fn)
  }

  constructor(
    private readonly ctx: RequestContext,
    private readonly app: AppView,
    private readonly raw: RawInputs,
  ) {}

  /** Validates the params / query / headers every dependency of `nodes` declares; collects issues. */
  validate(nodes: readonly DepNode[], issues: ValidationIssue[]): void {
    for (const node of nodes) {
      if (!node.params && !node.query && !node.headers) continue
      ;(this.inputs ??= new Map()).set(node, {
        params: check(node.params, this.raw.params, 'path', issues),
        query: check(node.query, this.raw.query, 'query', issues),
        headers: check(node.headers, this.raw.headers, 'header', issues),
      })
    }
  }

  /** Resolves `entries` into `target` (key → value); a promise only if some dependency is async. */
  resolveInto(entries: readonly (readonly [string, DepNode])[], target: Record<string, unknown>): void | Promise<void> {
    let waits: Promise<unknown>[] | undefined
    try {
      for (const [key, node] of entries) {
        const value = this.resolve(node)
        if (value instanceof Promise) (waits ??= []).push(value.then((v) => void (target[key] = v)))
        else target[key] = value
      }
    } catch (error) {
      // a dependency threw synchronously: the async ones already started must not reject unheard
      if (waits) for (const wait of waits) wait.catch(ignore)
      throw error
    }
    if (waits) return firstFailureInOrder(waits)
  }

  /** Waits until every dependency started for this request has settled (before cleanups run). */
  async settle(): Promise<void> {
    if (this.started) await Promise.allSettled(this.started)
  }

  /** Runs the registered cleanups in reverse order; the first failure is rethrown after all ran. */
  async cleanup(error: unknown): Promise<void> {
    const cleanups = this.cleanups
    if (!cleanups) return
    this.cleanups = undefined
    let failure: unknown
    for (let i = cleanups.length - 1; i >= 0; i--) {
      try {
        await cleanups[i]!(error)
      } catch (cause) {
        failure ??= cause
      }
    }
    if (failure !== undefined) throw failure
  }

  /** Whether any cleanup is registered. */
  get hasCleanups(): boolean {
    return this.cleanups !== undefined
  }

  private resolve(node: DepNode): unknown {
    const cache = node.dep.cache
    if (cache && this.values?.has(node)) return this.values.get(node)
    const input = this.baseInput(node)
    const pending = this.resolveInto(node.children, input)
    const value = pending ? pending.then(() => node.dep.run(input)) : node.dep.run(input)
    if (value instanceof Promise) (this.started ??= []).push(value)
    if (cache) (this.values ??= new Map()).set(node, value)
    return value
  }

  private baseInput(node: DepNode): DependencyInput {
    const validated = this.inputs?.get(node)
    return {
      params: validated?.params ?? this.raw.params,
      query: validated?.query ?? this.raw.query,
      headers: validated?.headers ?? this.raw.headers,
      ctx: this.ctx,
      app: this.app,
      cleanup: this.addCleanup,
    }
  }
}

/** Validates a copy of `raw` (validation coerces in place) and returns it; issues are collected. */
export function check(validator: Validator | undefined, raw: object, loc: 'path' | 'query' | 'header', issues: ValidationIssue[]): unknown {
  if (!validator) return undefined
  const copy: Record<string, unknown> = { ...raw }
  validateCoerced(validator, copy, loc, issues)
  return copy
}

function ignore(): void {}

/**
 * Waits for every one of `waits`; of several that fail, the error of the first in declaration
 * order is the answer, whichever failed first in time. Dependencies run at once, but the answer
 * must not depend on timing: a route that declares the project (404 for an outsider) before the
 * role check (403) must never tell an outsider, by a 403, that a private project exists.
 */
async function firstFailureInOrder(waits: readonly Promise<unknown>[]): Promise<void> {
  // a later one failing while an earlier one is awaited must not be an unhandled rejection
  for (const wait of waits) wait.catch(ignore)
  for (const wait of waits) await wait
}
