package storage

// QueryLog records the SQL that bun's query hooks see, for the external tests.
type QueryLog = queryLog

// Saw reports whether a query that bun sent holds part.
func (l *QueryLog) Saw(part string) bool { return l.saw(part) }
