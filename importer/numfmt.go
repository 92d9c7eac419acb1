package importer

import (
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/shopspring/decimal"
)

// A number format says how a spreadsheet program shows a number: "0.00" rounds to
// two decimals, "00000" pads a zip code with zeros, "#,##0" groups thousands,
// "yyyy-mm-dd" shows a date (a number of days since 1900, or 1904). The importer
// shows text fields (zip, phone, Id) as the user sees them in their program, so it
// formats numbers as Excel does; numeric fields take the stored value instead.
//
// numFormat covers what clients' files use: General; sections for positive,
// negative and zero values and conditions ("[<=9999999]###-####;(###) ###-####");
// digit placeholders 0 # ?, decimals, thousands separators and scaling commas,
// percent, scientific notation, fractions, literal text ("…", \x, _x, [$€-407]),
// colours (ignored); dates and times (y m d h s, AM/PM, elapsed [h]) in English.
// Anything it does not know it shows as written, as Excel shows a literal.

// numFormat is a parsed number format code.
type numFormat struct {
	code     string
	sections []*fmtSection
}

// fmtSection is one of a format's sections ("0.00;[Red]-0.00" has two).
type fmtSection struct {
	tokens  []fmtToken
	cond    *fmtCondition
	date    bool // it has date or time parts
	general bool // it has General in it
	text    bool // it has @
	hour12  bool // it has AM/PM: hours run 1 to 12
	// The number parts, counted from tokens.
	intDigits  int  // digit placeholders before the decimal point
	fracDigits int  // after it
	grouping   bool // a comma between integer digit placeholders
	scale      int  // commas after the last digit placeholder: thousands to divide by
	percent    int  // % signs: hundreds to multiply by
	exponent   bool // E+ or E-
	fraction   bool // a / between digit placeholders
	fracSecs   int  // date: decimal places of seconds
}

// fmtCondition is a section's condition, such as [<=9999999].
type fmtCondition struct {
	op    string
	value float64
}

func (c *fmtCondition) holds(v float64) bool {
	switch c.op {
	case "<":
		return v < c.value
	case "<=":
		return v <= c.value
	case ">":
		return v > c.value
	case ">=":
		return v >= c.value
	case "=":
		return v == c.value
	case "<>":
		return v != c.value
	}
	return false
}

// The kinds of fmtToken.
const (
	tokLiteral  = iota // text shown as it is
	tokDigit           // 0, # or ? (text holds which)
	tokPoint           // the decimal point
	tokComma           // a comma: a thousands separator, a scale, or (resolved later) a literal
	tokPercent         // %
	tokExponent        // E+ or E- (text holds the sign)
	tokSlash           // / between digit placeholders: a fraction
	tokText            // @
	tokGeneral         // General
	tokYear            // y, n letters
	tokMonth           // m as a month
	tokMinute          // m as minutes
	tokDay             // d
	tokHour            // h
	tokSecond          // s
	tokAMPM            // AM/PM or A/P (text holds it as written)
	tokElapsedH        // [h]
	tokElapsedM        // [m]
	tokElapsedS        // [s]
)

// fmtToken is one part of a section.
type fmtToken struct {
	kind int
	text string
	n    int // the number of letters of a date part
}

