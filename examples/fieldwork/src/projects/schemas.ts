// Shapes of the projects unit; each type comes from its schema. `Polygon` is shared with tasks.
import { named, t, type Static } from 'trefoil'
import { PROJECT_ROLES } from '../db/enums.js'

const Position = t.Tuple([t.Number({ minimum: -180, maximum: 180 }), t.Number({ minimum: -90, maximum: 90 })], { description: '[longitude, latitude]' })

/** Most positions in one area, all rings together (the logic counts them; a ring alone is capped here). */
export const MAX_VERTICES = 10_000
/** Most rings in a polygon (its outer ring and holes) and most polygons in a MultiPolygon. */
export const MAX_PARTS = 100

// a closed ring: at least a triangle and its first position again (closure is checked in the logic)
const Ring = t.Array(Position, { minItems: 4, maxItems: MAX_VERTICES, description: 'A closed ring: its last position repeats its first' })
const PolygonCoordinates = t.Array(Ring, { minItems: 1, maxItems: MAX_PARTS, description: 'The outer ring, then any holes' })

/** A GeoJSON Polygon (RFC 7946 §3.1.6): an outer ring and any holes, each closed. */
export const Polygon = named(
  'Polygon',
  t.Object({ type: t.Literal('Polygon'), coordinates: PolygonCoordinates }, { description: 'GeoJSON Polygon in longitude/latitude', additionalProperties: false }),
)
export type Polygon = Static<typeof Polygon>

/** A GeoJSON MultiPolygon (RFC 7946 §3.1.7): several polygons, say islands. */
export const MultiPolygon = named(
  'MultiPolygon',
  t.Object(
    { type: t.Literal('MultiPolygon'), coordinates: t.Array(PolygonCoordinates, { minItems: 1, maxItems: MAX_PARTS }) },
    { description: 'GeoJSON MultiPolygon in longitude/latitude', additionalProperties: false },
  ),
)
export type MultiPolygon = Static<typeof MultiPolygon>

const AREA_DESCRIPTION = 'A GeoJSON Polygon or MultiPolygon: closed rings, at least 4 positions each, at most 10,000 positions and 5,000 km² in all, not crossing itself'

/** A project's area of interest as clients receive it: a Polygon or a MultiPolygon. */
export const Area = t.Union([Polygon, MultiPolygon], { description: AREA_DESCRIPTION })
export type Area = Static<typeof Area>

/**
 * A project's area as clients send it. Chosen by its `type` (if / then) rather than a union, so
 * that a bad position is reported where it is, not as "matches neither branch".
 */
export const AreaIn = t.Unsafe<Area>({
  type: 'object',
  description: AREA_DESCRIPTION,
  required: ['type', 'coordinates'],
  properties: { type: { enum: ['Polygon', 'MultiPolygon'] }, coordinates: { type: 'array' } },
  // every subschema names both fields: the validator strips fields a subschema does not name
  allOf: [
    { if: { properties: { type: { const: 'Polygon' }, coordinates: {} } }, then: Polygon },
    { if: { properties: { type: { const: 'MultiPolygon' }, coordinates: {} } }, then: MultiPolygon },
  ],
})

/** A project's area as a GeoJSON Feature, with what a map legend shows. */
export const Outline = named(
  'Outline',
  t.Object({
    type: t.Literal('Feature'),
    geometry: Area,
    properties: t.Object({ id: t.Integer(), name: t.String(), areaKm2: t.Number({ description: 'Its surface on the ground, in km²' }) }),
  }),
)
export type Outline = Static<typeof Outline>

/**
 * Text that PostgreSQL can store: anything but the NUL character (its text type refuses it, and
 * the request would fail as a 500 instead of a 422).
 */
export const TEXT_PATTERN = '^[^\\u0000]*$'

const Name = t.String({ minLength: 1, maxLength: 128, pattern: TEXT_PATTERN, transform: ['trim'] })
const Description = t.String({ maxLength: 2000, pattern: TEXT_PATTERN, transform: ['trim'] })
const Priority = t.Integer({ minimum: 0, maximum: 10 })

/** What a client sends to create a project. */
export const ProjectIn = named(
  'ProjectIn',
  t.Object({
    name: Name,
    description: t.String({ maxLength: 2000, pattern: TEXT_PATTERN, default: '', transform: ['trim'] }),
    priority: t.Integer({ minimum: 0, maximum: 10, default: 5 }),
    area: t.Optional(AreaIn),
  }),
)
export type ProjectIn = Static<typeof ProjectIn>

/** What a client sends to change a project: any of its fields. */
export const ProjectUpdate = named(
  'ProjectUpdate',
  t.Object({ name: t.Optional(Name), description: t.Optional(Description), priority: t.Optional(Priority), area: t.Optional(AreaIn) }, { minProperties: 1 }),
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
    area: t.Union([Area, t.Null()]),
    outline: t.Union([Outline, t.Null()], { description: 'The area as a GeoJSON Feature for maps (null without an area)' }),
    createdBy: t.Integer({ description: 'The id of the user who created it' }),
    createdAt: t.String({ format: 'date-time' }),
    updatedAt: t.String({ format: 'date-time' }),
  }),
)
export type ProjectOut = Static<typeof ProjectOut>

/** A project in a list: what a list needs and nothing private (no creator, no area: it can be large). */
export const ProjectSummary = named(
  'ProjectSummary',
  t.Object({
    id: t.Integer(),
    name: t.String(),
    description: t.String(),
    priority: t.Integer(),
    hasArea: t.Boolean(),
    taskCount: t.Integer({ minimum: 0 }),
    createdAt: t.String({ format: 'date-time' }),
  }),
)
export type ProjectSummary = Static<typeof ProjectSummary>

/** How to page and search the project list; the total is in the `X-Total-Count` header. */
export const ProjectQuery = t.Object({
  q: t.Optional(t.String({ maxLength: 128, pattern: TEXT_PATTERN, transform: ['trim'], description: 'Text found in the name or description (any case)' })),
  limit: t.Integer({ minimum: 1, maximum: 100, default: 50 }),
  offset: t.Integer({ minimum: 0, maximum: 1_000_000, default: 0 }),
})
export type ProjectQuery = Static<typeof ProjectQuery>

/** A role in a project. */
export const ProjectRole = t.Enum(PROJECT_ROLES, { description: 'Lowest first: each role includes the ones before it' })

/** A user's role in a project. */
export const MemberOut = named('MemberOut', t.Object({ userId: t.Integer(), name: t.String(), role: ProjectRole }))

/** What a project manager sends to give a user a role. */
export const MemberIn = named('MemberIn', t.Object({ role: ProjectRole }))
export type MemberIn = Static<typeof MemberIn>

/**
 * A row id in a path: a PostgreSQL `integer`. The maximum matters: a path segment like `1e309`
 * is coerced to Infinity, which would otherwise pass as an integer and fail in the query (500).
 */
export const Id = t.Integer({ minimum: 1, maximum: 2_147_483_647 })

/** Path params naming one project. */
export const ProjectParams = t.Object({ projectId: Id })

/** Path params naming one user of a project. */
export const MemberParams = t.Object({ projectId: Id, userId: Id })
