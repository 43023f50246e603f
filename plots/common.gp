# plots/common.gp - what every chart of `esmsim plot` shares (SPEC section 5),
# loaded by the chart scripts of this directory: the terminal (SVG or PNG),
# the X axis of simulated time (minutes, hours or days: axes.gp), and the run's
# events drawn over the chart: the mapping disabled and the function failing
# (shaded bands), reshards (dashed vertical lines), OnFailure messages
# (discards) and retention expiries (marks along the top edge, one per minute
# that has any).
#
# Variables set by the chart script: plots (the directory of the scripts).
# Set by src/analysis/plot.c (all strings): format ("svg" or "png"), out,
# run (the title's "scenario, run N"), xmax (minutes), and for each mark
# file NAME (its path) and nNAME (its rows): disabled, failing, reshards,
# discards, expiries; discarded (batches).  Data files hold "SERIES X VALUE"
# rows (marks of spans: "SERIES FROM TO", in minutes).
#
# Defines for the chart: bands (the start of a plot command, shaded spans
# first so that lines go over them), lines(cmd) (the chart's series), marks
# (the end), line styles 1-10 (one per shard, cycling), axes.gp's functions,
# and for the charts of ages (data: "SHARD MINUTE MS" rows, a block per shard
# and the "all" block last) age_series (the shards' lines and the overall
# maximum, in the unit of age_div(ymax) and age_unit(ymax), a lone point
# marked: axes.gp's line_start).

ndisabled = ndisabled + 0
nfailing = nfailing + 0
nreshards = nreshards + 0
ndiscards = ndiscards + 0
nexpiries = nexpiries + 0
discarded = discarded + 0
nseries = nseries + 0
ymax = ymax + 0.0
xmax = xmax + 0.0
load plots . "axes.gp"

if (format eq "png") {
    set terminal pngcairo size 1200,675 enhanced font "Sans,11" background rgb "white"
} else {
    set terminal svg size 1200,675 dynamic enhanced font "Sans,11" background rgb "white"
}
set output out
set encoding utf8

set xrange [0:(xmax > 0 ? xmax : 1)]
set border 3
set xtics out nomirror
set ytics out nomirror
set xlabel "simulated time (" . time_unit(xmax) . ")"
eval time_tics(xmax)
set grid xtics ytics lc rgb "#d8d8d8" lw 1 dt 1
set key below horizontal Left reverse samplen 2 spacing 1.1 width 2 height 1
set y2range [0:1]
unset y2tics
set style fill transparent solid 0.3 noborder

palette = "#1f77b4 #2ca02c #9467bd #8c564b #e377c2 #17becf #bcbd22 #7f7f7f #aec7e8 #98df8a"
do for [i=1:words(palette)] {
    set style line i lw 1.5 lc rgb word(palette, i)
}
set style line 100 lw 2 dt 2 lc rgb "black"

# Past 16 shards the key names only the overall line (with the count).
age_many = nseries > 17
age_title(s) = s eq "all" ? (age_many ? sprintf("all %d shards (one line each)", nseries - 1) \
                                      : "all shards") \
             : age_many ? "" : s
age_style = "ls (word(series,i) eq 'all' ? 100 : (i-1) % 10 + 1)"
age_series = "for [i=1:nseries] data index (i-1) using 2:($3/age_div(ymax)) with lines " . age_style \
           . " title age_title(word(series,i)), for [i=1:nseries] data index (i-1)" \
           . " using 2:(line_start($3/age_div(ymax))) with points " . age_style . " pt 7 ps 0.5 notitle"

# Spans cover the whole height: boxes on the second Y axis, from 0 to 1.
band = "using (($2+$3)/2):(0.5):(($3-$2)/2):(0.5) axes x1y2 with boxxyerror"
bands = "plot NaN notitle"
if (ndisabled > 0) {
    bands = bands . ", disabled " . band . " lc rgb '#8c8c8c' fs transparent pattern 4 noborder" \
          . " title 'mapping disabled'"
}
if (nfailing > 0) {
    bands = bands . ", failing " . band . " lc rgb '#f4a6a6' title 'function failing (outage)'"
}
# The chart's series, when it has any (gnuplot reads the file even for an
# empty `for`, and warns).
lines(cmd) = nseries > 0 ? ", " . cmd : ""
if (nseries == 0) {
    set label 1 "no data in this run" at graph 0.5, 0.5 center textcolor rgb "#808080"
}

marks = ""
if (nreshards > 0) {
    marks = marks . ", reshards using 2:(0):(0):(1) axes x1y2 with vectors nohead dt 2 lw 1.5" \
          . " lc rgb '#444444' title 'reshard'"
}
if (ndiscards > 0) {
    marks = marks . ", discards using 2:(0.965) axes x1y2 with points pt 9 ps 1.3 lc rgb '#d62728'" \
          . sprintf(" title 'OnFailure messages (%d)'", discarded)
}
if (nexpiries > 0) {
    marks = marks . ", expiries using 2:(0.925) axes x1y2 with points pt 11 ps 1.3" \
          . " lc rgb '#ff7f0e' title 'records expired (retention)'"
}
