package shopifytest

import (
	"encoding/json"
	"strings"

	"github.com/vektah/gqlparser/v2/ast"
)

// The fake charges queries by Shopify's documented rules (shopify.dev, "GraphQL
// Admin API rate limits", "Cost calculation"), implemented here on their own
// and not borrowed from the adapter, so that a mistake in the adapter's cost
// model shows as a refused query in tests, as it would against Shopify:
//
//   - every field has a cost; by default a field returning a scalar or an enum
//     costs 0, an object 1, an interface or a union the most its selection
//     costs over the possible types, and a connection 2 plus first (or last)
//     times the cost of one of its nodes;
//   - a mutation costs 10 per root field, whatever it selects;
//   - a query's requested cost, charged before it runs, may be at most 1000
//     (MAX_COST_EXCEEDED above it); its actual cost counts what came back.
//
// Shopify assigns some fields another cost than the default (the page says
// every field "has an integer cost value assigned to it"; users have measured
// connections cheaper and dearer than the rule gives): Config.FieldCosts plays
// such fields, so tests can show that the adapter survives an estimate that is
// wrong.
const mutationCost = 10

// coster computes requested costs for one operation.
type coster struct {
	schema *ast.Schema
	vars   map[string]any
	own    map[string]int // "Type.field" → the field's own cost, replacing the default
}

// requested is the requested cost of op.
func (c coster) requested(op *ast.OperationDefinition) int {
	if op.Operation == ast.Mutation {
		return mutationCost * len(selectedFields(c.schema, op.SelectionSet, c.schema.Mutation, c.vars))
	}
	return c.set(op.SelectionSet, c.schema.Query)
}

// set is what a selection on an object of type t costs: the sum of its
// fields; on an interface or union, the most it costs on any possible type.
func (c coster) set(sel ast.SelectionSet, t *ast.Definition) int {
	if t.Kind == ast.Interface || t.Kind == ast.Union {
		most := 0
		for _, pt := range c.schema.GetPossibleTypes(t) {
			if n := c.set(sel, pt); n > most {
				most = n
			}
		}
		return most
	}
	sum := 0
	for _, f := range selectedFields(c.schema, sel, t, c.vars) {
		sum += c.field(t, f)
	}
	return sum
}

// field is what one selected field of an object of type parent costs, its
// selection included.
func (c coster) field(parent *ast.Definition, f *ast.Field) int {
	if f.Definition == nil || strings.HasPrefix(f.Name, "__") {
		return 0
	}
	ret := c.schema.Types[f.Definition.Type.Name()]
	own, set := c.own[parent.Name+"."+f.Name]
	switch {
	case ret == nil || ret.Kind == ast.Scalar || ret.Kind == ast.Enum:
		return own // 0 unless Shopify says otherwise
	case isConnection(ret):
		if !set {
			own = 2
		}
		args := f.ArgumentMap(c.vars)
		size := intArg(args["first"])
		if args["first"] == nil {
			size = intArg(args["last"])
		}
		return own + size*c.node(f.SelectionSet, ret)
	}
	if !set {
		own = 1
	}
	one := own + c.set(f.SelectionSet, ret)
	// A list of objects fetched by id, nodes(ids:), costs one object per id.
	if ids, ok := f.ArgumentMap(c.vars)["ids"].([]any); ok && f.Definition.Type.Elem != nil {
		return one * len(ids)
	}
	return one
}

// node is what one node of a connection costs: the object under nodes, or
// under edges.node, whichever selection costs more (one node is charged once
// however it is reached). edges and pageInfo belong to the connection's 2.
func (c coster) node(sel ast.SelectionSet, conn *ast.Definition) int {
	most := 0
	for _, f := range selectedFields(c.schema, sel, conn, c.vars) {
		var under []*ast.Field
		switch f.Name {
		case "nodes":
			under = []*ast.Field{f}
		case "edges":
			edge := c.schema.Types[f.Definition.Type.Name()]
			for _, g := range selectedFields(c.schema, f.SelectionSet, edge, c.vars) {
				if g.Name == "node" {
					under = append(under, g)
				}
			}
		}
		for _, n := range under {
			most = max(most, 1+c.set(n.SelectionSet, c.schema.Types[n.Definition.Type.Name()]))
		}
	}
	return most
}

// isConnection reports whether t is a connection as Shopify names them: an
// object type called …Connection with nodes or edges.
func isConnection(t *ast.Definition) bool {
	if t.Kind != ast.Object || !strings.HasSuffix(t.Name, "Connection") {
		return false
	}
	return t.Fields.ForName("edges") != nil || t.Fields.ForName("nodes") != nil
}

// intArg reads an Int argument, whichever way it arrived: a literal (int64),
// decoded JSON (float64 or json.Number), or Go (int).
func intArg(v any) int {
	switch n := v.(type) {
	case int:
		return n
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

// selectedFields is the fields a selection asks of an object of type t, as
// GraphQL execution collects them: fragments that apply to t inlined, fields
// @skip or not @include dropped, and fields under one response key merged
// (their selections joined, in order).
func selectedFields(s *ast.Schema, sel ast.SelectionSet, t *ast.Definition, vars map[string]any) []*ast.Field {
	var order []string
	merged := map[string]*ast.Field{}
	var collect func(ast.SelectionSet)
	collect = func(sel ast.SelectionSet) {
		for _, x := range sel {
			switch x := x.(type) {
			case *ast.Field:
				if skipped(x.Directives, vars) {
					continue
				}
				key := x.Name
				if x.Alias != "" {
					key = x.Alias
				}
				if m, ok := merged[key]; ok {
					joined := make(ast.SelectionSet, 0, len(m.SelectionSet)+len(x.SelectionSet))
					m.SelectionSet = append(append(joined, m.SelectionSet...), x.SelectionSet...)
					continue
				}
				f := *x
				merged[key] = &f
				order = append(order, key)
			case *ast.InlineFragment:
				if !skipped(x.Directives, vars) && fragmentApplies(s, x.TypeCondition, t) {
					collect(x.SelectionSet)
				}
			case *ast.FragmentSpread:
				if !skipped(x.Directives, vars) && x.Definition != nil && fragmentApplies(s, x.Definition.TypeCondition, t) {
					collect(x.Definition.SelectionSet)
				}
			}
		}
	}
	collect(sel)
	out := make([]*ast.Field, len(order))
	for i, k := range order {
		out[i] = merged[k]
	}
	return out
}

// fragmentApplies reports whether a fragment with this type condition (""
// for none) applies to an object of type t.
func fragmentApplies(s *ast.Schema, cond string, t *ast.Definition) bool {
	if cond == "" || cond == t.Name {
		return true
	}
	if d := s.Types[cond]; d != nil && (d.Kind == ast.Interface || d.Kind == ast.Union) {
		for _, pt := range s.GetPossibleTypes(d) {
			if pt.Name == t.Name {
				return true
			}
		}
	}
	return false
}

// skipped reports whether @skip(if: true) or @include(if: false) drops a selection.
func skipped(dirs ast.DirectiveList, vars map[string]any) bool {
	if d := dirs.ForName("skip"); d != nil {
		if v, _ := d.ArgumentMap(vars)["if"].(bool); v {
			return true
		}
	}
	if d := dirs.ForName("include"); d != nil {
		if v, _ := d.ArgumentMap(vars)["if"].(bool); !v {
			return true
		}
	}
	return false
}
