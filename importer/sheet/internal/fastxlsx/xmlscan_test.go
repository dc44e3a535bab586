package fastxlsx

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"strings"
	"testing"
	"testing/iotest"
)

// goTokens returns the tokens encoding/xml gives for doc, as text, and
// whether it read doc to the end without an error. Comments, processing
// instructions and directives are left out: the scanner skips them.
func goTokens(doc []byte) (tokens []string, ok bool) {
	d := xml.NewDecoder(bytes.NewReader(doc))
	for {
		tok, err := d.Token()
		if err != nil {
			return tokens, err.Error() == "EOF"
		}
		switch t := tok.(type) {
		case xml.StartElement:
			s := fmt.Sprintf("<{%s}%s", t.Name.Space, t.Name.Local)
			for _, a := range t.Attr {
				s += fmt.Sprintf(" {%s}%s=%q", a.Name.Space, a.Name.Local, a.Value)
			}
			tokens = append(tokens, s+">")
		case xml.EndElement:
			tokens = append(tokens, fmt.Sprintf("</{%s}%s>", t.Name.Space, t.Name.Local))
		case xml.CharData:
			tokens = append(tokens, fmt.Sprintf("%q", t))
		}
	}
}

// scanTokens is goTokens for xmlScanner, its names resolved as encoding/xml
// resolves them.
func scanTokens(doc []byte, chunked bool) (tokens []string, ok bool) {
	var sc *xmlScanner
	if chunked {
		sc = newXMLScanner(iotest.OneByteReader(bytes.NewReader(doc)))
		sc.buf = make([]byte, 16)
	} else {
		sc = newXMLScanner(bytes.NewReader(doc))
	}
	for {
		switch sc.next() {
		case tokenNone:
			return tokens, sc.failure() == nil
		case tokenStart:
			s := fmt.Sprintf("<{%s}%s", sc.resolve(sc.space, sc.local, sc.level), sc.local)
			for _, a := range sc.attrs {
				space := ""
				if len(a.space) > 0 {
					space = sc.resolve(a.space, a.local, sc.level)
				}
				s += fmt.Sprintf(" {%s}%s=%q", space, a.local, a.value)
			}
			tokens = append(tokens, s+">")
		case tokenEnd:
			tokens = append(tokens, fmt.Sprintf("</{%s}%s>", sc.resolve(sc.space, sc.local, sc.level), sc.local))
		case tokenText:
			tokens = append(tokens, fmt.Sprintf("%q", sc.text))
		}
	}
}

// checkScanner checks that the scanner reads doc as encoding/xml does:
// the same tokens, and an error at the same token or none.
func checkScanner(t *testing.T, doc []byte) {
	t.Helper()
	want, wantOK := goTokens(doc)
	for _, chunked := range []bool{false, true} {
		got, gotOK := scanTokens(doc, chunked)
		if gotOK != wantOK || strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Fatalf("%q (chunked %v):\nscanner (ok %v):\n%s\nencoding/xml (ok %v):\n%s",
				doc, chunked, gotOK, strings.Join(got, "\n"), wantOK, strings.Join(want, "\n"))
		}
	}
}

var scannerCases = []string{
	`<a/>`,
	`<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` + "\r\n" + `<a b="1" c='2'>x</a>`,
	"\ufeff<a>x</a>",
	`<a>&amp;&lt;&gt;&quot;&apos;&#65;&#x42;&#x1F600;&#xD800;</a>`,
	`<a b="&amp;&#9;x&#10;">y</a>`,
	"<a>1\r\n2\r3\n\r\n</a>",
	"<a b=\"1\r\n2\"/>",
	`<a><![CDATA[<b>&amp;]]]></a>`,
	"<a><![CDATA[\r\n]]></a>",
	`<a><!-- c -- --></a>`,
	`<a><!---->x</a>`,
	`<a><!-- x --->y</a>`,
	`<!DOCTYPE a [<!ENTITY e "x"> <!-- > --> ]><a>&e;</a>`,
	`<!DOCTYPE a '>' "<" <b<c>>><a/>`,
	`<a><?pi x?><?pi?>y</a>`,
	`<x:a xmlns:x="urn:x" xmlns="urn:d"><b x:c="1" d="2"/><x:b xmlns:x="urn:y"/></x:a>`,
	`<a xmlns="urn:d"><b xmlns=""/></a>`,
	`<x:a xml:space="preserve" xmlns:x="urn:x"><y:b/></x:a>`,
	`<:a/>`, `<a:/>`, `<a:b:c/>`, `<xmlns:a/>`,
	`<a b="1"c="2"/>`,
	`<a  b = "1" ></a >`,
	`<a></b>`, `<a></x:a>`, `</a>`, `<a>`, `<a`, `<a b`, `<a b=`, `<a b="`, `<a b=1/>`, `<a b/>`,
	`<a>]]></a>`, `<a b="]]>"/>`, `<a>]]</a>`, `<a>]</a>`,
	`<a>&bogus;</a>`, `<a>&amp</a>`, `<a>&#xZZ;</a>`, `<a>&#X41;</a>`, `<a>&#0;</a>`, `<a>&#;</a>`, `<a>&#1114112;</a>`,
	"<a>\x01</a>", "<a>\xff</a>", "<a b=\"\x01\"/>", "<a b=\"<\"/>", "<a>\u00e9\U0001F600</a>",
	"<\u00e9/>", "<a\u00b7b/>", "<\u00b7/>", "<a \u00e9=\"1\"/>",
	`<1a/>`, `<-a/>`, `<a.b-c_d/>`,
	`<?xml version="1.1"?><a/>`, `<?xml encoding="latin1"?><a/>`, `<?xml encoding="utf-8"?><a/>`,
	`<!- x --><a/>`, `<![CDATX[x]]><a/>`, `<a><![CDATA[x</a>`,
	`text only`, ``, `   `, `<a/><b/>text`,
	`<?xml?><a/>`, `<? x?>`, `<?1?>`,
	`<!DOCTYPE a [ <!-- <a> --> ]>`,
}

func TestScanner(t *testing.T) {
	for _, doc := range scannerCases {
		checkScanner(t, []byte(doc))
	}
}

func FuzzScanner(f *testing.F) {
	for _, doc := range scannerCases {
		f.Add([]byte(doc))
	}
	f.Fuzz(func(t *testing.T, doc []byte) {
		checkScanner(t, doc)
	})
}
