package fastxlsx

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"
)

// xmlScanner is a streaming XML tokenizer for the large parts of a workbook
// (a worksheet, the shared strings). It exists because encoding/xml, which
// excelize uses, allocates for every token and spends most of an import in
// reflection; this scanner returns tokens as byte slices into its buffer
// and allocates nothing per token.
//
// It accepts exactly the documents encoding/xml accepts in its default
// (strict) mode and returns the same start elements, end elements and
// character data for them: the same name splitting at a single colon,
// entity and character references, CR and CR LF read as LF, CDATA sections
// as character data, self-closing tags as a start and an end, comments,
// processing instructions and directives skipped, and the same checks
// (matching end tags, valid names and characters, quoted attributes,
// "--" in comments, "]]>" in text). Where encoding/xml reports a syntax
// error, so does the scanner. Two differences: an XML declaration naming
// an encoding other than UTF-8 is an error here (encoding/xml would switch
// decoders; callers look for one at the start and fall back), and a
// single token larger than maxTokenSize is refused.
//
// Token data (names, attributes, text) is valid until the next call to
// next. An xmlScanner is not safe for concurrent use.
type xmlScanner struct {
	r    io.Reader
	buf  []byte
	pos  int   // start of the next token in buf
	end  int   // end of the data in buf
	rerr error // the reader's error; io.EOF at the end of the part
	err  error // why next returned tokenNone; io.EOF at a clean end

	// The current token.
	space, local []byte // raw prefix and local part of an element's name
	attrs        []xmlAttr
	text         []byte
	level        int // depth of the element a start or end belongs to; the root is 1

	scratch  []byte        // decoded text and attribute values of the current token
	open     []openElement // elements started and not yet ended
	names    []byte        // their raw names
	ns       []nsBinding   // namespace declarations in scope
	closing  bool          // the last start tag was self-closing: its end comes next
	popLevel int           // after an end: declarations at this level and deeper go on the next call
	endLevel int           // see endAfter
	cut      bool          // the document ended there
	reads    int           // reads in a row that returned nothing
}

type tokenKind uint8

const (
	tokenNone  tokenKind = iota // end of input or an error: see xmlScanner.failure
	tokenStart                  // a start tag; its end follows as its own token
	tokenEnd
	tokenText // character data, including a CDATA section
)

// xmlAttr is an attribute as encoding/xml splits and decodes it.
type xmlAttr struct {
	space, local []byte
	value        []byte
}

type openElement struct {
	off, size int // name at names[off:off+size]
	colon     int // index of the prefix's colon in the name, or -1
	level     int
}

type nsBinding struct {
	prefix, url string
	level       int
}

const (
	scanBufferSize = 64 << 10
	// maxTokenSize bounds a single tag or text run; a worksheet cell holds
	// at most 32,767 characters, so only a hostile part comes near it.
	maxTokenSize = 64 << 20
	xmlNamespace = "http://www.w3.org/XML/1998/namespace"
)

// errNeedMore tells the scanning functions' caller to read more input and
// scan the token again from its start.
var errNeedMore = errors.New("need more input")

// errNotUTF8 is returned for an XML declaration of another encoding.
var errNotUTF8 = errors.New("XML syntax error: the part is not encoded as UTF-8")

// xmlSyntaxError is a document that encoding/xml would refuse too.
type xmlSyntaxError string

func (e xmlSyntaxError) Error() string { return "XML syntax error: " + string(e) }

func newXMLScanner(r io.Reader) *xmlScanner {
	return &xmlScanner{r: r, buf: make([]byte, scanBufferSize)}
}

