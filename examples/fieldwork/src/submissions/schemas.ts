// Shapes of the submissions unit: what the field sends (form fields + files), what clients see,
// and a validator's review.
import { named, t, type Static } from 'trefoil'
import { Id } from '../projects/schemas.js'

/** The largest `submission_xml`, in bytes; a larger one stops the upload with 413. */
export const MAX_XML_BYTES = 1024 * 1024

/** The text fields of a submission, named as the guide's (and ODK Collect's) form sends them. */
export const SubmissionFields = named(
  'SubmissionFields',
  t.Object({
    submission_xml: t.String({ minLength: 1, description: `The filled-in form as well-formed XML, as ODK Collect sends it (at most ${MAX_XML_BYTES} bytes)` }),
    device_id: t.Optional(t.String({ maxLength: 128, pattern: '^[\\w.:-]*$', description: 'The device that collected it (empty: unknown)' })),
  }),
)
export type SubmissionFields = Static<typeof SubmissionFields>

/** The media types attachments may have: photos, read from their bytes, not their names. */
export const ATTACHMENT_TYPES = ['image/jpeg', 'image/png'] as const

/** Most attachments in one submission. */
export const MAX_ATTACHMENTS = 10
/** The largest attachment, in bytes (a phone's photo at full size). */
export const MAX_ATTACHMENT_BYTES = 20 * 1024 * 1024

/** A file of a submission as clients see it; `url` downloads it (Range requests resume). */
export const AttachmentOut = named(
  'AttachmentOut',
  t.Object({ id: t.Integer(), filename: t.String(), mediaType: t.String(), size: t.Integer(), sha256: t.String(), url: t.String() }),
)

/** A validator's verdict on a submission (ODK Central's names). */
export const REVIEW_STATES = ['approved', 'has_issues', 'rejected'] as const
/** A review state. */
export type ReviewState = (typeof REVIEW_STATES)[number]

const Who = t.Object({ id: t.Integer(), name: t.String() })

/** A submission as clients see it; `reviewState` is null until a validator reviews it. */
export const SubmissionOut = named(
  'SubmissionOut',
  t.Object({
    id: t.Integer(),
    url: t.String({ description: 'Where this submission is read and reviewed' }),
    taskId: t.Integer(),
    user: Who,
    deviceId: t.Union([t.String(), t.Null()]),
    xml: t.String(),
    fields: t.Union([t.Array(t.Object({ name: t.String(), value: t.String() })), t.Null()], { description: "The form's answers: each leaf element's path and text, in order (null for a document too large to list)" }),
    createdAt: t.String({ format: 'date-time' }),
    attachments: t.Array(AttachmentOut),
    reviewState: t.Union([t.Enum(REVIEW_STATES), t.Null()]),
    reviewComment: t.Union([t.String(), t.Null()]),
    reviewedBy: t.Union([Who, t.Null()]),
    reviewedAt: t.Union([t.String({ format: 'date-time' }), t.Null()]),
  }),
)
export type SubmissionOut = Static<typeof SubmissionOut>

/** What a validator sends to review a submission (again, to change their verdict). */
export const ReviewIn = named(
  'ReviewIn',
  t.Object({
    reviewState: t.Enum(REVIEW_STATES),
    comment: t.Optional(t.String({ maxLength: 2000, transform: ['trim'], description: 'What is wrong, for has_issues and rejected' })),
  }),
)
export type ReviewIn = Static<typeof ReviewIn>

/** Path params naming one submission (ids bounded like the database's `integer`). */
export const SubmissionParams = t.Object({ projectId: Id, taskId: Id, submissionId: Id })

/** Path params naming one attachment. */
export const AttachmentParams = t.Object({ projectId: Id, taskId: Id, submissionId: Id, attachmentId: Id })

/** How to get an attachment: as a download (default), or `inline` for the browser to show it. */
export const AttachmentQuery = t.Object({ inline: t.Boolean({ default: false, description: 'true: shown in the browser (thumbnails, the photo viewer) rather than downloaded' }) })
