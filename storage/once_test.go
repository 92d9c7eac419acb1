package storage_test

import (
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/dispatchkit/connect"
	"github.com/dispatchkit/connect/storage"
)

func TestForgetOnceLetsAKeyBeUsedAgain(t *testing.T) {
	st, err := storage.Open(t.Context(), "sqlite:"+filepath.Join(t.TempDir(), "db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	exp := time.Now().Add(time.Hour)
	if err := st.UseOnce(t.Context(), "webhook:1", exp); err != nil {
		t.Fatal(err)
	}
	if err := st.UseOnce(t.Context(), "webhook:1", exp); !errors.Is(err, connect.ErrConflict) {
		t.Fatalf("second use: %v, want conflict", err)
	}
	if err := st.ForgetOnce(t.Context(), "webhook:1"); err != nil {
		t.Fatal(err)
	}
	if err := st.UseOnce(t.Context(), "webhook:1", exp); err != nil {
		t.Fatalf("use after forgetting: %v", err)
	}
	if err := st.ForgetOnce(t.Context(), "never-used"); err != nil {
		t.Fatalf("forgetting an unknown key: %v", err)
	}
}
