-- Who may read a project: anyone signed in (public), or its members only (private; admins too).
CREATE TYPE project_visibility AS ENUM ('public', 'private');
ALTER TABLE projects ADD COLUMN visibility project_visibility NOT NULL DEFAULT 'public';
