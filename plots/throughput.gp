# plots/throughput.gp - records per minute: written to the stream, given to
# the function (retries included), and in invocations that succeeded, with
# the marks of common.gp.  data: "written", "delivered", "succeeded" blocks
# (those that have rows) of "SERIES MINUTE RECORDS" rows.
plots = ARG0[1:strlen(ARG0) - strlen("throughput.gp")]   # the directory of the scripts
load plots . "common.gp"

set style line 101 lw 3 lc rgb "#9a9a9a"
set style line 102 lw 1.5 lc rgb "#ff7f0e"
set style line 103 lw 1.5 lc rgb "#1f77b4"
style(s) = s eq "written" ? 101 : s eq "delivered" ? 102 : 103
name(s) = s eq "written" ? "written to the stream" \
        : s eq "delivered" ? "delivered to the function (retries included)" \
        : "in successful invocations"
set title sprintf("Records per minute: %s", run)
set ylabel "records per minute"
y_top = (ymax > 0 ? ymax : 1) * 1.12
set yrange [0:y_top]
eval count_tics(y_top)
eval bands . lines("for [i=1:nseries] data index (i-1) using 2:3 with lines" \
     . " ls style(word(series,i)) title name(word(series,i))") . marks
