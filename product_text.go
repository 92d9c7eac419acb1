package connect

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// The one text format of a list of products, in spreadsheets, the order form and
// exports: "Veg box x2; Sourdough loaf [SKU: BREAD-SD]".

// parseProducts reads a cell listing products (FieldProducts), like
//
//	Veg box x2; Sourdough loaf [SKU: BREAD-1]
//	2 x Veg box, Bread
//	Veg box*2
//
// Products are separated by semicolons or line breaks, or, when the cell has neither,
// by commas (so "Eggs, free range; Milk" is two products and "Eggs, Milk" too).
//
// A product is a name with an optional quantity and an optional SKU:
//
//   - the quantity, a whole number of at least 1, is written before the name with
//     an x, × or * after it ("2 x Veg box", "2x Veg box", "2*Veg box") or after the
//     name with an x, × or * before it ("Veg box x2", "Veg box x 2", "Veg box*2"). An
//     x or × needs a space on the name's side ("Box2x2" and "Frame 3×4" are names);
//     a * does not. Without a quantity it is 1, and a number at the start is part of
//     the name ("7 Up");
//   - the SKU is written in square brackets starting with "SKU" and a colon or a
//     space, at the end of the product, before or after a quantity:
//     "Bread [SKU: BR-1]", "Bread [sku BR-1] x2". Other brackets and parentheses are
//     part of the name ("Bread (SKU123)" is a product called that).
//
// Empty products (";;", a final ";") are skipped. It refuses a product with a
// quantity of 0 or one that is not a whole number, two quantities, an empty SKU, or
// no name, and a cell with no product at all; the reason names the product. The
// number of products and the length of names are the policy's to check.
func parseProducts(s string) ([]Product, string) {
	if s == "" {
		return nil, ""
	}
	separator := isComma
	if strings.ContainsAny(s, ";\n\r") {
		separator = isSemicolonOrLineBreak
	}
	var out []Product
	n := 0
	for item := range strings.FieldsFuncSeq(s, separator) {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		n++
		p, reason := parseProduct(item)
		if reason != "" {
			return nil, fmt.Sprintf("has a product %d (%s) that %s", n, quoteCell(item), reason)
		}
		out = append(out, p)
	}
	if len(out) == 0 {
		return nil, fmt.Sprintf(`lists no product: write them like "Veg box x2; Bread", not %s`, quoteCell(s))
	}
	return out, ""
}

func isComma(r rune) bool                { return r == ',' }
func isSemicolonOrLineBreak(r rune) bool { return r == ';' || r == '\n' || r == '\r' }

// parseProduct reads one product, or says what is wrong with it.
func parseProduct(item string) (Product, string) {
	p := Product{Quantity: 1}
	rest, sku, ok := cutSKU(item)
	if !ok {
		return p, `has an empty SKU: write it like "Bread [SKU: BR-1]"`
	}
	qty := ""
	if name, q, found := leadingQuantity(rest); found {
		rest, qty = name, q
	}
	if name, q, found := trailingQuantity(rest); found {
		if qty != "" {
			return p, "has two quantities: write one, like \"Veg box x2\""
		}
		rest, qty = name, q
	}
	if sku == "" { // "Bread [SKU: BR-1] x2": the SKU before the quantity
		if rest, sku, ok = cutSKU(rest); !ok {
			return p, `has an empty SKU: write it like "Bread [SKU: BR-1]"`
		}
	}
	p.Name, p.SKU = strings.TrimSpace(rest), sku
	if qty != "" {
		n, err := strconv.Atoi(qty)
		switch {
		case !isDigits(qty):
			return p, fmt.Sprintf("has a quantity %q that is not a whole number: write it like \"Veg box x2\"", qty)
		case err != nil:
			return p, fmt.Sprintf("has a quantity %q that is far too large", qty)
		case n == 0:
			return p, "has a quantity of 0: give at least 1, or leave the product out"
		}
		p.Quantity = n
	}
	if p.Name == "" {
		return p, `has no name: write it like "Veg box x2"`
	}
	return p, ""
}

// cutSKU takes a final "[SKU: ABC]" off item. ok is false for an empty one ("[SKU]",
// "[SKU: ]").
func cutSKU(item string) (rest, sku string, ok bool) {
	if !strings.HasSuffix(item, "]") {
		return item, "", true
	}
	open := strings.LastIndexByte(item, '[')
	if open < 0 {
		return item, "", true
	}
	inside := item[open+1 : len(item)-1]
	if len(inside) < 3 || !strings.EqualFold(inside[:3], "sku") {
		return item, "", true
	}
	after := inside[3:]
	value := strings.TrimLeftFunc(after, unicode.IsSpace)
	if v, colon := strings.CutPrefix(value, ":"); colon {
		value = v
	} else if value == after && value != "" {
		return item, "", true // "[SKUs]": a word, not a SKU
	}
	value = strings.TrimSpace(value)
	if value == "" {
		return item, "", false
	}
	return strings.TrimSpace(item[:open]), value, true
}

