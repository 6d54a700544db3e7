// Shapes of the projects unit; each type comes from its schema.
import { t, type Static } from 'trefoil'

/** What a client sends to create a project. */
export const ProjectIn = t.Object({
  name: t.String({ minLength: 1, maxLength: 128, transform: ['trim'] }),
  description: t.String({ maxLength: 2000, default: '', transform: ['trim'] }),
  priority: t.Integer({ minimum: 0, maximum: 10, default: 5 }),
})
export type ProjectIn = Static<typeof ProjectIn>

/** A project as clients see it. */
export const ProjectOut = t.Object({
  id: t.Integer(),
  name: t.String(),
  description: t.String(),
  priority: t.Integer(),
})
export type ProjectOut = Static<typeof ProjectOut>

/** Path params naming one project. */
export const ProjectParams = t.Object({ projectId: t.Integer({ minimum: 1 }) })
