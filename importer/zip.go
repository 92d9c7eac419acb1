package importer

import (
	"archive/zip"
	"bytes"
	"io"
	"strings"

	"github.com/dispatchkit/connect"
)

// centralHeader starts each entry of a zip file's central directory.
var centralHeader = []byte("PK\x01\x02")

// checkZip refuses an XLSX file whose zip structure breaks the limits, before
// excelize unzips any of it:
//
//  1. It counts the central directory signatures in the whole file, an upper bound
//     on the entries zip.NewReader would allocate a record for (it reads records
//     until one is malformed, so the entry count in the directory's end record
//     bounds nothing), and refuses more than MaxZipEntries.
//  2. It sums the uncompressed sizes the entries declare and refuses more than
//     MaxUnzippedBytes, or a part excelize would hold in memory whole that declares
//     more than its cap.
//  3. It decompresses every entry to nowhere, 32 KiB at a time. archive/zip fails a
//     read past the declared size and a checksum mismatch, so this catches an entry
//     that lies about its size and a corrupt one, which excelize would otherwise
//     silently cut short.
func checkZip(r io.ReaderAt, size int64, l Limits) error {
	n, err := countSignature(r, size, centralHeader, l.MaxZipEntries+1)
	if err != nil {
		return connect.Errorf(connect.Internal, "reading the file: %w", err)
	}
	if n > l.MaxZipEntries {
		return tooManyEntries(l)
	}
	zr, err := zip.NewReader(r, size)
	if err != nil {
		return invalidWorkbook(err)
	}
	if len(zr.File) > l.MaxZipEntries {
		return tooManyEntries(l)
	}
	limit := uint64(l.MaxUnzippedBytes)
	partCap := uint64(min(maxInMemoryPart, l.MaxUnzippedBytes))
	var total uint64
	for _, f := range zr.File {
		if f.UncompressedSize64 > limit || total+f.UncompressedSize64 > limit {
			return connect.Errorf(connect.Invalid,
				"the workbook expands to more than %s when unzipped; split it into smaller files",
				formatBytes(l.MaxUnzippedBytes))
		}
		total += f.UncompressedSize64
		if heldInMemory(f.Name) && f.UncompressedSize64 > partCap {
			return connect.Errorf(connect.Invalid,
				"the workbook's part %q is larger than %s when unzipped; copy the sheet to import "+
					"into a new workbook, or save it as CSV", f.Name, formatBytes(int64(partCap)))
		}
	}
	for _, f := range zr.File {
		if strings.HasSuffix(f.Name, "/") {
			continue // a directory
		}
		if err := drain(f); err != nil {
			return invalidWorkbook(err)
		}
	}
	return nil
}

// drain decompresses f to nowhere, reporting what archive/zip finds wrong with it.
func drain(f *zip.File) error {
	rc, err := f.Open()
	if err != nil {
		return err
	}
	_, err = io.Copy(io.Discard, rc)
	if cerr := rc.Close(); err == nil {
		err = cerr
	}
	return err
}

// heldInMemory reports whether excelize reads the part named name into memory whole
// when it opens a workbook. It unzips worksheets and the shared strings larger than
// its UnzipXMLSizeLimit to temporary files instead.
func heldInMemory(name string) bool {
	name = strings.ToLower(strings.ReplaceAll(name, `\`, "/"))
	return !strings.HasPrefix(name, "xl/worksheets/sheet") && name != "xl/sharedstrings.xml"
}

// countSignature counts the occurrences of sig in the first size bytes of r, reading
// 32 KiB at a time, and stops counting at stop.
func countSignature(r io.ReaderAt, size int64, sig []byte, stop int) (int, error) {
	buf := make([]byte, 32<<10)
	count, keep := 0, 0 // keep: bytes carried over from the last read, len(sig)-1 at most
	for off := int64(0); off < size && count < stop; {
		n, err := r.ReadAt(buf[keep:min(int64(len(buf)), int64(keep)+size-off)], off)
		if err != nil && err != io.EOF {
			return count, err
		}
		if n == 0 {
			break
		}
		off += int64(n)
		chunk := buf[:keep+n]
		count += bytes.Count(chunk, sig)
		keep = min(len(sig)-1, len(chunk))
		copy(buf, chunk[len(chunk)-keep:])
	}
	return count, nil
}

func tooManyEntries(l Limits) *connect.Error {
	return connect.Errorf(connect.Invalid,
		"the workbook has more than %d parts; copy the sheet to import into a new workbook, "+
			"or save it as CSV", l.MaxZipEntries)
}

// invalidWorkbook is the error for a file that is not a readable XLSX workbook.
func invalidWorkbook(cause error) *connect.Error {
	return &connect.Error{
		Code: connect.Invalid,
		Message: "the file is not a valid .xlsx workbook; save it again from your spreadsheet " +
			"program as .xlsx (without a password) or as CSV",
		Err: cause,
	}
}
