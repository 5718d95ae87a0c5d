/*
 * canvas.h: an off-screen grid of cells (code point + semantic element).
 *
 * Views draw into a Canvas; crt paints a Canvas onto the terminal; golden
 * tests turn a Canvas into text. Every string that enters a canvas passes
 * through sanitize: it is the one choke point between wire text and the
 * screen. In ASCII mode (--ascii, non-UTF-8 locale) box glyphs and non-ASCII
 * text become ASCII.
 *
 * Pure: no I/O.
 */
#ifndef SWARMTOP_CANVAS_H
#define SWARMTOP_CANVAS_H

#include <stdbool.h>
#include <stdint.h>

#include "swarmtop/theme.h"

typedef struct Cell {
	uint32_t cp;        /* code point; 0 = the right half of a wide character */
	uint16_t el;        /* Element */
} Cell;

typedef struct Canvas {
	int w, h;
	Cell *cells;        /* w * h, row-major */
	bool ascii;
} Canvas;

typedef struct Rect {
	int x, y, w, h;
} Rect;

typedef enum Glyph {
	GLYPH_HLINE, GLYPH_VLINE, GLYPH_TL, GLYPH_TR, GLYPH_BL, GLYPH_BR,
	GLYPH_TEE_LEFT, GLYPH_TEE_RIGHT, GLYPH_TEE_UP, GLYPH_TEE_DOWN, GLYPH_CROSS,
	GLYPH_ARROW_DOWN, GLYPH_ARROW_RIGHT, GLYPH_BULLET, GLYPH_ELLIPSIS,
	GLYPH_TREE_MID, GLYPH_TREE_LAST, GLYPH_TREE_PIPE,
	GLYPH_BAR_FULL, GLYPH_SPARK_BASE,   /* SPARK_BASE..+7: eighth blocks */
	/* TEE_LEFT is the tee on a left edge (U+251C), TEE_RIGHT on a right edge (U+2524),
	 * TEE_DOWN opens downwards (U+252C), TEE_UP upwards (U+2534). */
	GLYPH_COUNT = GLYPH_SPARK_BASE + 8
} Glyph;

/* Allocate a w x h canvas (cleared). NULL when out of memory. */
Canvas *canvas_new(int w, int h, bool ascii);

/* Free it. */
void canvas_free(Canvas *c);

/* Change the size (contents cleared). Returns 0 or -1. */
int canvas_resize(Canvas *c, int w, int h);

/* Fill every cell with a space of element el. */
void canvas_clear(Canvas *c, Element el);

/* Set one cell (clipped). */
void canvas_set(Canvas *c, int x, int y, uint32_t cp, Element el);

/* The code point for a glyph in this canvas's mode (box drawing or ASCII). */
uint32_t canvas_glyph(const Canvas *c, Glyph g);

/* Draw untrusted UTF-8 text at (x, y), at most maxw columns, sanitized; a wide character
 * that would straddle the limit is not drawn. Returns the columns used. */
int canvas_text(Canvas *c, int x, int y, int maxw, Element el, const char *s);

/* Like canvas_text, but truncates with an ellipsis when the text is wider than maxw. */
int canvas_text_ellipsis(Canvas *c, int x, int y, int maxw, Element el, const char *s);

/* printf into the canvas (the formatted result is sanitized like any text). */
int canvas_printf(Canvas *c, int x, int y, int maxw, Element el, const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));

/* Fill a rectangle with one code point. */
void canvas_fill(Canvas *c, Rect r, uint32_t cp, Element el);

/* Draw a box border around r, with an optional title in the top edge. */
void canvas_box(Canvas *c, Rect r, Element el, const char *title);

/* Change the element of every cell in a row span (selection highlight). */
void canvas_paint(Canvas *c, int x, int y, int w, Element el);

/* Render as text: one line per row, UTF-8, trailing spaces trimmed. malloc'd. */
char *canvas_to_text(const Canvas *c);

/* The cell at (x, y), or NULL when outside. */
const Cell *canvas_cell(const Canvas *c, int x, int y);

/* An htop-style meter "[||||||    42.1%]" of exactly w columns at (x, y): fill coloured
 * EL_METER_LOW/MID/HIGH by position along the bar, the rest EL_METER_EMPTY, brackets and
 * percentage in text_el. */
void canvas_meter(Canvas *c, int x, int y, int w, double frac, Element text_el);

/* A sparkline of the last w of n values (right-aligned, eighth blocks), scaled to max
 * (max <= 0: to the largest value). */
void canvas_spark(Canvas *c, int x, int y, int w, Element el, const double *v, int n,
                  double max);

/* Display width the text would take once sanitized (ASCII mode when ascii). */
int canvas_text_width(const char *s, bool ascii);

#endif
