package main

import (
	"bytes"
	"fmt"
	"slices"
	"sort"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/formatter"
	"github.com/vektah/gqlparser/v2/parser"
	"github.com/vektah/gqlparser/v2/validator"
)

// Cut returns, as SDL, the part of the schema fullSDL that the operations and
// fragments in opsSDL use. It keeps:
//   - on object and interface types, only the fields some selection names, with
//     all their arguments (so a future argument does not need a new cut);
//   - every type those fields return and every input type, enum and scalar their
//     arguments or the operations' variables use; input types whole, as the
//     server accepts them whole;
//   - all custom scalars and directive definitions (a handful of lines), so
//     genqlient.yaml can bind every scalar Shopify has;
//   - on each kept type, only the kept interfaces it implements, and on each kept
//     interface the fields its kept implementations must then also keep.
//
// A composite type that is reached but has no selected field (Node, reached
// through nodes(ids:) { ... on Order }) keeps its id field, or its first field of
// scalar type, because GraphQL forbids empty types.
//
// The operations must be valid against the full schema, and the subset is checked
// by validating them again against it.
func Cut(fullSDL, opsSDL string) (string, error) {
	full, err := gqlparser.LoadSchema(&ast.Source{Name: "full.graphql", Input: fullSDL})
	if err != nil {
		return "", fmt.Errorf("full schema: %w", err)
	}
	doc, err := parser.ParseQuery(&ast.Source{Name: "operations.graphql", Input: opsSDL})
	if err != nil {
		return "", fmt.Errorf("operations: %w", err)
	}
	if errs := validator.Validate(full, doc); len(errs) > 0 {
		return "", fmt.Errorf("operations against the full schema: %w", errs)
	}

	c := &cutter{full: full, doc: doc, fields: map[string]map[string]bool{}}
	for _, op := range doc.Operations {
		for _, v := range op.VariableDefinitions {
			c.useType(v.Type.Name())
		}
		root := full.Query
		if op.Operation == ast.Mutation {
			root = full.Mutation
		}
		if root == nil {
			return "", fmt.Errorf("operation %s: the schema has no %s root", op.Name, op.Operation)
		}
		c.useType(root.Name)
		c.selectionSet(root, op.SelectionSet)
	}
	for _, def := range full.Types {
		if def.Kind == ast.Scalar && !def.BuiltIn {
			c.useType(def.Name)
		}
	}
	if err := c.close(); err != nil {
		return "", err
	}

	// One document per definition, joined by blank lines: the formatter alone
	// runs definitions together, which is hard to read.
	var buf bytes.Buffer
	for i, part := range c.document() {
		if i > 0 {
			buf.WriteByte('\n')
		}
		formatter.NewFormatter(&buf, formatter.WithIndent("  ")).FormatSchemaDocument(part)
	}

	subset, err := gqlparser.LoadSchema(&ast.Source{Name: "schema.graphql", Input: buf.String()})
	if err != nil {
		return "", fmt.Errorf("the subset does not load: %w", err)
	}
	if errs := validator.Validate(subset, doc); len(errs) > 0 {
		return "", fmt.Errorf("operations against the subset: %w", errs)
	}
	return buf.String(), nil
}

type cutter struct {
	full *ast.Schema
	doc  *ast.QueryDocument
	// fields maps each kept type to its kept field names; input objects, enums
	// and scalars are kept whole and have an empty set.
	fields map[string]map[string]bool
}

// useType keeps a type, and for an input object every type its fields need.
func (c *cutter) useType(name string) {
	if _, ok := c.fields[name]; ok {
		return
	}
	def := c.full.Types[name]
	if def == nil || def.BuiltIn {
		return
	}
	c.fields[name] = map[string]bool{}
	if def.Kind == ast.InputObject {
		for _, f := range def.Fields {
			c.useType(f.Type.Name())
		}
	}
}

// useField keeps one field of a composite type, with its arguments' types and
// the type it returns.
func (c *cutter) useField(parent *ast.Definition, f *ast.FieldDefinition) {
	c.useType(parent.Name)
	c.fields[parent.Name][f.Name] = true
	for _, a := range f.Arguments {
		c.useType(a.Type.Name())
	}
	c.useType(f.Type.Name())
}

