/*
 * fmt.h - numbers and times for people, shared by the commands' text output.
 */
#ifndef ESMSIM_FMT_H
#define ESMSIM_FMT_H

#include <stdint.h>

/* 1234567 -> "1,234,567" (and -1234 -> "-1,234") in buf, returned. */
const char *fmt_count(int64_t n, char buf[32]);

/* Virtual milliseconds as seconds with milliseconds: 600042 -> "600.042". */
const char *fmt_seconds(int64_t ms, char buf[32]);

#endif
