-- Sign-in and sign-up attempt counters (one fixed window per account or client address), shared
-- by every process of the app so that the limits hold whichever one answers.
CREATE TABLE IF NOT EXISTS auth_attempts (
  key text PRIMARY KEY,
  window_start timestamptz NOT NULL,
  count integer NOT NULL
);
