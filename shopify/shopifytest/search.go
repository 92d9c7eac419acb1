package shopifytest

import (
	"fmt"
	"strings"
)

// search is a parsed order search: terms joined by OR, each group of terms
// joined by AND (Shopify's default connective, spelled or not).
type search [][]term

type term struct {
	key, value string // key "" for a bare word
	negated    bool
}

// parseSearch reads the part of Shopify's search syntax the fake needs:
// key:value terms (value quoted when it has spaces), bare words, OR, AND, and a
// leading - to negate. Keys it does not know match every order, as Shopify
// ignores unknown filters (with a warning the fake does not send).
func parseSearch(q string) (search, error) {
	words, err := splitWords(q)
	if err != nil {
		return nil, err
	}
	s := search{nil}
	for _, w := range words {
		switch w {
		case "OR":
			s = append(s, nil)
			continue
		case "AND":
			continue
		}
		t := term{}
		if strings.HasPrefix(w, "-") && len(w) > 1 {
			t.negated, w = true, w[1:]
		}
		if k, v, ok := strings.Cut(w, ":"); ok && k != "" {
			t.key, t.value = strings.ToLower(k), strings.Trim(v, `"`)
		} else {
			t.value = strings.Trim(w, `"`)
		}
		s[len(s)-1] = append(s[len(s)-1], t)
	}
	return s, nil
}

// splitWords splits on spaces outside double quotes.
func splitWords(q string) ([]string, error) {
	var words []string
	var cur strings.Builder
	quoted := false
	for i := 0; i < len(q); i++ {
		c := q[i]
		switch {
		case c == '\\' && quoted && i+1 < len(q):
			i++
			cur.WriteByte(q[i])
		case c == '"':
			quoted = !quoted
			cur.WriteByte(c)
		case (c == ' ' || c == '\t') && !quoted:
			if cur.Len() > 0 {
				words = append(words, cur.String())
				cur.Reset()
			}
		default:
			cur.WriteByte(c)
		}
	}
	if quoted {
		return nil, errorf("Invalid search query %q: unbalanced quote", q)
	}
	if cur.Len() > 0 {
		words = append(words, cur.String())
	}
	return words, nil
}

func (s search) matches(o *Order) bool {
	for _, group := range s {
		all := true
		for _, t := range group {
			if t.matches(o) == t.negated {
				all = false
				break
			}
		}
		if all {
			return true
		}
	}
	return false
}

func (t term) matches(o *Order) bool {
	v := strings.ToLower(t.value)
	switch t.key {
	case "":
		return strings.Contains(strings.ToLower(o.Name), v) || strings.Contains(strings.ToLower(o.Email), v)
	case "name":
		return strings.EqualFold(strings.TrimPrefix(o.Name, "#"), strings.TrimPrefix(v, "#"))
	case "id":
		return fmt.Sprint(idNumber(o.ID)) == v
	case "status":
		switch v {
		case "open":
			return !o.Closed && !o.Cancelled
		case "closed":
			return o.Closed
		case "cancelled":
			return o.Cancelled
		case "not_closed":
			return !o.Closed
		}
		return true // "any"
	case "fulfillment_status":
		st := o.DisplayFulfillmentStatus()
		switch v {
		case "unfulfilled":
			return st == "UNFULFILLED"
		case "unshipped":
			return st == "UNFULFILLED" || st == "PARTIALLY_FULFILLED"
		case "fulfilled", "shipped":
			return st == "FULFILLED"
		case "partial":
			return st == "PARTIALLY_FULFILLED"
		}
		return true
	}
	return true
}
