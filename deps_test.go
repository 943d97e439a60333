package calbridge_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The import rules of the module, as a statement of policy in the spirit of
// the Go tree's go/build/deps_test.go: change the table in review, never to
// make a build pass. freebusy is the hub and imports nothing of the module;
// freebusy/ical alone imports go-ical; the sides (notes/..., exchange/...)
// import freebusy/... and internal/... and never each other; transport knows
// no side; only the programs under examples/ wire sides together. Only non-test files count; tests may
// also import testify and goleak.
const module = "github.com/calbridge/calbridge"

const (
	goical = "github.com/emersion/go-ical"
	zap    = "go.uber.org/zap"
	// The gateway's middleware and program: a byte-bounded cache, one
	// backend call per key, Prometheus metrics, OAuth2 client credentials
	// for Graph and NTLM for EWS.
	otter        = "github.com/maypok86/otter/v2"
	singleflight = "golang.org/x/sync/singleflight"
	prometheus   = "github.com/prometheus/client_golang/..."
	oauth2       = "golang.org/x/oauth2/..."
	ntlm         = "github.com/Azure/go-ntlmssp"
	// Scaling out on engines operators already run: a shared cache tier
	// on Redis and a transport over NATS.
	redis = "github.com/redis/go-redis/v9/..."
	nats  = "github.com/nats-io/nats.go/..."
)

// allowed maps a package pattern (a directory, or a directory followed by
// "/..." for it and everything below) to the non-standard-library imports
// its files may use. Patterns are matched most specific first.
var allowed = map[string][]string{
	".":                         {},
	"freebusy":                  {},
	"freebusy/ical":             {fb, goical},
	"notes":                     {fb, fbical, internal, zap},
	"notes/das":                 {fb, fbical, internal, module + "/notes", zap},
	"exchange":                  {fb, internal},
	"exchange/ews":              {fb, internal, module + "/exchange", zap},
	"exchange/graph":            {fb, internal, module + "/exchange", zap},
	"exchange/publicfolder":     {fb, internal, module + "/exchange", zap},
	"transport":                 {fb, bufpool, zap},
	"transport/transporttest":   {fb, module + "/transport", zap},
	"transport/natstransport":   {fb, module + "/transport", internal, zap, nats},
	"freebusy/directory":        {fb, internal, zap},
	"freebusy/router":           {fb, internal, zap},
	"freebusy/cache":            {fb, internal, zap, otter, singleflight},
	"freebusy/cache/rediscache": {fb, module + "/freebusy/cache", internal, zap, redis},
	"freebusy/privacy":          {fb, internal, zap},
	"freebusy/observe":          {fb, internal, zap},
	"freebusy/observe/prom":     {fb, module + "/freebusy/observe", internal, prometheus},
	"internal/...":              {fb, internal, zap},
	"examples/...":              {module + "/...", goical, zap, prometheus, oauth2, ntlm, redis, nats},
}

const (
	fb       = module + "/freebusy"
	fbical   = module + "/freebusy/ical"
	internal = module + "/internal/..."
	// bufpool is the one piece of the module's shared plumbing the
	// transport uses: a leaf that imports only the standard library, so
	// that the link's buffers and the handlers' follow one policy.
	bufpool = module + "/internal/bufpool"
)

func TestImportRules(t *testing.T) {
	pkgs := packageImports(t)
	require.Contains(t, pkgs, "freebusy", "the walk must find the packages")
	for dir, imports := range pkgs {
		rule, ok := ruleFor(dir)
		if !assert.True(t, ok, "package %q has no import rule in deps_test.go", dir) {
			continue
		}
		for _, imp := range imports {
			if isStandard(imp) {
				continue
			}
			assert.True(t, matchesAny(imp, allowed[rule]), "package %q (rule %q) must not import %q", dir, rule, imp)
		}
	}
}

// TestNothingImportsExamples keeps library code independent of the programs.
func TestNothingImportsExamples(t *testing.T) {
	for dir, imports := range packageImports(t) {
		if strings.HasPrefix(dir, "examples/") {
			continue
		}
		for _, imp := range imports {
			assert.False(t, strings.HasPrefix(imp, module+"/examples"), "%q imports %q", dir, imp)
		}
	}
}

// TestRootIsDocsOnly: the root package holds documentation, no code.
func TestRootIsDocsOnly(t *testing.T) {
	matches, err := filepath.Glob("*.go")
	require.NoError(t, err)
	for _, m := range matches {
		if strings.HasSuffix(m, "_test.go") {
			continue
		}
		assert.Equal(t, "doc.go", m, "the root package is documentation only")
	}
}

