// Package plots draws the figures of microstim with gonum/plot: smoothed
// cortical-sheet maps with their category patches and optional marked
// sites such as stimulation sites (SheetMap), line plots with optional
// confidence bands (LinePlot), and scatter plots with optional error bars,
// regression lines and reference lines (ScatterPlot).
//
// Every figure is rendered twice from the same drawing code, as a PNG at
// 150 dpi for quick viewing and as an SVG for papers. Fonts are the
// Liberation Serif faces bundled with gonum/plot, so no system fonts are
// needed to render. The SVG names the font (with the metric-compatible
// Times New Roman and Times as fallbacks) rather than embedding it, which
// keeps files small and text editable. Every axis is
// labelled with its units. PDF output is deliberately not offered: gonum/plot
// cannot encode non-ASCII text such as d′, µ or mm² in PDF.
//
// Files are written with resultdir.WriteFile (temporary file in the same directory,
// fsync, rename), so a reader never sees a half-written figure.
package plots
