// Type tests of replies against response models: `created()`, `json()` and a plain return must
// carry the model of their status (each `@ts-expect-error` fails the check if its line compiles).
import { created, defineUnit, html, json, noContent, t } from 'trefoil'

const ProjectOut = t.Object({ id: t.Integer(), name: t.String() })
const Problem = t.Object({ detail: t.String(), field: t.String() })

export default defineUnit('projects', { prefix: '/v1/projects' }, (r) => {
  // a single model: every success status uses it
  r.post('/', { response: ProjectOut }, () => created({ id: 1, name: 'Roads' }))
  // @ts-expect-error created() with a value that is not the model
  r.post('/wrong', { response: ProjectOut }, () => created({ id: 'one', name: 'Roads' }))
  // @ts-expect-error created() missing a field of the model
  r.post('/missing', { response: ProjectOut }, () => created({ id: 1 }))
  r.get('/json', { response: ProjectOut }, () => json({ id: 1, name: 'x' }))
  // @ts-expect-error json() with the route's default status and a wrong value
  r.get('/json-wrong', { response: ProjectOut }, () => json({ id: 1, name: 2 }))
  // an error status has no model here: any value
  r.get('/json-error', { response: ProjectOut }, () => json({ detail: 'gone' }, { status: 410 }))
  // @ts-expect-error a plain return that does not fit
  r.get('/plain-wrong', { response: ProjectOut }, () => ({ id: 1, name: null }))
  // replies with no value to check are always allowed
  r.get('/page', { response: ProjectOut }, () => html('<p>hi</p>'))
  r.delete('/:id', { response: ProjectOut }, () => noContent())

  // one model per status
  r.put('/:id', { response: { 200: ProjectOut, 201: ProjectOut, 409: Problem } }, ({ params }) => {
    if (params.id === '0') return json({ detail: 'taken', field: 'name' }, { status: 409 })
    if (params.id === '1') return created({ id: 1, name: 'new' })
    return { id: 2, name: 'kept' }
  })
  // @ts-expect-error json() with status 409 must be the 409 model
  r.put('/:id/conflict', { response: { 200: ProjectOut, 409: Problem } }, () => json({ id: 1, name: 'x' }, { status: 409 }))
  // @ts-expect-error created() must be the 201 model
  r.put('/:id/created', { response: { 201: ProjectOut } }, () => created({ name: 'no id' }))

  // no model: anything goes
  r.get('/free', () => created({ whatever: true }))
})
