// An OpenAPI document judged by a linter nobody here wrote: Redocly's CLI with its `recommended`
// rules, on a temp copy of the document.
import { execFile } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'

const run = promisify(execFile)
const REDOCLY = new URL('../../node_modules/.bin/redocly', import.meta.url).pathname

/** What `redocly lint --format json` reports. */
export interface LintResult {
  totals: { errors: number; warnings: number; ignored: number }
  problems: { ruleId: string; message: string; location: { pointer: string }[] }[]
}

/** Lints `document` with Redocly's recommended rules. */
export async function lint(document: unknown): Promise<LintResult> {
  const dir = await mkdtemp(join(tmpdir(), 'trefoil-lint-'))
  try {
    const file = join(dir, 'openapi.json')
    await writeFile(file, JSON.stringify(document))
    // exits non-zero on errors: the JSON report is what counts
    const { stdout } = await run(REDOCLY, ['lint', file, '--extends', 'recommended', '--format', 'json'], { maxBuffer: 16 * 1024 * 1024 }).catch((error: { stdout: string }) => ({ stdout: error.stdout }))
    return JSON.parse(stdout) as LintResult
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

/** The problems of a lint, one line each, for an assertion's message. */
export function problems(result: LintResult): string {
  return result.problems.map((p) => `${p.ruleId}: ${p.message} at ${p.location[0]?.pointer}`).join('\n')
}
