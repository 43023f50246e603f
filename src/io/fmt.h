/*
 * fmt.h - numbers, times and text for people, shared by the commands' text output.
 */
#ifndef ESMSIM_FMT_H
#define ESMSIM_FMT_H

#include <stddef.h>
#include <stdint.h>

/* 1234567 -> "1,234,567" (and -1234 -> "-1,234") in buf, returned. */
const char *fmt_count(int64_t n, char buf[32]);

/* A number read from a file, with the fewest digits (6 to 17, %g) that give it
 * back: 1.0000001 is not "1", which would contradict a bound of 1; in buf, returned. */
const char *fmt_number(double d, char buf[32]);

/* Bytes in binary units: 1536 -> "1.5 KiB", 3e9 -> "2.8 GiB", in buf, returned. */
const char *fmt_bytes(double bytes, char buf[32]);

/*
 * s (NULL: "") as text that is safe to show on a terminal, in JSON or SVG,
 * in buf: valid UTF-8 is kept, but a control character (C0, DEL, the C1
 * controls U+0080 to U+009F) and a byte that is not UTF-8 become "\xNN"
 * (each byte); a text that does not fit is cut and ends in "...".  For text
 * read from a file (a run log is untrusted input).  len is at least 4.
 * Returns buf.
 */
#define FMT_TEXT_MAX 4096   /* room for any text esmsim writes (a key: 256 characters) */
const char *fmt_text(const char *s, char *buf, size_t len);

/* The directory of path in buf ("." for a bare file name), returned. */
const char *fmt_dir(const char *path, char *buf, size_t len);

/* What a file that is not a regular one is, from its st_mode: "a directory",
 * "a character device", "a FIFO", ... */
const char *fmt_file_kind(unsigned mode);

/* Virtual milliseconds as seconds with milliseconds: 600042 -> "600.042"
 * (a negative time, which only a crafted run log has, with its sign). */
const char *fmt_seconds(int64_t ms, char buf[32]);

/* A virtual duration in us (>= 0) as a scenario's duration is written, which
 * reads back as the same: "100000d", "26h", "90m", "45s", "250ms", "45.25s",
 * in buf, returned. */
const char *fmt_span(int64_t us, char buf[32]);

/* Virtual milliseconds, a time from the start or a span, to the millisecond
 * with every unit up to days, for a report read by people (it does not read
 * back as a duration): "7.500s", "1m01.600s", "2h00m00.000s",
 * "1d01h00m00.000s" (a negative time, which only a crafted run log has, with
 * its sign); in buf, returned. */
const char *fmt_span_ms(int64_t ms, char buf[32]);

#endif
