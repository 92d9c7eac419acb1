package shopifytest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"time"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// object is a GraphQL object the executor can walk: its concrete type, and the
// value of each field for the given arguments. A field's value is nil, a
// string, bool, int, float64, time.Time, an enum value as a string, an object,
// a []any of those, or withheld{} for protected customer data.
type object interface {
	typeName() string
	field(name string, args map[string]any) (any, error)
}

// apiError is an error worded as Shopify words it: capitalised, as GraphQL
// error messages are.
type apiError string

func (e apiError) Error() string { return string(e) }

func errorf(format string, args ...any) error { return apiError(fmt.Sprintf(format, args...)) }

// withheld stands for a field Shopify hides from an app without approval for
// protected customer data: null, plus an ACCESS_DENIED error.
type withheld struct{}

// executor runs one validated operation over the shop's objects. It answers
// exactly the fields asked, under their aliases, with fragments applied, and
// propagates a null in a non-null field to the nearest nullable parent, as the
// GraphQL specification has it.
type executor struct {
	schema   *ast.Schema
	vars     map[string]any
	errs     gqlerror.List
	actual   int  // the actual cost: objects and connections returned
	mutation bool // mutations cost a flat amount, not what they return
}

// run executes the operation's selection set on root and returns the data, or
// nil when a null reached the root.
func (e *executor) run(op *ast.OperationDefinition, root object) *fields {
	if op.Operation == ast.Mutation {
		e.mutation = true
		e.actual = mutationCost * len(selectedFields(e.schema, op.SelectionSet, e.schema.Mutation, e.vars))
	}
	data, ok := e.selectionSet(op.SelectionSet, root, nil)
	if !ok {
		return nil
	}
	return data
}

func (e *executor) selectionSet(set ast.SelectionSet, obj object, path ast.Path) (*fields, bool) {
	t := e.schema.Types[obj.typeName()]
	out := &fields{}
	for _, f := range selectedFields(e.schema, set, t, e.vars) {
		key := f.Alias
		if key == "" {
			key = f.Name
		}
		if f.Name == "__typename" {
			out.add(key, t.Name)
			continue
		}
		def := t.Fields.ForName(f.Name)
		at := append(append(ast.Path{}, path...), ast.PathName(key))
		v, err := obj.field(f.Name, f.ArgumentMap(e.vars))
		if err != nil {
			ge := &gqlerror.Error{Message: err.Error(), Path: at, Locations: locate(f.Position)}
			if _, ok := err.(orderObjectDenied); ok {
				ge.Extensions = map[string]any{"code": "ACCESS_DENIED", "documentation": "https://shopify.dev/docs/apps/launch/protected-customer-data"}
			}
			if ad, ok := err.(accessDenied); ok {
				ge.Extensions = map[string]any{"code": "ACCESS_DENIED", "documentation": "https://shopify.dev/api/usage/access-scopes",
					"requiredAccess": "`" + ad.scope + "` access scope."}
			}
			e.errs = append(e.errs, ge)
			v = nil
		}
		val, ok := e.complete(def.Type, f, v, at, err != nil)
		if !ok {
			return nil, false
		}
		out.add(key, val)
	}
	return out, true
}

// complete turns a resolved value into its answer for type typ. It returns
// false when the value is null where typ forbids it, so the caller becomes null
// in turn. reported says an error for this path is already recorded.
func (e *executor) complete(typ *ast.Type, f *ast.Field, v any, path ast.Path, reported bool) (any, bool) {
	if _, ok := v.(withheld); ok {
		e.errs = append(e.errs, &gqlerror.Error{
			Message: fmt.Sprintf("This app is not approved to access the %s field of the %s object. See https://shopify.dev/docs/apps/launch/protected-customer-data for more details.",
				f.Name, ownerOf(f)),
			Path:       path,
			Locations:  locate(f.Position),
			Extensions: map[string]any{"code": "ACCESS_DENIED", "documentation": "https://shopify.dev/docs/apps/launch/protected-customer-data"},
		})
		v, reported = nil, true
	}
	if isNil(v) {
		if typ.NonNull {
			if !reported {
				e.errs = append(e.errs, &gqlerror.Error{
					Message: "Cannot return null for non-nullable field " + ownerOf(f) + "." + f.Name,
					Path:    path, Locations: locate(f.Position),
				})
			}
			return nil, false
		}
		return nil, true
	}
	if typ.Elem != nil {
		items, ok := v.([]any)
		if !ok {
			panic(fmt.Sprintf("shopifytest: %s resolved to %T, not a list", path, v))
		}
		out := make([]any, 0, len(items))
		for i, item := range items {
			val, ok := e.complete(typ.Elem, f, item, append(append(ast.Path{}, path...), ast.PathIndex(i)), false)
			if !ok {
				return nil, !typ.NonNull
			}
			out = append(out, val)
		}
		return out, true
	}
	named := e.schema.Types[typ.NamedType]
	switch named.Kind {
	case ast.Scalar, ast.Enum:
		if t, ok := v.(time.Time); ok {
			return t.UTC().Format(time.RFC3339), true
		}
		return v, true
	}
	obj, ok := v.(object)
	if !ok {
		panic(fmt.Sprintf("shopifytest: %s resolved to %T, not an object", path, v))
	}
	if !e.mutation {
		switch {
		case isConnection(named):
			e.actual += 2
		case named.Name == "PageInfo" || strings.HasSuffix(named.Name, "Edge"):
		default:
			e.actual++
		}
	}
	m, ok := e.selectionSet(f.SelectionSet, obj, path)
	if !ok {
		return nil, !typ.NonNull
	}
	return m, true
}

func ownerOf(f *ast.Field) string {
	if f.ObjectDefinition != nil {
		return f.ObjectDefinition.Name
	}
	return "Object"
}

func locate(p *ast.Position) []gqlerror.Location {
	if p == nil {
		return nil
	}
	return []gqlerror.Location{{Line: p.Line, Column: p.Column}}
}

func isNil(v any) bool {
	if v == nil {
		return true
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Pointer, reflect.Map, reflect.Interface:
		return rv.IsNil()
	}
	return false
}

// fields is a JSON object that keeps its keys in the order the query asked
// for them, as GraphQL answers do.
type fields struct {
	keys []string
	vals []any
}

func (m *fields) add(k string, v any) { m.keys, m.vals = append(m.keys, k), append(m.vals, v) }

// MarshalJSON writes the fields in order.
func (m *fields) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, k := range m.keys {
		if i > 0 {
			b.WriteByte(',')
		}
		kb, _ := json.Marshal(k)
		b.Write(kb)
		b.WriteByte(':')
		vb, err := json.Marshal(m.vals[i])
		if err != nil {
			return nil, err
		}
		b.Write(vb)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}
