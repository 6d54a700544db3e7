// Shapes of the projects unit; each type comes from its schema. `Polygon` is shared with tasks.
import { named, t, withDefault, type Static } from 'trefoil'
import { PROJECT_ROLES, PROJECT_VISIBILITIES } from '../db/enums.js'

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

// What clients send may carry an altitude (RFC 7946 §3.1.1 allows a third number): accepted, and
// dropped when the area is stored. Draft-07 tuple items: longitude, latitude, then any altitude.
const PositionIn = {
  type: 'array',
  minItems: 2,
  maxItems: 3,
  items: [
    { type: 'number', minimum: -180, maximum: 180 },
    { type: 'number', minimum: -90, maximum: 90 },
    { type: 'number' },
  ],
  description: '[longitude, latitude] or [longitude, latitude, altitude] (the altitude is ignored)',
}
const RingIn = { type: 'array', items: PositionIn, minItems: 4, maxItems: MAX_VERTICES, description: 'A closed ring: its last position repeats its first' }
const PolygonCoordinatesIn = { type: 'array', items: RingIn, minItems: 1, maxItems: MAX_PARTS, description: 'The outer ring, then any holes' }
const GEOMETRY_TYPES = ['Polygon', 'MultiPolygon']

// The runtime's validator drops fields a subschema does not name, so every subschema (each `if`
// as well) names all the fields any kind of area has.
const FIELDS = { type: {}, coordinates: {}, geometry: {}, features: {}, properties: {}, id: {} }

function byType(cases: Record<string, object>): object[] {
  return Object.entries(cases).map(([type, then]) => ({ if: { properties: { ...FIELDS, type: { const: type } } }, then }))
}

const GeometryIn = {
  type: 'object',
  required: ['type', 'coordinates'],
  properties: { ...FIELDS, type: { enum: GEOMETRY_TYPES, description: 'Polygon or MultiPolygon' }, coordinates: { type: 'array' } },
  allOf: byType({
    Polygon: { properties: { ...FIELDS, coordinates: PolygonCoordinatesIn } },
    MultiPolygon: { properties: { ...FIELDS, coordinates: { type: 'array', items: PolygonCoordinatesIn, minItems: 1, maxItems: MAX_PARTS } } },
  }),
}

const FeatureIn = {
  type: 'object',
  required: ['type', 'geometry'],
  properties: { ...FIELDS, type: { const: 'Feature' }, geometry: GeometryIn },
}

/** A position as clients may send it: longitude, latitude and an altitude that is ignored. */
export type PositionIn = [number, number] | [number, number, number]
/** A Polygon or MultiPolygon as clients may send it (altitudes allowed). */
export type GeometryIn = { type: 'Polygon'; coordinates: PositionIn[][] } | { type: 'MultiPolygon'; coordinates: PositionIn[][][] }
/** An area as clients send it: a geometry, a Feature of one, or a FeatureCollection of them. */
export type AreaInput = GeometryIn | { type: 'Feature'; geometry: GeometryIn } | { type: 'FeatureCollection'; features: { type: 'Feature'; geometry: GeometryIn }[] }

/**
 * A project's area as clients send it: a Polygon or MultiPolygon geometry, a Feature holding one,
 * or a FeatureCollection of them (what geojson.io and most GIS tools save), merged into one
 * MultiPolygon. Chosen by its `type` (if / then) rather than a union, so that a bad position is
 * reported where it is, not as "matches no branch".
 */
