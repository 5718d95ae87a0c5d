/*
 * fmt.c: compact number, money, duration, clock, byte and percentage
 * formatting, and meter/sparkline geometry, for the views.
 *
 * Owns: turning numbers into short strings of a bounded width.
 * Must not: allocate, read the clock, depend on the locale, or draw (the
 * canvas draws; fmt only says what to draw).
 */
#include "swarmtop/fmt.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* snprintf that returns the length actually stored (0..cap-1). */
__attribute__((format(printf, 3, 4)))
static int put(char *buf, size_t cap, const char *fmt, ...)
{
	if (!buf || cap == 0)
		return 0;
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, cap, fmt, ap);
	va_end(ap);
	if (n < 0) {
		buf[0] = '\0';
		return 0;
	}
	return (size_t)n >= cap ? (int)cap - 1 : n;
}

static const char count_units[] = "kMGTPE";

/* Format a count in at most 5 characters (6 with a minus sign). */
int fmt_count(char *buf, size_t cap, int64_t n)
{
	const char *sign = "";
	uint64_t u;
	if (n < 0) {
		sign = "-";
		u = (uint64_t)(-(n + 1)) + 1;
	} else {
		u = (uint64_t)n;
	}
	if (u < 1000)
		return put(buf, cap, "%s%u", sign, (unsigned)u);
	double v = (double)u;
	for (size_t i = 0; i < sizeof count_units - 1; i++) {
		v /= 1000.0;
		if (v < 99.95)
			return put(buf, cap, "%s%.1f%c", sign, v, count_units[i]);
		if (v < 999.5)
			return put(buf, cap, "%s%.0f%c", sign, v, count_units[i]);
	}
	return put(buf, cap, "%s%.0fE", sign, v * 1000.0);
}

/* Format US dollars with precision that suits the magnitude; '~' marks an estimate. */
int fmt_usd(char *buf, size_t cap, double usd, bool estimate)
{
	const char *pre = estimate ? "~$" : "$";
	if (!isfinite(usd) || usd <= 0.0)
		return put(buf, cap, "%s0.00", pre);
	if (usd < 0.00995)
		return put(buf, cap, "%s%.4f", pre, usd);
	if (usd < 0.09995)
		return put(buf, cap, "%s%.3f", pre, usd);
	if (usd < 99.995)
		return put(buf, cap, "%s%.2f", pre, usd);
	if (usd < 9999.5)
		return put(buf, cap, "%s%.0f", pre, usd);
	if (usd < 999.95e3)
		return put(buf, cap, "%s%.1fk", pre, usd / 1e3);
	if (usd < 999.95e6)
		return put(buf, cap, "%s%.1fM", pre, usd / 1e6);
	return put(buf, cap, "%s%.3gG", pre, usd / 1e9);
}

/* Format a duration in its two most significant units. */
int fmt_duration(char *buf, size_t cap, int64_t ms)
{
	int64_t s = ms > 0 ? ms / 1000 : 0;
	if (s < 60)
		return put(buf, cap, "%llds", (long long)s);
	if (s < 3600)
		return put(buf, cap, "%lldm%02llds", (long long)(s / 60), (long long)(s % 60));
	if (s < 86400)
		return put(buf, cap, "%lldh%02lldm", (long long)(s / 3600),
		           (long long)(s % 3600 / 60));
	if (s < 100 * 86400LL)
		return put(buf, cap, "%lldd%02lldh", (long long)(s / 86400),
		           (long long)(s % 86400 / 3600));
	return put(buf, cap, "%lldd", (long long)(s / 86400));
}

/* Format the UTC time of day of an epoch-milliseconds instant. */
int fmt_clock(char *buf, size_t cap, int64_t epoch_ms)
{
	int64_t s = epoch_ms / 1000;
	int64_t d = s % 86400;
	if (d < 0)
		d += 86400;
	return put(buf, cap, "%02d:%02d:%02d", (int)(d / 3600), (int)(d % 3600 / 60),
	           (int)(d % 60));
}

