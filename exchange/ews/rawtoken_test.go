package ews

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/calbridge/calbridge/internal/sample"
)

// The decoder reads raw tokens and checks their nesting itself (see
// decoder). These tests hold it to what encoding/xml's Token, which
// translates prefixes and matches tags, made of the same documents.

// document reads data for the decoder: through the raw-token path, or
// through xml.Decoder.Token when translated is set.
func document(data []byte, translated bool) io.Reader {
	if translated {
		return translatedReader{bytes.NewReader(data)}
	}
	return bytes.NewReader(data)
}

// decodeEveryWay runs each of the package's document readers over data,
// through the raw-token path or, when translated is set, through
// xml.Decoder.Token, and returns what each gave.
func decodeEveryWay(data []byte, translated bool) (results []any, errs []error) {
	reader := func() io.Reader { return document(data, translated) }
	add := func(v any, err error) {
		results = append(results, v)
		errs = append(errs, err)
	}
	add(decodeOperation(reader(), xmlLimits{bytes: MaxRequestBytes, elements: MaxRequestElements}))
	add(decodeResponse(reader(), xmlLimits{bytes: MaxResponseBytes}))
	add(decodeAutodiscoverRequest(reader(), xmlLimits{bytes: defaultAutodiscoverBytes}))
	add(decodeAutodiscoverSOAPRequest(reader(), xmlLimits{bytes: defaultAutodiscoverBytes}))
	return results, errs
}

// decodeErrorKind is what two decodings of one document must agree on
// when they fail: the condition of a *DecodeError (its detail and element
// may word a mismatched tag differently), or the whole of any other error
// (a SOAP fault read from a response).
func decodeErrorKind(err error) any {
	var de *DecodeError
	if errors.As(err, &de) {
		return de.Err
	}
	return err
}

// checkRawAsTranslated fails t when the raw-token path decodes data
// otherwise than the translating one.
func checkRawAsTranslated(t *testing.T, data []byte) {
	t.Helper()
	raw, rawErrs := decodeEveryWay(data, false)
	ref, refErrs := decodeEveryWay(data, true)
	readers := []string{"operation", "response", "autodiscover", "autodiscover SOAP"}
	for i := range raw {
		if (rawErrs[i] == nil) != (refErrs[i] == nil) {
			t.Fatalf("%s: raw tokens err %v, translated err %v\n%q", readers[i], rawErrs[i], refErrs[i], data)
		}
		if rawErrs[i] != nil {
			if !reflect.DeepEqual(decodeErrorKind(rawErrs[i]), decodeErrorKind(refErrs[i])) {
				t.Fatalf("%s: raw tokens err %v, translated err %v\n%q", readers[i], rawErrs[i], refErrs[i], data)
			}
			continue
		}
		if !reflect.DeepEqual(raw[i], ref[i]) {
			t.Fatalf("%s: raw tokens gave %+v, translated %+v\n%q", readers[i], raw[i], ref[i], data)
		}
	}
}

// fuzzCorpus returns the inputs kept in testdata/fuzz for the package's
// other document fuzz targets: what they found is where the comparison of
// the two paths starts.
func fuzzCorpus(tb testing.TB) [][]byte {
	tb.Helper()
	var out [][]byte
	for _, target := range []string{"FuzzDecodeAvailabilityRequest", "FuzzDecodeAvailabilityResponse", "FuzzHandler", "FuzzDecodeAutodiscoverSOAPRequest", "FuzzSOAPAutodiscoverHandler"} {
		files, err := filepath.Glob(filepath.Join("testdata", "fuzz", target, "*"))
		require.NoError(tb, err)
		for _, name := range files {
			data, err := os.ReadFile(name)
			require.NoError(tb, err)
			out = append(out, corpusBytes(data)...)
		}
	}
	return out
}

// corpusBytes returns the []byte and string values of a corpus file in
// the "go test fuzz v1" format: one Go literal a line after the header.
func corpusBytes(file []byte) [][]byte {
	var out [][]byte
	sc := bufio.NewScanner(bytes.NewReader(file))
	sc.Buffer(nil, 1<<22)
	for sc.Scan() {
		line := sc.Text()
		for _, kind := range []string{"[]byte(", "string("} {
			if strings.HasPrefix(line, kind) && strings.HasSuffix(line, ")") {
				if s, err := strconv.Unquote(line[len(kind) : len(line)-1]); err == nil {
					out = append(out, []byte(s))
				}
			}
		}
	}
	return out
}

func TestRawTokensAsTranslatedOnTestdata(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "*.xml"))
	require.NoError(t, err)
	require.NotEmpty(t, files)
	for _, name := range files {
		checkRawAsTranslated(t, readTestdata(t, filepath.Base(name)))
	}
	q, _ := sample.Load100x7d(true)
	checkRawAsTranslated(t, sample.LoadRequest(q))
}