// utf8 reports whether the document, as far as its start shows, is in
// UTF-8: whether it does not begin with an XML declaration of another
// encoding. The scanner refuses such a declaration wherever it is; one at
// the start is what a caller can act on before reading any token.
func (s *xmlScanner) utf8() bool {
	if s.end == 0 {
		if err := s.fill(); err != nil {
			return false
		}
	}
	head := s.buf[s.pos:s.end]
	i := bytes.IndexByte(head, '<')
	if i < 0 {
		return true
	}
	head = head[i:]
	if !bytes.HasPrefix(head, []byte("<?xml")) || len(head) > 5 && (head[5] >= utf8.RuneSelf || nameBytes[head[5]]) {
		return true
	}
	end := bytes.Index(head, []byte("?>"))
	if end < 0 {
		return false
	}
	enc := procInst("encoding", string(head[5:end]))
	return enc == "" || strings.EqualFold(enc, "utf-8")
}

// failure returns why next returned tokenNone: nil at the clean end of the
// document, otherwise the syntax or read error.
func (s *xmlScanner) failure() error {
	if s.err == io.EOF {
		return nil
	}
	return s.err
}

// next returns the next start element, end element or character data.
func (s *xmlScanner) next() tokenKind {
	if s.err != nil {
		return tokenNone
	}
	if s.popLevel > 0 {
		if s.popLevel == s.endLevel {
			s.err, s.cut = io.EOF, true
			return tokenNone
		}
		s.dropBindings()
	}
	if s.closing {
		s.closing = false
		return s.endOpen(len(s.open) - 1)
	}
	for {
		kind, err := s.scan()
		switch err {
		case nil:
			return kind
		case errNeedMore:
			if err := s.fill(); err != nil {
				s.err = err
				return tokenNone
			}
		default:
			s.err = err
			return tokenNone
		}
	}
}

// skip consumes the element whose start tag was the last token.
func (s *xmlScanner) skip() error {
	level := s.level
	for {
		switch s.next() {
		case tokenNone:
			return s.eofError()
		case tokenEnd:
			if s.level == level {
				return nil
			}
		}
	}
}

// charData appends to dst the character data directly inside the element
// whose start tag was the last token, and consumes that element: nested
// elements are skipped, as encoding/xml does when it decodes an element
// into a string.
func (s *xmlScanner) charData(dst []byte) ([]byte, error) {
	for {
		switch s.next() {
		case tokenNone:
			return dst, s.eofError()
		case tokenText:
			dst = append(dst, s.text...)
		case tokenStart:
			if err := s.skip(); err != nil {
				return dst, err
			}
		case tokenEnd:
			return dst, nil
		}
	}
}

// endAfter makes the document end, as far as next tells, after the end
// of the open element at level. This is encoding/xml's state when an
// UnmarshalXML method fails before reading its element whole: excelize's
// decoder then reads on to the end of that element and no further.
func (s *xmlScanner) endAfter(level int) { s.endLevel = level }

// openName returns the raw name of the open element at level.
func (s *xmlScanner) openName(level int) (space, local []byte) {
	e := s.open[level-1]
	return splitName(s.names[e.off:e.off+e.size], e.colon)
}

// eofError is the error for a document that ends inside an element.
func (s *xmlScanner) eofError() error {
	if err := s.failure(); err != nil {
		return err
	}
	return xmlSyntaxError("unexpected EOF")
}

// resolve returns the namespace URL encoding/xml gives the name (space,
// local) of an element at the given level, applying the declarations in
// scope there; an undeclared prefix stands for itself.
func (s *xmlScanner) resolve(space, local []byte, level int) string {
	prefix := string(space)
	switch {
	case prefix == "xmlns":
		return prefix
	case prefix == "xml":
		return xmlNamespace
	case prefix == "" && string(local) == "xmlns":
		return ""
	}
	for i := len(s.ns) - 1; i >= 0; i-- {
		if b := s.ns[i]; b.level <= level && b.prefix == prefix {
			return b.url
		}
	}
	return prefix
}

func (s *xmlScanner) dropBindings() {
	for len(s.ns) > 0 && s.ns[len(s.ns)-1].level >= s.popLevel {
		s.ns = s.ns[:len(s.ns)-1]
	}
	s.popLevel = 0
}

