package bench

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"math"
	"slices"

	"golang.org/x/image/font"
	"golang.org/x/image/font/basicfont"
	"golang.org/x/image/math/fixed"
)

// Plot colours, one per target in AllTargets order.
var targetColors = map[string]color.RGBA{
	TargetUpstream: {0x1f, 0x77, 0xb4, 0xff},
	TargetProxy:    {0x2c, 0xa0, 0x2c, 0xff},
	TargetDev:      {0xd6, 0x27, 0x28, 0xff},
	TargetRoles:    {0x94, 0x67, 0xbd, 0xff},

	TargetDev + BaseSuffix:   {0xff, 0x98, 0x96, 0xff},
	TargetRoles + BaseSuffix: {0xc5, 0xb0, 0xd5, 0xff},
}

var (
	black = color.RGBA{0, 0, 0, 0xff}
	grey  = color.RGBA{0xdd, 0xdd, 0xdd, 0xff}
)

const plotW, plotH = 1200, 540

// Plot draws the closed-loop cells as a PNG: on the left p50 (solid) and
// p99 (dashed) latency against the number of clients, on the right
// throughput; both axes of each panel are logarithmic. Drawn with the
// standard library and a bitmap font, so no external tool is needed.
func (r *Report) Plot() ([]byte, error) {
	img := image.NewRGBA(image.Rect(0, 0, plotW, plotH))
	draw.Draw(img, img.Bounds(), image.NewUniform(color.White), image.Point{}, draw.Src)
	var cs []int
	for _, c := range r.Cells {
		if c.Mode == ModeConcurrency && !slices.Contains(cs, c.Concurrency) {
			cs = append(cs, c.Concurrency)
		}
	}
	slices.Sort(cs)
	lat := &panel{img: img, x0: 80, y0: 50, x1: 560, y1: 440, xs: cs, title: "latency (ms, log): p50 solid, p99 dashed"}
	thr := &panel{img: img, x0: 680, y0: 50, x1: 1160, y1: 440, xs: cs, title: "throughput (req/s, log)"}
	for _, c := range r.Cells {
		if c.Mode != ModeConcurrency || c.Calls == 0 {
			continue
		}
		lat.fit(c.P50)
		lat.fit(c.P99)
		thr.fit(c.ReqPerSec)
	}
	lat.axes()
	thr.axes()
	for i, name := range r.Settings.Targets {
		col := targetColors[name]
		var p50, p99, rps []float64
		var xs []int
		for _, c := range r.Cells {
			if c.Target == name && c.Mode == ModeConcurrency && c.Calls > 0 {
				xs = append(xs, c.Concurrency)
				p50, p99, rps = append(p50, c.P50), append(p99, c.P99), append(rps, c.ReqPerSec)
			}
		}
		lat.series(xs, p50, col, false)
		lat.series(xs, p99, col, true)
		thr.series(xs, rps, col, false)
		// Legend under the panels.
		lx, ly := 80+(i%2)*600, 485+(i/2)*22
		for d := range 3 {
			line(img, lx, ly-4+d, lx+30, ly-4+d, col, false)
		}
		text(img, lx+38, ly, black, name+": "+targetLabel(name))
	}
	text(img, 80, 20, black, fmt.Sprintf("jitbench %s, %d CPUs, commit %s", r.Started.Format("2006-01-02 15:04 UTC"), r.Machine.CPUs, r.Machine.Commit))
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// panel is one chart: categorical x (the concurrency levels, evenly
// spaced), log10 y.
type panel struct {
	img            *image.RGBA
	x0, y0, x1, y1 int
	xs             []int
	title          string
	lo, hi         float64 // data range, before rounding to decades
}

func (p *panel) fit(v float64) {
	if v <= 0 {
		return
	}
	if p.lo == 0 || v < p.lo {
		p.lo = v
	}
	if v > p.hi {
		p.hi = v
	}
}

// decades returns the y range in log10, widened to whole decades.
func (p *panel) decades() (float64, float64) {
	if p.lo == 0 {
		return 0, 1
	}
	lo, hi := math.Floor(math.Log10(p.lo)), math.Ceil(math.Log10(p.hi))
	if hi <= lo {
		hi = lo + 1
	}
	return lo, hi
}

func (p *panel) px(x int) int {
	i := slices.Index(p.xs, x)
	if len(p.xs) == 1 {
		return (p.x0 + p.x1) / 2
	}
	return p.x0 + 20 + i*(p.x1-p.x0-40)/(len(p.xs)-1)
}

func (p *panel) py(v float64) int {
	lo, hi := p.decades()
	f := (math.Log10(v) - lo) / (hi - lo)
	return p.y1 - int(f*float64(p.y1-p.y0))
}

func (p *panel) axes() {
	lo, hi := p.decades()
	for d := lo; d <= hi; d++ {
		for _, m := range []float64{1, 2, 5} {
			v := m * math.Pow(10, d)
			if math.Log10(v) > hi+1e-9 {
				break
			}
			y := p.py(v)
			line(p.img, p.x0, y, p.x1, y, grey, m != 1)
			if m == 1 || hi-lo <= 2 {
				label := fmt.Sprintf("%g", v)
				text(p.img, p.x0-8-7*len(label), y+4, black, label)
			}
		}
	}
	for _, x := range p.xs {
		label := fmt.Sprintf("c=%d", x)
		text(p.img, p.px(x)-7*len(label)/2, p.y1+18, black, label)
	}
	line(p.img, p.x0, p.y0, p.x0, p.y1, black, false)
	line(p.img, p.x0, p.y1, p.x1, p.y1, black, false)
	text(p.img, p.x0, p.y0-10, black, p.title)
}

func (p *panel) series(xs []int, vs []float64, col color.RGBA, dashed bool) {
	for i := range xs {
		if vs[i] <= 0 {
			continue
		}
		x, y := p.px(xs[i]), p.py(vs[i])
		for dx := -2; dx <= 2; dx++ {
			line(p.img, x+dx, y-2, x+dx, y+2, col, false)
		}
		if i > 0 && vs[i-1] > 0 {
			px, py := p.px(xs[i-1]), p.py(vs[i-1])
			line(p.img, px, py, x, y, col, dashed)
			line(p.img, px, py+1, x, y+1, col, dashed)
		}
	}
}

// line draws from (x0,y0) to (x1,y1) (Bresenham), dashed in 6-pixel
// steps when asked.
func line(img *image.RGBA, x0, y0, x1, y1 int, col color.RGBA, dashed bool) {
	dx, dy := abs(x1-x0), -abs(y1-y0)
	sx, sy := sign(x1-x0), sign(y1-y0)
	e := dx + dy
	for n := 0; ; n++ {
		if !dashed || (n/6)%2 == 0 {
			img.SetRGBA(x0, y0, col)
		}
		if x0 == x1 && y0 == y1 {
			return
		}
		e2 := 2 * e
		if e2 >= dy {
			e += dy
			x0 += sx
		}
		if e2 <= dx {
			e += dx
			y0 += sy
		}
	}
}

func text(img *image.RGBA, x, y int, col color.RGBA, s string) {
	d := font.Drawer{Dst: img, Src: image.NewUniform(col), Face: basicfont.Face7x13, Dot: fixed.P(x, y)}
	d.DrawString(s)
}

func abs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}

func sign(v int) int {
	switch {
	case v < 0:
		return -1
	case v > 0:
		return 1
	}
	return 0
}
