package ews

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/calbridge/calbridge/freebusy"
)

// The Handler's answers are checked against Microsoft's EWS schema
// (testdata/schema, Exchange 2016 level; see SOURCE there). Go has no XSD
// validator, so xsdChecker is a small structural one: element names and
// namespaces, the order and occurrence counts of sequence children,
// choices, required attributes, and enumerations of simple types
// (BusyType, ResponseCode, FreeBusyViewType, ResponseClass, DayOfWeek ...)
// and the built-in int, boolean, dateTime and duration lexical forms. It
// reads the subset of XSD the two files use for the checked messages:
// complexType with sequence/choice/any, complexContent and simpleContent
// extension, element refs and substitution groups, group refs, simpleType
// restriction and list.

// xsdNode is an element of a schema document.
type xsdNode struct {
	XMLName  xml.Name
	Attrs    []xml.Attr `xml:",any,attr"`
	Children []*xsdNode `xml:",any"`
}

func (n *xsdNode) attr(name string) string {
	for _, a := range n.Attrs {
		if a.Name.Local == name {
			return a.Value
		}
	}
	return ""
}

type qname struct{ ns, local string }

type xsdChecker struct {
	types    map[qname]*xsdNode     // complexType and simpleType by name
	elements map[qname]*xsdNode     // global elements
	groups   map[qname]*xsdNode     // model groups
	subst    map[qname][]qname      // head -> members
	prefixes map[*xsdNode]schemaCtx // each schema's prefixes
	nodeCtx  map[*xsdNode]schemaCtx // owning schema of every node
}

type schemaCtx struct {
	target   string
	prefixes map[string]string
}

func loadSchema(t *testing.T) *xsdChecker {
	t.Helper()
	c := &xsdChecker{types: map[qname]*xsdNode{}, elements: map[qname]*xsdNode{}, groups: map[qname]*xsdNode{}, subst: map[qname][]qname{}, nodeCtx: map[*xsdNode]schemaCtx{}}
	for _, f := range []string{"types.xsd", "messages.xsd"} {
		b, err := os.ReadFile(filepath.Join("testdata", "schema", f))
		require.NoError(t, err)
		var root xsdNode
		require.NoError(t, xml.Unmarshal(b, &root))
		ctx := schemaCtx{target: root.attr("targetNamespace"), prefixes: map[string]string{}}
		for _, a := range root.Attrs {
			if a.Name.Space == "xmlns" {
				ctx.prefixes[a.Name.Local] = a.Value
			}
		}
		var mark func(n *xsdNode)
		mark = func(n *xsdNode) {
			c.nodeCtx[n] = ctx
			for _, ch := range n.Children {
				mark(ch)
			}
		}
		mark(&root)
		for _, n := range root.Children {
			name := qname{ctx.target, n.attr("name")}
			switch n.XMLName.Local {
			case "complexType", "simpleType":
				c.types[name] = n
			case "element":
				c.elements[name] = n
				if h := n.attr("substitutionGroup"); h != "" {
					head := c.resolve(n, h)
					c.subst[head] = append(c.subst[head], name)
				}
			case "group":
				c.groups[name] = n
			}
		}
	}
	return c
}

// resolve turns a prefixed name in the schema node n into a qname.
func (c *xsdChecker) resolve(n *xsdNode, s string) qname {
	ctx := c.nodeCtx[n]
	if p, local, ok := strings.Cut(s, ":"); ok {
		return qname{ctx.prefixes[p], local}
	}
	return qname{ctx.target, s}
}

const xsdNS = "http://www.w3.org/2001/XMLSchema"

// instance is an element of the document checked.
type instance struct {
	name     qname
	attrs    map[string]string
	children []*instance
	text     string
}

