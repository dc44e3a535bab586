package importer

// SetReadChunk makes Run read n rows per chunk until the returned function
// restores the default.
func SetReadChunk(n int) (restore func()) {
	old := readChunk
	readChunk = n
	return func() { readChunk = old }
}
