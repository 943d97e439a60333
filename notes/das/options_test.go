package das

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/calbridge/calbridge/freebusy"
)

// A value an option cannot take fails the constructor at once, with an
// error matching ErrInvalidOption that names the option.
func TestInvalidClientOptions(t *testing.T) {
	tests := map[string]ClientOption{
		"WithConcurrency":  WithConcurrency(0),
		"WithCallTimeout":  WithCallTimeout(-time.Second),
		"WithLimits":       WithLimits(freebusy.Limits{MaxAttendees: -1}),
		"WithMaxBodyBytes": WithMaxBodyBytes(-1),
	}
	for name, opt := range tests {
		c, err := NewClient("https://d.example.com", opt)
		assert.Nil(t, c, name)
		require.ErrorIs(t, err, ErrInvalidOption, name)
		assert.Contains(t, err.Error(), "das: "+name, name)
	}
	_, err := NewClient("https://d.example.com", WithMaxBodyBytes(MaxDocumentBytes+1))
	assert.ErrorIs(t, err, ErrInvalidOption, "above what the decoders read")
	_, err = NewClient("https://d.example.com", WithConcurrency(-1), WithCallTimeout(-1))
	assert.ErrorContains(t, err, "WithConcurrency", "the first invalid option is reported")
}

func TestInvalidHandlerOptions(t *testing.T) {
	src := &dasRecordingSource{}
	tests := map[string]HandlerOption{
		"WithSourceTimeout":   WithSourceTimeout(-time.Second),
		"WithLimits":          WithLimits(freebusy.Limits{MinGranularity: time.Hour, MaxGranularity: time.Minute}),
		"WithMaxBodyBytes":    WithMaxBodyBytes(MaxDocumentBytes + 1),
		"WithRoomDirectories": WithRoomDirectories(RoomDirectory{DisplayName: "no id"}),
	}
	for name, opt := range tests {
		h, err := NewHandler(src, opt)
		assert.Nil(t, h, name)
		require.ErrorIs(t, err, ErrInvalidOption, name)
		assert.Contains(t, err.Error(), "das: "+name, name)
	}
	_, err := NewHandler(nil)
	assert.ErrorIs(t, err, ErrInvalidOption, "a nil Source")
}

func TestInvalidRoomDirectories(t *testing.T) {
	room := Room{DisplayName: "R", DistinguishedName: "R/Site", Capacity: 4}
	site := RoomSite{DisplayName: "Site", Rooms: []Room{room}}
	dir := RoomDirectory{ID: "CN=S/O=O!!names.nsf", Sites: []RoomSite{site}}
	_, err := NewHandler(&dasRecordingSource{}, WithRoomDirectories(dir))
	require.NoError(t, err)

	noName := dir
	noName.Sites = []RoomSite{{DisplayName: "Site", Rooms: []Room{{DisplayName: "R"}}}}
	negative := dir
	negative.Sites = []RoomSite{{DisplayName: "Site", Rooms: []Room{{Email: "r@example.com", Capacity: -1}}}}
	unnamedSite := dir
	unnamedSite.Sites = []RoomSite{{Rooms: []Room{room}}}
	for name, dirs := range map[string][]RoomDirectory{
		"duplicate id":          {dir, dir},
		"room without a name":   {noName},
		"negative capacity":     {negative},
		"site without a name":   {unnamedSite},
		"directory without id":  {{DisplayName: "x"}},
		"second directory bad":  {dir, {ID: "other", Sites: []RoomSite{{}}}},
		"bad room in later dir": {dir, {ID: "other", Sites: []RoomSite{{DisplayName: "S", Rooms: []Room{{}}}}}},
	} {
		_, err := NewHandler(&dasRecordingSource{}, WithRoomDirectories(dirs...))
		assert.ErrorIs(t, err, ErrInvalidOption, name)
	}
}

// Zero values and nil arguments mean the documented defaults; nil options
// are skipped.
func TestOptionDefaults(t *testing.T) {
	c, err := NewClient("https://d.example.com", nil, WithHTTPClient(nil), WithLogger(nil), WithMaxBodyBytes(0), WithCallTimeout(0))
	require.NoError(t, err)
	assert.Same(t, http.DefaultClient, c.cfg.HTTPClient)
	assert.NotNil(t, c.cfg.Logger)
	assert.Equal(t, int64(DefaultMaxBodyBytes), c.cfg.maxBodyBytes)
	assert.Zero(t, c.cfg.CallTimeout, "zero means no bound but the context's")
	assert.Equal(t, 8, c.cfg.Concurrency)

	c, err = NewClient("https://d.example.com")
	require.NoError(t, err)
	assert.Equal(t, DefaultCallTimeout, c.cfg.CallTimeout)
	assert.False(t, c.cfg.icalendar)

	h, err := NewHandler(&dasRecordingSource{}, nil, WithSourceTimeout(0), WithMaxBodyBytes(0))
	require.NoError(t, err)
	assert.Equal(t, DefaultSourceTimeout, h.cfg.sourceTimeout)
	assert.Equal(t, int64(DefaultMaxBodyBytes), h.cfg.maxBodyBytes)
	assert.False(t, h.cfg.tentativeAsFree)
	assert.False(t, h.cfg.directoriesOn)
	assert.Equal(t, freebusy.DefaultLimits(), h.cfg.Limits)
}

// The knobs both constructors read are one Option value that fits either.
func TestSharedOptions(t *testing.T) {
	shared := []Option{WithLogger(nil), WithLimits(freebusy.Limits{MaxAttendees: 3}), WithMaxBodyBytes(4096)}
	var copts []ClientOption
	var hopts []HandlerOption
	for _, o := range shared {
		copts = append(copts, o)
		hopts = append(hopts, o)
	}
	c, err := NewClient("https://d.example.com", copts...)
	require.NoError(t, err)
	h, err := NewHandler(&dasRecordingSource{}, hopts...)
	require.NoError(t, err)
	assert.Equal(t, 3, c.cfg.Limits.MaxAttendees)
	assert.Equal(t, 3, h.cfg.Limits.MaxAttendees)
	assert.Equal(t, int64(4096), c.cfg.maxBodyBytes)
	assert.Equal(t, int64(4096), h.cfg.maxBodyBytes)
}