// builtinFormat returns the format code of a built-in number format (ECMA-376
// 18.8.30), as Excel in English (United States) shows it; "" (General) for an
// unknown one. Formats 14 and 22, which Excel shows in the computer's date order,
// are written here as the help article's users see them in the United States;
// Asian built-ins (27-36, 50-81) show as an ISO date.
func builtinFormat(id int) string {
	switch id {
	case 1:
		return "0"
	case 2:
		return "0.00"
	case 3:
		return "#,##0"
	case 4:
		return "#,##0.00"
	case 5:
		return `"$"#,##0_);("$"#,##0)`
	case 6:
		return `"$"#,##0_);[Red]("$"#,##0)`
	case 7:
		return `"$"#,##0.00_);("$"#,##0.00)`
	case 8:
		return `"$"#,##0.00_);[Red]("$"#,##0.00)`
	case 9:
		return "0%"
	case 10:
		return "0.00%"
	case 11:
		return "0.00E+00"
	case 12:
		return "# ?/?"
	case 13:
		return "# ??/??"
	case 14:
		return "m/d/yyyy"
	case 15:
		return "d-mmm-yy"
	case 16:
		return "d-mmm"
	case 17:
		return "mmm-yy"
	case 18:
		return "h:mm AM/PM"
	case 19:
		return "h:mm:ss AM/PM"
	case 20:
		return "h:mm"
	case 21:
		return "h:mm:ss"
	case 22:
		return "m/d/yyyy h:mm"
	case 37:
		return "#,##0_);(#,##0)"
	case 38:
		return "#,##0_);[Red](#,##0)"
	case 39:
		return "#,##0.00_);(#,##0.00)"
	case 40:
		return "#,##0.00_);[Red](#,##0.00)"
	case 41:
		return `_(* #,##0_);_(* (#,##0);_(* "-"_);_(@_)`
	case 42:
		return `_("$"* #,##0_);_("$"* (#,##0);_("$"* "-"_);_(@_)`
	case 43:
		return `_(* #,##0.00_);_(* (#,##0.00);_(* "-"??_);_(@_)`
	case 44:
		return `_("$"* #,##0.00_);_("$"* (#,##0.00);_("$"* "-"??_);_(@_)`
	case 45:
		return "mm:ss"
	case 46:
		return "[h]:mm:ss"
	case 47:
		return "mm:ss.0"
	case 48:
		return "##0.0E+0"
	case 49:
		return "@"
	}
	if 27 <= id && id <= 36 || 50 <= id && id <= 81 {
		return "yyyy-mm-dd"
	}
	return ""
}

// parseNumFormat parses a format code. It never fails: what it does not know is
// literal text.
func parseNumFormat(code string) *numFormat {
	nf := &numFormat{code: code}
	for _, part := range splitSections(code) {
		nf.sections = append(nf.sections, parseSection(part))
		if len(nf.sections) == 4 {
			break
		}
	}
	return nf
}

// splitSections splits a format code at its semicolons, outside quotes, brackets
// and escapes.
func splitSections(code string) []string {
	var out []string
	start, quoted, bracket := 0, false, false
	for i := 0; i < len(code); i++ {
		switch c := code[i]; {
		case quoted:
			quoted = c != '"'
		case bracket:
			bracket = c != ']'
		case c == '"':
			quoted = true
		case c == '[':
			bracket = true
		case c == '\\' || c == '_' || c == '*':
			i++ // the next character is taken as it is
		case c == ';':
			out = append(out, code[start:i])
			start = i + 1
		}
	}
	return append(out, code[start:])
}

// parseSection parses one section of a format code.
func parseSection(code string) *fmtSection {
	s := &fmtSection{}
	lit := func(text string) {
		if n := len(s.tokens); n > 0 && s.tokens[n-1].kind == tokLiteral {
			s.tokens[n-1].text += text
			return
		}
		s.tokens = append(s.tokens, fmtToken{kind: tokLiteral, text: text})
	}
	run := func(i int, c byte) int { // the length of the run of c (any case) at i
		n := 0
		for i+n < len(code) && code[i+n]|0x20 == c {
			n++
		}
		return n
	}
	for i := 0; i < len(code); {
		c := code[i]
		switch {
		case c == '"':
			end := strings.IndexByte(code[i+1:], '"')
			if end < 0 {
				end = len(code) - i - 1
			}
			lit(code[i+1 : i+1+end])
			i += end + 2
		case c == '\\' && i+1 < len(code):
			r := runeAt(code, i+1)
			lit(r)
			i += 1 + len(r)
		case c == '_' && i+1 < len(code):
			lit(" ")
			i += 1 + len(runeAt(code, i+1))
		case c == '*' && i+1 < len(code):
			i += 1 + len(runeAt(code, i+1)) // a fill: nothing to show in text
		case c == '[':
			end := strings.IndexByte(code[i:], ']')
			if end < 0 {
				lit(code[i:])
				i = len(code)
				continue
			}
			s.bracket(code[i+1:i+end], lit)
			i += end + 1
		case strings.HasPrefix(strings.ToLower(code[i:]), "general"):
			s.tokens = append(s.tokens, fmtToken{kind: tokGeneral})
			s.general = true
			i += len("general")
		case c == '0' || c == '#' || c == '?':
			s.tokens = append(s.tokens, fmtToken{kind: tokDigit, text: string(c)})
			i++
		case c == '.':
			s.tokens = append(s.tokens, fmtToken{kind: tokPoint})
			i++
		case c == ',':
			s.tokens = append(s.tokens, fmtToken{kind: tokComma})
			i++
		case c == '%':
			s.tokens = append(s.tokens, fmtToken{kind: tokPercent})
			s.percent++
			i++
		case (c == 'E' || c == 'e') && i+1 < len(code) && (code[i+1] == '+' || code[i+1] == '-'):
			s.tokens = append(s.tokens, fmtToken{kind: tokExponent, text: code[i+1 : i+2]})
			s.exponent = true
			i += 2
		case c == '/':
			s.tokens = append(s.tokens, fmtToken{kind: tokSlash})
			i++
		case c == '@':
			s.tokens = append(s.tokens, fmtToken{kind: tokText})
			s.text = true
			i++
		case strings.HasPrefix(strings.ToUpper(code[i:]), "AM/PM"):
			s.tokens = append(s.tokens, fmtToken{kind: tokAMPM, text: code[i : i+5]})
			s.hour12, s.date = true, true
			i += 5
		case strings.HasPrefix(strings.ToUpper(code[i:]), "A/P"):
			s.tokens = append(s.tokens, fmtToken{kind: tokAMPM, text: code[i : i+3]})
			s.hour12, s.date = true, true
			i += 3
		case dateLetters[c|0x20] != 0:
			// A run of one date letter: y (or e) years, m months (or minutes), d
			// days, h hours, s seconds.
			n := run(i, c|0x20)
			s.tokens = append(s.tokens, fmtToken{kind: dateLetters[c|0x20], n: n})
			s.date = true
			i += n
		default:
			r := runeAt(code, i)
			lit(r)
			i += len(r)
		}
	}
	s.resolve()
	return s
}

