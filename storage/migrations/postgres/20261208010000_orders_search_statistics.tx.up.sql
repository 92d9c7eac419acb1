-- Statistics of the text a search reads (storage's searchText of
-- orderSearchColumns, the same expression, or the planner does not match it).
-- Without them PostgreSQL guesses that a search matches about one order in ten
-- thousand, so a search most orders match ("main street" among an account's
-- 10M orders) was planned as a costly scan: two parallel workers and JIT
-- compilation, 141 ms for a page found in the first 51 entries of the index
-- (0.3 ms with these statistics). Expression statistics need PostgreSQL 14.
DO $$
BEGIN
	IF current_setting('server_version_num')::int >= 140000 THEN
		EXECUTE $s$CREATE STATISTICS IF NOT EXISTS orders_search_text ON (lower(coalesce(ref, '') || E'\n' ||
			coalesce(recipient_name, '') || E'\n' || coalesce(recipient_email, '') || E'\n' ||
			coalesce(recipient_phone, '') || E'\n' || coalesce(address_line1, '') || E'\n' ||
			coalesce(city, '') || E'\n' || coalesce(zip, ''))) FROM orders$s$;
	END IF;
END$$;
--bun:split
-- Fill them now rather than at autovacuum's next analyze (a sample: seconds
-- at 10M orders, and writes go on meanwhile).
ANALYZE orders;
