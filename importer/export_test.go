package importer

// TemplateExamples are the template's example rows, for the tests to compare with
// what the template imports as.
var TemplateExamples = templateExamples

// SetReadAhead makes s read n rows ahead, as OpenSource does, for a Source of
// NewSource on a sheet a test controls.
func SetReadAhead(s *Source, n int) { s.ahead = n }

// HeaderScore is how well a row mapped as a header maps (see findHeader).
func HeaderScore(m *Mapping) int { return headerScore(m) }
