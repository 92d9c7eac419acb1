package connect

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/shopspring/decimal"
)

// Reading the text of a cell or a form input as a typed value, for the order-field
// table. Every parser takes the text trimmed, returns the zero value for empty text,
// and, for text it cannot read, the zero value and a reason a person can act on
// (FieldSpec.Parse names the field; an import adds the row and the column).

// maxNumberLen is the longest text read as a number: longer text is not a value
// anyone typed, and refusing it early keeps a huge exponent from costing memory.
const maxNumberLen = 64

// parseDecimal reads a number for field f (size, latitude, longitude). It accepts an
// optional sign, digits with a decimal point ("12.5", "-0.1276", ".5"), and an
// exponent ("1.5E+03", as spreadsheets show large numbers); and a comma where it
// can only mean one thing:
//
//   - commas between groups of three digits, with or without a decimal point after
//     them ("1,234.5", "12,345,678"): thousands separators;
//   - a single comma with no point ("2,5", "48,8566"): a decimal comma, as much of
//     Europe writes it. "1,234" could be either, so it is refused, except for a
//     latitude or a longitude, where a thousand is never meant.
//
// It refuses anything else, such as "1,234,5", "1.234,5", "5 kg" or "1 234", rather
// than guess.
func parseDecimal(f Field, s string) (decimal.NullDecimal, string) {
	if s == "" {
		return decimal.NullDecimal{}, ""
	}
	notNumber := func(hint string) (decimal.NullDecimal, string) {
		return decimal.NullDecimal{}, fmt.Sprintf("must be a number like 12.5, not %s%s", quoteCell(s), hint)
	}
	if len(s) > maxNumberLen {
		return notNumber("")
	}
	body, exp := s, ""
	if i := strings.IndexAny(s, "eE"); i >= 0 {
		body, exp = s[:i], s[i+1:]
		if !validExponent(exp) {
			return notNumber("")
		}
	}
	sign := ""
	if body != "" && (body[0] == '+' || body[0] == '-') {
		sign, body = body[:1], body[1:]
	}
	intPart, frac, point := body, "", false
	if i := strings.IndexByte(body, '.'); i >= 0 {
		intPart, frac, point = body[:i], body[i+1:], true
	}
	if !isDigits(frac) {
		return notNumber(pointHint(s))
	}
	commas := strings.Count(intPart, ",")
	switch {
	case commas == 0:
		if !isDigits(intPart) {
			return notNumber(pointHint(s))
		}
	case exp != "":
		return notNumber("")
	case point || commas > 1:
		// Only thousands separators: groups of three after a first group of 1 to 3.
		groups := strings.Split(intPart, ",")
		if !thousands(groups) {
			return notNumber(": use a point for decimals (1234.5) and commas only between groups of three digits")
		}
		intPart = strings.Join(groups, "")
	default:
		// One comma and no point: a decimal comma, unless it could be a thousand.
		whole, dec, _ := strings.Cut(intPart, ",")
		if !isDigits(whole) || dec == "" || !isDigits(dec) {
			return notNumber(pointHint(s))
		}
		coordinate := f == FieldLatitude || f == FieldLongitude
		if !coordinate && thousands([]string{whole, dec}) {
			return decimal.NullDecimal{}, fmt.Sprintf(
				"%s is ambiguous: write %s%s%s for more than a thousand, or %s%s.%s with a decimal point",
				quoteCell(s), sign, whole, dec, sign, whole, dec)
		}
		intPart, frac = whole, dec
	}
	if intPart == "" && frac == "" {
		return notNumber("")
	}
	d, err := toDecimal(sign, intPart, frac, exp)
	if err != nil {
		return notNumber("")
	}
	if (exp != "" || len(s) >= maxNumberLen-1) && len(d.String()) > maxNumberLen {
		// Written out (by an exponent, or a "0" before ",5"), it would be too long to
		// read back; no size or coordinate is.
		return notNumber("")
	}
	return decimal.NewNullDecimal(d), ""
}

// toDecimal makes the decimal sign intPart.frac e exp (all checked), without the
// cost of parsing text when the digits fit in an int64.
func toDecimal(sign, intPart, frac, exp string) (decimal.Decimal, error) {
	if len(intPart)+len(frac) > 18 || exp != "" {
		text := sign + intPart
		if frac != "" {
			text += "." + frac
		}
		if exp != "" {
			text += "e" + exp
		}
		return decimal.NewFromString(text)
	}
	var v int64
	for _, digits := range [2]string{intPart, frac} {
		for i := 0; i < len(digits); i++ {
			v = v*10 + int64(digits[i]-'0')
		}
	}
	if sign == "-" {
		v = -v
	}
	return decimal.New(v, -int32(len(frac))), nil
}

