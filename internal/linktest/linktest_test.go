package linktest

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestQueryAttendees: the first 26 attendees are user<letter>, as the
// transports' tests expect by name, and any count gives distinct,
// lower-case ASCII addresses (the fault tests ask for 100).
func TestQueryAttendees(t *testing.T) {
	q := Query(26*27 + 3)
	assert.Equal(t, "usera@example.com", q.Attendees[0])
	assert.Equal(t, "userz@example.com", q.Attendees[25])
	assert.Equal(t, "useraa@example.com", q.Attendees[26])
	assert.Equal(t, "userzz@example.com", q.Attendees[26*27-1])
	assert.Equal(t, "useraaa@example.com", q.Attendees[26*27])
	seen := make(map[string]bool, len(q.Attendees))
	for _, a := range q.Attendees {
		require.False(t, seen[a], "%s twice", a)
		seen[a] = true
		for _, c := range a[len("user") : len(a)-len("@example.com")] {
			require.True(t, c >= 'a' && c <= 'z', "%q", a)
		}
	}
	require.NoError(t, Query(100).Validate())
}
