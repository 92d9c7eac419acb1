package live

// Scope is what a reader reads and what a commit touched: an account, and one of
// its clients or "" for the whole account. The zero Scope reads everything (an
// outbox worker). The keys are opaque: live compares them, nothing more.
type Scope struct {
	Account string
	Client  string // "" for every client of the account
}

// concerns reports whether a commit that touched those scopes may have changed
// what a reader of s reads: a reader of a client hears of its client's commits and
// of its account's; a reader of an account of any commit within it; the zero Scope
// of every commit.
func (s Scope) concerns(touched []Scope) bool {
	if s.Account == "" {
		return true
	}
	for _, t := range touched {
		if t.Account == s.Account && (s.Client == "" || t.Client == "" || t.Client == s.Client) {
			return true
		}
	}
	return false
}
