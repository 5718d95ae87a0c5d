/*
 * fmt.h: compact, fixed-width formatting of numbers for a dense dashboard:
 * counts ("1.2k", "3.4M"), money ("$0.042", "~$1.20"), durations ("12m03s"),
 * clock times ("14:03:59"), bytes, percentages, and the geometry of meters
 * and sparklines (how many cells to fill, which eighth block to draw).
 *
 * Every function writes into a caller buffer, always NUL-terminates when
 * cap > 0, and returns the length written (like snprintf, but never more
 * than cap - 1).
 *
 * Pure: no I/O, no clock, no locale (the decimal point is always '.').
 */
#ifndef SWARMTOP_FMT_H
#define SWARMTOP_FMT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A count in at most 5 characters: 999, 1.2k, 12.3k, 123k, 1.2M, ... up to E; negatives get '-'. */
int fmt_count(char *buf, size_t cap, int64_t n);

/* USD: "$0", "$0.0042", "$0.042", "$1.23", "$12.3", "$123", "$1.2k"; estimate prefixes '~'. */
int fmt_usd(char *buf, size_t cap, double usd, bool estimate);

/* A duration: "0s", "59s", "12m03s", "3h04m", "2d03h", "123d"; negative counts as 0. */
int fmt_duration(char *buf, size_t cap, int64_t ms);

/* Time of day (UTC) of an epoch-milliseconds instant: "HH:MM:SS". */
int fmt_clock(char *buf, size_t cap, int64_t epoch_ms);

/* Bytes: "512B", "1.2K", "34M", "1.0G" (powers of 1024). */
int fmt_bytes(char *buf, size_t cap, int64_t n);

/* A fraction 0..1 as a percentage with one decimal: "42.1%", "100%" (clamped 0..999). */
int fmt_percent(char *buf, size_t cap, double frac);

/* Cells to fill for frac (0..1, clamped) of width cells; any non-zero value fills at least one. */
int fmt_bar_fill(double frac, int width);

/* Sparkline level 0..8 for v against max: 0 only for v <= 0; anything above 0 is >= 1. */
int fmt_spark_level(double v, double max);

/* A sparkline of n values (scaled to their maximum, or to max when max > 0) as UTF-8 eighth
 * blocks (level 0 is a space), or ASCII (" .:-=+*#%") when ascii. */
int fmt_spark(char *buf, size_t cap, const double *v, int n, double max, bool ascii);

/* An htop-style meter of exactly width columns: "[|||||||      42.1%]" (the percentage is
 * right-aligned inside the brackets when it fits). */
int fmt_meter(char *buf, size_t cap, double frac, int width);

#endif
