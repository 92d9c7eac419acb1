package connect

// Version is this release of connect, as listed in CHANGELOG.md.
const Version = "0.1.0"