// TestRawTokensRefuseBadNesting: what breaks XML 1.0's element type match
// (§3) is malformed, prefix included, as encoding/xml's Token has it.
func TestRawTokensRefuseBadNesting(t *testing.T) {
	const env = `<s:Envelope xmlns:s="` + namespaceSOAP11 + `" xmlns:m="` + namespaceMessages + `" xmlns:n="` + namespaceMessages + `">`
	for name, doc := range map[string]string{
		"other name":           env + `<s:Body></s:Bod></s:Envelope>`,
		"other prefix":         env + `<s:Body><m:GetUserAvailabilityRequest></n:GetUserAvailabilityRequest></s:Body></s:Envelope>`,
		"prefix dropped":       env + `<s:Body></Body></s:Envelope>`,
		"end with none open":   `</s:Envelope>`,
		"end after the root":   env + `<s:Body/></s:Envelope></s:Envelope>`,
		"unclosed at the end":  env + `<s:Body>`,
		"crossed":              env + `<s:Body><a><b></a></b></s:Body></s:Envelope>`,
		"root closed by other": env + `</s:Body>`,
	} {
		for _, translated := range []bool{false, true} {
			_, err := decodeOperation(document([]byte(doc), translated), xmlLimits{bytes: MaxRequestBytes})
			assert.ErrorIs(t, err, ErrMalformedXML, "%s, translated=%v", name, translated)
		}
	}
	// The raw path names both tags as written.
	_, err := decodeOperation(strings.NewReader(env+`<s:Body><m:GetUserAvailabilityRequest></n:GetUserAvailabilityRequest>`), xmlLimits{bytes: MaxRequestBytes})
	var de *DecodeError
	require.ErrorAs(t, err, &de)
	assert.Equal(t, "GetUserAvailabilityRequest", de.Element)
	assert.Equal(t, "element <m:GetUserAvailabilityRequest> closed by </n:GetUserAvailabilityRequest>", de.Detail)
	_, err = decodeOperation(strings.NewReader(`</s:Envelope>`), xmlLimits{bytes: MaxRequestBytes})
	require.ErrorAs(t, err, &de)
	assert.Equal(t, "end tag </s:Envelope> with no element open", de.Detail)
}

// TestRootSpace: the root's namespace comes from the declarations on its
// own start tag ("Namespaces in XML 1.0" §6.1, §6.2), as Token resolves it.
func TestRootSpace(t *testing.T) {
	for doc, want := range map[string]string{
		`<s:Envelope xmlns:s="urn:a"/>`:                           "urn:a",
		`<Envelope xmlns="urn:a"/>`:                               "urn:a",
		`<Envelope xmlns:s="urn:a"/>`:                             "",
		`<s:Envelope/>`:                                           "s",
		`<s:Envelope xmlns="urn:a"/>`:                             "s",
		`<s:Envelope xmlns:s="urn:a" xmlns:s="urn:b"/>`:           "urn:b",
		`<xml:Envelope/>`:                                         "http://www.w3.org/XML/1998/namespace",
		`<s:Envelope xmlns:t="urn:a" xmlns:s="urn:b" s:x="1"/>`:   "urn:b",
		`<Envelope xmlns="urn:a" xmlns="urn:b"/>`:                 "urn:b",
		`<s:Envelope xmlns:s=""/>`:                                "",
		`<s:Envelope xmlns:ss="urn:a" xmlns:s="urn:b" ss:s="x"/>`: "urn:b",
	} {
		for _, translated := range []bool{false, true} {
			d := newDecoder(document([]byte(doc), translated), 1<<10, "test")
			root, err := d.root()
			require.NoError(t, err, doc)
			assert.Equal(t, "Envelope", root.Name.Local, doc)
			assert.Equal(t, want, root.Name.Space, "%s, translated=%v", doc, translated)
		}
	}
}

// FuzzRawTokensAsTranslated: for any input, each document reader decodes
// through raw tokens what it decodes through xml.Decoder.Token, or fails
// with the same condition.
func FuzzRawTokensAsTranslated(f *testing.F) {
	for _, name := range []string{"request-skeleton.xml", "request-ews-java.xml", "response-2013-naive.xml", "autodiscover-getusersettings-soap12.xml"} {
		f.Add(readTestdata(f, name))
	}
	f.Add([]byte(`<s:Envelope xmlns:s="` + namespaceSOAP11 + `"><s:Body><m:X xmlns:m="urn:m"></m:X></s:Body></s:Envelope>`))
	f.Add([]byte(`<s:Envelope xmlns:s="` + namespaceSOAP11 + `" xmlns:a="u" xmlns:b="u"><a:Body></b:Body></s:Envelope>`))
	corpus := fuzzCorpus(f)
	require.Greater(f, len(corpus), 100, "the other targets' kept inputs")
	for _, data := range corpus {
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		checkRawAsTranslated(t, data)
	})
}
