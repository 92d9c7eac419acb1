// Package gqlcost computes the requested cost of a GraphQL operation the way
// Shopify's Admin API documents it, so the client can size its pages and wait
// for enough rate-limit points before sending. The fake Shopify (shopifytest)
// charges by its own implementation of the rules, so that the two can disagree
// as the adapter and Shopify can.
//
// The rules (shopify.dev, "GraphQL Admin API rate limits"):
//   - a scalar or enum field costs 0;
//   - an object field costs 1 plus the cost of its selection;
//   - an interface or union field costs 1 plus the largest cost its selection
//     has over the possible types;
//   - a connection (a type named ...Connection) costs 2 plus first (or last)
//     times the cost of one node, whether selected through nodes or edges.node;
//     its pageInfo is part of the 2;
//   - a list field of objects costs its element's cost times the number of ids
//     it is given (nodes(ids:)), or once when it takes no ids;
//   - a mutation's root field costs 10, whatever it selects.
//
// Shopify refines these per field (some fields cost more): pages are sized
// with a margin under the limit, and halved when Shopify still refuses one.
package gqlcost

import (
	"encoding/json"
	"strings"

	"github.com/vektah/gqlparser/v2/ast"
)

// Mutation is the cost of each root field of a mutation.
const Mutation = 10

// Requested returns the requested cost of op with the given coerced variables.
// The operation must have been validated against s, so that every field knows
// its definition.
func Requested(s *ast.Schema, op *ast.OperationDefinition, vars map[string]any) int {
	if op.Operation == ast.Mutation {
		return Mutation * len(CollectFields(s, op.SelectionSet, s.Mutation, vars))
	}
	root := s.Query
	if op.Operation == ast.Subscription {
		root = s.Subscription
	}
	return selectionCost(s, op.SelectionSet, root, vars)
}

// selectionCost is the cost of a selection set on one concrete or abstract type.
func selectionCost(s *ast.Schema, set ast.SelectionSet, on *ast.Definition, vars map[string]any) int {
	if on.IsAbstractType() {
		most := 0
		for _, t := range s.GetPossibleTypes(on) {
			most = max(most, selectionCost(s, set, t, vars))
		}
		return most
	}
	total := 0
	for _, f := range CollectFields(s, set, on, vars) {
		total += fieldCost(s, f, vars)
	}
	return total
}

func fieldCost(s *ast.Schema, f *ast.Field, vars map[string]any) int {
	if f.Definition == nil || strings.HasPrefix(f.Name, "__") {
		return 0
	}
	t := s.Types[f.Definition.Type.Name()]
	if t == nil || t.Kind == ast.Scalar || t.Kind == ast.Enum {
		return 0
	}
	if IsConnection(t) {
		args := f.ArgumentMap(vars)
		n := Int(args["first"])
		if n == 0 {
			n = Int(args["last"])
		}
		return 2 + n*nodeCost(s, f.SelectionSet, t, vars)
	}
	one := 1 + selectionCost(s, f.SelectionSet, t, vars)
	if f.Definition.Type.Elem != nil {
		if ids, ok := f.ArgumentMap(vars)["ids"].([]any); ok {
			return len(ids) * one
		}
	}
	return one
}

// nodeCost is the cost of one node of a connection: its nodes { } selection or
// its edges { node { } } selection, whichever costs more (they are the same
// objects, so a query selecting both pays once).
func nodeCost(s *ast.Schema, set ast.SelectionSet, conn *ast.Definition, vars map[string]any) int {
	most := 0
	for _, f := range CollectFields(s, set, conn, vars) {
		switch f.Name {
		case "nodes":
			most = max(most, 1+selectionCost(s, f.SelectionSet, s.Types[f.Definition.Type.Name()], vars))
		case "edges":
			edge := s.Types[f.Definition.Type.Name()]
			for _, e := range CollectFields(s, f.SelectionSet, edge, vars) {
				if e.Name == "node" {
					most = max(most, 1+selectionCost(s, e.SelectionSet, s.Types[e.Definition.Type.Name()], vars))
				}
			}
		}
	}
	return most
}

// IsConnection reports whether t is a Relay connection, by Shopify's naming.
func IsConnection(t *ast.Definition) bool {
	return t.Kind == ast.Object && strings.HasSuffix(t.Name, "Connection") &&
		(t.Fields.ForName("nodes") != nil || t.Fields.ForName("edges") != nil)
}

// CollectFields flattens a selection set for one concrete type as GraphQL
// execution does: fragments whose type applies are inlined, fields skipped by
// @skip/@include are dropped, and fields with the same response key are merged
// into one whose selection set is the concatenation, in first-seen order.
func CollectFields(s *ast.Schema, set ast.SelectionSet, on *ast.Definition, vars map[string]any) []*ast.Field {
	var out []*ast.Field
	byKey := map[string]*ast.Field{}
	var walk func(ast.SelectionSet)
	walk = func(set ast.SelectionSet) {
		for _, sel := range set {
			switch sel := sel.(type) {
			case *ast.Field:
				if !included(sel.Directives, vars) {
					continue
				}
				key := sel.Alias
				if key == "" {
					key = sel.Name
				}
				if prev, ok := byKey[key]; ok { // prev is our copy: safe to extend
					prev.SelectionSet = append(append(ast.SelectionSet{}, prev.SelectionSet...), sel.SelectionSet...)
					continue
				}
				copied := *sel
				byKey[key] = &copied
				out = append(out, &copied)
			case *ast.InlineFragment:
				if included(sel.Directives, vars) && applies(s, sel.TypeCondition, on) {
					walk(sel.SelectionSet)
				}
			case *ast.FragmentSpread:
				if included(sel.Directives, vars) && sel.Definition != nil && applies(s, sel.Definition.TypeCondition, on) {
					walk(sel.Definition.SelectionSet)
				}
			}
		}
	}
	walk(set)
	return out
}

// applies reports whether a fragment on typeCondition applies to objects of type on.
func applies(s *ast.Schema, typeCondition string, on *ast.Definition) bool {
	if typeCondition == "" || typeCondition == on.Name {
		return true
	}
	cond := s.Types[typeCondition]
	if cond == nil || !cond.IsAbstractType() {
		return false
	}
	for _, t := range s.GetPossibleTypes(cond) {
		if t.Name == on.Name {
			return true
		}
	}
	return false
}

func included(dirs ast.DirectiveList, vars map[string]any) bool {
	if d := dirs.ForName("skip"); d != nil {
		if b, _ := d.ArgumentMap(vars)["if"].(bool); b {
			return false
		}
	}
	if d := dirs.ForName("include"); d != nil {
		if b, _ := d.ArgumentMap(vars)["if"].(bool); !b {
			return false
		}
	}
	return true
}

// Int reads a GraphQL Int argument as variables and literals deliver it: int64
// from a literal, float64 or json.Number from decoded JSON, int from Go.
func Int(v any) int {
	switch n := v.(type) {
	case int:
		return n
	case int32:
		return int(n)
	case int64:
		return int(n)
	case float64:
		return int(n)
	case json.Number:
		i, _ := n.Int64()
		return int(i)
	}
	return 0
}
