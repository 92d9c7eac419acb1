package pgtest

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"testing"
)

// Server is a PostgreSQL server of the test's own, in a temporary directory,
// which the test stops and starts: for what a restart of the database does to
// connect. It needs PostgreSQL's server programs (initdb, pg_ctl) on PATH or
// under /usr/lib/postgresql/*/bin; as root, they run as the postgres user
// (initdb refuses root). The server listens on 127.0.0.1 only, trusts local
// connections and does not fsync (nothing in it outlives the test).
type Server struct {
	t    testing.TB
	dir  string
	port int
	bin  string
	as   []string // runuser -u postgres --, when root
	// DSN reaches the server's "postgres" database as user postgres.
	DSN string
}

// NewServer initialises and starts a server, stopped when the test ends. It
// skips the test when CONNECT_TEST_POSTGRES_URL is not set (PostgreSQL tests
// are off), and fails it when they are on but the server programs are missing.
func NewServer(t testing.TB) *Server {
	t.Helper()
	URL(t)
	s := &Server{t: t, bin: serverBin()}
	if s.bin == "" {
		t.Fatal("pgtest: initdb and pg_ctl are not installed (PostgreSQL's server package)")
	}
	dir, err := os.MkdirTemp("", "pgtest-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	s.dir = filepath.Join(dir, "data")
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			t.Fatalf("pgtest: running as root needs a postgres user: %v", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chown(dir, uid, gid); err != nil {
			t.Fatal(err)
		}
		s.as = []string{"runuser", "-u", "postgres", "--"}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.port = ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	s.run("initdb", "-D", s.dir, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync")
	s.DSN = fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", s.port)
	s.Start()
	t.Cleanup(func() { s.pgctl("stop", "-m", "immediate") })
	return s
}

// Start starts the server and waits until it accepts connections.
func (s *Server) Start() {
	s.t.Helper()
	s.pgctl("start", "-l", filepath.Join(filepath.Dir(s.dir), "log"), "-o",
		fmt.Sprintf("-p %d -c listen_addresses=127.0.0.1 -k %s -c fsync=off -c max_connections=200", s.port, filepath.Dir(s.dir)))
}

// Stop stops the server, disconnecting every session at once (fast shutdown:
// open transactions roll back).
func (s *Server) Stop() {
	s.t.Helper()
	s.pgctl("stop", "-m", "fast")
}

// Restart stops the server (fast) and starts it again.
func (s *Server) Restart() {
	s.t.Helper()
	s.Stop()
	s.Start()
}

func (s *Server) pgctl(args ...string) {
	s.t.Helper()
	s.run("pg_ctl", append([]string{"-D", s.dir, "-w", "-s"}, args...)...)
}

func (s *Server) run(prog string, args ...string) {
	s.t.Helper()
	argv := append(append(append([]string(nil), s.as...), filepath.Join(s.bin, prog)), args...)
	out, err := exec.Command(argv[0], argv[1:]...).CombinedOutput()
	if err != nil {
		s.t.Fatalf("pgtest: %s: %v\n%s", prog, err, out)
	}
}

// serverBin returns the directory of initdb and pg_ctl, or "".
func serverBin() string {
	if p, err := exec.LookPath("pg_ctl"); err == nil {
		if _, err := exec.LookPath("initdb"); err == nil {
			return filepath.Dir(p)
		}
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	for i := len(dirs) - 1; i >= 0; i-- {
		if _, err := os.Stat(filepath.Join(dirs[i], "pg_ctl")); err == nil {
			return dirs[i]
		}
	}
	return ""
}
