// Shapes of the projects unit; each type comes from its schema. `Polygon` is shared with tasks.
import { named, t, type Static } from 'trefoil'
import { PROJECT_ROLES } from '../db/enums.js'

const Position = t.Tuple([t.Number({ minimum: -180, maximum: 180 }), t.Number({ minimum: -90, maximum: 90 })], { description: '[longitude, latitude]' })

/** A GeoJSON Polygon with one ring (no holes): first and last positions equal. */
export const Polygon = named(
  'Polygon',
  t.Object(
    {
      type: t.Literal('Polygon'),
      coordinates: t.Array(t.Array(Position, { minItems: 4, maxItems: 10_000 }), { minItems: 1, maxItems: 1 }),
    },
    { description: 'GeoJSON Polygon in longitude/latitude, outer ring only' },
  ),
)
export type Polygon = Static<typeof Polygon>

const Name = t.String({ minLength: 1, maxLength: 128, transform: ['trim'] })
const Description = t.String({ maxLength: 2000, transform: ['trim'] })
const Priority = t.Integer({ minimum: 0, maximum: 10 })

/** What a client sends to create a project. */
export const ProjectIn = named(
  'ProjectIn',
  t.Object({
    name: Name,
    description: t.String({ maxLength: 2000, default: '', transform: ['trim'] }),
    priority: t.Integer({ minimum: 0, maximum: 10, default: 5 }),
    area: t.Optional(Polygon),
  }),
)
export type ProjectIn = Static<typeof ProjectIn>

/** What a client sends to change a project: any of its fields. */
export const ProjectUpdate = named(
  'ProjectUpdate',
  t.Object({ name: t.Optional(Name), description: t.Optional(Description), priority: t.Optional(Priority), area: t.Optional(Polygon) }, { minProperties: 1 }),
)
export type ProjectUpdate = Static<typeof ProjectUpdate>

/** A project as clients see it. */
export const ProjectOut = named(
  'ProjectOut',
  t.Object({
    id: t.Integer(),
    name: t.String(),
    description: t.String(),
    priority: t.Integer(),
    area: t.Union([Polygon, t.Null()]),
    createdBy: t.Integer({ description: 'The id of the user who created it' }),
    createdAt: t.String({ format: 'date-time' }),
    updatedAt: t.String({ format: 'date-time' }),
  }),
)
export type ProjectOut = Static<typeof ProjectOut>

/** A role in a project. */
export const ProjectRole = t.Enum(PROJECT_ROLES, { description: 'Lowest first: each role includes the ones before it' })

/** A user's role in a project. */
export const MemberOut = named('MemberOut', t.Object({ userId: t.Integer(), name: t.String(), role: ProjectRole }))

/** What a project manager sends to give a user a role. */
export const MemberIn = named('MemberIn', t.Object({ role: ProjectRole }))
export type MemberIn = Static<typeof MemberIn>

/** Path params naming one project. */
export const ProjectParams = t.Object({ projectId: t.Integer({ minimum: 1 }) })

/** Path params naming one user of a project. */
export const MemberParams = t.Object({ projectId: t.Integer({ minimum: 1 }), userId: t.Integer({ minimum: 1 }) })
