package importer

import (
	"strings"
	"unicode"

	"github.com/dispatchkit/connect"
)

// MappingOptions says how MapHeader maps a header. The zero value recognises the
// columns by name for a client's own import under the policy that requires only the
// address.
type MappingOptions struct {
	// Override maps a column's header, exactly as written in the file (surrounding
	// space aside), to the field it holds, winning over recognition by name. "" or
	// "-" ignores the column. (*Mapping).Overrides returns such a map, to remember a
	// mapping the user corrected and apply it to their next file.
	Override map[string]connect.Field
	// Policy is the client's required fields: Mapping.Missing lists those without a
	// column.
	Policy connect.RequiredFieldPolicy
	// ClientNumbers is set for a dispatcher's stop import
	// (connect.Service.ImportStops), where a "Client ID" column says which client
	// each stop is for: the column is mapped to connect.FieldClientNumber, and
	// reported missing when there is none. In a client's own import such a column
	// is ignored.
	ClientNumbers bool
	// Hidden marks the columns the sheet hides (by index; columns past its end are
	// visible): for one field, a visible column wins over a hidden one.
	Hidden []bool
}

// Mapping says which column of a spreadsheet holds which order field. It is plain
// data (exported fields, JSON tags) so that the portal can show it, let the user
// correct it, and keep it.
type Mapping struct {
	// Header is the header row the mapping was made for, as written.
	Header []string `json:"header"`
	// Mapped lists the columns that hold a field, in column order.
	Mapped []MappedColumn `json:"mapped"`
	// Ignored lists the columns whose values are not imported, in column order, with
	// the reason.
	Ignored []IgnoredColumn `json:"ignored,omitempty"`
	// Missing lists the fields the policy requires that no column holds, in
	// spreadsheet order (connect.FieldClientNumber last). Every row will be refused
	// for them.
	Missing []connect.Field `json:"missing,omitempty"`
	// Ambiguous lists the fields that more than one column could hold, for the
	// user to choose: MapHeader chose one (or, when each candidate's name says it
	// is old or not to be used, none) and says so, rather than deciding silently.
	Ambiguous []Ambiguity `json:"ambiguous,omitempty"`
}

// Ambiguity is a field that several columns could hold.
type Ambiguity struct {
	Field connect.Field `json:"field"`
	// Columns are the candidates' indexes, in column order.
	Columns []int `json:"columns"`
	// Chosen is the index of the column MapHeader maps to the field; -1 when it
	// maps none, as every candidate's name says it is old or not to be used.
	Chosen int `json:"chosen"`
}

// MappedColumn is a column that holds a field.
type MappedColumn struct {
	Index  int           `json:"index"`  // 0-based position in the header
	Header string        `json:"header"` // the column's name as written
	Field  connect.Field `json:"field"`
	// Override is set when MappingOptions.Override chose the field, rather than the
	// column's name.
	Override bool `json:"override,omitempty"`
	// Hidden is set when the sheet hides the column.
	Hidden bool `json:"hidden,omitempty"`
}

// IgnoredColumn is a column whose values are not imported.
type IgnoredColumn struct {
	Index  int          `json:"index"`  // 0-based position in the header
	Header string       `json:"header"` // the column's name as written ("" when it has none)
	Reason IgnoreReason `json:"reason"`
	// Field is the field the column would hold: for IgnoredDuplicate and
	// IgnoredHidden, the field another column holds; for IgnoredQualified, the
	// field its name names; for IgnoredBadOverride, the unknown field the override
	// named.
	Field connect.Field `json:"field,omitempty"`
	// Qualifier is, for IgnoredQualified, the words of its name that say not to use
	// it ("old", "do not use").
	Qualifier string `json:"qualifier,omitempty"`
	// Hidden is set when the sheet hides the column.
	Hidden bool `json:"hidden,omitempty"`
}

// IgnoreReason says why a column is ignored.
type IgnoreReason string

