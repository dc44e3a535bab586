// Package report writes what the admin gets back from an import: the result
// workbook (and its CSV twin), the credentials notice, and the email that
// carries the notice. It also provides the log redaction that keeps
// passwords out of logs.
//
// Nothing here holds a password except the credentials notice, which is
// created with mode 0600 and never overwritten.
package report
