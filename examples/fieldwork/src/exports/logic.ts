// Exports of a project's submissions as CSV and as GeoJSON, produced batch by batch from
// PostgreSQL (keyset pagination) as the client reads them: memory stays flat at any size.
import { centroid } from '@turf/centroid'
import type { Db } from 'trefoil'
import { exportsQueries, tasks, type SubmissionExportRow } from '../db/models.js'

/** Submissions read per query: big enough to amortise the round trip, small enough to stay flat. */
export const BATCH = 1000

/** A project's submissions in id order, one batch at a time, read only when the previous one was consumed. */
export async function* submissionBatches(db: Db, projectId: number, batch = BATCH): AsyncGenerator<SubmissionExportRow[]> {
  const taskIds = await exportsQueries.taskIds(db, projectId)
  if (taskIds.length === 0) return
  let after = 0
  for (;;) {
    const rows = await exportsQueries.submissionsAfter(db, taskIds, after, batch)
    if (rows.length === 0) return
    yield rows
    if (rows.length < batch) return
    after = rows[rows.length - 1]!.id
  }
}

const COLUMNS = ['id', 'taskId', 'userId', 'userName', 'deviceId', 'createdAt', 'attachments', 'reviewState', 'xml'] as const satisfies readonly (keyof SubmissionExportRow)[]

// OWASP's rule against CSV injection: a spreadsheet takes a cell starting with one of these for a
// formula (=HYPERLINK(…) in a user's name would become a link, or worse)
const FORMULA_START = /^[=+\-@\t\r]/

/**
 * A CSV field (RFC 4180): quoted when it holds a comma, a quote, a line break or leading or
 * trailing space, with its quotes doubled; null is an empty field. Text that a spreadsheet would
 * read as a formula gets a leading `'` (numbers are written as they are).
 */
export function csvField(value: string | number | null): string {
  if (value === null) return ''
  const text = typeof value === 'string' && FORMULA_START.test(value) ? `'${value}` : String(value)
  return /[",\r\n]|^\s|\s$/.test(text) ? `"${text.replaceAll('"', '""')}"` : text
}

/** A project's submissions as CSV text (header line first, CRLF line ends), chunk by chunk. */
export async function* submissionsCsv(db: Db, projectId: number): AsyncGenerator<string> {
  yield `${COLUMNS.join(',')}\r\n`
  for await (const rows of submissionBatches(db, projectId)) {
    yield rows.map((row) => `${COLUMNS.map((column) => csvField(row[column])).join(',')}\r\n`).join('')
  }
}

/**
 * A project's submissions as a GeoJSON FeatureCollection, chunk by chunk. Each is a Point at the
 * centre of its task (submissions carry no position of their own), its fields as properties.
 */
export async function* submissionsGeoJson(db: Db, projectId: number): AsyncGenerator<string> {
  // at most a few thousand tasks: their centres are computed once
  const centres = new Map((await tasks.list(db, projectId)).map((task) => [task.id, centroid(task.outline).geometry]))
  yield '{"type":"FeatureCollection","features":['
  let first = true
  for await (const rows of submissionBatches(db, projectId)) {
    const features = rows.map((row) => JSON.stringify({ type: 'Feature', id: row.id, geometry: centres.get(row.taskId) ?? null, properties: row }))
    yield (first ? '' : ',') + features.join(',')
    first = false
  }
  yield ']}'
}
