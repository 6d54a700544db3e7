-- Projects and who may do what in each of them.
CREATE TYPE project_role AS ENUM ('mapper', 'validator', 'field_manager', 'project_manager');

CREATE TABLE projects (
  id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  name text NOT NULL,
  description text NOT NULL DEFAULT '',
  priority integer NOT NULL DEFAULT 5,
  -- a GeoJSON Polygon (lon/lat); null until the project manager draws it
  area jsonb,
  created_by integer NOT NULL CONSTRAINT projects_created_by_fkey REFERENCES users (id),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT projects_name_key UNIQUE (name),
  CONSTRAINT projects_priority_check CHECK (priority BETWEEN 0 AND 10)
);

CREATE TABLE project_members (
  project_id integer NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
  user_id integer NOT NULL CONSTRAINT project_members_user_id_fkey REFERENCES users (id) ON DELETE CASCADE,
  role project_role NOT NULL,
  PRIMARY KEY (project_id, user_id)
);
