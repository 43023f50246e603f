# plots/axes.gp - the axes the charts share (SPEC section 5), loaded by
# common.gp (`esmsim plot`), compare.gp and sweep.gp: functions only, each
# chart sets its own axes with them.
#
# time_unit(xmax) and time_tics(xmax): the X axis of a run of xmax minutes;
# age_div(ms) and age_unit(ms) (age_abbrev(ms)): the unit of an axis of ages
# whose largest value is ms milliseconds; nice_step(span), count_label(v)
# and count_tics(top): tics of counts; line_start(y): the marks of lone points.

# A step of 1, 2 or 5 times a power of ten that cuts span into five to ten.
nice_step(span) = (step_r = span / 10.0, step_p = 10 ** floor(log10(step_r)), \
                   step_p * (step_r <= step_p ? 1 : step_r <= 2 * step_p ? 2 : step_r <= 5 * step_p ? 5 : 10))
# A count with k or M, exactly: 1.5k, not 2k.
count_label(v) = v >= 1e6 ? sprintf("%gM", v / 1e6) : v >= 1e3 ? sprintf("%gk", v / 1e3) : sprintf("%g", v)
# The Y tics of counts from 0 to top, nice_step apart (`eval count_tics(top)`).
count_tics(top) = "set ytics (" . count_tics_from(0, nice_step(top), int(top / nice_step(top) + 1e-9)) . ")"
count_tics_from(k, step, n) = sprintf("\"%s\" %.17g", count_label(k * step), k * step) \
                            . (k >= n ? "" : ", " . count_tics_from(k + 1, step, n))

# The time axis: minutes up to 5 hours, hours up to 3 days, days beyond (a
# month is 30 days, not 43,200 minutes).  The data stay in minutes: in hours
# or days the tics are placed in minutes and labelled in the unit (`eval
# time_tics(xmax)`), in minutes they are gnuplot's own, with minor tics.
time_per(xmax) = xmax <= 300 ? 1 : xmax <= 4320 ? 60 : 1440
time_unit(xmax) = time_per(xmax) == 1 ? "minutes" : time_per(xmax) == 60 ? "hours" : "days"
time_tics(xmax) = time_per(xmax) == 1 ? "set mxtics" : "set xtics (" . \
    tics_from(0, nice_step(xmax / time_per(xmax)), time_per(xmax), \
              int(xmax / time_per(xmax) / nice_step(xmax / time_per(xmax)) + 1e-9)) . ")"
# The tics k to n: "LABEL" POSITION, step apart in the unit, per minutes to the unit.
tics_from(k, step, per, n) = sprintf("\"%g\" %.17g", k * step, k * step * per) \
                           . (k >= n ? "" : ", " . tics_from(k + 1, step, per, n))

# Ages, in milliseconds (as CloudWatch records IteratorAge) under 2 seconds,
# then seconds, minutes from 2 minutes, hours from 2 hours, days from 2 days
# (MaximumRecordAgeInSeconds goes up to 7 days, Kinesis retention up to 365):
# the axis shows value / age_div(ms), its label names age_unit(ms).
age_rank(ms) = ms < 2000 ? 1 : ms < 120000 ? 2 : ms < 7200000 ? 3 : ms < 172800000 ? 4 : 5
age_div(ms) = word("1 1000 60000 3600000 86400000", age_rank(ms)) + 0
age_unit(ms) = word("milliseconds seconds minutes hours days", age_rank(ms))
age_abbrev(ms) = word("ms s min h days", age_rank(ms))

# A line's lone points: `with lines` draws nothing for a point between two
# gaps (blank lines), as a shard stuck on a batch retried hourly has them.
# line_start(y) is y on a row that starts a line (a block's first, or the
# first after a gap: column(-1) counts the gaps), else NaN: drawn `with
# points`, it marks every lone point, and where a line starts.
line_start(y) = (line_s = column(0) == 0 || column(-1) != line_b, line_b = column(-1), line_s ? y : NaN)
