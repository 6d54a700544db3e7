// The example's units, drawn from their source: a unit's logic.ts is plain functions over the
// database that a test calls without HTTP, so it never touches request state, and the
// dependencies units share live in src/deps.ts rather than in one unit's logic.ts that the others
// reach into. Read with TypeScript's parser, so comments and strings never count.
import { readdirSync, readFileSync } from 'node:fs'
import { dirname, join, relative, resolve, sep } from 'node:path'
import { fileURLToPath } from 'node:url'
import ts from 'typescript'
import { test } from 'uvu'
import * as assert from 'uvu/assert'

const src = resolve(dirname(fileURLToPath(import.meta.url)), '../../examples/fieldwork/src')

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) return sourceFiles(path)
    return entry.name.endsWith('.ts') ? [path] : []
  })
}

const files = sourceFiles(src)
const name = (file: string): string => relative(src, file).split(sep).join('/')
const parse = (label: string, text: string): ts.SourceFile => ts.createSourceFile(label, text, ts.ScriptTarget.Latest, true)
const parsed = new Map(files.map((file) => [file, parse(name(file), readFileSync(file, 'utf8'))]))

// what reaches request state: the context (`ctx`, however it is destructured or passed on) and
// its types (a unit's own dependencies may live in logic.ts, as long as they leave it alone)
const REQUEST_STATE = new Set(['ctx', 'RequestContext', 'TrefoilState'])

function requestStateIn(source: ts.SourceFile): string[] {
  const found: string[] = []
  const visit = (node: ts.Node): void => {
    if (ts.isIdentifier(node) && REQUEST_STATE.has(node.text) && !ts.isImportSpecifier(node.parent)) {
      const { line } = source.getLineAndCharacterOfPosition(node.getStart())
      found.push(`${source.fileName}:${line + 1} ${node.text}`)
    }
    ts.forEachChild(node, visit)
  }
  visit(source)
  return found
}

function relativeImports(file: string, source: ts.SourceFile): string[] {
  const found: string[] = []
  const visit = (node: ts.Node): void => {
    const specifier = ts.isImportDeclaration(node) || ts.isExportDeclaration(node) ? node.moduleSpecifier : ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword ? node.arguments[0] : ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument) ? node.argument.literal : undefined
    if (specifier && ts.isStringLiteral(specifier) && specifier.text.startsWith('.')) found.push(resolve(dirname(file), specifier.text.replace(/\.js$/, '.ts')))
    ts.forEachChild(node, visit)
  }
  visit(source)
  return found
}

function crossings(file: string, source: ts.SourceFile): string[] {
  return relativeImports(file, source)
    .filter((target) => target.endsWith(`${sep}logic.ts`) && dirname(target) !== dirname(file))
    .map((target) => `${name(file)} → ${name(target)}`)
}

const logicFiles = files.filter((file) => file.endsWith(`${sep}logic.ts`))

test('the example has units with a logic.ts, and a src/deps.ts', () => {
  assert.ok(logicFiles.length >= 4, `logic.ts files: ${logicFiles.map(name).join(', ')}`)
  assert.ok(files.some((file) => name(file) === 'deps.ts'), 'src/deps.ts')
})

test("no unit's logic.ts touches request state", () => {
  const found = logicFiles.flatMap((file) => requestStateIn(parsed.get(file)!))
  assert.equal(found, [], 'request state in logic.ts (move it to src/deps.ts or the unit’s routes.ts)')
})

test("a unit's logic.ts is imported only from its own folder: shared dependencies come from src/deps.ts", () => {
  const found = files.flatMap((file) => crossings(file, parsed.get(file)!))
  assert.equal(found, [], "imports of another unit's logic.ts")
})

test('the rules see what they look for: the context and its type, not in comments, strings or imports; a crossing import', () => {
  const probe = parse('probe.ts', "import type { RequestContext } from 'trefoil'\nimport { project } from '../projects/logic.js'\n// ctx in a comment, 'ctx' in a string\nconst s = 'ctx'\nexport const f = ({ ctx }: { ctx: unknown }) => ctx\nexport const g = (c: RequestContext) => c.state.viewer ?? s\n")
  assert.equal(requestStateIn(probe).map((found) => found.replace(/^probe\.ts:/, '')), ['5 ctx', '5 ctx', '5 ctx', '6 RequestContext'])
  assert.equal(crossings(join(src, 'tasks', 'logic.ts'), probe), ['tasks/logic.ts → projects/logic.ts'])
  assert.equal(crossings(join(src, 'projects', 'routes.ts'), probe), [], 'a unit imports its own logic.ts')
})

test.run()