func parseInstance(t *testing.T, b []byte) *instance {
	t.Helper()
	d := xml.NewDecoder(bytes.NewReader(b))
	var stack []*instance
	var root *instance
	for {
		tok, err := d.Token()
		if err != nil {
			break
		}
		switch tt := tok.(type) {
		case xml.StartElement:
			in := &instance{name: qname{tt.Name.Space, tt.Name.Local}, attrs: map[string]string{}}
			for _, a := range tt.Attr {
				if a.Name.Space == "" {
					in.attrs[a.Name.Local] = a.Value
				}
			}
			if len(stack) > 0 {
				p := stack[len(stack)-1]
				p.children = append(p.children, in)
			} else {
				root = in
			}
			stack = append(stack, in)
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		case xml.CharData:
			if len(stack) > 0 {
				stack[len(stack)-1].text += string(tt)
			}
		}
	}
	require.NotNil(t, root)
	return root
}

// checkElement checks in against the global element declaration of its
// name.
func (c *xsdChecker) checkElement(in *instance) []string {
	decl, ok := c.elements[in.name]
	if !ok {
		return []string{fmt.Sprintf("%s: no global element %v", in.name.local, in.name)}
	}
	return c.checkDecl(decl, in, in.name.local)
}

// checkDecl checks in against an element declaration (global or local).
func (c *xsdChecker) checkDecl(decl *xsdNode, in *instance, path string) []string {
	if typ := decl.attr("type"); typ != "" {
		return c.checkType(c.resolve(decl, typ), in, path)
	}
	for _, ch := range decl.Children {
		switch ch.XMLName.Local {
		case "complexType":
			return c.checkComplex(ch, in, path)
		case "simpleType":
			return c.checkSimple(ch, strings.TrimSpace(in.text), path)
		}
	}
	return nil // anyType
}

func (c *xsdChecker) checkType(typ qname, in *instance, path string) []string {
	if typ.ns == xsdNS {
		var errs []string
		if len(in.children) > 0 {
			errs = append(errs, path+": simple content expected")
		}
		return append(errs, checkBuiltin(typ.local, strings.TrimSpace(in.text), path)...)
	}
	n, ok := c.types[typ]
	if !ok {
		return []string{fmt.Sprintf("%s: unknown type %v", path, typ)}
	}
	if n.XMLName.Local == "simpleType" {
		var errs []string
		if len(in.children) > 0 {
			errs = append(errs, path+": simple content expected")
		}
		return append(errs, c.checkSimple(n, strings.TrimSpace(in.text), path)...)
	}
	return c.checkComplex(n, in, path)
}

// contentOf returns the particle and attribute declarations of a complex
// type, following complexContent extensions to their bases (base first),
// and the simple base type of simpleContent ("" otherwise).
func (c *xsdChecker) contentOf(ct *xsdNode) (particles []*xsdNode, attrs []*xsdNode, simple qname) {
	for _, ch := range ct.Children {
		switch ch.XMLName.Local {
		case "sequence", "choice", "all", "group":
			particles = append(particles, ch)
		case "attribute":
			attrs = append(attrs, ch)
		case "attributeGroup":
			if g, ok := c.types[c.resolve(ch, ch.attr("ref"))]; ok {
				attrs = append(attrs, g.Children...)
			}
		case "complexContent", "simpleContent":
			for _, ext := range ch.Children {
				if ext.XMLName.Local != "extension" && ext.XMLName.Local != "restriction" {
					continue
				}
				base := c.resolve(ext, ext.attr("base"))
				if ch.XMLName.Local == "simpleContent" {
					simple = base
				} else if bt, ok := c.types[base]; ok && ext.XMLName.Local == "extension" {
					bp, ba, bs := c.contentOf(bt)
					particles, attrs, simple = append(particles, bp...), append(attrs, ba...), bs
				}
				sub := &xsdNode{XMLName: ext.XMLName, Children: ext.Children}
				c.nodeCtx[sub] = c.nodeCtx[ext]
				p, a, _ := c.contentOf(sub)
				particles, attrs = append(particles, p...), append(attrs, a...)
			}
		}
	}
	return particles, attrs, simple
}