// dateLetters are the letters of date and time parts, by their lower case, and the
// kind of token each makes.
var dateLetters = [256]int{'y': tokYear, 'e': tokYear, 'm': tokMonth, 'd': tokDay, 'h': tokHour, 's': tokSecond}

// runeAt returns the character (UTF-8) at byte i of s.
func runeAt(s string, i int) string {
	for j := i + 1; j <= len(s); j++ {
		if j == len(s) || s[j]&0xC0 != 0x80 {
			return s[i:j]
		}
	}
	return s[i:]
}

// bracket reads the content of a [...] part: a condition, a currency or locale, an
// elapsed time; colours and the rest are dropped.
func (s *fmtSection) bracket(in string, lit func(string)) {
	lower := strings.ToLower(in)
	switch {
	case strings.HasPrefix(in, "$"):
		// [$€-407]: the currency symbol, then the locale; [$-409]: the locale alone.
		symbol, _, _ := strings.Cut(in[1:], "-")
		if symbol != "" {
			lit(symbol)
		}
	case len(in) > 0 && strings.ContainsRune("<>=", rune(in[0])):
		op := in[:1]
		if len(in) > 1 && (in[1] == '=' || in[1] == '>') {
			op = in[:2]
		}
		if v, err := strconv.ParseFloat(strings.TrimSpace(in[len(op):]), 64); err == nil {
			s.cond = &fmtCondition{op: op, value: v}
		}
	case lower != "" && strings.Trim(lower, "h") == "":
		s.tokens = append(s.tokens, fmtToken{kind: tokElapsedH, n: len(in)})
		s.date = true
	case lower != "" && strings.Trim(lower, "m") == "":
		s.tokens = append(s.tokens, fmtToken{kind: tokElapsedM, n: len(in)})
		s.date = true
	case lower != "" && strings.Trim(lower, "s") == "":
		s.tokens = append(s.tokens, fmtToken{kind: tokElapsedS, n: len(in)})
		s.date = true
	}
}

