package connect_test

import (
	"os"
	"regexp"
	"testing"

	"github.com/dispatchkit/connect"
)

// TestChangelogListsTheVersion: CHANGELOG.md has a section for Version, in Keep
// a Changelog's form, so that a release bumps both.
func TestChangelogListsTheVersion(t *testing.T) {
	log, err := os.ReadFile("CHANGELOG.md")
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`(?m)^## \[Unreleased\]$`).Match(log) {
		t.Error("CHANGELOG.md has no [Unreleased] section")
	}
	section := regexp.MustCompile(`(?m)^## \[` + regexp.QuoteMeta(connect.Version) + `\] - \d{4}-\d{2}-\d{2}$`)
	if !section.Match(log) {
		t.Errorf("CHANGELOG.md has no section \"## [%s] - YYYY-MM-DD\" for connect.Version", connect.Version)
	}
	if !regexp.MustCompile(`(?m)^\[` + regexp.QuoteMeta(connect.Version) + `\]: `).Match(log) {
		t.Errorf("CHANGELOG.md has no link for [%s]", connect.Version)
	}
}
