-- What mappers read before they start (Markdown), and whether the project is finished with
-- (archived: kept and readable, shown last and marked).
ALTER TABLE projects ADD COLUMN instructions text NOT NULL DEFAULT '';
ALTER TABLE projects ADD COLUMN archived boolean NOT NULL DEFAULT false;
