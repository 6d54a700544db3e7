-- Tasks: the cells a project's area is split into, each mapped then validated by one user at a time.
CREATE TYPE task_status AS ENUM ('ready', 'locked_for_mapping', 'mapped', 'locked_for_validation', 'validated', 'invalidated');
CREATE TYPE task_event AS ENUM ('lock_for_mapping', 'mark_mapped', 'lock_for_validation', 'validate', 'invalidate', 'unlock');

CREATE TABLE tasks (
  id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  project_id integer NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
  -- 1, 2, 3… within the project, row by row from the south-west corner
  project_task_index integer NOT NULL,
  outline jsonb NOT NULL,
  status task_status NOT NULL DEFAULT 'ready',
  locked_by integer REFERENCES users (id),
  updated_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT tasks_project_index_key UNIQUE (project_id, project_task_index),
  -- a lock always has a holder, and only a lock has one
  CONSTRAINT tasks_lock_holder_check CHECK ((status IN ('locked_for_mapping', 'locked_for_validation')) = (locked_by IS NOT NULL))
);
CREATE INDEX tasks_project_id_idx ON tasks (project_id);

-- The history of every task: who did what, and the status it led to.
CREATE TABLE task_events (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  task_id integer NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
  user_id integer NOT NULL REFERENCES users (id),
  event task_event NOT NULL,
  status task_status NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX task_events_task_id_idx ON task_events (task_id);