func (c *xsdChecker) checkComplex(ct *xsdNode, in *instance, path string) []string {
	particles, attrs, simple := c.contentOf(ct)
	var errs []string
	for _, a := range attrs {
		name := a.attr("name")
		v, present := in.attrs[name]
		if a.attr("use") == "required" && !present {
			errs = append(errs, fmt.Sprintf("%s: required attribute %s missing", path, name))
		}
		if present && a.attr("type") != "" {
			errs = append(errs, c.checkSimpleRef(c.resolve(a, a.attr("type")), v, path+"/@"+name)...)
		}
	}
	if simple != (qname{}) {
		return append(errs, c.checkSimpleRef(simple, strings.TrimSpace(in.text), path)...)
	}
	seq := &xsdNode{XMLName: xml.Name{Space: xsdNS, Local: "sequence"}, Children: particles}
	c.nodeCtx[seq] = c.nodeCtx[ct]
	rest, perr := c.match(seq, in.children, path)
	errs = append(errs, perr...)
	for _, r := range rest {
		errs = append(errs, fmt.Sprintf("%s: unexpected child %s", path, r.name.local))
	}
	return errs
}

func occurs(n *xsdNode) (lo, hi int) {
	lo, hi = 1, 1
	if v := n.attr("minOccurs"); v != "" {
		lo, _ = strconv.Atoi(v)
	}
	if v := n.attr("maxOccurs"); v == "unbounded" {
		hi = 1 << 30
	} else if v != "" {
		hi, _ = strconv.Atoi(v)
	}
	return lo, hi
}

// match consumes children with particle p (its occurrence bounds
// included), greedily, and returns what is left and the errors of the
// children it consumed.
func (c *xsdChecker) match(p *xsdNode, kids []*instance, path string) ([]*instance, []string) {
	lo, hi := occurs(p)
	var errs []string
	n := 0
	for n < hi {
		rest, e, ok := c.matchOnce(p, kids, path)
		if !ok || len(rest) == len(kids) && n >= lo {
			break
		}
		kids, errs, n = rest, append(errs, e...), n+1
		if len(kids) == 0 {
			break
		}
	}
	if n < lo {
		if _, e, ok := c.matchOnce(p, nil, path); !ok || len(e) > 0 {
			errs = append(errs, fmt.Sprintf("%s: missing %s", path, describe(p)))
		}
	}
	return kids, errs
}

func describe(p *xsdNode) string {
	if n := p.attr("name"); n != "" {
		return n
	}
	if r := p.attr("ref"); r != "" {
		return r
	}
	return p.XMLName.Local
}

// matchOnce matches one occurrence of p.
func (c *xsdChecker) matchOnce(p *xsdNode, kids []*instance, path string) ([]*instance, []string, bool) {
	switch p.XMLName.Local {
	case "element":
		if len(kids) == 0 {
			return kids, nil, false
		}
		k := kids[0]
		if ref := p.attr("ref"); ref != "" {
			head := c.resolve(p, ref)
			for _, name := range append([]qname{head}, c.subst[head]...) {
				if k.name == name {
					return kids[1:], c.checkDecl(c.elements[name], k, path+"/"+k.name.local), true
				}
			}
			return kids, nil, false
		}
		if k.name != (qname{c.nodeCtx[p].target, p.attr("name")}) {
			return kids, nil, false
		}
		return kids[1:], c.checkDecl(p, k, path+"/"+k.name.local), true
	case "any":
		if len(kids) == 0 {
			return kids, nil, false
		}
		return kids[1:], nil, true
	case "group":
		g := c.groups[c.resolve(p, p.attr("ref"))]
		for _, ch := range g.Children {
			if ch.XMLName.Local == "sequence" || ch.XMLName.Local == "choice" {
				return c.matchOnce(wrapOnce(c, ch), kids, path)
			}
		}
		return kids, nil, false
	case "sequence", "all":
		var errs []string
		start := len(kids)
		for _, ch := range p.Children {
			if ch.XMLName.Local == "annotation" {
				continue
			}
			var e []string
			kids, e = c.match(ch, kids, path)
			errs = append(errs, e...)
		}
		return kids, errs, len(errs) == 0 || len(kids) < start
	case "choice":
		for _, ch := range p.Children {
			if ch.XMLName.Local == "annotation" {
				continue
			}
			rest, e, ok := c.matchOnce(ch, kids, path)
			if ok && len(rest) < len(kids) {
				// one occurrence of the alternative, then its own repeats
				rest, e2 := c.match(withMin0(c, ch), rest, path)
				return rest, append(e, e2...), true
			}
		}
		return kids, nil, false
	}
	return kids, nil, false
}

