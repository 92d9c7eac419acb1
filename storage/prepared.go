package storage

import "github.com/uptrace/bun"

// statement returns a bun query of text, written with $n placeholders and no
// "?", that runs with args as a statement the database parses once per
// connection: pgx's statement cache on PostgreSQL (postgres_prepared.go),
// database/sql's prepared statements on SQLite (sqlite_prepared.go). bun's
// query hooks see it as any other query. The texts are the code's own, a few
// shapes each (SQLite keeps a statement per text until Close): values go in
// args, never into the text.
func (s *Store) statement(text string, args ...any) *bun.RawQuery {
	return s.db.NewRaw(text).Conn(s.d.statementConn(s, args))
}

// text returns the SQL that build writes (with bun, for its column lists and
// quoting) the first time a statement called name is asked for.
func (s *Store) text(name string, build func() string) string {
	if t, ok := s.texts.Load(name); ok {
		return t.(string)
	}
	t, _ := s.texts.LoadOrStore(name, build())
	return t.(string)
}