// resolve works out what the parsed tokens mean together: whether an m is a month
// or minutes, what each comma does, and the counts a number is shown by.
func (s *fmtSection) resolve() {
	if s.date {
		s.resolveDate()
		return
	}
	lastDigit, point := -1, -1
	for i, t := range s.tokens {
		switch t.kind {
		case tokDigit:
			lastDigit = i
		case tokPoint:
			if point < 0 {
				point = i
			}
		case tokExponent:
			if point < 0 {
				point = i // the mantissa's digits end here
			}
		}
	}
	digitsBefore := func(i int) bool {
		for j := i - 1; j >= 0; j-- {
			if s.tokens[j].kind == tokDigit {
				return true
			}
		}
		return false
	}
	intEnd := point // where the integer digits end
	if intEnd < 0 {
		intEnd = len(s.tokens)
	}
	digitBetween := func(from, to int) bool {
		for j := from; j < to; j++ {
			if s.tokens[j].kind == tokDigit {
				return true
			}
		}
		return false
	}
	afterExp := false
	for i := range s.tokens {
		t := &s.tokens[i]
		switch t.kind {
		case tokExponent:
			afterExp = true
		case tokDigit:
			switch {
			case afterExp: // the exponent's digits
			case point >= 0 && i > point:
				s.fracDigits++
			default:
				s.intDigits++
			}
		case tokComma:
			before := digitsBefore(i)
			switch {
			case before && i < intEnd && digitBetween(i+1, intEnd):
				s.grouping = true
				t.kind, t.text = tokLiteral, "" // shown by the grouping, not where it stands
			case before && (i < intEnd || i > lastDigit):
				s.scale++
				t.kind, t.text = tokLiteral, ""
			default:
				t.kind, t.text = tokLiteral, ","
			}
		case tokSlash:
			fixed := i+1 < len(s.tokens) && s.tokens[i+1].kind == tokLiteral && s.tokens[i+1].text != "" &&
				s.tokens[i+1].text[0] >= '1' && s.tokens[i+1].text[0] <= '9'
			if digitsBefore(i) && (i < lastDigit || fixed) && !s.exponent {
				s.fraction = true
			} else {
				t.kind, t.text = tokLiteral, "/"
			}
		case tokYear, tokMonth, tokDay, tokHour, tokMinute, tokSecond:
			// Letters outside a date section are shown as written.
			letter := map[int]string{tokYear: "y", tokMonth: "m", tokDay: "d", tokHour: "h", tokMinute: "m", tokSecond: "s"}[t.kind]
			t.kind, t.text = tokLiteral, strings.Repeat(letter, t.n)
		}
	}
}

// resolveDate tells months from minutes (an m after an hour, or before seconds, is
// minutes) and counts the decimal places of seconds.
func (s *fmtSection) resolveDate() {
	prev := func(i int) int { // the kind of the nearest date part before i
		for j := i - 1; j >= 0; j-- {
			if k := s.tokens[j].kind; k >= tokYear && k <= tokElapsedS {
				return k
			}
		}
		return -1
	}
	next := func(i int) int {
		for j := i + 1; j < len(s.tokens); j++ {
			if k := s.tokens[j].kind; k >= tokYear && k <= tokElapsedS && k != tokAMPM {
				return k
			}
		}
		return -1
	}
	for i := range s.tokens {
		t := &s.tokens[i]
		switch t.kind {
		case tokComma:
			t.kind, t.text = tokLiteral, ","
		case tokSlash:
			t.kind, t.text = tokLiteral, "/"
		case tokMonth:
			if p := prev(i); t.n <= 2 && (p == tokHour || p == tokElapsedH) || t.n <= 2 && (next(i) == tokSecond || next(i) == tokElapsedS) {
				t.kind = tokMinute
			}
		case tokPoint:
			// Decimal places of seconds: ".00" after s.
			if p := prev(i); p == tokSecond || p == tokElapsedS {
				n := 0
				for j := i + 1; j < len(s.tokens) && s.tokens[j].kind == tokDigit && s.tokens[j].text == "0"; j++ {
					n++
				}
				if n > 0 {
					s.fracSecs = n
					t.text = "."
				}
			}
		}
	}
}

// section returns the section that shows v, and whether the value is shown without
// its sign (a section for negative values writes its own).
func (nf *numFormat) section(v float64) (*fmtSection, bool) {
	secs := nf.sections
	if len(secs) == 0 {
		return nil, false
	}
	if secs[0].cond != nil || len(secs) > 1 && secs[1].cond != nil {
		// Conditions: the first section whose condition holds, else the first
		// section without one.
		for _, s := range secs[:min(2, len(secs))] {
			if s.cond != nil && s.cond.holds(v) {
				return s, false
			}
		}
		for _, s := range secs {
			if s.cond == nil && !s.text {
				return s, false
			}
		}
		return secs[0], false
	}
	switch {
	case len(secs) == 1 || len(secs) == 2 && secs[1].text:
		return secs[0], false
	case v < 0:
		return secs[1], true
	case v == 0 && len(secs) >= 3 && !secs[2].text:
		return secs[2], false
	}
	return secs[0], false
}