export const AreaIn = t.Unsafe<AreaInput>({
  type: 'object',
  description: `${AREA_DESCRIPTION}; also a Feature of one, or a FeatureCollection of them (merged into one MultiPolygon); a third number in a position (altitude) is ignored`,
  required: ['type'],
  properties: { ...FIELDS, type: { enum: [...GEOMETRY_TYPES, 'Feature', 'FeatureCollection'], description: 'Polygon, MultiPolygon, Feature or FeatureCollection' } },
  allOf: byType({
    Polygon: GeometryIn,
    MultiPolygon: GeometryIn,
    Feature: FeatureIn,
    FeatureCollection: { required: ['features'], properties: { ...FIELDS, features: { type: 'array', items: FeatureIn, minItems: 1, maxItems: MAX_PARTS } } },
  }),
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
const Instructions = t.String({ maxLength: 20_000, pattern: TEXT_PATTERN, transform: ['trim'], description: 'What mappers read before they start, as Markdown (raw HTML in it is shown as text)' })
const Archived = t.Boolean({ description: 'Finished with: still readable, listed after the others' })
const Visibility = t.Enum(PROJECT_VISIBILITIES, { description: 'public: every signed-in user reads it; private: its members (and admins) only' })

/** What a client sends to create a project. */
export const ProjectIn = named(
  'ProjectIn',
  t.Object({
    name: Name,
    description: withDefault(Description, ''),
    instructions: withDefault(Instructions, ''),
    priority: withDefault(Priority, 5),
    visibility: withDefault(t.Enum(PROJECT_VISIBILITIES, { description: 'public (default): every signed-in user reads it; private: its members (and admins) only' }), 'public'),
    area: t.Optional(AreaIn),
  }),
)
export type ProjectIn = Static<typeof ProjectIn>

/** What a client sends to change a project: any of its fields. */
export const ProjectUpdate = named(
  'ProjectUpdate',
  t.Object(
    { name: t.Optional(Name), description: t.Optional(Description), instructions: t.Optional(Instructions), priority: t.Optional(Priority), visibility: t.Optional(Visibility), archived: t.Optional(Archived), area: t.Optional(AreaIn) },
    { minProperties: 1 },
  ),
)
export type ProjectUpdate = Static<typeof ProjectUpdate>

/** A project as clients see it. */
export const ProjectOut = named(
  'ProjectOut',
  t.Object({
    id: t.Integer(),
    name: t.String(),
    description: t.String(),
    instructions: t.String({ description: 'What mappers read before they start, as Markdown' }),
    priority: t.Integer(),
    visibility: Visibility,
    archived: Archived,
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
    visibility: Visibility,
    archived: Archived,
    hasArea: t.Boolean(),
    taskCount: t.Integer({ minimum: 0 }),
    percentMapped: t.Integer({ minimum: 0, maximum: 100, description: 'Share of its tasks mapped (mapped, being validated or validated), in %' }),
    percentValidated: t.Integer({ minimum: 0, maximum: 100, description: 'Share of its tasks validated, in %' }),
    createdAt: t.String({ format: 'date-time' }),
  }),
)
export type ProjectSummary = Static<typeof ProjectSummary>

/** How to page and search the project list; the total is in the `X-Total-Count` header. */
export const ProjectQuery = t.Object({
  q: t.Optional(t.String({ maxLength: 128, pattern: TEXT_PATTERN, transform: ['trim'], description: 'Text found in the name or description (any case)' })),
  limit: withDefault(t.Integer({ minimum: 1, maximum: 100 }), 50),
  offset: withDefault(t.Integer({ minimum: 0, maximum: 1_000_000 }), 0),
})
export type ProjectQuery = Static<typeof ProjectQuery>

/** A role in a project. */
export const ProjectRole = t.Enum(PROJECT_ROLES, { description: 'Lowest first: each role includes the ones before it' })

/** A user's role in a project. */
export const MemberOut = named('MemberOut', t.Object({ userId: t.Integer(), name: t.String(), role: ProjectRole }))

/** What a project manager sends to give a user a role. */
export const MemberIn = named('MemberIn', t.Object({ role: ProjectRole }))
export type MemberIn = Static<typeof MemberIn>

/** What a project manager sends to give a role to the account of an email. */
export const MemberByEmailIn = named(
  'MemberByEmailIn',
  t.Object({ email: t.String({ format: 'email', maxLength: 254, transform: ['trim', 'toLowerCase'], description: 'The email of their account' }), role: ProjectRole }),
)
export type MemberByEmailIn = Static<typeof MemberByEmailIn>

/**
 * A row id in a path: a PostgreSQL `integer`. The maximum matters: a path segment like `1e309`
 * is coerced to Infinity, which would otherwise pass as an integer and fail in the query (500).
 */
export const Id = t.Integer({ minimum: 1, maximum: 2_147_483_647 })

/** Path params naming one project. */
export const ProjectParams = t.Object({ projectId: Id })

/** Path params naming one user of a project. */
export const MemberParams = t.Object({ projectId: Id, userId: Id })
