package connect_test

import (
	"errors"
	"testing"

	"github.com/dispatchkit/connect"
	"github.com/google/go-cmp/cmp"
	"github.com/shopspring/decimal"
)

// sameDecimals compares decimals by value (2.50 is 2.5).
var sameDecimals = cmp.Comparer(func(a, b decimal.Decimal) bool { return a.Equal(b) })

func TestTheFieldTableHasARowForEveryOrderField(t *testing.T) {
	t.Parallel()
	specs := connect.FieldSpecs()
	var fields []connect.Field
	for _, s := range specs {
		fields = append(fields, s.Field)
		if s.Label == "" || s.Glossary == "" || s.Syntax == "" || s.Example == "" {
			t.Errorf("%s has no label, glossary, syntax or example: %+v", s.Field, s)
		}
		if got, ok := s.Field.Spec(); !ok || got.Label != s.Label || s.Field.Label() != s.Label || !s.Field.Valid() {
			t.Errorf("%s: Spec, Label or Valid disagree with the table", s.Field)
		}
	}
	if d := cmp.Diff(connect.OrderFields(), fields); d != "" {
		t.Fatalf("FieldSpecs in another order than OrderFields (-want +got):\n%s", d)
	}
	// The client number has a row, but is no order field.
	if s, ok := connect.FieldClientNumber.Spec(); !ok || s.Label != "Client ID" || connect.FieldClientNumber.Valid() {
		t.Errorf("client number: %+v %v", s, ok)
	}
	if _, ok := connect.Field("weight").Spec(); ok || connect.Field("weight").Label() != "weight" {
		t.Error("an unknown field has a row")
	}
}

func TestOnlyTheAddressIsAlwaysRequired(t *testing.T) {
	t.Parallel()
	for _, s := range connect.FieldSpecs() {
		if s.AlwaysRequired != (s.Field == connect.FieldAddressLine1) {
			t.Errorf("%s: AlwaysRequired is %v", s.Field, s.AlwaysRequired)
		}
	}
	if d := cmp.Diff([]connect.Field{connect.FieldAddressLine1}, connect.RequiredFieldPolicy{}.Required()); d != "" {
		t.Fatalf("required by an empty policy (-want +got):\n%s", d)
	}
}

// Each field's example reads, sets that field and no other, and what Format writes
// of it reads back as the same order input.
func TestEveryFieldsExampleReadsBackAsItself(t *testing.T) {
	t.Parallel()
	specs := connect.FieldSpecs()
	for _, s := range specs {
		t.Run(string(s.Field), func(t *testing.T) {
			t.Parallel()
			var in connect.OrderInput
			if err := s.Parse(&in, s.Example); err != nil {
				t.Fatalf("example %q: %v", s.Example, err)
			}
			if s.Format(&in) == "" {
				t.Fatalf("example %q formats as nothing", s.Example)
			}
			for _, other := range specs {
				if other.Field != s.Field && other.Format(&in) != "" {
					t.Fatalf("example %q of %s set %s too: %q", s.Example, s.Field, other.Field, other.Format(&in))
				}
			}
			var back connect.OrderInput
			if err := s.Parse(&back, s.Format(&in)); err != nil {
				t.Fatalf("formatted as %q: %v", s.Format(&in), err)
			}
			if d := cmp.Diff(in, back, sameDecimals); d != "" {
				t.Fatalf("formatted as %q, read back (-first +second):\n%s", s.Format(&in), d)
			}
			if s.HowToWrite() != s.Syntax+", e.g. "+s.Example {
				t.Fatalf("HowToWrite = %q", s.HowToWrite())
			}
		})
	}
}

func TestParseTrimsAndEmptyTextIsNoValue(t *testing.T) {
	t.Parallel()
	in := connect.OrderInput{Address: connect.Address{City: "Leeds", Latitude: decimal.NewNullDecimal(decimal.NewFromInt(5))},
		Products: []connect.Product{{Name: "Veg", Quantity: 1}}}
	for _, f := range []connect.Field{connect.FieldCity, connect.FieldLatitude, connect.FieldProducts} {
		if err := f.Parse(&in, "  "); err != nil || f.Format(&in) != "" {
			t.Fatalf("%s: %v, %q left", f, err, f.Format(&in))
		}
	}
	if err := connect.FieldZip.Parse(&in, " 01234 \t"); err != nil || in.Address.Zip != "01234" {
		t.Fatalf("zip %q (%v)", in.Address.Zip, err)
	}
}

func TestParseRefusesWhatIsNotAnOrderField(t *testing.T) {
	t.Parallel()
	for _, f := range []connect.Field{connect.FieldClientNumber, "weight"} {
		in := connect.OrderInput{}
		if err := f.Parse(&in, "12"); !errors.Is(err, connect.ErrInvalid) {
			t.Errorf("%s: %v, want an invalid error", f, err)
		}
		if f.Format(&in) != "" {
			t.Errorf("%s formats as %q", f, f.Format(&in))
		}
	}
}

// A field error of Parse says which field and why, as a message people read.
func TestParseErrorsNameTheField(t *testing.T) {
	t.Parallel()
	var in connect.OrderInput
	err := connect.FieldSize.Parse(&in, "big")
	var e *connect.Error
	if !errors.As(err, &e) || e.Code != connect.Invalid {
		t.Fatalf("error %v", err)
	}
	want := []connect.FieldError{{Field: connect.FieldSize, Reason: `must be a number like 12.5, not "big"`}}
	if d := cmp.Diff(want, e.Fields); d != "" || e.Message != `Size must be a number like 12.5, not "big"` {
		t.Fatalf("message %q, fields (-want +got):\n%s", e.Message, d)
	}
	if in.Size.Valid {
		t.Fatalf("size %v after an error", in.Size)
	}
}
