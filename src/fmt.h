/*
 * fmt.h - numbers for people, shared by the commands' text output.
 */
#ifndef ESMSIM_FMT_H
#define ESMSIM_FMT_H

#include <stdint.h>

/* 1234567 -> "1,234,567" (and -1234 -> "-1,234") in buf, returned. */
const char *fmt_count(int64_t n, char buf[32]);

/* Bytes in binary units: 1536 -> "1.5 KiB", 3e9 -> "2.8 GiB", in buf, returned. */
const char *fmt_bytes(double bytes, char buf[32]);

#endif
