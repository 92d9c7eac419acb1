package connect

import "strings"

// EscapeFormula returns cell made safe to put in a spreadsheet a person will open, as
// OWASP's "CSV Injection" guidance says: when cell starts with a character that a
// spreadsheet program takes as the start of a formula (=, +, -, @, tab or carriage
// return), it returns cell with a single quote in front, so the program shows it as
// text ("=HYPERLINK(...)" becomes "'=HYPERLINK(...)"). It looks past leading white
// space too (" =1+1" becomes "' =1+1"), as some programs do. Other cells are
// returned as they are.
//
// A cell that is a plain decimal number ("-5", "+1.5", "-73.9857", "-1e-3", with or
// without white space around it) is not escaped although it starts with - or +: a
// spreadsheet program reads it as that number and nothing else, and escaping it
// would turn every negative longitude or amount into text that does not import back
// as a number. Anything more than a number ("-5+1", "+1 555 0100", "-7,5") is
// escaped.
//
// The quote stays part of the cell: a file written with escaped cells and read back
// has "'=1+1" where "=1+1" was written.
func EscapeFormula(cell string) string {
	if cell == "" {
		return cell
	}
	if c := cell[0]; c == '\t' || c == '\r' {
		return "'" + cell
	}
	trimmed := strings.TrimSpace(cell)
	if trimmed == "" {
		return cell
	}
	switch trimmed[0] {
	case '=', '@':
		return "'" + cell
	case '+', '-':
		if !isPlainNumber(trimmed) {
			return "'" + cell
		}
	}
	return cell
}

// isPlainNumber reports whether s is a decimal number and nothing else: an optional
// sign, digits with at most one decimal point (at least one digit), and an optional
// exponent ("e-3").
func isPlainNumber(s string) bool {
	i := 0
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		i++
	}
	digits, point := 0, false
	for ; i < len(s); i++ {
		switch c := s[i]; {
		case '0' <= c && c <= '9':
			digits++
			continue
		case c == '.' && !point:
			point = true
			continue
		}
		break
	}
	if digits == 0 {
		return false
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		start := i
		for i < len(s) && '0' <= s[i] && s[i] <= '9' {
			i++
		}
		if i == start {
			return false
		}
	}
	return i == len(s)
}

// UnescapeFormula undoes EscapeFormula: when cell is a single quote followed by text
// that EscapeFormula would have escaped ("'=1+1", "'+44 20 7946 0018"), it returns the
// text without the quote; any other cell is returned as it is ("'hello", "'5"). A
// file written with escaped cells, fixed and uploaded again, so imports the values
// that were written, phone numbers starting with + among them.
func UnescapeFormula(cell string) string {
	if rest, ok := strings.CutPrefix(cell, "'"); ok && EscapeFormula(rest) == cell {
		return rest
	}
	return cell
}