static const char byte_units[] = "KMGTPE";

/* Format a byte count with binary units. */
int fmt_bytes(char *buf, size_t cap, int64_t n)
{
	if (n < 0)
		n = 0;
	if (n < 1024)
		return put(buf, cap, "%lldB", (long long)n);
	double v = (double)n;
	for (size_t i = 0; i < sizeof byte_units - 1; i++) {
		v /= 1024.0;
		if (v < 9.95)
			return put(buf, cap, "%.1f%c", v, byte_units[i]);
		if (v < 1023.5)
			return put(buf, cap, "%.0f%c", v, byte_units[i]);
	}
	return put(buf, cap, "%.0fE", v * 1024.0);
}

/* Format a 0..1 fraction as a percentage. */
int fmt_percent(char *buf, size_t cap, double frac)
{
	double p = isfinite(frac) ? frac * 100.0 : 0.0;
	if (p < 0.0)
		p = 0.0;
	if (p > 999.0)
		p = 999.0;
	if (p >= 99.95)
		return put(buf, cap, "%.0f%%", p);
	return put(buf, cap, "%.1f%%", p);
}

/* Number of filled cells for a fraction of a bar. */
int fmt_bar_fill(double frac, int width)
{
	if (width <= 0 || !isfinite(frac) || frac <= 0.0)
		return 0;
	if (frac >= 1.0)
		return width;
	int n = (int)lround(frac * width);
	if (n < 1)
		n = 1;
	return n > width ? width : n;
}

/* Eighth-block level of v relative to max. */
int fmt_spark_level(double v, double max)
{
	if (!isfinite(v) || v <= 0.0 || !isfinite(max) || max <= 0.0)
		return 0;
	if (v >= max)
		return 8;
	int l = (int)ceil(v / max * 8.0);
	return l < 1 ? 1 : (l > 8 ? 8 : l);
}

static const char spark_ascii[] = " .:-=+*#%";

/* Render a sparkline as text. */
int fmt_spark(char *buf, size_t cap, const double *v, int n, double max, bool ascii)
{
	if (!buf || cap == 0)
		return 0;
	buf[0] = '\0';
	if (max <= 0.0) {
		for (int i = 0; i < n; i++)
			if (isfinite(v[i]) && v[i] > max)
				max = v[i];
	}
	size_t len = 0;
	for (int i = 0; i < n; i++) {
		int l = fmt_spark_level(v[i], max);
		char tmp[4];
		size_t k;
		if (ascii || l == 0) {
			tmp[0] = ascii ? spark_ascii[l] : ' ';
			k = 1;
		} else {
			/* U+2581..U+2588 in UTF-8: E2 96 81..88 */
			tmp[0] = (char)0xE2;
			tmp[1] = (char)0x96;
			tmp[2] = (char)(0x80 + l);
			k = 3;
		}
		if (len + k >= cap)
			break;
		memcpy(buf + len, tmp, k);
		len += k;
	}
	buf[len] = '\0';
	return (int)len;
}

/* Render an htop-style meter of exactly width columns. */
int fmt_meter(char *buf, size_t cap, double frac, int width)
{
	if (!buf || cap == 0)
		return 0;
	if (width < 2 || (size_t)width >= cap) {
		buf[0] = '\0';
		return 0;
	}
	int inner = width - 2;
	int fill = fmt_bar_fill(frac, inner);
	buf[0] = '[';
	for (int i = 0; i < inner; i++)
		buf[1 + i] = i < fill ? '|' : ' ';
	char pct[16];
	int pl = fmt_percent(pct, sizeof pct, frac);
	if (pl <= inner)
		memcpy(buf + 1 + inner - pl, pct, (size_t)pl);
	buf[width - 1] = ']';
	buf[width] = '\0';
	return width;
}