// wrapOnce returns p with occurrence bounds 1..1 (a group's inner model
// takes the bounds of the group reference).
func wrapOnce(c *xsdChecker, p *xsdNode) *xsdNode {
	n := &xsdNode{XMLName: p.XMLName, Children: p.Children}
	c.nodeCtx[n] = c.nodeCtx[p]
	return n
}

// withMin0 returns p with one fewer occurrence allowed and none required.
func withMin0(c *xsdChecker, p *xsdNode) *xsdNode {
	_, hi := occurs(p)
	n := &xsdNode{XMLName: p.XMLName, Children: p.Children}
	for _, a := range p.Attrs {
		if a.Name.Local != "minOccurs" && a.Name.Local != "maxOccurs" {
			n.Attrs = append(n.Attrs, a)
		}
	}
	n.Attrs = append(n.Attrs, xml.Attr{Name: xml.Name{Local: "minOccurs"}, Value: "0"}, xml.Attr{Name: xml.Name{Local: "maxOccurs"}, Value: strconv.Itoa(hi - 1)})
	c.nodeCtx[n] = c.nodeCtx[p]
	return n
}

func (c *xsdChecker) checkSimpleRef(typ qname, v, path string) []string {
	if typ.ns == xsdNS {
		return checkBuiltin(typ.local, v, path)
	}
	n, ok := c.types[typ]
	if !ok || n.XMLName.Local != "simpleType" {
		return []string{fmt.Sprintf("%s: unknown simple type %v", path, typ)}
	}
	return c.checkSimple(n, v, path)
}

func (c *xsdChecker) checkSimple(st *xsdNode, v, path string) []string {
	for _, ch := range st.Children {
		switch ch.XMLName.Local {
		case "restriction":
			var enum []string
			for _, f := range ch.Children {
				if f.XMLName.Local == "enumeration" {
					enum = append(enum, f.attr("value"))
				}
			}
			if len(enum) > 0 {
				for _, e := range enum {
					if v == e {
						return nil
					}
				}
				return []string{fmt.Sprintf("%s: %q is not one of the enumeration", path, v)}
			}
			if b := ch.attr("base"); b != "" {
				return c.checkSimpleRef(c.resolve(ch, b), v, path)
			}
		case "list":
			var errs []string
			for _, item := range strings.Fields(v) {
				if it := ch.attr("itemType"); it != "" {
					errs = append(errs, c.checkSimpleRef(c.resolve(ch, it), item, path)...)
					continue
				}
				for _, inline := range ch.Children {
					if inline.XMLName.Local == "simpleType" {
						errs = append(errs, c.checkSimple(inline, item, path)...)
					}
				}
			}
			return errs
		}
	}
	return nil
}

func checkBuiltin(typ, v, path string) []string {
	bad := false
	switch typ {
	case "int":
		_, err := strconv.ParseInt(v, 10, 32)
		bad = err != nil
	case "boolean":
		bad = v != "true" && v != "false" && v != "1" && v != "0"
	case "dateTime":
		_, err := parseDateTimeBytes([]byte(v))
		bad = err != nil
	case "duration":
		bad = !strings.HasPrefix(strings.TrimPrefix(v, "-"), "P")
	}
	if bad {
		return []string{fmt.Sprintf("%s: %q is not an xs:%s", path, v, typ)}
	}
	return nil
}

