-- A member's choice of language for the portal (a BCP 47 tag); '' leaves it to
-- the browser.
ALTER TABLE members ADD COLUMN language TEXT NOT NULL DEFAULT '';