// fill makes room and reads more input, keeping the token being scanned.
func (s *xmlScanner) fill() error {
	if s.pos > 0 {
		s.end = copy(s.buf, s.buf[s.pos:s.end])
		s.pos = 0
	}
	if s.end == len(s.buf) {
		if len(s.buf) >= maxTokenSize {
			return xmlSyntaxError("an element or text is larger than " + strconv.Itoa(maxTokenSize>>20) + " MiB")
		}
		s.buf = append(s.buf, make([]byte, len(s.buf))...)
	}
	for s.end < len(s.buf) && s.rerr == nil {
		n, err := s.r.Read(s.buf[s.end:])
		s.end += n
		switch {
		case err != nil:
			s.rerr = err
		case n > 0:
			s.reads = 0
		default:
			if s.reads++; s.reads > 100 {
				s.rerr = io.ErrNoProgress
			}
		}
	}
	return nil
}

// short is the error for a token cut off by the end of the buffer.
func (s *xmlScanner) short() error {
	switch s.rerr {
	case nil:
		return errNeedMore
	case io.EOF:
		return xmlSyntaxError("unexpected EOF")
	}
	return s.rerr
}

// scan reads one token at s.pos, skipping comments, processing
// instructions and directives. It advances s.pos only past what it has
// read whole.
func (s *xmlScanner) scan() (tokenKind, error) {
	for {
		if s.pos >= s.end {
			switch {
			case s.rerr == nil:
				return tokenNone, errNeedMore
			case s.rerr != io.EOF:
				return tokenNone, s.rerr
			case len(s.open) > 0:
				return tokenNone, xmlSyntaxError("unexpected EOF")
			}
			return tokenNone, io.EOF
		}
		if s.buf[s.pos] != '<' {
			return s.scanText()
		}
		if s.pos+1 >= s.end {
			return tokenNone, s.short()
		}
		switch s.buf[s.pos+1] {
		case '/':
			return s.scanEnd()
		case '?':
			if err := s.scanProcInst(); err != nil {
				return tokenNone, err
			}
		case '!':
			if kind, err := s.scanBang(); err != nil || kind != tokenNone {
				return kind, err
			}
		default:
			return s.scanStart()
		}
	}
}

func (s *xmlScanner) scanText() (tokenKind, error) {
	raw := s.buf[s.pos:s.end]
	n := bytes.IndexByte(raw, '<')
	if n < 0 {
		if s.rerr == nil {
			return tokenNone, errNeedMore
		}
		if s.rerr != io.EOF {
			return tokenNone, s.rerr
		}
		n = len(raw) // text may run to the end of the document
	}
	s.scratch = s.scratch[:0]
	text, err := s.decode(raw[:n], -1)
	if err != nil {
		return tokenNone, err
	}
	s.pos += n
	s.text = text
	return tokenText, nil
}

