package vision

import (
	"fmt"
	"io"
	"strings"
	"time"
)

// bar is a one-line terminal progress bar with an ETA.
type bar struct {
	w          io.Writer
	total      int
	start      time.Time
	startDone  int
	lastRender time.Time
}

func newBar(w io.Writer, total, done int) *bar {
	return &bar{w: w, total: total, start: time.Now(), startDone: done}
}

func (b *bar) update(done int, msg string) {
	if b.w == nil || time.Since(b.lastRender) < 500*time.Millisecond && done < b.total {
		return
	}
	b.lastRender = time.Now()
	frac := float64(done) / float64(b.total)
	const width = 24
	fill := int(frac * width)
	eta := "--:--"
	if d := done - b.startDone; d > 0 {
		rem := time.Duration(float64(time.Since(b.start)) / float64(d) * float64(b.total-done))
		eta = fmtDur(rem)
	}
	fmt.Fprintf(b.w, "\r[%s%s] %5.1f%% %s ETA %s ", strings.Repeat("=", fill), strings.Repeat(" ", width-fill), 100*frac, msg, eta)
}

func (b *bar) log(msg string) {
	if b.w != nil {
		fmt.Fprintf(b.w, "\r\033[K%s\n", msg)
	}
}

func (b *bar) done() {
	if b.w != nil {
		fmt.Fprintln(b.w)
	}
}

func fmtDur(d time.Duration) string {
	s := int(d.Seconds())
	if s >= 3600 {
		return fmt.Sprintf("%dh%02dm", s/3600, s%3600/60)
	}
	return fmt.Sprintf("%02d:%02d", s/60, s%60)
}
