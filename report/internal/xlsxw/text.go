package xlsxw

import (
	"unicode/utf16"
	"unicode/utf8"
)

// MaxCellChars is the most UTF-16 code units a cell holds (Excel's limit);
// longer text is cut at the last whole character that fits.
const MaxCellChars = 32767

// appendInlineText appends the <is> element of an inline-string cell
// holding s. The text is written as excelize's StreamWriter wrote it (the
// result workbooks it wrote and these read back alike):
//
//   - cut to MaxCellChars;
//   - xml:space="preserve" when it starts or ends with a space, TAB, LF
//     or CR, so that readers keep them;
//   - a character XML 1.0 cannot hold (control characters other than TAB,
//     LF and CR, U+FFFE, U+FFFF) and each byte of invalid UTF-8 becomes
//     U+FFFD, as encoding/xml does; CR and TAB are written as character
//     references, since a parser would turn a literal CR into LF;
//   - every underscore that starts what reads as an OOXML escape
//     "_xHHHH_" (which readers decode to the character U+HHHH, left to
//     right) is itself escaped as "_x005F_", so that the text reads back
//     as written. Escapes that overlap ("_x0041_x0042_") are each
//     escaped; excelize did not, nor escapes of surrogates ("_xD800_"),
//     which it dropped.
func appendInlineText(b []byte, s string) []byte {
	s = truncate(s)
	b = append(b, "<is><t"...)
	if s != "" && (isXMLSpace(s[0]) || isXMLSpace(s[len(s)-1])) {
		b = append(b, ` xml:space="preserve"`...)
	}
	b = append(b, '>')
	b = appendEscaped(b, s)
	return append(b, "</t></is>"...)
}

func isXMLSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func truncate(s string) string {
	if len(s) <= MaxCellChars { // a UTF-16 unit takes at least a byte
		return s
	}
	units := 0
	for i, r := range s {
		if units += utf16.RuneLen(r); units > MaxCellChars {
			return s[:i]
		}
	}
	return s
}

const replacement = "\uFFFD"

// appendEscaped appends s escaped for an XML element's text. Runs of
// characters that need nothing are copied whole.
func appendEscaped(b []byte, s string) []byte {
	run := 0 // start of the run not yet copied
	for i := 0; i < len(s); {
		c := s[i]
		if c >= utf8.RuneSelf {
			r, width := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && width == 1 || !inXMLCharRange(r) {
				b = append(b, s[run:i]...)
				b = append(b, replacement...)
				run = i + width
			}
			i += width
			continue
		}
		var esc string
		switch {
		case c >= 0x20 && c != '&' && c != '<' && c != '>' && c != '_', c == '\n':
			i++
			continue
		case c == '_':
			if !isEscapeAt(s, i) {
				i++
				continue
			}
			esc = "_x005F_"
		case c == '&':
			esc = "&amp;"
		case c == '<':
			esc = "&lt;"
		case c == '>':
			esc = "&gt;"
		case c == '\r':
			esc = "&#xD;"
		case c == '\t':
			esc = "&#x9;"
		default:
			esc = replacement
		}
		b = append(b, s[run:i]...)
		b = append(b, esc...)
		i++
		run = i
	}
	return append(b, s[run:]...)
}

// inXMLCharRange reports whether XML 1.0 can hold r (the Char production),
// for r of at least 0x80.
func inXMLCharRange(r rune) bool {
	return r <= 0xD7FF || r >= 0xE000 && r <= 0xFFFD || r >= 0x10000 && r <= utf8.MaxRune
}

// escapeLen is the length of "_xHHHH_".
const escapeLen = 7

// isEscapeAt reports whether s holds "_xHHHH_" at i (H a hex digit).
func isEscapeAt(s string, i int) bool {
	return i+escapeLen <= len(s) && s[i] == '_' && s[i+1] == 'x' && s[i+6] == '_' && isHex4(s[i+2:i+6])
}

func isHex4(s string) bool {
	for i := range 4 {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}
