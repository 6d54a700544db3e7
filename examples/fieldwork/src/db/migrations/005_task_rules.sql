-- Task events named the way field-mapping tools name them (map, finish, validate, good, bad,
-- reset, comment), comments in the history, who finished the mapping (so that someone else
-- validates it), and one lock per user per project.
ALTER TYPE task_event RENAME VALUE 'validate' TO 'good';
ALTER TYPE task_event RENAME VALUE 'invalidate' TO 'bad';
ALTER TYPE task_event RENAME VALUE 'unlock' TO 'reset';
ALTER TYPE task_event RENAME VALUE 'lock_for_mapping' TO 'map';
ALTER TYPE task_event RENAME VALUE 'mark_mapped' TO 'finish';
ALTER TYPE task_event RENAME VALUE 'lock_for_validation' TO 'validate';
ALTER TYPE task_event ADD VALUE 'comment';

ALTER TABLE task_events ADD COLUMN comment text CONSTRAINT task_events_comment_check CHECK (char_length(comment) <= 2000);

-- the last user who finished mapping the task: they may not validate it themselves
ALTER TABLE tasks ADD COLUMN mapped_by integer REFERENCES users (id);

-- a user holds at most one task of a project at a time (the logic says so first, with the task's
-- number; this index settles two requests that race past that check)
CREATE UNIQUE INDEX tasks_one_lock_per_user_key ON tasks (project_id, locked_by) WHERE locked_by IS NOT NULL;
