package privacy_test

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/calbridge/calbridge/freebusy/privacy"
)

func TestPolicyJSON(t *testing.T) {
	var p privacy.Policy
	require.NoError(t, json.Unmarshal([]byte(`{"default":"times","requesters":{"svc-notes":"status","helpdesk":"full"}}`), &p))
	assert.Equal(t, privacy.Policy{Default: privacy.LevelTimes, Requesters: map[string]privacy.Level{"svc-notes": privacy.LevelStatus, "helpdesk": privacy.LevelFull}}, p)

	data, err := json.Marshal(p)
	require.NoError(t, err)
	assert.JSONEq(t, `{"default":"times","requesters":{"svc-notes":"status","helpdesk":"full"}}`, string(data))

	var q privacy.Policy
	require.NoError(t, json.Unmarshal([]byte(`{}`), &q))
	assert.Equal(t, privacy.Policy{}, q, "a missing default is LevelStatus")
	require.NoError(t, json.Unmarshal([]byte(`{"requesters":null}`), &q))
	assert.Equal(t, privacy.Policy{}, q)
}

func TestPolicyJSONErrors(t *testing.T) {
	for name, in := range map[string]string{
		"unknown field":       `{"default":"status","extra":1}`,
		"unknown level":       `{"default":"everything"}`,
		"level not a string":  `{"default":2}`,
		"unknown req. level":  `{"requesters":{"a":"public"}}`,
		"repeated requester":  `{"requesters":{"a":"full","a":"status"}}`,
		"empty requester":     `{"requesters":{"":"full"}}`,
		"requesters an array": `{"requesters":["a"]}`,
		"requesters a string": `{"requesters":"a"}`,
		"not an object":       `[]`,
	} {
		p := privacy.Policy{Default: privacy.LevelFull}
		err := json.Unmarshal([]byte(in), &p)
		assert.ErrorIs(t, err, privacy.ErrInvalidPolicy, name)
		assert.Equal(t, privacy.LevelFull, p.Default, "%s: the policy is unchanged", name)
	}
	_, err := json.Marshal(privacy.Policy{Default: 5})
	assert.ErrorIs(t, err, privacy.ErrInvalidPolicy)
}

func TestLevelText(t *testing.T) {
	for _, l := range []privacy.Level{privacy.LevelStatus, privacy.LevelTimes, privacy.LevelFull} {
		text, err := l.MarshalText()
		require.NoError(t, err)
		var back privacy.Level
		require.NoError(t, back.UnmarshalText(text))
		assert.Equal(t, l, back)
		assert.Equal(t, string(text), l.String())
	}
	assert.Equal(t, "Level(7)", privacy.Level(7).String())
}

// FuzzPolicyJSON: the decoder never panics; what it accepts is a valid
// policy that survives a round trip through JSON.
func FuzzPolicyJSON(f *testing.F) {
	for _, s := range []string{
		`{"default":"status","requesters":{"svc-notes":"times","helpdesk":"full"}}`,
		`{}`, `{"requesters":null}`, `{"requesters":{"a":"full","a":"status"}}`,
		`{"default":"times"} x`, `{"requesters":{"\u00e9":"full"}}`, `[]`, `null`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var p privacy.Policy
		if err := json.Unmarshal(data, &p); err != nil {
			return
		}
		require.NoError(t, p.Validate())
		out, err := json.Marshal(p)
		require.NoError(t, err)
		var back privacy.Policy
		require.NoError(t, json.Unmarshal(out, &back), "%s", out)
		if len(p.Requesters) == 0 {
			p.Requesters, back.Requesters = nil, nil
		}
		assert.Equal(t, p, back)
	})
}