// The reasons a column is ignored.
const (
	// IgnoredUnknown: the column's name is not one MapHeader knows.
	IgnoredUnknown IgnoreReason = "unknown"
	// IgnoredByOverride: MappingOptions.Override says to ignore it.
	IgnoredByOverride IgnoreReason = "override"
	// IgnoredDuplicate: an earlier column (or one chosen by Override) already holds
	// the same field.
	IgnoredDuplicate IgnoreReason = "duplicate"
	// IgnoredHidden: the sheet hides the column, and a visible one holds the same
	// field.
	IgnoredHidden IgnoreReason = "hidden"
	// IgnoredQualified: the column's name names a field but says it is old or not
	// to be used ("Phone (old)", "Email - do not use"), so it is not taken for the
	// field unless the user chooses it.
	IgnoredQualified IgnoreReason = "qualified"
	// IgnoredClientNumber: a "Client ID" column in a client's own import, where the
	// client is the one importing.
	IgnoredClientNumber IgnoreReason = "client_number"
	// IgnoredBadOverride: MappingOptions.Override names something that is not a field.
	IgnoredBadOverride IgnoreReason = "bad_override"
)

// MapHeader maps each column of header to the field it holds: by Override first,
// then by the column's name. Names are compared after dropping case, spaces,
// punctuation and anything in parentheses or brackets, so "Address Line 1",
// "address_line_1", "ADDRESS-LINE-1" and "Address line 1 (required)" are the same
// name. The names it knows are each field's Label and Synonyms in connect's
// order-field table (connect.FieldSpecs): the help article's names and common
// variants such as "Street" and "Address 1"; "Postcode", "Postal code", "ZIP code";
// "Town"; "Province", "County", "Region"; "Lat", "Lng", "Lon", "Long"; "Phone",
// "Mobile"; "Email", "E-mail"; "Type", "Stop type"; "Qty", "Packages", "Parcels";
// "Order ID", "Reference", "Ref"; "Name", "Customer name", "Recipient";
// "Instructions", "Delivery notes"; "Items"; and "Client ID", "Client number" for
// connect.FieldClientNumber (whose Spec has them too). A name may also carry
// a "Recipient", "Customer", "Delivery" or "Shipping" prefix ("Shipping Zip",
// "Customer Phone"), except for the Id: "Customer ID" is not the order's Id.
//
// A name that says its column is old or not to be used ("Phone (old)", "Old
// phone", "Email - do not use", "deprecated", "legacy", "unused"…: see
// qualifierWords) is never taken for the field silently: the column is ignored as
// IgnoredQualified, with the field and the words, for the user to choose.
//
// "Name" alone is the recipient's name. When two columns hold the same field, a
// column chosen by Override wins, then a visible column over a hidden one
// (IgnoredHidden), then the first; the others are ignored as IgnoredDuplicate, and
// the field is listed in Ambiguous with its candidates.
func MapHeader(header []string, opts MappingOptions) *Mapping {
	m := &Mapping{Header: append([]string(nil), header...)}
	fields := make([]connect.Field, len(header))
	overridden := make([]bool, len(header))
	reasons := make([]IgnoreReason, len(header))
	badField := make([]connect.Field, len(header))
	qualifiers := make([]string, len(header))
	taken := map[connect.Field]int{}
	hidden := func(i int) bool { return i < len(opts.Hidden) && opts.Hidden[i] }

	take := func(i int, f connect.Field) {
		if !opts.ClientNumbers && f == connect.FieldClientNumber {
			reasons[i] = IgnoredClientNumber
			return
		}
		if _, dup := taken[f]; dup {
			reasons[i], badField[i] = IgnoredDuplicate, f
			return
		}
		taken[f], fields[i] = i, f
	}
	// Overrides first, so that a column the user chose wins over a guess.
	automatic := make([]int, 0, len(header))
	for i, h := range header {
		f, ok := override(opts.Override, h)
		switch {
		case !ok:
			automatic = append(automatic, i)
		case f == "" || f == "-":
			overridden[i], reasons[i] = true, IgnoredByOverride
		case !f.Valid() && f != connect.FieldClientNumber:
			overridden[i], reasons[i], badField[i] = true, IgnoredBadOverride, f
		default:
			overridden[i] = true
			take(i, f)
		}
	}
	// Then by name: the candidates for each field, in column order.
	var order []connect.Field
	candidates := map[connect.Field][]int{}
	for _, i := range automatic {
		f, qualifier, ok := recognise(header[i])
		switch {
		case !ok:
			reasons[i] = IgnoredUnknown
		case qualifier != "":
			reasons[i], badField[i], qualifiers[i] = IgnoredQualified, f, qualifier
			if _, seen := candidates[f]; !seen {
				order = append(order, f)
			}
			candidates[f] = append(candidates[f], i) // a candidate to show, never chosen
		case !opts.ClientNumbers && f == connect.FieldClientNumber:
			reasons[i] = IgnoredClientNumber
		default:
			if _, seen := candidates[f]; !seen {
				order = append(order, f)
			}
			candidates[f] = append(candidates[f], i)
		}
	}
	for _, f := range order {
		cols := candidates[f]
		chosen := -1
		if _, byOverride := taken[f]; !byOverride {
			for _, visible := range []bool{true, false} {
				for _, i := range cols {
					if reasons[i] != IgnoredQualified && hidden(i) != visible && chosen < 0 {
						chosen = i
					}
				}
			}
			if chosen >= 0 {
				take(chosen, f)
			}
		}
		rivals := 0 // candidates as good as the chosen one: the same visibility, not qualified
		for _, i := range cols {
			switch {
			case i == chosen || reasons[i] == IgnoredQualified:
			case chosen >= 0 && hidden(i) && !hidden(chosen):
				reasons[i], badField[i] = IgnoredHidden, f
			default:
				reasons[i], badField[i] = IgnoredDuplicate, f
				rivals++
			}
		}
		_, byOverride := taken[f]
		switch {
		case chosen >= 0 && rivals > 0:
			m.Ambiguous = append(m.Ambiguous, Ambiguity{Field: f, Columns: cols, Chosen: chosen})
		case chosen < 0 && !byOverride:
			// Only qualified candidates: none is taken, all are shown.
			m.Ambiguous = append(m.Ambiguous, Ambiguity{Field: f, Columns: cols, Chosen: -1})
		}
	}
	for i, h := range header {
		if fields[i] != "" {
			m.Mapped = append(m.Mapped, MappedColumn{Index: i, Header: h, Field: fields[i], Override: overridden[i],
				Hidden: hidden(i)})
		} else {
			m.Ignored = append(m.Ignored, IgnoredColumn{Index: i, Header: h, Reason: reasons[i], Field: badField[i],
				Qualifier: qualifiers[i], Hidden: hidden(i)})
		}
	}
	for _, f := range opts.Policy.Required() {
		if _, ok := taken[f]; !ok {
			m.Missing = append(m.Missing, f)
		}
	}
	if _, ok := taken[connect.FieldClientNumber]; opts.ClientNumbers && !ok {
		m.Missing = append(m.Missing, connect.FieldClientNumber)
	}
	return m
}

