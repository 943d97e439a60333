// Package jsonguard checks the shape of a JSON document before it is
// decoded: how deeply arrays and objects nest, and how many elements they
// hold. encoding/json accepts nesting up to ten thousand levels and
// allocates for every element it keeps, so a small body of brackets, or
// megabytes of "{}," aimed at a slice of structs, costs far more to decode
// than to send. Check refuses such documents after one cheap pass over the
// bytes, before json.Unmarshal sees them; Scanner does the same as the
// bytes arrive (an io.Writer for io.TeeReader), so that a reader stops
// reading at the first excess.
//
// Check does not validate JSON: whatever it lets through still goes to the
// decoder, which reports syntax errors. It only counts, outside strings,
// the brackets and braces that open containers and the commas between
// elements (RFC 8259 §2), so that malformed input is bounded too.
//
// The decoders of exchange/graph and notes/das run it with their own
// Limits and wrap a *LimitError into their own error types.
package jsonguard
