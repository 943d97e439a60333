package main

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const chromiumPath = "/usr/bin/chromium"

// TestStatusPageInBrowser loads the status page in a real browser (Debian's
// chromium, headless) with JavaScript switched off, and checks what a
// reader sees: the link state, the cache figures, and a grid whose every
// drawn symbol is in the legend with the same colour. It is skipped when
// chromium is missing, except on CI (CI=true), where that is a failure.
func TestStatusPageInBrowser(t *testing.T) {
	if _, err := os.Stat(chromiumPath); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("chromium is required on CI: %v", err)
		}
		t.Skipf("no browser: %v", err)
	}
	g := startGateway(t, options{quiet: true})

	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(chromiumPath),
		chromedp.Flag("headless", true),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.NoFirstRun,
		chromedp.UserDataDir(t.TempDir()),
	)
	defer cancelAlloc()
	bctx, cancelBrowser := chromedp.NewContext(actx)
	defer cancelBrowser()
	// The first run starts the browser, and must not carry a timeout.
	_, err := chromedp.Run(bctx, chromedp.Navigate("about:blank"))
	require.NoError(t, err)
	_, err = chromedp.Call(bctx, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true})
	require.NoError(t, err)

	ctx, cancel := context.WithTimeout(bctx, 20*time.Second)
	defer cancel()
	_, err = chromedp.Run(ctx, chromedp.Navigate(g.URL+"/"))
	require.NoError(t, err)
	title, err := chromedp.Run(ctx, chromedp.Title())
	require.NoError(t, err)
	assert.Equal(t, "calbridge gateway (both)", title)
	halves, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#halves")))
	require.NoError(t, err)
	assert.Contains(t, halves, "ready")
	assert.Contains(t, halves, "notes")
	assert.Contains(t, halves, "exchange")
	caches, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#caches")))
	require.NoError(t, err)
	assert.Contains(t, caches, "Hits")

	// What is drawn: every cell's symbol and computed background, against
	// the legend's.
	type swatch struct {
		Symbol string `json:"symbol"`
		Color  string `json:"color"`
	}
	const collect = `(sel) => Array.from(document.querySelectorAll(sel)).map(e => ({symbol: (e.querySelector("code") || e).textContent.trim(), color: getComputedStyle(e).backgroundColor}))`
	legendSwatches, err := chromedp.Run(ctx, chromedp.Evaluate[[]swatch](`(`+collect+`)("#legend td")`))
	require.NoError(t, err)
	cells, err := chromedp.Run(ctx, chromedp.Evaluate[[]swatch](`(`+collect+`)("table.grid td.cell")`))
	require.NoError(t, err)

	require.Len(t, legendSwatches, len(legend))
	legendColor := map[string]string{}
	for _, s := range legendSwatches {
		legendColor[s.Symbol] = s.Color
	}
	require.Len(t, cells, 5*len(demoAttendees)*2*(gridLastHour-gridFirstHour), "a cell per slot, attendee and day")
	drawn := map[string]bool{}
	for _, c := range cells {
		want, ok := legendColor[c.Symbol]
		if assert.True(t, ok, "symbol %q is in the legend", c.Symbol) {
			assert.Equal(t, want, c.Color, "symbol %q is drawn in its legend colour", c.Symbol)
		}
		drawn[c.Symbol] = true
	}
	// The demo week draws every symbol of the legend: each entry means
	// something on the page.
	for _, l := range legend {
		assert.True(t, drawn[l.Symbol], "%q (%s) is drawn", l.Symbol, l.Name)
	}
	// Distinct statuses look distinct.
	seen := map[string]string{}
	for sym, col := range legendColor {
		if other, dup := seen[col]; dup {
			assert.Failf(t, "legend colours collide", "%q and %q are both %s", sym, other, col)
		}
		seen[col] = sym
	}
	assert.False(t, strings.Contains(halves, "{{"), "the template is fully rendered")
}
