// Exports of a project's submissions for analysis: CSV for spreadsheets, GeoJSON for GIS, both
// streamed from the database as the client reads (field managers and above).
import { Readable } from 'node:stream'
import { defineUnit, stream } from 'trefoil'
import { database } from '../db/database.js'
import { project, requireRole, signedIn } from '../deps.js'
import { submissionsCsv, submissionsGeoJson } from './logic.js'
import { SubmissionCollection } from './schemas.js'

function download(name: string): Record<string, string> {
  return { 'content-disposition': `attachment; filename="${name}"`, 'cache-control': 'no-store' }
}

/** The exports unit: `/v1/projects/:projectId/submissions.csv` and `.geojson`. */
export default defineUnit('exports', { prefix: '/v1/projects/:projectId', use: { user: signedIn, project }, tags: ['exports'], description: "A project's submissions as CSV or GeoJSON, streamed" }, (r) => [
  r.get('/submissions.csv', { use: { grant: requireRole('field_manager'), db: database }, summary: "The project's submissions as CSV, streamed (field managers)", mediaTypes: ['text/csv'], responseHeaders: { 'Content-Disposition': 'attachment, with a file name' } }, ({ grant, db }) =>
    stream(Readable.from(submissionsCsv(db, grant.projectId)), { type: 'text/csv; charset=utf-8', headers: download(`project-${grant.projectId}-submissions.csv`) }),
  ),

  r.get('/submissions.geojson', { use: { grant: requireRole('field_manager'), db: database }, summary: "The project's submissions as a GeoJSON FeatureCollection of points, streamed (field managers)", responses: { 200: { content: { 'application/geo+json': SubmissionCollection } } }, responseHeaders: { 'Content-Disposition': 'attachment, with a file name' } }, ({ grant, db }) =>
    stream(Readable.from(submissionsGeoJson(db, grant.projectId)), { type: 'application/geo+json', headers: download(`project-${grant.projectId}-submissions.geojson`) }),
  ),
])
