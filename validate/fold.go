package validate

import "unicode"

// folded maps a lower-case letter with an accent (or a letter that English
// writes as plain Latin letters) to what it becomes without it. The standard
// library has no Unicode normalization, so this covers what names of people
// and countries in Latin scripts use: Latin-1, Latin Extended-A, Romanian
// and Vietnamese. Decomposed accents (a letter followed by a combining mark)
// need no table: the marks are dropped.
var folded = func() map[rune]string {
	m := make(map[rune]string)
	for _, f := range []struct{ from, to string }{
		{"àáâãäåāăąǎạảấầẩẫậắằẳẵặ", "a"},
		{"çćĉċč", "c"},
		{"ďđð", "d"},
		{"èéêëēĕėęěẹẻẽếềểễệ", "e"},
		{"ĝğġģ", "g"},
		{"ĥħ", "h"},
		{"ìíîïĩīĭįıǐỉị", "i"},
		{"ĵ", "j"},
		{"ķ", "k"},
		{"ĺļľŀł", "l"},
		{"ñńņňŉ", "n"},
		{"òóôõöøōŏőơǒọỏốồổỗộớờởỡợ", "o"},
		{"ŕŗř", "r"},
		{"śŝşšș", "s"},
		{"ţťŧț", "t"},
		{"ùúûüũūŭůűųưǔụủứừửữự", "u"},
		{"ŵ", "w"},
		{"ýÿŷỳỵỷỹ", "y"},
		{"źżž", "z"},
	} {
		for _, r := range f.from {
			m[r] = f.to
		}
	}
	m['ß'] = "ss"
	m['æ'] = "ae"
	m['œ'] = "oe"
	m['þ'] = "th"
	return m
}()

// fold returns r lower-cased and without its accent, as one or more
// letters, and whether it had one to remove. Letters of other scripts come
// back lower-cased and unchanged.
func fold(r rune) (string, bool) {
	lr := unicode.ToLower(r)
	if f, ok := folded[lr]; ok {
		return f, true
	}
	return string(lr), false
}