// override looks header up in o: as written first, then trimmed.
func override(o map[string]connect.Field, header string) (connect.Field, bool) {
	if f, ok := o[header]; ok {
		return f, true
	}
	f, ok := o[strings.TrimSpace(header)]
	return f, ok
}

// Column returns the name of the column that holds field f, "" when none does.
func (m *Mapping) Column(f connect.Field) string {
	if c, ok := m.column(f); ok {
		return c.Header
	}
	return ""
}

// column returns the column that holds f.
func (m *Mapping) column(f connect.Field) (MappedColumn, bool) {
	for _, c := range m.Mapped {
		if c.Field == f {
			return c, true
		}
	}
	return MappedColumn{}, false
}

// Overrides returns the mapping as MappingOptions.Override takes it, so that it can
// be kept and applied to the user's next file: each mapped column's header (trimmed)
// to its field, each column ignored by choice (an override, a duplicate, a hidden
// duplicate) to "", and a Client ID column a client's import ignored to
// connect.FieldClientNumber. Columns ignored because their name is unknown, or
// says not to use them, are left out, to be recognised by name again. Given the result, MapHeader maps a file with the same header, or the same
// columns in another order, the same way. A header written twice maps to its first
// column's field.
func (m *Mapping) Overrides() map[string]connect.Field {
	o := make(map[string]connect.Field, len(m.Header))
	for _, c := range m.Ignored {
		h := strings.TrimSpace(c.Header)
		switch c.Reason {
		case IgnoredUnknown, IgnoredQualified:
		case IgnoredClientNumber:
			o[h] = connect.FieldClientNumber
		default:
			o[h] = ""
		}
	}
	mapped := map[string]bool{}
	for _, c := range m.Mapped {
		h := strings.TrimSpace(c.Header)
		if !mapped[h] { // a header written twice: its first column's field
			o[h], mapped[h] = c.Field, true
		}
	}
	return o
}

