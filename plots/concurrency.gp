# plots/concurrency.gp - concurrent executions of the function (the
# per-second samples of the invocations running, stream-wide): maximum and
# mean per minute, with the marks of common.gp.  data: "max" then "mean"
# blocks of "SERIES MINUTE COUNT" rows.
plots = ARG0[1:strlen(ARG0) - strlen("concurrency.gp")]   # the directory of the scripts
load plots . "common.gp"

set style line 101 lw 2 lc rgb "#1f77b4"
set style line 102 lw 1.5 dt 2 lc rgb "#2ca02c"
set title sprintf("Concurrent executions (per minute): %s", run)
set ylabel "concurrent executions"
set yrange [0:(ymax > 0 ? ymax : 1) * 1.12]
eval bands . lines("for [i=1:nseries] data index (i-1) using 2:3 with lines" \
     . " ls (word(series,i) eq 'max' ? 101 : 102)" \
     . " title (word(series,i) eq 'max' ? 'maximum' : 'mean')") . marks