// formatNumber shows v as the format shows it; nf nil is General.
func (nf *numFormat) formatNumber(v float64, date1904 bool) string {
	if nf == nil {
		return formatGeneral(v)
	}
	s, unsigned := nf.section(v)
	if s == nil || len(s.tokens) == 0 || s.text && s.intDigits == 0 && s.fracDigits == 0 && !s.date && !s.general {
		// A section that hides values (";;;"), or one for text ("@"): a number
		// shows as General.
		return formatGeneral(v)
	}
	if s.date {
		if text, ok := s.formatDate(v, date1904); ok {
			return text
		}
		return formatGeneral(v)
	}
	av := v
	if unsigned {
		av = math.Abs(v)
	}
	return s.formatValue(av)
}

// formatValue shows v (whose sign the section shows, when negative) by a number
// section.
func (s *fmtSection) formatValue(v float64) string {
	neg := v < 0
	v = math.Abs(v)
	for range s.percent {
		v *= 100
	}
	for range s.scale {
		v /= 1000
	}
	var body string
	switch {
	case s.general:
		body = s.withLiterals(formatGeneral(v), tokGeneral)
	case s.exponent:
		body = s.formatScientific(v)
	case s.fraction:
		body = s.formatFraction(v)
	case s.intDigits == 0 && s.fracDigits == 0:
		// Only literals (and perhaps @): Excel shows them and not the number.
		var b strings.Builder
		for _, t := range s.tokens {
			if t.kind == tokLiteral || t.kind == tokPercent {
				b.WriteString(literalText(t))
			}
		}
		body = b.String()
	default:
		body = s.formatFixed(v)
	}
	if neg && body != "" && strings.ContainsAny(body, "123456789") {
		return "-" + body
	}
	return body
}

// literalText is what a literal or percent token shows.
func literalText(t fmtToken) string {
	if t.kind == tokPercent {
		return "%"
	}
	return t.text
}

// withLiterals shows the section's literals around text, which stands for the
// token of kind at.
func (s *fmtSection) withLiterals(text string, at int) string {
	var b strings.Builder
	for _, t := range s.tokens {
		switch t.kind {
		case at:
			b.WriteString(text)
		case tokLiteral, tokPercent:
			b.WriteString(literalText(t))
		}
	}
	return b.String()
}

// roundDecimal returns v rounded half away from zero to places decimals, as Excel
// rounds what it shows, from its value at Excel's 15 significant digits.
func roundDecimal(v float64, places int) decimal.Decimal {
	d, err := decimal.NewFromString(strconv.FormatFloat(v, 'g', 15, 64))
	if err != nil {
		d = decimal.NewFromFloat(v)
	}
	return d.Round(int32(places))
}

// formatFixed shows v by digit placeholders, with a decimal point.
func (s *fmtSection) formatFixed(v float64) string {
	d := roundDecimal(v, s.fracDigits)
	text := d.StringFixed(int32(s.fracDigits))
	intPart, frac, _ := strings.Cut(text, ".")
	if intPart == "0" {
		intPart = ""
	}
	if s.grouping {
		// Pad to the zeros asked for, then group: "#,##0" shows 0 as "0".
		zeros := 0
		for _, t := range s.tokens {
			if t.kind == tokPoint || t.kind == tokExponent {
				break
			}
			if t.kind == tokDigit && t.text == "0" {
				zeros++
			}
		}
		for len(intPart) < zeros {
			intPart = "0" + intPart
		}
		intPart = groupThousands(intPart)
	}
	var b strings.Builder
	intSeen, fracSeen, afterPoint := 0, 0, false
	digits := []byte(intPart)
	for _, t := range s.tokens {
		switch t.kind {
		case tokDigit:
			if !afterPoint {
				if s.grouping {
					if intSeen == 0 {
						b.Write(digits) // grouped, all at the first placeholder
					}
					intSeen++
					continue
				}
				// The digits fill the placeholders from the right; the first
				// placeholder takes all that are left over.
				idx := len(digits) - (s.intDigits - intSeen)
				switch {
				case intSeen == 0 && idx >= 0:
					b.Write(digits[:idx+1])
				case idx >= 0:
					b.WriteByte(digits[idx])
				case t.text == "0":
					b.WriteByte('0')
				case t.text == "?":
					b.WriteByte(' ')
				}
				intSeen++
				continue
			}
			c := byte('0')
			if fracSeen < len(frac) {
				c = frac[fracSeen]
			}
			b.WriteByte(c)
			fracSeen++
		case tokPoint:
			if s.intDigits == 0 {
				b.WriteString(intPart) // ".00" shows 5.5 as "5.50"
			}
			afterPoint = true
			b.WriteByte('.')
		case tokLiteral, tokPercent:
			b.WriteString(literalText(t))
		}
	}
	out := b.String()
	if s.fracDigits > 0 {
		// Trailing zeros of # placeholders are not shown; ? shows spaces.
		out = s.trimFraction(out)
	}
	return out
}

