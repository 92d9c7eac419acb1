-- The invite sent again in an invite's place (connect.Invite.ReplacedBy), so
-- that the old link says it was replaced rather than withdrawn.
ALTER TABLE invites ADD COLUMN replaced_by text NOT NULL DEFAULT '';
