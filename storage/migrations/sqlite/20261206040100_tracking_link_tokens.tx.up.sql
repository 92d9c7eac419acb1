-- A tracking link's token sealed with connect.Config.TrackingKey, so that the
-- team can copy an active link again; NULL without a key (the hash alone
-- opens the link).
ALTER TABLE tracking_links ADD COLUMN token_sealed blob;
