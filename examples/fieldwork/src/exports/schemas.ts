// What the GeoJSON export holds, for the OpenAPI document: the export is streamed as text, so no
// response model shapes it, and this schema is what clients and the docs read it by.
import { named, t } from 'trefoil'
import { REVIEW_STATES } from '../submissions/schemas.js'

/** A GeoJSON Point (RFC 7946 §3.1.2): longitude, latitude. */
const Point = t.Object({ type: t.Literal('Point'), coordinates: t.Array(t.Number(), { minItems: 2, maxItems: 2, description: 'Longitude, latitude' }) })

/** A submission as the exports write it (the CSV's columns). */
const SubmissionRow = t.Object({
  id: t.Integer(),
  taskId: t.Integer({ description: "The task's number within the project" }),
  userId: t.Integer(),
  userName: t.String(),
  deviceId: t.Union([t.String(), t.Null()]),
  createdAt: t.String({ format: 'date-time' }),
  attachments: t.Integer({ minimum: 0, description: 'How many photos came with it' }),
  reviewState: t.Union([t.Enum(REVIEW_STATES), t.Null()], { description: 'null until a validator reviews it' }),
  xml: t.String(),
})

/** A submission as a GeoJSON Feature: a Point at the centre of its task, its fields as properties. */
export const SubmissionFeature = named(
  'SubmissionFeature',
  t.Object({ type: t.Literal('Feature'), id: t.Integer(), geometry: t.Union([Point, t.Null()], { description: "The centre of the submission's task" }), properties: SubmissionRow }),
)

/** A project's submissions as a GeoJSON FeatureCollection. */
export const SubmissionCollection = named('SubmissionCollection', t.Object({ type: t.Literal('FeatureCollection'), features: t.Array(SubmissionFeature) }))
