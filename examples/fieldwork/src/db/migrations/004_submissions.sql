-- Submissions from the field for a task (the form's data, as ODK sends it) and their attachments.
-- Attachment bytes live on disk under DATA_DIR/uploads with a generated name; rows keep the rest.
CREATE TABLE submissions (
  id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  task_id integer NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
  user_id integer NOT NULL REFERENCES users (id),
  device_id text,
  xml text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX submissions_task_id_idx ON submissions (task_id);

CREATE TABLE attachments (
  id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  submission_id integer NOT NULL REFERENCES submissions (id) ON DELETE CASCADE,
  -- the client's file name, for display and downloads only
  filename text NOT NULL,
  -- the generated name on disk (never derived from the client's)
  stored_name text NOT NULL,
  media_type text NOT NULL,
  size_bytes bigint NOT NULL,
  sha256 text NOT NULL,
  CONSTRAINT attachments_stored_name_key UNIQUE (stored_name)
);
CREATE INDEX attachments_submission_id_idx ON attachments (submission_id);