func TestRulesMatch(t *testing.T) {
	for _, tc := range []struct {
		dir, rule string
	}{
		{"freebusy", "freebusy"},
		{"transport/transporttest", "transport/transporttest"},
		{"internal/xmlutil", "internal/..."},
		{"examples/chaos", "examples/..."},
	} {
		got, ok := ruleFor(tc.dir)
		assert.True(t, ok, tc.dir)
		assert.Equal(t, tc.rule, got, tc.dir)
	}
	_, ok := ruleFor("transport/other")
	assert.False(t, ok, "an unlisted package must not inherit a rule")
	assert.True(t, matchesAny(module+"/internal/x/y", []string{module + "/internal/..."}))
	assert.False(t, matchesAny(module+"/notes", []string{module + "/freebusy"}))
	assert.True(t, isStandard("net/http"))
	assert.False(t, isStandard("go.uber.org/zap"))
}

// sourceFile is one parsed non-test Go file of the module.
type sourceFile struct {
	dir  string // its package directory, relative and slash-separated
	fset *token.FileSet
	f    *ast.File
}

// sourceFiles parses, with mode, every non-test Go file of the module
// outside testdata and hidden or underscore directories.
func sourceFiles(t *testing.T, mode parser.Mode) []sourceFile {
	t.Helper()
	var out []sourceFile
	fset := token.NewFileSet()
	err := filepath.WalkDir(".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if d.IsDir() {
			if p != "." && (strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_") || name == "testdata") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, p, nil, mode)
		if err != nil {
			return err
		}
		out = append(out, sourceFile{dir: filepath.ToSlash(filepath.Dir(p)), fset: fset, f: f})
		return nil
	})
	require.NoError(t, err)
	return out
}

// packageImports returns, for every package directory of the module
// (relative, slash-separated), the imports of its non-test Go files.
func packageImports(t *testing.T) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	for _, sf := range sourceFiles(t, parser.ImportsOnly) {
		if _, ok := out[sf.dir]; !ok {
			out[sf.dir] = nil
		}
		for _, imp := range sf.f.Imports {
			v, err := strconv.Unquote(imp.Path.Value)
			require.NoError(t, err)
			out[sf.dir] = append(out[sf.dir], v)
		}
	}
	return out
}

func ruleFor(dir string) (string, bool) {
	if _, ok := allowed[dir]; ok {
		return dir, true
	}
	for d := dir; d != "." && d != "/"; d = path.Dir(d) {
		if _, ok := allowed[d+"/..."]; ok {
			return d + "/...", true
		}
	}
	return "", false
}

func matchesAny(imp string, patterns []string) bool {
	for _, p := range patterns {
		if base, ok := strings.CutSuffix(p, "/..."); ok {
			if imp == base || strings.HasPrefix(imp, base+"/") {
				return true
			}
		} else if imp == p || !strings.HasPrefix(p, module) && strings.HasPrefix(imp, p+"/") {
			// A third-party module grants its sub-packages (zapcore);
			// a package of ours grants only itself.
			return true
		}
	}
	return false
}

func isStandard(imp string) bool {
	first, _, _ := strings.Cut(imp, "/")
	return !strings.Contains(first, ".")
}

// TestTestSupportStaysOutOfLibrary: the sample calendars (internal/sample),
// the HTTP test fixtures (internal/httptestutil) and the transports' test
// support (internal/linktest) are for tests and the example programs; no
// library package may build them into the programs that import calbridge.
func TestTestSupportStaysOutOfLibrary(t *testing.T) {
	for dir, imports := range packageImports(t) {
		if strings.HasPrefix(dir, "examples/") {
			continue
		}
		for _, imp := range imports {
			assert.NotEqual(t, module+"/internal/sample", imp, "library package %q imports the sample data", dir)
			assert.NotEqual(t, module+"/internal/httptestutil", imp, "library package %q imports test fixtures", dir)
			assert.NotEqual(t, module+"/internal/linktest", imp, "library package %q imports the transports' test support", dir)
		}
	}
}

// maxExported bounds a package's API: its exported package-level names and
// the exported methods of its exported types (struct fields are data and
// are not counted). A package that needs more is two packages.
const maxExported = 150

// TestAPISurface keeps every package small enough to learn and its names
// free of stutter: no exported identifier repeats its package's name
// (graph.Client, not graph.GraphClient).
func TestAPISurface(t *testing.T) {
	for dir, names := range exportedNames(t) {
		if dir == "." || strings.HasPrefix(dir, "examples/") || strings.HasPrefix(dir, "internal/") {
			continue
		}
		var top, methods, fields int
		for _, n := range names {
			switch {
			case strings.Contains(n, "#"):
				fields++
			case strings.Contains(n, "."):
				methods++
			default:
				top++
			}
		}
		t.Logf("%-24s %3d package-level names, %3d methods (%3d struct fields)", dir, top, methods, fields)
		assert.LessOrEqual(t, top+methods, maxExported, "package %q exports %d identifiers", dir, top+methods)
		pkg := strings.ToLower(path.Base(dir))
		for _, n := range names {
			// Methods and fields are reached through a value, not the
			// package name, so only package-level names can stutter.
			if !strings.ContainsAny(n, ".#") {
				assert.False(t, strings.HasPrefix(strings.ToLower(n), pkg), "%s.%s repeats the package name", path.Base(dir), n)
			}
		}
	}
}

