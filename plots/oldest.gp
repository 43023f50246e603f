# plots/oldest.gp - the age of the oldest record not yet checkpointed (R14:
# what shows a blocked shard), the maximum per minute of the per-second
# samples, per shard and over all shards, with the marks of common.gp.
# data: "SHARD MINUTE MS" rows, a block per shard and the "all" block last.
plots = ARG0[1:strlen(ARG0) - strlen("oldest.gp")]   # the directory of the scripts
load plots . "common.gp"

set title sprintf("Age of the oldest unprocessed record (maximum per minute): %s", run)
set ylabel sprintf("oldest unprocessed record age (%s)", age_unit(ymax))
set yrange [0:(ymax > 0 ? ymax : 1000) * 1.12 / age_div(ymax)]
eval bands . lines(age_series) . marks
