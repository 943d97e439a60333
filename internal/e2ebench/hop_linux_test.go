package e2ebench

import (
	"bytes"
	"math/bits"
	"net/http"
	"net/http/httptest"
	"runtime"
	"sync"
	"syscall"
	"testing"
	"unsafe"

	"github.com/calbridge/calbridge/exchange/ews"
	"github.com/calbridge/calbridge/internal/sample"
)

// cpuMask is a Linux CPU affinity mask (cpu_set_t) for up to 1024 CPUs.
type cpuMask [16]uint64

// allowedCPUs returns the CPUs this process may run on, in order.
func allowedCPUs() ([]int, error) {
	var m cpuMask
	if _, _, errno := syscall.RawSyscall(syscall.SYS_SCHED_GETAFFINITY, 0, unsafe.Sizeof(m), uintptr(unsafe.Pointer(&m))); errno != 0 {
		return nil, errno
	}
	var cpus []int
	for w, word := range m {
		for word != 0 {
			b := bits.TrailingZeros64(word)
			cpus = append(cpus, w*64+b)
			word &^= 1 << b
		}
	}
	return cpus, nil
}

// holdThreadTo locks the calling goroutine to its thread and that thread
// to cpu. The thread ends with the goroutine, which never unlocks it.
func holdThreadTo(cpu int) error {
	runtime.LockOSThread()
	var m cpuMask
	m[cpu/64] |= 1 << (cpu % 64)
	if _, _, errno := syscall.RawSyscall(syscall.SYS_SCHED_SETAFFINITY, 0, unsafe.Sizeof(m), uintptr(unsafe.Pointer(&m))); errno != 0 {
		return errno
	}
	return nil
}

// BenchmarkHandlerCPUHop100x7d measures the machine, not calbridge: the
// floor's work (the EWS Handler answering the 100x7d request from memory,
// as BenchmarkEWSHandler100x7d does) with each request handed to one of
// two goroutines, taking turns, whose threads are held to CPUs: both to
// the first CPU the process may use (first-cpu), both to the second
// (second-cpu), or one to each (alternating). The work and the handoffs
// are the same in all three; alternating adds only that each request
// runs on the other CPU than the one before, as a gateway's Handler may
// when it resumes after the RPC call wherever the link's reader ran.
// Where alternating is much slower than both others, the machine moves a
// working set between its CPUs slowly, and BenchmarkGatewayEWS100x7d pays
// for it while its floor does not (see the package documentation).
func BenchmarkHandlerCPUHop100x7d(b *testing.B) {
	cpus, err := allowedCPUs()
	if err != nil {
		b.Fatal(err)
	}
	if len(cpus) < 2 {
		b.Skipf("needs two CPUs, this process may use %v", cpus)
	}
	for _, bc := range []struct {
		name string
		cpus [2]int
	}{
		{"first-cpu", [2]int{cpus[0], cpus[0]}},
		{"second-cpu", [2]int{cpus[1], cpus[1]}},
		{"alternating", [2]int{cpus[0], cpus[1]}},
	} {
		b.Run(bc.name, func(b *testing.B) { benchHop(b, bc.cpus) })
	}
}

func benchHop(b *testing.B, cpus [2]int) {
	q, ss := sample.Load100x7d(true)
	h, err := ews.NewHandler(sample.LoadSource(ss))
	if err != nil {
		b.Fatal(err)
	}
	body := sample.LoadRequest(q)
	var out bytes.Buffer
	serve := func() int {
		out.Reset()
		rec := &httptest.ResponseRecorder{HeaderMap: make(http.Header), Body: &out, Code: http.StatusOK}
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, ewsPath, bytes.NewReader(body)))
		return rec.Code
	}
	// Each worker serves the requests it is handed, on its CPU, and
	// reports the status; the benchmark loop hands them out in turn.
	var turns [2]chan struct{}
	for k := range turns {
		turns[k] = make(chan struct{})
	}
	done := make(chan int)
	var wg sync.WaitGroup
	defer func() {
		for _, t := range turns {
			close(t)
		}
		wg.Wait()
	}()
	for k := range turns {
		held := make(chan error)
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := holdThreadTo(cpus[k])
			held <- err
			if err != nil {
				return
			}
			for range turns[k] {
				done <- serve()
			}
		}()
		if err := <-held; err != nil {
			b.Fatal(err)
		}
	}
	for k := range turns { // warm both CPUs' caches and the pools
		turns[k] <- struct{}{}
		if code := <-done; code != http.StatusOK {
			b.Fatalf("status %d: %.300s", code, out.Bytes())
		}
	}
	b.SetBytes(int64(out.Len()))
	b.ReportAllocs()
	b.ResetTimer()
	i := 0
	for b.Loop() {
		turns[i%2] <- struct{}{}
		if code := <-done; code != http.StatusOK {
			b.Fatalf("status %d", code)
		}
		i++
	}
}

// TestAllowedCPUs: the affinity mask read here is the one the runtime
// counted at start-up, so the hop benchmark picks CPUs the process may
// really use.
func TestAllowedCPUs(t *testing.T) {
	cpus, err := allowedCPUs()
	if err != nil {
		t.Fatal(err)
	}
	if len(cpus) != runtime.NumCPU() {
		t.Fatalf("allowedCPUs() = %v, runtime.NumCPU() = %d", cpus, runtime.NumCPU())
	}
	for i := 1; i < len(cpus); i++ {
		if cpus[i] <= cpus[i-1] {
			t.Fatalf("allowedCPUs() = %v, not in increasing order", cpus)
		}
	}
}