// trimFraction drops the trailing zeros that # decimal placeholders do not show.
func (s *fmtSection) trimFraction(out string) string {
	var kinds []string // the decimal placeholders, in order
	after := false
	for _, t := range s.tokens {
		if t.kind == tokPoint {
			after = true
		} else if after && t.kind == tokDigit {
			kinds = append(kinds, t.text)
		}
	}
	point := strings.IndexByte(out, '.')
	if point < 0 || len(kinds) == 0 {
		return out
	}
	end := point + 1 + len(kinds)
	if end > len(out) {
		return out
	}
	frac := []byte(out[point+1 : end])
	for i := len(frac) - 1; i >= 0 && frac[i] == '0' && kinds[i] != "0"; i-- {
		if kinds[i] == "?" {
			frac[i] = ' '
		} else {
			frac = frac[:i]
		}
	}
	head := out[:point+1]
	if len(frac) == 0 {
		head = out[:point] // "#.#" of 3 shows "3." in Excel; the point alone says nothing
	}
	return head + string(frac) + out[end:]
}

// groupThousands puts commas between the groups of three digits of an integer.
func groupThousands(digits string) string {
	if len(digits) <= 3 {
		return digits
	}
	var b strings.Builder
	first := len(digits) % 3
	if first > 0 {
		b.WriteString(digits[:first])
	}
	for i := first; i < len(digits); i += 3 {
		if b.Len() > 0 {
			b.WriteByte(',')
		}
		b.WriteString(digits[i : i+3])
	}
	return b.String()
}

