// The test runner behind `npm test`: runs every `*.test.ts` under test/ as its own uvu process
// (a file that throws on import fails on its own), then the type checks, and ends with the one
// line CI reads: `tests: N passed, N failed`. Exits non-zero on any failure.
import { spawn } from 'node:child_process'
import { readdirSync } from 'node:fs'
import { availableParallelism } from 'node:os'
import { join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))
const filter = process.argv.slice(2)

interface Outcome {
  name: string
  passed: number
  failed: number
  skipped: number
  output: string
}

function findTests(dir: string): string[] {
  const found: string[] = []
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name)
    if (entry.isDirectory() && entry.name !== 'node_modules' && entry.name !== 'fixtures') found.push(...findTests(path))
    else if (entry.name.endsWith('.test.ts')) found.push(path)
  }
  return found.sort()
}

// A test file that has not finished by then is stopped and counted as failed, so CI never hangs.
const FILE_TIMEOUT_MS = Number(process.env.TEST_FILE_TIMEOUT_MS ?? 10 * 60_000)

function run(command: string, args: string[], env: Record<string, string> = {}): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd: root, detached: true, env: { ...process.env, NODE_ENV: 'test', FORCE_COLOR: '0', NO_COLOR: '1', ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
    let output = ''
    const timer = setTimeout(() => {
      output += `\nStopped after ${FILE_TIMEOUT_MS / 1000} s: the file did not finish\n`
      killGroup(child.pid)
    }, FILE_TIMEOUT_MS)
    child.stdout.on('data', (chunk: Buffer) => (output += chunk))
    child.stderr.on('data', (chunk: Buffer) => (output += chunk))
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      killGroup(child.pid) // whatever the file started and left behind
      resolve({ code: code ?? (signal ? 1 : 0), output })
    })
  })
}

function killGroup(pid: number | undefined): void {
  if (pid === undefined) return
  try {
    process.kill(-pid, 'SIGKILL')
  } catch {
    // the group is already gone
  }
}

async function runTestFile(path: string): Promise<Outcome> {
  const name = relative(root, path)
  const { code, output } = await run(process.execPath, ['--import', 'tsx', '--conditions=source', path])
  // uvu's summary: "Total: N / Passed: N / Skipped: N"
  const total = Number(/Total:\s+(\d+)/.exec(output)?.[1] ?? 0)
  const passed = Number(/Passed:\s+(\d+)/.exec(output)?.[1] ?? 0)
  const skipped = Number(/Skipped:\s+(\d+)/.exec(output)?.[1] ?? 0)
  let failed = total - passed // uvu's total leaves skipped tests out
  if (code !== 0 && failed === 0) failed = 1 // crashed, or threw before uvu could report
  if (code === 0 && total === 0) failed = 1 // a test file that ran no test is a mistake
  return { name, passed, failed, skipped, output }
}

async function runTypeTests(): Promise<Outcome> {
  const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc')
  const project = await run(process.execPath, [tsc, '-p', 'tsconfig.json'])
  const types = await run(process.execPath, [tsc, '-p', 'test/types/tsconfig.json'])
  const failed = (project.code === 0 ? 0 : 1) + (types.code === 0 ? 0 : 1)
  return { name: 'tsc (project + test/types)', passed: 2 - failed, failed, skipped: 0, output: project.output + types.output }
}

async function main(): Promise<void> {
  const started = Date.now()
  const files = findTests(join(root, 'test')).filter((f) => filter.length === 0 || filter.some((part) => f.includes(part)))
  const queue = [...files]
  const outcomes: Outcome[] = []
  const parallel = Math.max(1, Math.min(availableParallelism(), 4))
  const worker = async (): Promise<void> => {
    for (let file = queue.shift(); file; file = queue.shift()) {
      const outcome = await runTestFile(file)
      outcomes.push(outcome)
      console.log(fileLine(outcome))
      if (outcome.failed > 0) console.log(indent(outcome.output))
    }
  }
  const typeCheck = filter.length === 0 ? runTypeTests() : undefined
  await Promise.all(Array.from({ length: parallel }, worker))
  if (typeCheck) {
    const outcome = await typeCheck
    outcomes.push(outcome)
    console.log(fileLine(outcome))
    if (outcome.failed > 0) console.log(indent(outcome.output))
  }
  const passed = outcomes.reduce((n, o) => n + o.passed, 0)
  const failed = outcomes.reduce((n, o) => n + o.failed, 0)
  const skipped = outcomes.reduce((n, o) => n + o.skipped, 0)
  const duration = Date.now() - started
  console.log(`\n${outcomes.length} files in ${(duration / 1000).toFixed(1)} s`)
  console.log(summaryBlock({ tests: passed + failed + skipped, suites: outcomes.length, passed, failed, skipped, duration }))
  console.log(`tests: ${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`)
  process.exitCode = failed > 0 || outcomes.length === 0 ? 1 : 0
}

function indent(text: string): string {
  return text
    .trim()
    .split('\n')
    .map((line) => `    ${line}`)
    .join('\n')
}

await main()

// One line per test file. Deliberately unlike any test runner's own format (go test's `ok  pkg`,
// TAP's `ok N`) and without the `N passed, N failed` shape: CI tools that recognise those read
// them as the run's result, and the only result line must be the total at the end.
function fileLine(outcome: Outcome): string {
  const total = outcome.passed + outcome.failed
  return outcome.failed > 0
    ? `✗ ${outcome.name}: ${outcome.failed} of ${total} failing`
    : `✓ ${outcome.name}: ${total} ${total === 1 ? 'test' : 'tests'}`
}

/**
 * The closing block of Node's own test runner (its TAP form, as `node --test` prints it when its
 * output is not a terminal), with this run's counts. CI readers that recognise common runners read
 * it as the result; the `tests:` line after it says the same for readers of the plain form.
 */
function summaryBlock(counts: { tests: number; suites: number; passed: number; failed: number; skipped: number; duration: number }): string {
  return [
    `# tests ${counts.tests}`,
    `# suites ${counts.suites}`,
    `# pass ${counts.passed}`,
    `# fail ${counts.failed}`,
    '# cancelled 0',
    `# skipped ${counts.skipped}`,
    '# todo 0',
    `# duration_ms ${counts.duration}`,
  ].join('\n')
}
