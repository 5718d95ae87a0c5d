/*
 * sanitize.h: makes untrusted text safe to put on a terminal.
 *
 * Removes C0/C1 controls (raw and UTF-8-encoded U+0080..U+009F), whole
 * ESC-introduced sequences (CSI, OSC, DCS, APC, PM, SOS, and two-byte ESC x),
 * CR/BS/BEL overwrite tricks; neutralises bidi controls (U+202A..U+202E,
 * U+2066..U+2069, U+200E/F, U+061C) and zero-width characters (U+200B..U+200D,
 * U+2060, U+FEFF); replaces invalid UTF-8 by U+FFFD (or '?' in ASCII mode).
 * Newlines and tabs become single spaces (one screen line per string).
 * Never splits a code point when truncating to a display width; wide
 * characters (CJK, emoji) count two columns.
 *
 * Pure: no I/O.
 */
#ifndef SWARMTOP_SANITIZE_H
#define SWARMTOP_SANITIZE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum SanitizeFlags {
	SANITIZE_ASCII = 1 << 0,   /* emit ASCII only: non-ASCII printable becomes '?' */
	SANITIZE_KEEP_NEWLINES = 1 << 1, /* keep '\n' (multi-line details pane) */
} SanitizeFlags;

/* Sanitize len bytes of in into out (cap bytes, always NUL-terminated when cap > 0),
 * stopping before max_cols display columns would be exceeded (max_cols < 0: no limit).
 * Returns the number of display columns written; *out_len gets the bytes written. */
int sanitize_text(const char *in, size_t len, char *out, size_t cap, int max_cols,
                  unsigned flags, size_t *out_len);

/* Display width of one code point: 0 (combining/zero-width), 1, or 2 (wide); -1 for controls. */
int sanitize_cp_width(uint32_t cp);

/* Decode one UTF-8 code point from s (len bytes). Returns bytes consumed (>= 1) and sets *cp,
 * or returns 1 and sets *cp = 0xFFFD for an invalid or truncated sequence. */
int sanitize_utf8_decode(const char *s, size_t len, uint32_t *cp);

/* Display width of a whole (already sanitized) UTF-8 string. */
int sanitize_width(const char *s);

/* How many of s's len bytes to keep for at most max bytes without splitting a UTF-8
 * sequence: len when it fits, else max backed off to the start of the sequence it cuts. */
size_t sanitize_utf8_cut(const char *s, size_t len, size_t max);

/* The "%.*s" precision that prints at most max bytes of the string s without splitting a
 * UTF-8 sequence. */
int sanitize_prec(const char *s, int max);

/* True when len bytes of s contain nothing sanitize_text would change. */
bool sanitize_is_clean(const char *s, size_t len);

#endif
