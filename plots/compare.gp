# plots/compare.gp - `esmsim compare`: a run beside what CloudWatch recorded
# (issue 14), one panel per metric stacked on one time axis, the run's line
# and the observed one.
#
# Variables set by src/analysis/compare.c (all strings): format ("svg" or "png"),
# out, data, title, panels (their number), xmax (the run's length in minutes),
# start (CloudWatch's time of the run's 0), and for each panel i from 1:
# labeli (the metric and statistic), uniti ("ms", "records" or "") and ymaxi
# (its largest value).  data holds two blocks per panel, the run's then the
# observed, of "SERIES MINUTE VALUE" rows (a blank line is a gap: a period
# without a value); block 2(i-1) is panel i's run.  The X axis is the run's
# time in minutes, hours or days, and a panel in ms shows milliseconds to
# days, as `esmsim plot` draws them (axes.gp), lone points marked as plot's.

panels = panels + 0
xmax = xmax + 0.0
load ARG0[1:strlen(ARG0) - strlen("compare.gp")] . "axes.gp"
height = 120 + 190 * panels

if (format eq "png") {
    set terminal pngcairo size 1200,height enhanced font "Sans,11" background rgb "white"
} else {
    set terminal svg size 1200,height dynamic enhanced font "Sans,11" background rgb "white"
}
set output out
set encoding utf8

set multiplot layout panels,1 title sprintf("%s\n{/*0.85 the run's time 0 is %s in CloudWatch}", \
    title, start) font ",13"
set border 3
set xtics out nomirror
set ytics out nomirror
set grid xtics ytics lc rgb "#d8d8d8" lw 1 dt 1
set xrange [0:(xmax > 0 ? xmax : 1)]
eval time_tics(xmax)
set style line 1 lw 1.6 lc rgb "#1f77b4"
set style line 2 lw 1.6 dt 2 lc rgb "#d62728"
set lmargin 12
set rmargin 4
set format y "%.10g"

do for [i=1:panels] {
    label = value(sprintf("label%d", i))
    unit = value(sprintf("unit%d", i))
    ymax = value(sprintf("ymax%d", i)) + 0.0
    div = unit eq "ms" ? age_div(ymax) : 1
    shown = unit eq "ms" ? age_abbrev(ymax) : unit
    set ylabel sprintf("%s\n%s%s", word(label, 1), word(label, 2), shown eq "" ? "" : " (" . shown . ")")
    top = (ymax > 0 ? ymax / div : 1) * 1.15
    set yrange [0:top]
    if (unit eq "ms") {
        set ytics autofreq
    } else {
        eval count_tics(top)
    }
    if (i == 1) {
        set key inside top left horizontal samplen 3 spacing 1.1 width 2 opaque box lc rgb "#d0d0d0"
    } else {
        unset key
    }
    if (i == panels) {
        set xlabel sprintf("the run's time (%s)", time_unit(xmax))
    } else {
        unset xlabel
    }
    plot data index (2*(i-1)) using 2:($3/div) with lines ls 1 title "esmsim run", \
         data index (2*(i-1)+1) using 2:($3/div) with lines ls 2 title "CloudWatch (observed)", \
         for [j=0:1] data index (2*(i-1)+j) using 2:(line_start($3/div)) with points ls (j+1) pt 7 ps 0.5 \
             notitle
}
unset multiplot
