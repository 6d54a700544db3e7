// .ci/run keeps the browser tests' screenshots: at the end, passed or failed, it copies
// test/artifacts/ to CI_ARTIFACTS_DIR (or ARTIFACTS_DIR) when CI names one, else says where they
// are and how many; its result lines stay last and unchanged. Run here on a copy of the script in
// a scratch repo whose `npm` only reports a result (no install, no suite), so this takes a second.
import { spawnSync } from 'node:child_process'
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { test } from 'uvu'
import * as assert from 'uvu/assert'

const CI_RUN = fileURLToPath(new URL('../.ci/run', import.meta.url))
const SHOTS = ['coordinator-project-map.png', 'map-blank-project.png', 'error-pages-404.png']
const PNG = Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex')

let scratch: string

test.before(() => {
  scratch = mkdtempSync(join(tmpdir(), 'ci-run-'))
  const bin = join(scratch, 'bin')
  mkdirSync(bin)
  // npm ci installs nothing; npm test prints what a run of the suite ends with
  const npm = '#!/bin/sh\ncase "$1" in\n  ci) exit 0 ;;\n  test) echo "tests: $FAKE_PASSED passed, $FAKE_FAILED failed"; [ "$FAKE_FAILED" = 0 ] ;;\nesac\n'
  for (const [name, body] of [['npm', npm], ['chromium', '#!/bin/sh\n'], ['haproxy', '#!/bin/sh\n']] as const) {
    writeFileSync(join(bin, name), body)
    chmodSync(join(bin, name), 0o755)
  }
})
test.after(() => {
  rm(scratch)
})

function rm(path: string): void {
  rmSync(path, { recursive: true, force: true })
}

/** A scratch repo with .ci/run and three screenshots; runs it with `env` and answers its output. */
function runCi(env: Record<string, string>, failed = 0): { repo: string; code: number | null; lines: string[] } {
  const repo = mkdtempSync(join(scratch, 'repo-'))
  mkdirSync(join(repo, '.ci'))
  copyFileSync(CI_RUN, join(repo, '.ci', 'run'))
  mkdirSync(join(repo, 'test', 'artifacts'), { recursive: true })
  for (const name of SHOTS) writeFileSync(join(repo, 'test', 'artifacts', name), PNG)
  const inherited = { ...process.env }
  for (const key of ['CI_ARTIFACTS_DIR', 'ARTIFACTS_DIR', 'DATABASE_URL']) delete inherited[key]
  const run = spawnSync('bash', [join(repo, '.ci', 'run')], {
    cwd: repo,
    encoding: 'utf8',
    timeout: 60_000,
    env: { ...inherited, PATH: `${join(scratch, 'bin')}:${process.env.PATH}`, FAKE_PASSED: '7', FAKE_FAILED: String(failed), ...env },
  })
  return { repo, code: run.status, lines: `${run.stdout}${run.stderr}`.trimEnd().split('\n') }
}

/** The result lines .ci/run ends with, unchanged: Node's closing block, then the one line CI reads. */
function assertResultLast(lines: string[], passed: number, failed: number): void {
  const tail = lines.slice(-9)
  assert.equal(tail.slice(0, 7), [`# tests ${passed + failed}`, '# suites 2', `# pass ${passed}`, `# fail ${failed}`, '# cancelled 0', '# skipped 0', '# todo 0'], lines.join('\n'))
  assert.match(tail[7]!, /^# duration_ms \d+$/)
  assert.is(tail[8], `tests: ${passed} passed, ${failed} failed`)
}

test('with CI_ARTIFACTS_DIR set, the screenshots are copied there, one line says so, and the result lines stay last', () => {
  const kept = join(scratch, 'kept-by-ci')
  const { repo, code, lines } = runCi({ CI_ARTIFACTS_DIR: kept })
  assert.is(code, 0, lines.join('\n'))
  assertResultLast(lines, 7, 0)
  assert.is(lines.at(-10), `Screenshots: 3 copied from test/artifacts to ${kept}`)
  for (const name of SHOTS) assert.equal(readFileSync(join(kept, name)), PNG, name)
  assert.ok(existsSync(join(repo, 'test', 'artifacts', SHOTS[0]!)), 'copied, not moved')
})

test('a failed run keeps them too (ARTIFACTS_DIR works as well), and still fails with its result lines last', () => {
  const kept = join(scratch, 'kept-after-failure')
  const { code, lines } = runCi({ ARTIFACTS_DIR: kept }, 2)
  assert.is.not(code, 0)
  assertResultLast(lines, 7, 2)
  assert.is(lines.at(-10), `Screenshots: 3 copied from test/artifacts to ${kept}`)
  for (const name of SHOTS) assert.ok(existsSync(join(kept, name)), name)
})

test('with no folder named, the screenshots stay in test/artifacts and one line says where and how many', () => {
  const { repo, code, lines } = runCi({})
  assert.is(code, 0, lines.join('\n'))
  assertResultLast(lines, 7, 0)
  assert.is(lines.at(-10), 'Screenshots: 3 in test/artifacts')
  for (const name of SHOTS) assert.ok(existsSync(join(repo, 'test', 'artifacts', name)), name)
})

test.run()