// recognise returns the field a column's name says it holds and, when the name
// also says the column is old or not to be used, the words that say so.
func recognise(header string) (f connect.Field, qualifier string, ok bool) {
	if rest, q := stripQualifier(header); q != "" {
		if f, ok := recogniseName(rest); ok {
			return f, q, true
		}
		return "", "", false
	}
	f, ok = recogniseName(header)
	return f, "", ok
}

// recogniseName returns the field a column's name says it holds.
func recogniseName(header string) (connect.Field, bool) {
	key := normalizeHeader(header)
	if f, ok := headerNames[key]; ok {
		return f, true
	}
	for _, p := range headerPrefixes {
		if rest, ok := strings.CutPrefix(key, p); ok && rest != "" {
			if f, ok := headerNames[rest]; ok && f != connect.FieldRef && f != connect.FieldClientNumber {
				return f, true
			}
		}
	}
	return "", false
}

// qualifierWords are the words (as sequences of lower-case words) that say a
// column is not to be used: its name may name a field, but it is not that field's
// column.
var qualifierWords = [][]string{
	{"do", "not", "use"}, {"don", "t", "use"}, {"dont", "use"}, {"not", "used"}, {"no", "longer", "used"},
	{"not", "in", "use"}, {"old"}, {"older"}, {"previous"}, {"prev"}, {"former"}, {"deprecated"},
	{"obsolete"}, {"legacy"}, {"outdated"}, {"unused"}, {"ignore"}, {"ignored"}, {"backup"},
	{"archive"}, {"archived"}, {"superseded"}, {"retired"}, {"inactive"},
}

// stripQualifier finds the first of qualifierWords among the words of a column's
// name and returns the name without them, and the words as written; q is ""
// when the name has none.
func stripQualifier(header string) (rest, q string) {
	type word struct {
		text       string // lower case
		start, end int    // in header
	}
	var words []word
	start := -1
	for i, r := range header + " " {
		letter := unicode.IsLetter(r) || unicode.IsDigit(r)
		switch {
		case letter && start < 0:
			start = i
		case !letter && start >= 0:
			words = append(words, word{strings.ToLower(header[start:i]), start, i})
			start = -1
		}
	}
	for i := range words {
		for _, q := range qualifierWords {
			if i+len(q) > len(words) {
				continue
			}
			match := true
			for j, w := range q {
				if words[i+j].text != w {
					match = false
					break
				}
			}
			if match {
				from, to := words[i].start, words[i+len(q)-1].end
				return header[:from] + " " + header[to:], header[from:to]
			}
		}
	}
	return header, ""
}

// headerPrefixes may start a column's name without changing what it holds.
var headerPrefixes = []string{"recipient", "customer", "delivery", "shipping"}

// normalizeHeader returns the key a column's name is looked up by: lower case
// letters and digits only, with anything in parentheses or brackets dropped.
func normalizeHeader(h string) string {
	var b strings.Builder
	depth := 0
	for _, r := range h {
		switch {
		case r == '(' || r == '[':
			depth++
		case r == ')' || r == ']':
			if depth > 0 {
				depth--
			}
		case depth > 0:
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			b.WriteRune(unicode.ToLower(r))
		}
	}
	if b.Len() == 0 && depth > 0 {
		// The whole name is in parentheses: use what is inside.
		return normalizeHeader(strings.Map(func(r rune) rune {
			if r == '(' || r == ')' || r == '[' || r == ']' {
				return ' '
			}
			return r
		}, h))
	}
	return b.String()
}

// headerNames maps normalised column names to fields: each field's label and
// synonyms in connect's order-field table (and the client number's).
var headerNames = func() map[string]connect.Field {
	m := map[string]connect.Field{}
	add := func(s connect.FieldSpec) {
		for _, name := range append([]string{s.Label}, s.Synonyms...) {
			k := normalizeHeader(name)
			if _, dup := m[k]; dup {
				panic("importer: header name " + name + " is listed twice")
			}
			m[k] = s.Field
		}
	}
	for _, s := range connect.FieldSpecs() {
		add(s)
	}
	cn, _ := connect.FieldClientNumber.Spec()
	add(cn)
	return m
}()