func (s *xmlScanner) scanStart() (tokenKind, error) {
	name, colon, i, err := s.scanName(s.pos+1, "expected element name after <")
	if err == errManyColons {
		err = xmlSyntaxError("expected element name after <")
	}
	if err != nil {
		return tokenNone, err
	}
	s.attrs = s.attrs[:0]
	s.scratch = s.scratch[:0]
	selfClosing := false
	for {
		if i = s.skipSpace(i); i >= s.end {
			return tokenNone, s.short()
		}
		if b := s.buf[i]; b == '/' {
			if i+1 >= s.end {
				return tokenNone, s.short()
			}
			if s.buf[i+1] != '>' {
				return tokenNone, xmlSyntaxError("expected /> in element")
			}
			i += 2
			selfClosing = true
			break
		} else if b == '>' {
			i++
			break
		}
		var a xmlAttr
		aname, acolon, next, err := s.scanName(i, "expected attribute name in element")
		if err == errManyColons {
			err = xmlSyntaxError("expected attribute name in element")
		}
		if err != nil {
			return tokenNone, err
		}
		i = next
		a.space, a.local = splitName(aname, acolon)
		if i = s.skipSpace(i); i >= s.end {
			return tokenNone, s.short()
		}
		if s.buf[i] != '=' {
			return tokenNone, xmlSyntaxError("attribute name without = in element")
		}
		if i = s.skipSpace(i + 1); i >= s.end {
			return tokenNone, s.short()
		}
		quote := s.buf[i]
		if quote != '"' && quote != '\'' {
			return tokenNone, xmlSyntaxError("unquoted or missing attribute value in element")
		}
		i++
		n := bytes.IndexByte(s.buf[i:s.end], quote)
		if n < 0 {
			return tokenNone, s.short()
		}
		if a.value, err = s.decode(s.buf[i:i+n], int(quote)); err != nil {
			return tokenNone, err
		}
		s.attrs = append(s.attrs, a)
		i += n + 1
	}
	s.pos = i
	s.space, s.local = splitName(name, colon)
	s.open = append(s.open, openElement{off: len(s.names), size: len(name), colon: colon, level: len(s.open) + 1})
	s.names = append(s.names, name...)
	s.level = len(s.open)
	for _, a := range s.attrs {
		switch {
		case string(a.space) == "xmlns":
			s.ns = append(s.ns, nsBinding{prefix: string(a.local), url: string(a.value), level: s.level})
		case len(a.space) == 0 && string(a.local) == "xmlns":
			s.ns = append(s.ns, nsBinding{url: string(a.value), level: s.level})
		}
	}
	s.closing = selfClosing
	return tokenStart, nil
}

func (s *xmlScanner) scanEnd() (tokenKind, error) {
	name, _, i, err := s.scanName(s.pos+2, "expected element name after </")
	if err == errManyColons {
		err = xmlSyntaxError("expected element name after </")
	}
	if err != nil {
		return tokenNone, err
	}
	if i = s.skipSpace(i); i >= s.end {
		return tokenNone, s.short()
	}
	if s.buf[i] != '>' {
		return tokenNone, xmlSyntaxError("invalid characters between </" + string(name) + " and >")
	}
	if len(s.open) == 0 {
		return tokenNone, xmlSyntaxError("unexpected end element </" + string(name) + ">")
	}
	top := s.open[len(s.open)-1]
	if open := s.names[top.off : top.off+top.size]; !bytes.Equal(open, name) {
		return tokenNone, xmlSyntaxError("element <" + string(open) + "> closed by </" + string(name) + ">")
	}
	s.pos = i + 1
	return s.endOpen(len(s.open) - 1), nil
}

// endOpen makes the end of open element i (the innermost) the current
// token.
func (s *xmlScanner) endOpen(i int) tokenKind {
	e := s.open[i]
	s.space, s.local = splitName(s.names[e.off:e.off+e.size], e.colon)
	s.level = e.level
	s.open = s.open[:i]
	s.names = s.names[:e.off] // the name's bytes stay until the next start
	s.popLevel = e.level
	return tokenEnd
}

func (s *xmlScanner) scanProcInst() error {
	target, _, i, err := s.scanName(s.pos+2, "expected target name after <?")
	if err != nil && err != errManyColons { // a target is not split
		return err
	}
	i = s.skipSpace(i)
	n := bytes.Index(s.buf[i:s.end], []byte("?>"))
	if n < 0 {
		return s.short()
	}
	if string(target) == "xml" {
		content := string(s.buf[i : i+n])
		if v := procInst("version", content); v != "" && v != "1.0" {
			return xmlSyntaxError("unsupported version " + strconv.Quote(v))
		}
		if enc := procInst("encoding", content); enc != "" && !strings.EqualFold(enc, "utf-8") {
			return errNotUTF8
		}
	}
	s.pos = i + n + 2
	return nil
}