// formatScientific shows v in scientific notation: "1.23E+05".
func (s *fmtSection) formatScientific(v float64) string {
	exp := 0
	if v != 0 {
		exp = int(math.Floor(math.Log10(v)))
	}
	step := 1
	if s.intDigits > 1 {
		// "##0.0E+0": engineering notation, the exponent a multiple of the
		// integer placeholders.
		step = s.intDigits
		exp = int(math.Floor(float64(exp)/float64(step))) * step
	}
	mant := v / math.Pow(10, float64(exp))
	d := roundDecimal(mant, s.fracDigits)
	if d.Abs().Cmp(decimal.New(1, int32(step))) >= 0 { // rounded up to the next power
		exp += step
		d = roundDecimal(v/math.Pow(10, float64(exp)), s.fracDigits)
	}
	mantissa := d.StringFixed(int32(s.fracDigits))
	sign, expDigits := "+", 0
	afterExp := false
	for _, t := range s.tokens {
		if t.kind == tokExponent {
			afterExp = true
			sign = t.text
		} else if afterExp && t.kind == tokDigit {
			expDigits++
		}
	}
	e := strconv.Itoa(abs(exp))
	for len(e) < expDigits {
		e = "0" + e
	}
	switch {
	case exp < 0:
		e = "-" + e
	case sign == "+":
		e = "+" + e
	}
	return mantissa + "E" + e
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

// formatFraction shows v as a fraction: "1 1/4", by the digits of the
// denominator's placeholders (or its fixed denominator: "# ?/8").
func (s *fmtSection) formatFraction(v float64) string {
	slash := -1
	for i, t := range s.tokens {
		if t.kind == tokSlash {
			slash = i
		}
	}
	denDigits, fixed := 0, ""
	for _, t := range s.tokens[slash+1:] {
		switch t.kind {
		case tokDigit:
			denDigits++
		case tokLiteral:
			if denDigits == 0 && fixed == "" && allDigits(strings.TrimSpace(t.text)) && strings.TrimSpace(t.text) != "" {
				fixed = strings.TrimSpace(t.text)
			}
		}
	}
	// A whole part when a digit placeholder stands apart before the numerator.
	whole := 0.0
	hasWhole := false
	for i := 0; i < slash; i++ {
		if s.tokens[i].kind == tokLiteral && strings.TrimSpace(s.tokens[i].text) == "" && i > 0 && s.tokens[i-1].kind == tokDigit {
			hasWhole = true
		}
	}
	if math.IsInf(v, 0) || math.IsNaN(v) || v > 1e15 {
		return formatGeneral(v)
	}
	if hasWhole {
		whole = math.Floor(v)
		v -= whole
	}
	num, den := 0, 1
	if fixed != "" {
		den, _ = strconv.Atoi(fixed)
		if den <= 0 || den > 1e6 {
			den = 1
		}
		num = int(math.Round(v * float64(den)))
	} else {
		// Excel's fractions have denominators of up to three digits.
		maxDen := int(math.Pow(10, float64(min(3, max(1, denDigits))))) - 1
		best := math.Inf(1)
		for d := 1; d <= maxDen; d++ {
			n := math.Round(v * float64(d))
			if e := math.Abs(v - n/float64(d)); e < best-1e-12 {
				best, num, den = e, int(n), d
			}
		}
	}
	if hasWhole && num == den {
		whole++
		num = 0
	}
	var b strings.Builder
	if hasWhole && whole > 0 {
		b.WriteString(strconv.FormatFloat(whole, 'f', 0, 64))
	}
	if num != 0 || !hasWhole || whole == 0 {
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(strconv.Itoa(num) + "/" + strconv.Itoa(den))
	}
	return b.String()
}

// formatGeneral shows v as Excel's General format does in a column wide enough for
// 11 characters: whole numbers of up to 11 digits as they are, others rounded to
// fit, and numbers too large or too small for that in scientific notation
// ("1.23457E+11"). Unlike Excel, it shows a whole number of 12 digits or more (a
// phone number, a barcode) whole rather than as 4.47911E+11: such a number is what
// the user typed, and a wider column shows it (xlsxFile.number notes it).
func formatGeneral(v float64) string {
	if v == 0 {
		return "0"
	}
	a := math.Abs(v)
	if a == math.Trunc(a) && a < 1e21 {
		return canonicalNumber(v) // beyond 15 digits, the digits Excel kept and zeros
	}
	if a >= 1e11 || a < 1e-9 {
		return formatGeneralScientific(v)
	}
	// Up to 11 characters: the integer digits, the point and the decimals ("0."
	// counts for numbers below 1).
	intLen := 1
	if a >= 1 {
		intLen = int(math.Floor(math.Log10(a))) + 1
	}
	places := max(0, 10-intLen)
	d := roundDecimal(a, places)
	if d.IsZero() {
		return formatGeneralScientific(v)
	}
	text := d.String() // without trailing zeros
	if v < 0 {
		text = "-" + text
	}
	return text
}

// formatGeneralScientific is General's scientific notation: up to six significant
// digits, a two-digit exponent.
func formatGeneralScientific(v float64) string {
	text := strconv.FormatFloat(v, 'E', 5, 64) // "1.23457E+11"
	mant, exp, _ := strings.Cut(text, "E")
	if strings.Contains(mant, ".") {
		mant = strings.TrimRight(strings.TrimRight(mant, "0"), ".")
	}
	sign := exp[:1]
	digits := strings.TrimLeft(exp[1:], "0")
	for len(digits) < 2 {
		digits = "0" + digits
	}
	return mant + "E" + sign + digits
}

// Dates: a serial number of days (and a fraction of a day for the time) since
// the workbook's epoch.

var monthNames = [...]string{"January", "February", "March", "April", "May", "June", "July",
	"August", "September", "October", "November", "December"}

var dayNames = [...]string{"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"}

// serialTime returns the date and time of a serial number, and whether it is one
// Excel shows (0 to 9999-12-31). In the 1900 date system Excel counts 1900 as a
// leap year, as Lotus 1-2-3 did: serial 60 is 29 February 1900, which never was;
// it is shown here as 28 February.
func serialTime(v float64, date1904 bool) (time.Time, bool) {
	if v < 0 || v >= 2958466 || math.IsNaN(v) {
		return time.Time{}, false
	}
	days := math.Floor(v)
	ms := math.Round((v - days) * 86400000)
	var base time.Time
	switch {
	case date1904:
		base = time.Date(1904, 1, 1, 0, 0, 0, 0, time.UTC)
	case days >= 61:
		base = time.Date(1899, 12, 30, 0, 0, 0, 0, time.UTC)
	case days == 60:
		days = 59
		base = time.Date(1899, 12, 31, 0, 0, 0, 0, time.UTC)
	default:
		base = time.Date(1899, 12, 31, 0, 0, 0, 0, time.UTC)
	}
	return base.AddDate(0, 0, int(days)).Add(time.Duration(ms) * time.Millisecond), true
}

// formatDate shows serial number v by a date section; ok is false when v is not a
// date Excel shows.
func (s *fmtSection) formatDate(v float64, date1904 bool) (string, bool) {
	if v < 0 {
		return "", false
	}
	// Round to what the format shows: to the second, or to its decimals.
	unit := 86400.0
	for range s.fracSecs {
		unit *= 10
	}
	v = math.Round(v*unit) / unit
	t, ok := serialTime(v, date1904)
	if !ok {
		return "", false
	}
	var b strings.Builder
	pad := func(n, width int) {
		text := strconv.Itoa(n)
		for i := len(text); i < width; i++ {
			b.WriteByte('0')
		}
		b.WriteString(text)
	}
	upper := func(t fmtToken) bool { return t.text != "" && t.text[0] >= 'A' && t.text[0] <= 'Z' }
	for i, tok := range s.tokens {
		switch tok.kind {
		case tokLiteral, tokPercent:
			b.WriteString(literalText(tok))
		case tokYear:
			if tok.n <= 2 {
				pad(t.Year()%100, 2)
			} else {
				pad(t.Year(), 4)
			}
		case tokMonth:
			switch {
			case tok.n == 1:
				pad(int(t.Month()), 1)
			case tok.n == 2:
				pad(int(t.Month()), 2)
			case tok.n == 3:
				b.WriteString(monthNames[t.Month()-1][:3])
			case tok.n == 5:
				b.WriteString(monthNames[t.Month()-1][:1])
			default:
				b.WriteString(monthNames[t.Month()-1])
			}
		case tokDay:
			switch {
			case tok.n <= 2:
				pad(t.Day(), tok.n)
			case tok.n == 3:
				b.WriteString(dayNames[t.Weekday()][:3])
			default:
				b.WriteString(dayNames[t.Weekday()])
			}
		case tokHour:
			h := t.Hour()
			if s.hour12 {
				if h = h % 12; h == 0 {
					h = 12
				}
			}
			pad(h, min(tok.n, 2))
		case tokMinute:
			pad(t.Minute(), min(tok.n, 2))
		case tokSecond:
			pad(t.Second(), min(tok.n, 2))
		case tokPoint:
			if s.fracSecs > 0 {
				frac := t.Nanosecond() / int(math.Pow10(9-s.fracSecs))
				b.WriteByte('.')
				pad(frac, s.fracSecs)
			} else {
				b.WriteByte('.')
			}
		case tokDigit:
			if s.fracSecs == 0 || !followsPoint(s.tokens, i) {
				b.WriteString(tok.text)
			}
		case tokAMPM:
			pm := t.Hour() >= 12
			switch {
			case len(tok.text) == 3 && upper(tok):
				b.WriteString(map[bool]string{false: "A", true: "P"}[pm])
			case len(tok.text) == 3:
				b.WriteString(map[bool]string{false: "a", true: "p"}[pm])
			case upper(tok):
				b.WriteString(map[bool]string{false: "AM", true: "PM"}[pm])
			default:
				b.WriteString(map[bool]string{false: "am", true: "pm"}[pm])
			}
		case tokElapsedH:
			pad(int(math.Floor(v*24)), tok.n)
		case tokElapsedM:
			pad(int(math.Floor(v*1440)), tok.n)
		case tokElapsedS:
			pad(int(math.Floor(v*86400)), tok.n)
		case tokGeneral:
			b.WriteString(formatGeneral(v))
		}
	}
	return b.String(), true
}

// followsPoint reports whether the digit placeholder at i is one of the decimal
// places of seconds, after a point.
func followsPoint(tokens []fmtToken, i int) bool {
	for j := i - 1; j >= 0; j-- {
		switch tokens[j].kind {
		case tokDigit:
			continue
		case tokPoint:
			return true
		}
		return false
	}
	return false
}

// allDigits reports whether s is ASCII digits only ("" is).
func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
