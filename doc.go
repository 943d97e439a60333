// Package calbridge translates calendar free/busy between Lotus Notes / HCL
// Domino and Microsoft Exchange, in both directions, and carries free/busy
// queries between the two halves of a gateway over a transport that can
// never wedge.
//
// This package holds documentation only. The code lives in its
// sub-packages.
package calbridge
