// Type tests: handler inputs and dependency values infer as users expect; wrong uses must not
// compile (each `@ts-expect-error` fails the check if its line ever compiles).
import { created, defineUnit, depends, noContent, t, type Static } from 'trefoil'

const ProjectIn = t.Object({ name: t.String(), priority: t.Integer({ default: 5 }), tags: t.Optional(t.Array(t.String())) })
const ProjectOut = t.Object({ id: t.Integer(), name: t.String() })
type ProjectOut = Static<typeof ProjectOut>

const project = depends({ params: t.Object({ projectId: t.Integer() }) }, async ({ params }) => {
  const id: number = params.projectId
  // @ts-expect-error a param the dependency's schema does not declare
  void params.taskId
  return { id, name: 'x', ownerId: 3 }
})
const owner = depends({ use: { project } }, ({ project }) => {
  const ownerId: number = project.ownerId
  // @ts-expect-error a dependency value used as the wrong type
  const wrong: string = project.ownerId
  void wrong
  return { id: ownerId, role: 'mapper' as const }
})

export default defineUnit('projects', { prefix: '/v1/projects', use: { owner } }, (r) => {
  r.post('/', { body: ProjectIn, response: { 201: ProjectOut } }, ({ body, owner }) => {
    const name: string = body.name
    const priority: number = body.priority
    const tags: string[] | undefined = body.tags
    const role: 'mapper' = owner.role
    // @ts-expect-error a wrong body field
    void body.title
    // @ts-expect-error a body field used as the wrong type
    const n: number = body.name
    void [name, priority, tags, role, n]
    return created({ id: 1, name })
  })

  r.get('/:projectId', { use: { project }, response: ProjectOut }, ({ project, params }) => {
    // without a params schema, path params are typed from the path, as strings
    const raw: string = params.projectId
    // @ts-expect-error not in the path
    void params.other
    void raw
    const out: ProjectOut = project
    return out
  })

  // @ts-expect-error the returned value does not fit the response model
  r.get('/:projectId/name', { response: ProjectOut }, () => ({ id: 'one', name: 'x' }))

  r.delete('/:projectId', { query: t.Object({ hard: t.Boolean({ default: false }) }) }, ({ query }) => {
    const hard: boolean = query.hard
    void hard
    return noContent()
  })

  // @ts-expect-error `use` only takes dependencies
  r.get('/broken', { use: { notADependency: () => 1 } }, () => 1)
})
