package connecttest

import (
	"errors"
	"strings"
	"testing"

	"github.com/dispatchkit/connect"
)

// WantCode fails t unless err is a *connect.Error with the code, which errors.Is
// matches against &connect.Error{Code: code}, and whose message says each of says.
func WantCode(t testing.TB, err error, code connect.Code, says ...string) {
	t.Helper()
	if connect.ErrorCode(err) != code {
		t.Fatalf("err = %v, want %s", err, code)
	}
	if !errors.Is(err, &connect.Error{Code: code}) {
		t.Fatalf("errors.Is(%v, %s) is false", err, code)
	}
	for _, s := range says {
		if !strings.Contains(err.Error(), s) {
			t.Fatalf("err = %v; want %s saying %q", err, code, s)
		}
	}
}
