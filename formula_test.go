package connect_test

import (
	"testing"

	"github.com/dispatchkit/connect"
)

func TestEscapeFormula(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, cell, want string
	}{
		{"a formula", "=1+1", "'=1+1"},
		{"a DDE payload", "=cmd|' /C calc'!A0", "'=cmd|' /C calc'!A0"},
		{"a plus that starts a formula", "+1+cmd|' /C calc'!A0", "'+1+cmd|' /C calc'!A0"},
		{"a minus that starts a formula", "-2+3", "'-2+3"},
		{"an at sign", "@SUM(A1:A2)", "'@SUM(A1:A2)"},
		{"a tab", "\t=1+1", "'\t=1+1"},
		{"a carriage return", "\r=1+1", "'\r=1+1"},
		{"a minus before text", "- fragile", "'- fragile"},
		{"a phone number with a plus", "+1 555 0100", "'+1 555 0100"},
		{"a number with spaces around it", " -5 ", " -5 "},
		{"a formula after spaces", "  =1+1", "'  =1+1"},
		{"a formula after a no-break space", "\u00a0@SUM(A1)", "'\u00a0@SUM(A1)"},
		{"a formula after a line break", "\n-2+3", "'\n-2+3"},
		{"only spaces", "   ", "   "},
		{"a number with a decimal comma", "-7,5", "'-7,5"},
		{"a sign alone", "-", "'-"},
		{"a negative integer", "-5", "-5"},
		{"a negative longitude", "-73.9857", "-73.9857"},
		{"a signed decimal", "+1.5", "+1.5"},
		{"a number in exponent form", "-1e-3", "-1e-3"},
		{"a number starting with a point", "-.5", "-.5"},
		{"a number ending with a point", "-5.", "-5."},
		{"an exponent without digits", "-1e", "'-1e"},
		{"two points", "-1.2.3", "'-1.2.3"},
		{"plain text", "Main St", "Main St"},
		{"a formula later in the text", "Call =1+1", "Call =1+1"},
		{"an unsigned number", "42", "42"},
		{"a negative coordinate", "-97.6", "-97.6"},
		{"a negative whole number", "-3", "-3"},
		{"a sum", "=SUM(A1)", "'=SUM(A1)"},
		{"a sum of plus signs", "+1+1", "'+1+1"},
		{"an at sign before a name", "@x", "'@x"},
		{"a difference", "-1+2", "'-1+2"},
		{"empty", "", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			if got := connect.EscapeFormula(c.cell); got != c.want {
				t.Errorf("EscapeFormula(%q) = %q, want %q", c.cell, got, c.want)
			}
		})
	}
}

func TestUnescapeFormulaUndoesEscapeFormula(t *testing.T) {
	t.Parallel()
	cases := []struct{ in, want string }{
		{"'=1+1", "=1+1"},
		{"'+44 20 7946 0018", "+44 20 7946 0018"},
		{"'-7,5", "-7,5"},
		{"'@SUM(A1)", "@SUM(A1)"},
		{"' =1+1", " =1+1"},
		{"'\tx", "\tx"},
		{"'hello", "'hello"}, // not escaped by EscapeFormula: the user's own quote
		{"'-5", "'-5"},       // a plain number is never escaped
		{"''=1", "''=1"},     // escaped twice is not what EscapeFormula writes
		{"=1+1", "=1+1"},
		{"'", "'"},
		{"", ""},
	}
	for _, c := range cases {
		if got := connect.UnescapeFormula(c.in); got != c.want {
			t.Errorf("UnescapeFormula(%q) = %q, want %q", c.in, got, c.want)
		}
	}
	for _, s := range []string{"=1+1", "+44 1", "-x", "plain", "-5", "'quoted", " @x", "\r", ""} {
		if got := connect.UnescapeFormula(connect.EscapeFormula(s)); got != s {
			t.Errorf("UnescapeFormula(EscapeFormula(%q)) = %q", s, got)
		}
	}
}
