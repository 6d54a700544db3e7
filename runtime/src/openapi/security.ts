// Which dependencies authenticate a request, and how, so the OpenAPI document can list security
// schemes and per-route requirements. Auth marks its dependencies here; nothing else writes.
import type { Dependency } from '../core/depends.js'

/** A security scheme object of OpenAPI 3.1 (`http` bearer, `apiKey` in a cookie, ...). */
export type SecurityScheme = Record<string, unknown>

/** One way a dependency accepts credentials: a scheme name and its definition. */
export interface SecurityAlternative {
  readonly name: string
  readonly scheme: SecurityScheme
}

// Keyed by the dependency object: no app state, and a dependency made again is not marked.
const marks = new WeakMap<Dependency, readonly SecurityAlternative[]>()

/** Marks `dependency` as accepting any one of `alternatives` (e.g. a bearer header or a cookie). */
export function markSecurity(dependency: Dependency, alternatives: readonly SecurityAlternative[]): void {
  marks.set(dependency, alternatives)
}

/** The credentials `dependency` accepts, if it authenticates. */
export function securityOf(dependency: Dependency): readonly SecurityAlternative[] | undefined {
  return marks.get(dependency)
}