// formatDecimal writes d as parseDecimal reads it back: the shortest exact decimal
// ("12.5", "-0.1276"), "" when d is not valid.
func formatDecimal(d decimal.NullDecimal) string {
	if !d.Valid {
		return ""
	}
	return d.Decimal.String()
}

// pointHint says how to write a decimal when s has a point and a comma in the wrong
// order ("1.234,5").
func pointHint(s string) string {
	if strings.Contains(s, ",") && strings.Contains(s, ".") {
		return ": use a point for decimals (1234.5) and commas only between groups of three digits"
	}
	return ""
}

// validExponent reports whether e is an exponent parseDecimal takes: an optional sign
// and one or two digits.
func validExponent(e string) bool {
	if e != "" && (e[0] == '+' || e[0] == '-') {
		e = e[1:]
	}
	return e != "" && len(e) <= 2 && isDigits(e)
}

// thousands reports whether groups are digits grouped by thousands: a first group of
// 1 to 3 digits not starting with 0, then groups of exactly 3.
func thousands(groups []string) bool {
	first := groups[0]
	if len(first) < 1 || len(first) > 3 || !isDigits(first) || first[0] == '0' {
		return false
	}
	for _, g := range groups[1:] {
		if len(g) != 3 || !isDigits(g) {
			return false
		}
	}
	return true
}

// isDigits reports whether s is ASCII digits only ("" is).
func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// parseWholeNumber reads a whole number for field f (the package count): "3", and
// "3.0" as a spreadsheet may show it, with the separators parseDecimal accepts. It
// refuses "3.5" and "three". The range is the policy's to check (the package
// count's row of the table refuses "0", which would read as no count given).
func parseWholeNumber(f Field, s string) (int, string) {
	if s == "" {
		return 0, ""
	}
	if isDigits(s) && len(s) < 10 { // the common case, without a decimal
		n, _ := strconv.Atoi(s)
		return n, ""
	}
	d, reason := parseDecimal(f, s)
	if reason != "" || !d.Decimal.IsInteger() {
		return 0, fmt.Sprintf("must be a whole number like 3, not %s", quoteCell(s))
	}
	const limit = 1 << 31
	if d.Decimal.Abs().GreaterThanOrEqual(decimal.NewFromInt(limit)) {
		return 0, fmt.Sprintf("is far too large: %s", quoteCell(s))
	}
	return int(d.Decimal.IntPart()), ""
}

// stopTypes are the words parseStopType knows, lower case, without spaces, hyphens
// or underscores.
var stopTypes = map[string]StopType{
	"delivery": Delivery, "deliver": Delivery, "drop": Delivery, "dropoff": Delivery, "d": Delivery,
	"pickup": Pickup, "collection": Pickup, "collect": Pickup, "p": Pickup,
}

// parseStopType reads a stop type, ignoring case, spaces and hyphens: "Delivery",
// "deliver", "drop", "drop-off", "D" are deliveries; "Pickup", "pick up", "pick-up",
// "collection", "collect", "P" are pickups.
func parseStopType(s string) (StopType, string) {
	if s == "" {
		return "", ""
	}
	// The key: ASCII letters in lower case, without spaces, hyphens and underscores.
	var buf [16]byte
	key, ok := buf[:0], true
	for i := 0; i < len(s) && ok; i++ {
		switch c := s[i]; {
		case c == ' ' || c == '-' || c == '_':
		case c >= utf8.RuneSelf || len(key) == len(buf):
			ok = false
		case 'A' <= c && c <= 'Z':
			key = append(key, c+'a'-'A')
		default:
			key = append(key, c)
		}
	}
	if t, found := stopTypes[string(key)]; ok && found {
		return t, ""
	}
	return "", fmt.Sprintf(`must be "Delivery" or "Pickup" (or D, P), not %s`, quoteCell(s))
}

// quoteCell quotes a cell's text for an error message, shortened if long.
func quoteCell(s string) string {
	const max = 40
	if r := []rune(s); len(r) > max {
		s = string(r[:max]) + "…"
	}
	return strconv.Quote(s)
}