// isQuantityMark reports whether r may join a quantity to a name: x, X, × or *.
func isQuantityMark(r rune) bool { return r == 'x' || r == 'X' || r == '×' || r == '*' }

// looksNumeric reports whether s is written like a number ("2", "-1", "2.5", "1,000"):
// digits with signs, points and commas only. A product whose quantity looks numeric
// but is not a whole number ("Veg x2.5", "Veg x-1") is refused; one whose "quantity"
// has letters ("Shirt x-large", "Razor x2-pack") is a name.
func looksNumeric(s string) bool {
	digit := false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= '0' && c <= '9':
			digit = true
		case c == '-' || c == '+' || c == '.' || c == ',':
		default:
			return false
		}
	}
	return digit
}

// leadingQuantity splits "2 x Veg box", "2x Veg box" or "2*Veg box" into the name and
// the quantity's text.
func leadingQuantity(s string) (name, qty string, found bool) {
	end := strings.IndexFunc(s, unicode.IsSpace)
	if end < 0 {
		end = len(s)
	}
	tok, tail := s[:end], s[end:]
	after := strings.TrimLeftFunc(tail, unicode.IsSpace)
	// "2x Veg", "2* Veg", "2x" alone (which has no name).
	if r, size := utf8.DecodeLastRuneInString(tok); isQuantityMark(r) && looksNumeric(tok[:len(tok)-size]) {
		return after, tok[:len(tok)-size], true
	}
	// "2*Veg": a * needs no space.
	if i := strings.IndexByte(tok, '*'); i > 0 && looksNumeric(tok[:i]) {
		return strings.TrimSpace(tok[i+1:] + tail), tok[:i], true
	}
	// "2 x Veg", "2 * Veg", "2 x" alone.
	if looksNumeric(tok) && after != "" {
		r, size := utf8.DecodeRuneInString(after)
		if isQuantityMark(r) {
			next := after[size:]
			if next == "" || (r != 'x' && r != 'X') || unicode.IsSpace(firstRune(next)) {
				return strings.TrimSpace(next), tok, true
			}
		}
	}
	return s, "", false
}

// trailingQuantity splits "Veg box x2", "Veg box x 2" or "Veg box*2" into the name and
// the quantity's text.
func trailingQuantity(s string) (name, qty string, found bool) {
	start := 0
	if i := strings.LastIndexFunc(s, unicode.IsSpace); i >= 0 {
		_, size := utf8.DecodeRuneInString(s[i:])
		start = i + size
	}
	head, tok := s[:start], s[start:]
	before := strings.TrimRightFunc(head, unicode.IsSpace)
	// "Veg x2", "Veg *2", "x2" alone (which has no name).
	if r, size := utf8.DecodeRuneInString(tok); isQuantityMark(r) && looksNumeric(tok[size:]) {
		return before, tok[size:], true
	}
	// "Veg*2": a * needs no space.
	if i := strings.LastIndexByte(tok, '*'); i > 0 && looksNumeric(tok[i+1:]) {
		return strings.TrimSpace(head + tok[:i]), tok[i+1:], true
	}
	// "Veg x 2", "Veg * 2", "x 2" alone.
	if looksNumeric(tok) && before != "" {
		r, size := utf8.DecodeLastRuneInString(before)
		if isQuantityMark(r) {
			prev := before[:len(before)-size]
			if prev == "" || (r != 'x' && r != 'X') || unicode.IsSpace(lastRune(prev)) {
				return strings.TrimSpace(prev), tok, true
			}
		}
	}
	return s, "", false
}

func firstRune(s string) rune {
	r, _ := utf8.DecodeRuneInString(s)
	return r
}

func lastRune(s string) rune {
	r, _ := utf8.DecodeLastRuneInString(s)
	return r
}

// FormatProducts writes products as FieldProducts.Parse reads them back: "Veg box x2;
// Bread [SKU: BR-1]". A quantity of 1 is left out unless the name would then read as
// something else ("Veg x2 x1"), and a name that starts like a quantity gets its
// quantity in front. A single product whose name has a comma gets a
// final ";", so that it is not read back as two.
func FormatProducts(ps []Product) string {
	parts := make([]string, len(ps))
	for i, p := range ps {
		parts[i] = formatProduct(p)
	}
	s := strings.Join(parts, "; ")
	if len(ps) == 1 && strings.Contains(ps[0].Name, ",") {
		s += ";"
	}
	return s
}

// formatProduct writes p in the first of these forms that reads back as p: the name
// alone (for a quantity of 1), "name xN", "N x name"; each with its SKU after.
func formatProduct(p Product) string {
	sku := ""
	if p.SKU != "" {
		sku = " [SKU: " + p.SKU + "]"
	}
	n := strconv.Itoa(p.Quantity)
	forms := [3]string{p.Name + " x" + n + sku, n + " x " + p.Name + sku}
	if p.Quantity == 1 {
		forms = [3]string{p.Name + sku, forms[0], forms[1]}
	}
	for _, s := range forms {
		if s == "" {
			continue
		}
		if back, reason := parseProduct(s); reason == "" && back == p {
			return s
		}
	}
	return forms[0]
}
