# plots/sweep.gp - the trade-off of a sweep (`esmsim sweep`, SPEC section 5):
# the objective of each setting (p99 IteratorAge unless --objective says
# otherwise) against the values of the first varied parameter, one line per
# value of the second, and a ring around the settings that lose messages.
#
# Variables set by src/analysis/ranking.c (all strings): data (the data file), out (the
# SVG), title, xlabel (the first --vary path), ylabel, nlines (blocks in
# data), nlosing (points that lose messages), ymin and ymax (the smallest
# and the largest value: over two decades apart, the Y axis is logarithmic),
# ms ("1" when the values are milliseconds: the axis shows them in
# milliseconds to days, as the ages of `esmsim plot`: axes.gp).  data holds
# one block per line, separated by two blank lines: its title in quotes, then
# "X LABEL VALUE LOSES" rows (X: 0, 1, ... in --vary order; VALUE NaN for no
# value; LOSES 1 when the setting lost messages).

nlines = nlines + 0
nlosing = nlosing + 0
ymin = ymin + 0.0
ymax = ymax + 0.0
ms = ms + 0
load ARG0[1:strlen(ARG0) - strlen("sweep.gp")] . "axes.gp"
div = !ms ? 1 : age_div(ymax)
unit = !ms ? "" : " (" . age_unit(ymax) . ")"

set terminal svg size 1000,600 dynamic noenhanced font "Sans,11" background rgb "white"
set output out
set encoding utf8

set title title
set xlabel xlabel
set ylabel ylabel . unit
set format y "%g"
set offsets 0.25, 0.25, 0, 0
if (ymin > 0 && ymax >= 100 * ymin) {
    set logscale y
    set yrange [ymin / div / 1.5:ymax / div * 1.5]
} else {
    set yrange [0:*]
}
set border 3
set xtics out nomirror
set ytics out nomirror
set grid ytics lc rgb "#d8d8d8" lw 1 dt 1
set key below horizontal Left reverse samplen 2 spacing 1.2 width 2

palette = "#1f77b4 #2ca02c #9467bd #8c564b #e377c2 #17becf #bcbd22 #7f7f7f #aec7e8 #98df8a"
do for [i=1:words(palette)] {
    set style line i lw 2 pt 7 ps 0.9 lc rgb word(palette, i)
}

losing = nlosing > 0 ? ", data using 1:($4 > 0 ? $3 / div : NaN) with points pt 6 ps 2.2" \
                       . " lc rgb '#d62728' title 'loses messages'" : ""
eval "plot for [i=0:nlines-1] data index i using 1:($3 / div):xtic(2) with linespoints" \
     . " ls (i % 10 + 1) title columnheader(1)" . losing
