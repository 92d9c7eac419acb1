package shopify

import "strings"

// OpenUnfulfilled is the order search for orders still to deliver: open (not
// archived or cancelled) and with nothing fulfilled yet.
const OpenUnfulfilled = "status:open fulfillment_status:unfulfilled"

// NameQuery returns the order search that finds orders by their names, such as
// "name:1001 OR name:1002". Shopify's search takes names without the leading #,
// so it is dropped; a name with spaces or quotes is quoted.
func NameQuery(names []string) string {
	terms := make([]string, 0, len(names))
	for _, n := range names {
		n = strings.TrimPrefix(strings.TrimSpace(n), "#")
		if n == "" {
			continue
		}
		if strings.ContainsAny(n, " \t\"'():\\") {
			n = `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(n) + `"`
		}
		terms = append(terms, "name:"+n)
	}
	return strings.Join(terms, " OR ")
}
