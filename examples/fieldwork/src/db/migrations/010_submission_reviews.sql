-- A validator's review of a submission (ODK Central's review states): unreviewed while null.
CREATE TYPE review_state AS ENUM ('approved', 'has_issues', 'rejected');

ALTER TABLE submissions
  ADD COLUMN review_state review_state,
  ADD COLUMN review_comment text,
  ADD COLUMN reviewed_by integer REFERENCES users (id),
  ADD COLUMN reviewed_at timestamptz,
  -- a review names its reviewer and its time, and only a review does
  ADD CONSTRAINT submissions_review_check CHECK ((review_state IS NULL) = (reviewed_by IS NULL) AND (review_state IS NULL) = (reviewed_at IS NULL));
