package main

import (
	"bytes"
	"context"
	"embed"
	"html/template"
	"net/http"
	"time"

	"go.uber.org/zap"

	"github.com/calbridge/calbridge/freebusy/cache"
	"github.com/calbridge/calbridge/freebusy/observe"
	"github.com/calbridge/calbridge/transport"
)

//go:embed templates/status.html
var templateFiles embed.FS

var statusTemplate = template.Must(template.ParseFS(templateFiles, "templates/status.html"))

// statusPage is what the status page shows.
type statusPage struct {
	Role     role
	Now      time.Time
	Week     demoWeek
	Halves   []halfStatus
	Caches   []cacheStatus
	GridHalf string
	Grid     grid
	Legend   []legendEntry
	Health   observe.Summary
}

type halfStatus struct {
	Name          string
	Backend       string
	BackendState  string
	RPCAddr       string
	HasLink       bool
	LinkState     string
	LinkAddr      string
	Stats         transport.Stats
	LastReady     time.Time
	LastError     string
	LastErrorTime time.Time
}

type cacheStatus struct {
	Half, Of string
	Stats    cache.Stats
}

// status gathers the status page's data. The grid is asked through the
// Notes-side front door (DAS's), so that with both halves in one process it
// crosses the link to the Exchange half.
func (g *gateway) status(ctx context.Context) statusPage {
	p := statusPage{Role: g.role, Now: time.Now().UTC(), Week: g.week, Legend: legend}
	for _, h := range g.halves {
		hs := halfStatus{Name: h.side.String(), Backend: h.backend.label, BackendState: "up", RPCAddr: h.rpcAddr}
		if h.backend.probe != nil {
			if err := h.backend.probe(ctx); err != nil {
				hs.BackendState = "down"
			}
		}
		if h.link != nil {
			st := h.link.Stats()
			w := h.watch.snapshot()
			hs.HasLink, hs.LinkState, hs.LinkAddr, hs.Stats = true, st.State.String(), st.Addr, st
			hs.LastReady, hs.LastError, hs.LastErrorTime = w.LastReady, w.LastError, w.LastErrorTime
		}
		p.Halves = append(p.Halves, hs)
		if h.localCache != nil {
			p.Caches = append(p.Caches, cacheStatus{Half: h.side.String(), Of: "backend (" + h.backend.label + ")", Stats: h.localCache.Stats()})
		}
		if h.remoteCache != nil {
			p.Caches = append(p.Caches, cacheStatus{Half: h.side.String(), Of: "link to the " + h.other().String() + " half", Stats: h.remoteCache.Stats()})
		}
	}
	p.Health = g.healthz.Summary()
	p.GridHalf = g.halves[0].side.String()
	p.Grid = demoGrid(ctx, g.doors.das, g.dir, g.week)
	return p
}

// serveStatus renders the status page: server-side HTML, readable without
// JavaScript (there is none).
func (g *gateway) serveStatus(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 10*time.Second)
	defer cancel()
	var b bytes.Buffer
	if err := statusTemplate.Execute(&b, g.status(ctx)); err != nil {
		g.log.Error("status page", zap.Error(err))
		http.Error(w, "status page failed", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'")
	h.Set("X-Content-Type-Options", "nosniff")
	_, _ = w.Write(b.Bytes())
}
