// Runs the generators in-process with yeoman-test, from their TypeScript sources (so the tests
// never see stale compiled JS), in folders the test owns; and reads back what they wrote.
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, relative } from 'node:path'
import helpers from 'yeoman-test'
import AppGenerator from '../../generators/src/app/index.js'
import type { KindGenerator } from '../../generators/src/lib/kind-generator.js'
import JobGenerator from '../../generators/src/job/index.js'
import PluginGenerator from '../../generators/src/plugin/index.js'
import TaskGenerator from '../../generators/src/task/index.js'
import UnitGenerator from '../../generators/src/unit/index.js'

/** Flags as yo would pass them (`--no-crud` is `crud: false`). */
export type Flags = Record<string, string | number | boolean>

/** A fresh folder under the system's temp folder; {@link removeFolders} deletes them all. */
export function tempFolder(): string {
  const dir = mkdtempSync(join(tmpdir(), 'trefoil-gen-'))
  made.push(dir)
  return dir
}
const made: string[] = []

/** Deletes every folder {@link tempFolder} made. */
export function removeFolders(): void {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true })
}

/** Runs `yo trefoil [args]` in `cwd` (with no git repository unless `git: true`); resolves once the files are on disk. */
export async function runApp(cwd: string, args: string[], flags: Flags = {}, answers?: Record<string, unknown>): Promise<{ asked: string[] }> {
  let context = helpers.run<AppGenerator>(AppGenerator, { namespace: 'trefoil:app', tmpdir: false, cwd, autoCleanup: false }).withArguments(args).withOptions({ skipInstall: true, force: false, git: false, ...flags })
  if (answers) context = context.withAnswers(answers)
  const result = await context
  return { asked: result.askedQuestions.map((q) => q.name) }
}

/** A question yeoman-test's mocked prompt was asked, and the answer it gave. */
export interface Asked {
  name: string
  message: string
  answer: unknown
}

/** Answers for the mocked prompt, and where the questions it was asked go (kept also when the run fails). */
export interface Prompts {
  answers: Record<string, unknown>
  asked: Asked[]
}

/** Runs `yo trefoil:unit [args]` in the service folder `cwd` (answering its questions from `prompts`, if given). */
export async function runUnit(cwd: string, args: string[], flags: Flags = {}, prompts?: Prompts): Promise<void> {
  let context = helpers.run<UnitGenerator>(UnitGenerator, { namespace: 'trefoil:unit', tmpdir: false, cwd, autoCleanup: false }).withArguments(args).withOptions({ skipInstall: true, force: false, ...flags })
  if (prompts) {
    context = context.withAnswers(prompts.answers, {
      callback: (answer: unknown, { question }) => {
        prompts.asked.push({ name: question.name, message: question.message, answer })
        return answer
      },
    })
  }
  await context
}

const KINDS = { task: TaskGenerator, job: JobGenerator, plugin: PluginGenerator } as const

/** Runs `yo trefoil:task|job|plugin [args]` in the service folder `cwd`. */
export async function runKind(kind: keyof typeof KINDS, cwd: string, args: string[], flags: Flags = {}): Promise<void> {
  await helpers.run<KindGenerator>(KINDS[kind], { namespace: `trefoil:${kind}`, tmpdir: false, cwd, autoCleanup: false }).withArguments(args).withOptions({ skipInstall: true, force: false, ...flags })
}

/** The message a run failed with (the test fails if it succeeded). */
export async function failure(run: Promise<unknown>): Promise<string> {
  try {
    await run
  } catch (error) {
    return (error as Error).message
  }
  throw new Error('Expected the generator to refuse, but it succeeded')
}

/** Every file under `dir`, relative and sorted; folders named in `skip` are not entered. */
export function filesOf(dir: string, skip: readonly string[] = []): string[] {
  const out: string[] = []
  const walk = (at: string): void => {
    for (const entry of readdirSync(at, { withFileTypes: true })) {
      const path = join(at, entry.name)
      if (entry.isDirectory()) {
        if (!skip.includes(entry.name)) walk(path)
      } else out.push(relative(dir, path))
    }
  }
  walk(dir)
  return out.sort()
}

/** Each file's contents and modification time (folders in `skip` left out): equal snapshots mean nothing was touched. */
export function snapshot(dir: string, skip: readonly string[] = []): Record<string, string> {
  const out: Record<string, string> = {}
  for (const file of filesOf(dir, skip)) out[file] = `${statSync(join(dir, file)).mtimeMs} ${readFileSync(join(dir, file), 'utf8')}`
  return out
}

/** A file's text. */
export function read(dir: string, file: string): string {
  return readFileSync(join(dir, file), 'utf8')
}