// TestCommentsCiteTheRepository: comments cite what a reader of the
// repository can open (an RFC, an [MS-XXX] section, a vendor document by
// title, or a file in the repository such as docs/exchange.md), never notes
// kept outside it.
func TestCommentsCiteTheRepository(t *testing.T) {
	// Spelled in pieces so that this line does not cite them itself.
	bad := []string{"reference" + "/", "DESIGN" + ".md", "/" + "shared/", "exchange-freebusy" + ".md", "notes-freebusy" + ".md", "reconnect-rpc" + ".md", "go-style-anchors" + ".md"}
	err := filepath.WalkDir(".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if p != "." && strings.HasPrefix(d.Name(), ".") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(p, ".go") && !strings.HasSuffix(p, ".md") {
			return nil
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		for i, line := range strings.Split(string(data), "\n") {
			for _, b := range bad {
				if strings.Contains(line, b) {
					t.Errorf("%s:%d cites %q, which is not in the repository", p, i+1, b)
				}
			}
		}
		return nil
	})
	require.NoError(t, err)
}

// exportedNames returns, for every package directory, its exported
// identifiers: package-level names, Type.Method and Type#Field.
func exportedNames(t *testing.T) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	for _, sf := range sourceFiles(t, parser.SkipObjectResolution) {
		dir := sf.dir
		add := func(n string) { out[dir] = append(out[dir], n) }
		for _, decl := range sf.f.Decls {
			switch decl := decl.(type) {
			case *ast.FuncDecl:
				if !decl.Name.IsExported() {
					continue
				}
				if decl.Recv == nil {
					add(decl.Name.Name)
				} else if recv := receiverName(decl.Recv.List[0].Type); ast.IsExported(recv) {
					add(recv + "." + decl.Name.Name)
				}
			case *ast.GenDecl:
				for _, spec := range decl.Specs {
					switch spec := spec.(type) {
					case *ast.TypeSpec:
						if !spec.Name.IsExported() {
							continue
						}
						add(spec.Name.Name)
						if st, ok := spec.Type.(*ast.StructType); ok {
							for _, field := range st.Fields.List {
								for _, n := range field.Names {
									if n.IsExported() {
										add(spec.Name.Name + "#" + n.Name)
									}
								}
							}
						}
					case *ast.ValueSpec:
						for _, n := range spec.Names {
							if n.IsExported() {
								add(n.Name)
							}
						}
					}
				}
			}
		}
	}
	return out
}

func receiverName(expr ast.Expr) string {
	switch e := expr.(type) {
	case *ast.StarExpr:
		return receiverName(e.X)
	case *ast.IndexExpr:
		return receiverName(e.X)
	case *ast.IndexListExpr:
		return receiverName(e.X)
	case *ast.Ident:
		return e.Name
	}
	return ""
}

// TestExportedIdentifiersHaveDocs: every exported identifier of a library
// package says what it is for (a doc comment on it, or on its declaration
// group for constants and variables).
func TestExportedIdentifiersHaveDocs(t *testing.T) {
	for _, sf := range sourceFiles(t, parser.ParseComments|parser.SkipObjectResolution) {
		if sf.dir == "examples" || strings.HasPrefix(sf.dir, "examples/") {
			continue
		}
		f, fset := sf.f, sf.fset
		missing := func(pos token.Pos, what string) {
			t.Errorf("%s: exported %s has no doc comment", fset.Position(pos), what)
		}
		for _, decl := range f.Decls {
			switch decl := decl.(type) {
			case *ast.FuncDecl:
				if !decl.Name.IsExported() || decl.Doc != nil {
					continue
				}
				if decl.Recv != nil && !ast.IsExported(receiverName(decl.Recv.List[0].Type)) {
					continue
				}
				missing(decl.Pos(), decl.Name.Name)
			case *ast.GenDecl:
				for _, spec := range decl.Specs {
					switch spec := spec.(type) {
					case *ast.TypeSpec:
						if spec.Name.IsExported() && spec.Doc == nil && decl.Doc == nil {
							missing(spec.Pos(), spec.Name.Name)
						}
					case *ast.ValueSpec:
						for _, n := range spec.Names {
							if n.IsExported() && spec.Doc == nil && decl.Doc == nil && spec.Comment == nil {
								missing(n.Pos(), n.Name)
							}
						}
					}
				}
			}
		}
	}
}