// scanBang reads a comment, a CDATA section (returned as text) or a
// directive such as <!DOCTYPE …>.
func (s *xmlScanner) scanBang() (tokenKind, error) {
	i := s.pos + 2
	if i >= s.end {
		return tokenNone, s.short()
	}
	switch s.buf[i] {
	case '-':
		if i+1 >= s.end {
			return tokenNone, s.short()
		}
		if s.buf[i+1] != '-' {
			return tokenNone, xmlSyntaxError("invalid sequence <!- not part of <!--")
		}
		i += 2
		n := bytes.Index(s.buf[i:s.end], []byte("--"))
		if n < 0 || i+n+2 >= s.end {
			return tokenNone, s.short()
		}
		if s.buf[i+n+2] != '>' {
			return tokenNone, xmlSyntaxError(`invalid sequence "--" not allowed in comments`)
		}
		s.pos = i + n + 3
		return tokenNone, nil
	case '[':
		for k := 0; k < len("CDATA["); k++ {
			if i+1+k >= s.end {
				return tokenNone, s.short()
			}
			if s.buf[i+1+k] != "CDATA["[k] {
				return tokenNone, xmlSyntaxError("invalid <![ sequence")
			}
		}
		i += 1 + len("CDATA[")
		n := bytes.Index(s.buf[i:s.end], []byte("]]>"))
		if n < 0 {
			if s.rerr == io.EOF {
				return tokenNone, xmlSyntaxError("unexpected EOF in CDATA section")
			}
			return tokenNone, s.short()
		}
		s.scratch = s.scratch[:0]
		text, err := s.decodeCDATA(s.buf[i : i+n])
		if err != nil {
			return tokenNone, err
		}
		s.pos = i + n + 3
		s.text = text
		return tokenText, nil
	}
	return tokenNone, s.scanDirective(i + 1)
}

// scanDirective skips a directive whose first byte is just before i, as
// encoding/xml does: quotes and nested angle brackets are balanced, and
// comments inside are skipped.
func (s *xmlScanner) scanDirective(i int) error {
	var inquote byte
	depth := 0
	for {
		if i >= s.end {
			return s.short()
		}
		b := s.buf[i]
		i++
		if inquote == 0 && b == '>' && depth == 0 {
			break
		}
	handle:
		switch {
		case b == inquote:
			inquote = 0
		case inquote != 0:
		case b == '\'' || b == '"':
			inquote = b
		case b == '>':
			depth--
		case b == '<':
			for k := 0; k < len("!--"); k++ {
				if i >= s.end {
					return s.short()
				}
				b = s.buf[i]
				i++
				if b != "!--"[k] {
					depth++
					goto handle
				}
			}
			var b0, b1 byte
			for {
				if i >= s.end {
					return s.short()
				}
				b = s.buf[i]
				i++
				if b0 == '-' && b1 == '-' && b == '>' {
					break
				}
				b0, b1 = b1, b
			}
		}
	}
	s.pos = i
	return nil
}

// scanName reads a name at i: the bytes encoding/xml takes for a name,
// checked as it checks them. colon is where encoding/xml splits the name
// into prefix and local part: at its only colon, unless that colon starts
// or ends the name (-1: not split).
func (s *xmlScanner) scanName(i int, missing string) (name []byte, colon int, next int, err error) {
	start, colon, colons, ascii := i, -1, 0, true
	for ; i < s.end; i++ {
		b := s.buf[i]
		if b >= utf8.RuneSelf {
			ascii = false
			continue
		}
		if !nameBytes[b] {
			break
		}
		if b == ':' {
			if colons++; colon < 0 {
				colon = i - start
			}
		}
	}
	if i >= s.end {
		return nil, -1, i, s.short()
	}
	name = s.buf[start:i]
	if len(name) == 0 {
		return nil, -1, i, xmlSyntaxError(missing)
	}
	if c := name[0]; ascii && !nameStart[c] || !ascii && !isXMLName(name) {
		return nil, -1, i, xmlSyntaxError("invalid XML name: " + string(name))
	}
	if colons > 1 {
		return name, -1, i, errManyColons
	}
	if colon == 0 || colon == len(name)-1 {
		colon = -1 // encoding/xml keeps such a name whole
	}
	return name, colon, i, nil
}

