-- Server-side revocation: every token carries the account's version when it was issued; logging
-- out (or any "sign out everywhere") raises it, and older tokens stop working at once.
ALTER TABLE users ADD COLUMN token_version integer NOT NULL DEFAULT 0;