func (c *cutter) selectionSet(parent *ast.Definition, set ast.SelectionSet) {
	for _, sel := range set {
		switch sel := sel.(type) {
		case *ast.Field:
			if len(sel.Name) >= 2 && sel.Name[:2] == "__" {
				continue // __typename: every type has it
			}
			def := parent.Fields.ForName(sel.Name)
			c.useField(parent, def)
			if len(sel.SelectionSet) > 0 {
				c.selectionSet(c.full.Types[def.Type.Name()], sel.SelectionSet)
			}
		case *ast.InlineFragment:
			on := parent
			if sel.TypeCondition != "" {
				on = c.full.Types[sel.TypeCondition]
			}
			c.useType(on.Name)
			c.selectionSet(on, sel.SelectionSet)
		case *ast.FragmentSpread:
			frag := c.doc.Fragments.ForName(sel.Name)
			on := c.full.Types[frag.TypeCondition]
			c.useType(on.Name)
			c.selectionSet(on, frag.SelectionSet)
		}
	}
}

// close makes the kept set a valid schema: no empty composite types, and every
// kept implementation of a kept interface has the interface's kept fields. It
// repeats until nothing changes, as each step can keep more.
func (c *cutter) close() error {
	for changed := true; changed; {
		changed = false
		for _, name := range c.names() {
			def := c.full.Types[name]
			if def.Kind != ast.Object && def.Kind != ast.Interface {
				continue
			}
			if len(c.fields[name]) == 0 {
				f := placeholderField(c.full, def)
				if f == nil {
					return fmt.Errorf("type %s is reached but has no field to keep", name)
				}
				c.useField(def, f)
				changed = true
			}
			for _, iface := range def.Interfaces {
				if _, kept := c.fields[iface]; !kept {
					continue
				}
				for field := range c.fields[iface] {
					if !c.fields[name][field] {
						c.useField(def, def.Fields.ForName(field))
						changed = true
					}
				}
			}
		}
	}
	for _, name := range c.names() {
		def := c.full.Types[name]
		if def.Kind == ast.Union && len(c.keptOf(def.Types)) == 0 {
			return fmt.Errorf("union %s is reached but none of its members is", name)
		}
	}
	return nil
}

func placeholderField(s *ast.Schema, def *ast.Definition) *ast.FieldDefinition {
	if f := def.Fields.ForName("id"); f != nil {
		return f
	}
	for _, f := range def.Fields {
		if k := s.Types[f.Type.Name()].Kind; (k == ast.Scalar || k == ast.Enum) && len(f.Arguments) == 0 && f.Name[0] != '_' {
			return f
		}
	}
	return nil
}

func (c *cutter) names() []string {
	names := make([]string, 0, len(c.fields))
	for n := range c.fields {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

func (c *cutter) keptOf(names []string) []string {
	var kept []string
	for _, n := range names {
		if _, ok := c.fields[n]; ok {
			kept = append(kept, n)
		}
	}
	return kept
}

// document builds the subset as schema documents of one definition each: the
// schema definition, directives and types sorted by name, fields in the full
// schema's order.
func (c *cutter) document() []*ast.SchemaDocument {
	var out []*ast.SchemaDocument
	schema := &ast.SchemaDefinition{}
	schema.OperationTypes = append(schema.OperationTypes, &ast.OperationTypeDefinition{Operation: ast.Query, Type: c.full.Query.Name})
	if m := c.full.Mutation; m != nil {
		if _, kept := c.fields[m.Name]; kept {
			schema.OperationTypes = append(schema.OperationTypes, &ast.OperationTypeDefinition{Operation: ast.Mutation, Type: m.Name})
		}
	}
	out = append(out, &ast.SchemaDocument{Schema: ast.SchemaDefinitionList{schema}})

	var dirs []string
	for name, d := range c.full.Directives {
		if d.Position == nil || d.Position.Src == nil || !d.Position.Src.BuiltIn {
			dirs = append(dirs, name)
		}
	}
	sort.Strings(dirs)
	for _, name := range dirs {
		out = append(out, &ast.SchemaDocument{Directives: ast.DirectiveDefinitionList{c.full.Directives[name]}})
	}

	for _, name := range c.names() {
		src := c.full.Types[name]
		def := *src // shallow copy: the lists below are replaced, not edited
		def.Interfaces = c.keptOf(src.Interfaces)
		if def.Kind == ast.Union {
			def.Types = c.keptOf(src.Types)
		}
		if def.Kind == ast.Object || def.Kind == ast.Interface {
			def.Fields = slices.DeleteFunc(slices.Clone(src.Fields), func(f *ast.FieldDefinition) bool {
				return !c.fields[name][f.Name]
			})
		}
		out = append(out, &ast.SchemaDocument{Definitions: ast.DefinitionList{&def}})
	}
	return out
}