// checkSOAP checks the header and body children of a SOAP answer.
func (c *xsdChecker) checkSOAP(t *testing.T, doc []byte) []string {
	t.Helper()
	env := parseInstance(t, doc)
	var errs []string
	sawHeader := false
	for _, part := range env.children {
		for _, el := range part.children {
			if part.name.local == "Header" {
				sawHeader = true
			}
			errs = append(errs, c.checkElement(el)...)
		}
	}
	if !sawHeader {
		errs = append(errs, "no SOAP header")
	}
	return errs
}

// The checker itself: it finds what it claims to find.
func TestSchemaCheckerCatchesViolations(t *testing.T) {
	c := loadSchema(t)
	good := `<m:GetUserAvailabilityResponse xmlns:m="` + namespaceMessages + `" xmlns:t="` + namespaceTypes + `"><m:FreeBusyResponseArray><m:FreeBusyResponse><m:ResponseMessage ResponseClass="Success"><m:ResponseCode>NoError</m:ResponseCode></m:ResponseMessage><m:FreeBusyView><t:FreeBusyViewType>FreeBusy</t:FreeBusyViewType><t:CalendarEventArray><t:CalendarEvent><t:StartTime>2024-03-05T09:00:00</t:StartTime><t:EndTime>2024-03-05T10:00:00</t:EndTime><t:BusyType>Busy</t:BusyType></t:CalendarEvent></t:CalendarEventArray></m:FreeBusyView></m:FreeBusyResponse></m:FreeBusyResponseArray></m:GetUserAvailabilityResponse>`
	require.Empty(t, c.checkElement(parseInstance(t, []byte(good))))
	for name, bad := range map[string]string{
		"busy type":      strings.Replace(good, ">Busy<", ">Occupied<", 1),
		"response code":  strings.Replace(good, "NoError", "ErrorNope", 1),
		"order":          strings.Replace(good, "<t:StartTime>2024-03-05T09:00:00</t:StartTime><t:EndTime>2024-03-05T10:00:00</t:EndTime>", "<t:EndTime>2024-03-05T10:00:00</t:EndTime><t:StartTime>2024-03-05T09:00:00</t:StartTime>", 1),
		"required child": strings.Replace(good, "<t:BusyType>Busy</t:BusyType>", "", 1),
		"required attr":  strings.Replace(good, ` ResponseClass="Success"`, "", 1),
		"namespace":      strings.Replace(good, "<t:FreeBusyViewType>FreeBusy</t:FreeBusyViewType>", "<m:FreeBusyViewType>FreeBusy</m:FreeBusyViewType>", 1),
		"unknown":        strings.Replace(good, "</m:FreeBusyView>", "<t:Extra/></m:FreeBusyView>", 1),
		"date":           strings.Replace(good, "2024-03-05T09:00:00", "tomorrow", 1),
	} {
		assert.NotEmpty(t, c.checkElement(parseInstance(t, []byte(bad))), name)
	}
	defs, _ := zoneDefinitions()
	full := string(defs[0].full)
	for _, d := range defs {
		if strings.Contains(string(d.full), "RecurringDayTransition") {
			full = string(d.full)
			break
		}
	}
	wrap := func(def string) []byte {
		return []byte(`<m:GetServerTimeZonesResponse xmlns:m="` + namespaceMessages + `" xmlns:t="` + namespaceTypes + `"><m:ResponseMessages><m:GetServerTimeZonesResponseMessage ResponseClass="Success"><m:ResponseCode>NoError</m:ResponseCode><m:TimeZoneDefinitions>` + def + `</m:TimeZoneDefinitions></m:GetServerTimeZonesResponseMessage></m:ResponseMessages></m:GetServerTimeZonesResponse>`)
	}
	require.Empty(t, c.checkElement(parseInstance(t, wrap(full))))
	for name, bad := range map[string]string{
		"kind":        strings.Replace(full, ` Kind="Period"`, "", 1),
		"kind value":  strings.Replace(full, ` Kind="Period"`, ` Kind="Zone"`, 1),
		"order":       strings.Replace(strings.Replace(full, "<t:Month>", "<t:Xonth>", 1), "</t:Month>", "</t:Xonth>", 1),
		"day of week": strings.Replace(full, "<t:DayOfWeek>Sunday<", "<t:DayOfWeek>Sun<", 1),
		"no periods":  full[:strings.Index(full, "<t:Periods>")] + full[strings.Index(full, "</t:Periods>")+len("</t:Periods>"):],
	} {
		assert.NotEmpty(t, c.checkElement(parseInstance(t, wrap(bad))), name)
	}
}