// errManyColons is a name encoding/xml refuses to split; the callers say
// what was expected there.
var errManyColons = errors.New("more than one colon in a name")

// nameBytes are the bytes below utf8.RuneSelf that encoding/xml reads as
// part of a name; nameStart are those that may start one.
var nameBytes, nameStart = func() (bytes, start [utf8.RuneSelf]bool) {
	for c := byte(0); c < utf8.RuneSelf; c++ {
		letter := 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z'
		start[c] = letter || c == '_' || c == ':'
		bytes[c] = start[c] || '0' <= c && c <= '9' || c == '.' || c == '-'
	}
	return
}()

func (s *xmlScanner) skipSpace(i int) int {
	for i < s.end {
		switch s.buf[i] {
		case ' ', '\r', '\n', '\t':
			i++
		default:
			return i
		}
	}
	return i
}

// isXMLName reports whether encoding/xml accepts name, made of name bytes
// and others than ASCII, as a name. Such a name is rare enough to be
// checked by encoding/xml itself, its colons replaced by a letter (both
// may start a name) so that only its characters are judged.
func isXMLName(name []byte) bool {
	probe := "<" + strings.ReplaceAll(string(name), ":", "a") + "/>"
	_, err := xml.NewDecoder(strings.NewReader(probe)).RawToken()
	return err == nil
}

func splitName(name []byte, colon int) (space, local []byte) {
	if colon < 0 {
		return nil, name
	}
	return name[:colon], name[colon+1:]
}

// textClass sorts bytes for decode's fast path.
var textClass = func() (t [256]uint8) {
	for b := 0; b < 0x20; b++ {
		t[b] = classControl
	}
	t['\t'], t['\n'] = classPlain, classPlain
	t['\r'], t['&'] = classSlow, classSlow
	t[']'] = classBracket
	t['<'] = classLess
	for b := utf8.RuneSelf; b < 256; b++ {
		t[b] = classHigh
	}
	return t
}()

const (
	classPlain = iota
	classControl
	classSlow
	classBracket
	classLess
	classHigh
)

// decode returns the text of raw, character data (quote -1) or an
// attribute value delimited by quote, as encoding/xml reads it. Text
// without references or carriage returns is returned in place.
func (s *xmlScanner) decode(raw []byte, quote int) ([]byte, error) {
	for i := 0; i < len(raw); {
		switch textClass[raw[i]] {
		case classPlain:
			i++
		case classHigh:
			r, size := utf8.DecodeRune(raw[i:])
			if r == utf8.RuneError && size == 1 {
				return nil, xmlSyntaxError("invalid UTF-8")
			}
			if !isInCharacterRange(r) {
				return nil, illegalCharacter(r)
			}
			i += size
		case classBracket:
			if quote < 0 && i+2 < len(raw) && raw[i+1] == ']' && raw[i+2] == '>' {
				return nil, xmlSyntaxError("unescaped ]]> not in CDATA section")
			}
			i++
		case classLess:
			return nil, xmlSyntaxError("unescaped < inside quoted string")
		case classControl:
			return nil, illegalCharacter(rune(raw[i]))
		default:
			return s.decodeSlow(raw, quote)
		}
	}
	return raw, nil
}

// decodeSlow is encoding/xml's reading of text with references and
// carriage returns, into s.scratch.
func (s *xmlScanner) decodeSlow(raw []byte, quote int) ([]byte, error) {
	start := len(s.scratch)
	out := s.scratch
	var b0, b1 byte
	for i := 0; i < len(raw); i++ {
		b := raw[i]
		if quote < 0 && b0 == ']' && b1 == ']' && b == '>' {
			return nil, xmlSyntaxError("unescaped ]]> not in CDATA section")
		}
		if b == '<' {
			return nil, xmlSyntaxError("unescaped < inside quoted string")
		}
		if b == '&' {
			text, n, err := reference(raw[i+1:])
			if err != nil {
				return nil, err
			}
			out = append(out, text...)
			i += n
			b0, b1 = 0, 0
			continue
		}
		switch {
		case b == '\r':
			out = append(out, '\n')
		case b1 == '\r' && b == '\n':
		default:
			out = append(out, b)
		}
		b0, b1 = b1, b
	}
	s.scratch = out
	text := out[start:]
	return text, checkCharacters(text)
}

