# plots/iterator-age.gp - IteratorAge over time as CloudWatch shows it
# (SPEC section 5, R14): the maximum per minute of each shard and of all
# shards, with the marks of common.gp.  data: "SHARD MINUTE MS" rows, a block
# per shard and the "all" block last; series: their names in that order;
# ymax: the largest value (ms); age_at: "completion" (R14: when the
# invocation completes) or "send" (when the event is sent to the function).
plots = ARG0[1:strlen(ARG0) - strlen("iterator-age.gp")]   # the directory of the scripts
load plots . "common.gp"

set title sprintf("IteratorAge at %s (maximum per minute): %s", age_at, run)
set ylabel sprintf("IteratorAge at %s (%s)", age_at, age_unit(ymax))
set yrange [0:(ymax > 0 ? ymax : 1000) * 1.12 / age_div(ymax)]
eval bands . lines(age_series) . marks
