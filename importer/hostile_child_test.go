package importer_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/dispatchkit/connect"
	"github.com/dispatchkit/connect/importer"
)

// Reading a hostile file in a child process, to measure its peak memory.
//
// The parent writes the file to a temporary directory and runs this test binary
// again with CONNECT_HOSTILE_CHILD set: TestHostileChild then opens the file with
// importer.Open at the default limits, reads every row, and prints what happened
// with the child's peak resident memory (VmHWM of /proc/self/status) before and
// after. A child of its own is the robust way to measure a peak: nothing else of
// the test run shares its heap, and the kernel's high-water mark sees every byte
// excelize, encoding/csv and the Go runtime take, including what the GC has not
// yet returned.

const (
	hostileChildEnv = "CONNECT_HOSTILE_CHILD" // the file to read; set in the child only
	hostileResult   = "HOSTILE-RESULT "       // starts the child's line of results
)

// childRead is what the child saw.
type childRead struct {
	Rows    int                  // data rows read before the end or the error
	Code    connect.Code         // the error's code; "" when the file read to its end
	Message string               // the error's message
	Fields  []connect.FieldError // the error's fields (row, column)
	Took    time.Duration        // opening and reading
	// Peak resident memory (VmHWM) in KiB, before opening the file and after
	// reading it; 0 where /proc is not available.
	BeforeKiB, AfterKiB int64
}

// GrowthMiB is how much the child's peak resident memory grew while reading.
func (c childRead) GrowthMiB() float64 { return float64(c.AfterKiB-c.BeforeKiB) / 1024 }

// TestHostileChild is the child's side; it does nothing in an ordinary run.
func TestHostileChild(t *testing.T) {
	path := os.Getenv(hostileChildEnv)
	if path == "" {
		t.Skip("runs only as the child of a hostile-input test")
	}
	var out childRead
	out.BeforeKiB = peakRSSKiB()
	start := time.Now()
	err := readFile(path, &out)
	out.Took = time.Since(start)
	out.AfterKiB = peakRSSKiB()
	var e *connect.Error
	switch {
	case errors.As(err, &e):
		out.Code, out.Message, out.Fields = e.Code, e.Message, e.Fields
	case err != nil:
		out.Code, out.Message = "not a *connect.Error", err.Error()
	}
	line, _ := json.Marshal(out)
	fmt.Printf("\n%s%s\n", hostileResult, line)
}

// readFile opens the file as the portal would and reads every row.
func readFile(path string, out *childRead) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	s, err := importer.Open(f, fi.Size(), filepath.Base(path), importer.Options{})
	if err != nil {
		return err
	}
	defer s.Close()
	for {
		_, err := s.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		out.Rows++
	}
}

// peakRSSKiB returns the process's peak resident memory so far, in KiB, or 0.
func peakRSSKiB() int64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			n, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return n
		}
	}
	return 0
}

// readInChild writes data to a file called name and reads it in a child process.
func readInChild(t *testing.T, name string, data []byte) childRead {
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(dir, name)
	must(t, os.WriteFile(path, data, 0o600))
	cmd := exec.CommandContext(t.Context(), os.Args[0], "-test.run=^TestHostileChild$", "-test.count=1")
	// TMPDIR: excelize unzips large worksheets there; the test's directory is
	// removed after it.
	// GORACE: the race detector would sleep a second before the child exits.
	cmd.Env = append(os.Environ(), hostileChildEnv+"="+path, "TMPDIR="+dir, "GOTRACEBACK=single", "GORACE=atexit_sleep_ms=0")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("the child reading %s failed: %v\n%s%s", name, err, stdout.Bytes(), stderr.Bytes())
	}
	for _, line := range strings.Split(stdout.String(), "\n") {
		if v, ok := strings.CutPrefix(line, hostileResult); ok {
			var out childRead
			must(t, json.Unmarshal([]byte(v), &out))
			return out
		}
	}
	t.Fatalf("the child printed no result:\n%s%s", stdout.Bytes(), stderr.Bytes())
	return childRead{}
}