// decodeCDATA reads a CDATA section's content: only carriage returns
// change.
func (s *xmlScanner) decodeCDATA(raw []byte) ([]byte, error) {
	if bytes.IndexByte(raw, '\r') >= 0 {
		start := len(s.scratch)
		var prev byte
		for _, b := range raw {
			switch {
			case b == '\r':
				s.scratch = append(s.scratch, '\n')
			case prev == '\r' && b == '\n':
			default:
				s.scratch = append(s.scratch, b)
			}
			prev = b
		}
		raw = s.scratch[start:]
	}
	return raw, checkCharacters(raw)
}

// reference decodes the entity or character reference after an '&' at the
// start of raw and says how many bytes it took. Only the five predefined
// entities exist in a strict encoding/xml decoder.
func reference(raw []byte) (text string, n int, err error) {
	semi := bytes.IndexByte(raw, ';')
	if semi < 0 {
		return "", 0, xmlSyntaxError("invalid character entity &" + string(raw) + " (no semicolon)")
	}
	name := raw[:semi]
	bad := xmlSyntaxError("invalid character entity &" + string(name) + ";")
	if len(name) > 0 && name[0] == '#' {
		digits, base := name[1:], 10
		if len(digits) > 0 && digits[0] == 'x' {
			digits, base = digits[1:], 16
		}
		for _, c := range digits {
			if !('0' <= c && c <= '9' || base == 16 && ('a' <= c && c <= 'f' || 'A' <= c && c <= 'F')) {
				return "", 0, bad
			}
		}
		v, err := strconv.ParseUint(string(digits), base, 64)
		if err != nil || v > utf8.MaxRune {
			return "", 0, bad
		}
		return string(rune(v)), semi + 1, nil
	}
	switch string(name) {
	case "lt":
		return "<", semi + 1, nil
	case "gt":
		return ">", semi + 1, nil
	case "amp":
		return "&", semi + 1, nil
	case "apos":
		return "'", semi + 1, nil
	case "quot":
		return `"`, semi + 1, nil
	}
	return "", 0, bad
}

func checkCharacters(text []byte) error {
	for len(text) > 0 {
		r, size := utf8.DecodeRune(text)
		if r == utf8.RuneError && size == 1 {
			return xmlSyntaxError("invalid UTF-8")
		}
		if !isInCharacterRange(r) {
			return illegalCharacter(r)
		}
		text = text[size:]
	}
	return nil
}

func illegalCharacter(r rune) error {
	return xmlSyntaxError("illegal character code " + strconv.QuoteRune(r))
}

// isInCharacterRange is XML's Char production, as encoding/xml has it.
func isInCharacterRange(r rune) bool {
	return r == 0x09 || r == 0x0A || r == 0x0D ||
		r >= 0x20 && r <= 0xD7FF ||
		r >= 0xE000 && r <= 0xFFFD ||
		r >= 0x10000 && r <= 0x10FFFF
}

// procInst returns the value of param="…" or param='…' in a processing
// instruction's content, parsed as encoding/xml parses it.
func procInst(param, s string) string {
	param += "="
	lenp := len(param)
	i := 0
	var sep byte
	for i < len(s) {
		sub := s[i:]
		k := strings.Index(sub, param)
		if k < 0 || lenp+k >= len(sub) {
			return ""
		}
		i += lenp + k + 1
		if c := sub[lenp+k]; c == '\'' || c == '"' {
			sep = c
			break
		}
	}
	if sep == 0 {
		return ""
	}
	j := strings.IndexByte(s[i:], sep)
	if j < 0 {
		return ""
	}
	return s[i : i+j]
}
