// The submissions unit's SQL: submissions with their attachments and review, as typed functions
// over parameterised queries (values never concatenated into the text).
import type { Db } from 'trefoil'
import type { ReviewState } from './schemas.js'

/** A file that came with a submission. */
export interface Attachment {
  id: number
  submissionId: number
  filename: string
  storedName: string
  mediaType: string
  size: number
  sha256: string
}

/** A submission row, with its attachments, who sent it and its review. */
export interface Submission {
  id: number
  taskId: number
  user: { id: number; name: string }
  deviceId: string | null
  xml: string
  createdAt: string
  attachments: Attachment[]
  reviewState: ReviewState | null
  reviewComment: string | null
  reviewedBy: { id: number; name: string } | null
  reviewedAt: string | null
}

// timestamps leave as RFC 3339 text, the way clients receive them
const iso = (column: string): string => `to_json(${column}) #>> '{}'`

const ATTACHMENT = `a.id, a.submission_id AS "submissionId", a.filename, a.stored_name AS "storedName", a.media_type AS "mediaType", a.size_bytes::float8 AS "size", a.sha256`
// `taskId` is the task's number within its project (the one in its URL); queries take the task's row id
const SUBMISSION = `SELECT s.id, (SELECT t.project_task_index FROM tasks t WHERE t.id = s.task_id) AS "taskId", json_build_object('id', u.id, 'name', u.name) AS "user", s.device_id AS "deviceId", s.xml, ${iso('s.created_at')} AS "createdAt",
  COALESCE((SELECT json_agg(json_build_object('id', a.id, 'submissionId', a.submission_id, 'filename', a.filename, 'storedName', a.stored_name, 'mediaType', a.media_type, 'size', a.size_bytes, 'sha256', a.sha256) ORDER BY a.id)
            FROM attachments a WHERE a.submission_id = s.id), '[]') AS attachments,
  s.review_state AS "reviewState", s.review_comment AS "reviewComment",
  CASE WHEN r.id IS NULL THEN NULL ELSE json_build_object('id', r.id, 'name', r.name) END AS "reviewedBy",
  ${iso('s.reviewed_at')} AS "reviewedAt"
  FROM submissions s JOIN users u ON u.id = s.user_id LEFT JOIN users r ON r.id = s.reviewed_by`

/** Submissions of tasks. */
export const submissions = {
  insert: (db: Db, submission: { taskRowId: number; userId: number; deviceId: string | null; xml: string }): Promise<{ id: number }> =>
    db.one<{ id: number }>('INSERT INTO submissions (task_id, user_id, device_id, xml) VALUES ($<taskRowId>, $<userId>, $<deviceId>, $<xml>) RETURNING id', submission),
  get: (db: Db, taskRowId: number, id: number): Promise<Submission | null> => db.oneOrNone<Submission>(`${SUBMISSION} WHERE s.task_id = $1 AND s.id = $2`, [taskRowId, id]),
  /** A task's submissions, newest first. */
  list: (db: Db, taskRowId: number): Promise<Submission[]> => db.manyOrNone<Submission>(`${SUBMISSION} WHERE s.task_id = $1 ORDER BY s.id DESC`, [taskRowId]),
  /** Records a review (replacing an earlier one); false when the submission is gone. */
  review: async (db: Db, review: { id: number; state: ReviewState; comment: string | null; reviewerId: number }): Promise<boolean> =>
    (await db.result('UPDATE submissions SET review_state = $<state>, review_comment = $<comment>, reviewed_by = $<reviewerId>, reviewed_at = now() WHERE id = $<id>', review)).rowCount === 1,
}

/** Attachments of submissions. */
export const attachments = {
  insert: (db: Db, attachment: Omit<Attachment, 'id'>): Promise<Attachment> =>
    db.one<Attachment>(
      `INSERT INTO attachments AS a (submission_id, filename, stored_name, media_type, size_bytes, sha256)
       VALUES ($<submissionId>, $<filename>, $<storedName>, $<mediaType>, $<size>, $<sha256>) RETURNING ${ATTACHMENT}`,
      attachment,
    ),
  get: (db: Db, submissionId: number, id: number): Promise<Attachment | null> =>
    db.oneOrNone<Attachment>(`SELECT ${ATTACHMENT} FROM attachments a WHERE a.submission_id = $1 AND a.id = $2`, [submissionId, id]),
}
