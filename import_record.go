package connect

import (
	"context"
	"strings"
	"time"
	"unicode/utf8"
)

// ImportID identifies one import: a spreadsheet, a Shopify bulk import or a
// dispatcher's stops file, whose orders a list can be narrowed to.
type ImportID string

// ImportRecord is what an import stored, recorded in the same transaction as
// its orders (each of which carries its ID in Order.Import), so that the
// client's list can show "the orders of this import". An import that stores
// no order records nothing: there would be nothing to list.
type ImportRecord struct {
	ID      ImportID  `json:"id"`
	Account AccountID `json:"account"`
	// Client is the client whose team imported; "" for a dispatcher's stops
	// file, whose orders each keep the client their row names.
	Client ClientID `json:"client,omitempty"`
	// Name is the file's name as uploaded ("orders.xlsx"), "Shopify" for a
	// Shopify import, or "" when the caller gave none (ImportOptions.Name).
	Name   string `json:"name,omitempty"`
	Source Source `json:"source"`
	// Orders is how many orders the import stored (some may have been deleted
	// since); Refused how many rows it refused.
	Orders  int `json:"orders"`
	Refused int `json:"refused"`
	// By names who imported, as order history does ("member 0190… (admin)",
	// "dispatcher ana@example.com").
	By        string    `json:"by"`
	CreatedAt time.Time `json:"created_at"`
}

// ImportQuery selects imports for ImportStore.Imports.
type ImportQuery struct {
	// Limit is how many, newest first; all when ≤ 0.
	Limit int
}

// ImportsParams selects the imports Service.Imports lists.
type ImportsParams struct {
	// Client names the client whose imports a dispatcher lists; "" lists every
	// import of the account, its stops files among them. Members always list
	// their own client's.
	Client ClientID
	// Limit is how many, newest first: 0 means 20, at most 100.
	Limit int
}

// Limits of the record of an import.
const (
	defaultImports = 20
	maxImports     = 100
	maxImportName  = 200 // characters of ImportOptions.Name kept
	maxImportID    = 100 // characters of an import id in a list's filter
)

// Imports lists recent imports newest first: a member's client's, or a
// dispatcher's given client's (every import of its account, stops files
// included, when p.Client is ""). Errors: ErrForbidden; ErrNotFound when a
// dispatcher names a client that is not of its account.
func (s *Service) Imports(ctx context.Context, a Actor, p ImportsParams) ([]*ImportRecord, error) {
	c, err := s.authorizeRead(ctx, a, actViewOrders)
	if err != nil {
		return nil, err
	}
	scope := c.scope()
	if c.Kind == ActorDispatcher && p.Client != "" {
		// Refused as a missing client, rather than answered with nothing.
		if _, err := s.store.Client(ctx, scope, p.Client); err != nil {
			return nil, err
		}
		scope.Client = p.Client
	}
	limit := p.Limit
	switch {
	case limit <= 0:
		limit = defaultImports
	case limit > maxImports:
		limit = maxImports
	}
	return s.store.Imports(ctx, scope, ImportQuery{Limit: limit})
}

// importName is the name an import is recorded under: trimmed, one line, at
// most maxImportName characters.
func importName(name string) string {
	name = strings.Join(strings.Fields(name), " ")
	if utf8.RuneCountInString(name) > maxImportName {
		name = string([]rune(name)[:maxImportName])
	}
	return name
}

// recordImport stores the record of an import of c that stored orders (the
// first of which says their source), in tx.
func (s *Service) recordImport(ctx context.Context, tx Store, c caller, id ImportID, name string, first *Order, res *ImportResult) error {
	rec := &ImportRecord{ID: id, Account: c.Account, Client: c.Actor.Client, Name: importName(name),
		Source: first.Source, Orders: res.Imported, Refused: res.Refused, By: c.history(), CreatedAt: s.clock()}
	if err := tx.CreateImport(ctx, c.scope(), rec); err != nil {
		return err
	}
	res.Import = id
	return nil
}
