// Package samples holds sample import files, one in our template and one in
// each foreign template SPEC §4 names, kept importable by its tests.
//
// The files are made by ./internal/gensamples; regenerate them with
// go generate ./samples.
package samples

//go:generate go run ./internal/gensamples -dir .