// Source: messages.xsd/types.xsd (Exchange 2016), [MS-OXWSAVAIL] and
// [MS-OXWSGTZ] — a sample of the Handler's answers is valid against the
// schema: GetUserAvailability in every view with events, details,
// working hours and per-mailbox errors; GetServerTimeZones short and full;
// and the ServerVersionInfo header of each.
func TestHandlerAnswersMatchSchema(t *testing.T) {
	c := loadSchema(t)
	start := utc(2024, 3, 5, 0, 0)
	src := &recordingSource{
		ivs: map[string][]freebusy.Interval{"a@example.com": {
			{Start: start.Add(9 * time.Hour), End: start.Add(10 * time.Hour), Status: freebusy.Busy},
			{Start: start.Add(11 * time.Hour), End: start.Add(12 * time.Hour), Status: freebusy.WorkingElsewhere},
			{Start: start.Add(13 * time.Hour), End: start.Add(14 * time.Hour), Status: freebusy.OutOfOffice},
		}},
		events: map[string][]freebusy.Event{"a@example.com": {
			{Start: start.Add(9 * time.Hour), End: start.Add(10 * time.Hour), Status: freebusy.Tentative, Subject: "Plan <&>", Location: "Room 1"},
			{Start: start.Add(15 * time.Hour), End: start.Add(16 * time.Hour), Status: freebusy.Busy, Private: true},
		}},
		fail: map[string]*freebusy.Error{"ghost@example.com": {Reason: freebusy.ReasonUnknownAttendee}, "busy@example.com": {Reason: freebusy.ReasonThrottled, RetryAfter: time.Second}},
		wh:   &freebusy.WorkingHours{Location: time.UTC, Periods: []freebusy.WorkingPeriod{{Days: []time.Weekday{1, 2, 3, 4, 5}, Start: 8 * time.Hour, End: 17 * time.Hour}}},
	}
	h := newTestHandler(t, src, WithDetails(true))
	post := func(body []byte) []byte {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/EWS/Exchange.asmx", bytes.NewReader(body)))
		return rec.Body.Bytes()
	}
	for _, view := range []FreeBusyViewType{ViewMergedOnly, ViewFreeBusy, ViewFreeBusyMerged, ViewDetailed, ViewDetailedMerged} {
		req := utcRequest(view, 30, start, start.AddDate(0, 0, 1), "a@example.com", "ghost@example.com", "busy@example.com")
		req.ServerVersion = "Exchange2016"
		doc := post(encodeRequest(t, req))
		require.Contains(t, string(doc), "GetUserAvailabilityResponse", view)
		assert.Empty(t, c.checkSOAP(t, doc), view)
	}
	for _, body := range [][]byte{gtzRequest("false"), gtzRequest("true", "Pacific Standard Time", "India Standard Time", "W. Europe Standard Time", "Morocco Standard Time")} {
		doc := post(body)
		require.Contains(t, string(doc), "GetServerTimeZonesResponse")
		assert.Empty(t, c.checkSOAP(t, doc))
	}
	// Every zone's full definition.
	doc := post(gtzRequest("true"))
	assert.Empty(t, c.checkSOAP(t, doc))
}
