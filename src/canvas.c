/*
 * canvas.c: the off-screen cell grid the views draw into.
 *
 * Owns: the cells, clipping, wide-character bookkeeping (a wide character is
 * a cell with its code point followed by a cell with cp 0), the glyph table
 * (box drawing or ASCII), meters, sparklines and the text rendering used by
 * golden tests.
 * Must not: let any byte reach a cell without passing sanitize_text (every
 * string is hostile), put a non-ASCII code point in an ASCII canvas, or do
 * I/O.
 */
#include "swarmtop/canvas.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "swarmtop/fmt.h"
#include "swarmtop/sanitize.h"

typedef struct GlyphDef {
	uint32_t uni;
	char ascii;
} GlyphDef;

static const GlyphDef glyphs[GLYPH_COUNT] = {
	[GLYPH_HLINE] = {0x2500, '-'},       [GLYPH_VLINE] = {0x2502, '|'},
	[GLYPH_TL] = {0x250C, '+'},          [GLYPH_TR] = {0x2510, '+'},
	[GLYPH_BL] = {0x2514, '+'},          [GLYPH_BR] = {0x2518, '+'},
	[GLYPH_TEE_LEFT] = {0x251C, '+'},    [GLYPH_TEE_RIGHT] = {0x2524, '+'},
	[GLYPH_TEE_UP] = {0x2534, '+'},      [GLYPH_TEE_DOWN] = {0x252C, '+'},
	[GLYPH_CROSS] = {0x253C, '+'},       [GLYPH_ARROW_DOWN] = {0x25BC, 'v'},
	[GLYPH_ARROW_RIGHT] = {0x25B6, '>'}, [GLYPH_BULLET] = {0x25CF, '*'},
	[GLYPH_ELLIPSIS] = {0x2026, '~'},    [GLYPH_TREE_MID] = {0x251C, '|'},
	[GLYPH_TREE_LAST] = {0x2514, '`'},   [GLYPH_TREE_PIPE] = {0x2502, '|'},
	[GLYPH_BAR_FULL] = {0x2588, '#'},
	[GLYPH_SPARK_BASE + 0] = {0x2581, '.'}, [GLYPH_SPARK_BASE + 1] = {0x2582, ':'},
	[GLYPH_SPARK_BASE + 2] = {0x2583, '-'}, [GLYPH_SPARK_BASE + 3] = {0x2584, '='},
	[GLYPH_SPARK_BASE + 4] = {0x2585, '+'}, [GLYPH_SPARK_BASE + 5] = {0x2586, '*'},
	[GLYPH_SPARK_BASE + 6] = {0x2587, '#'}, [GLYPH_SPARK_BASE + 7] = {0x2588, '%'},
};

/* Allocate a cleared canvas. */
Canvas *canvas_new(int w, int h, bool ascii)
{
	Canvas *c = calloc(1, sizeof *c);
	if (!c)
		return NULL;
	c->ascii = ascii;
	if (canvas_resize(c, w, h) != 0) {
		free(c);
		return NULL;
	}
	return c;
}

/* Free a canvas. */
void canvas_free(Canvas *c)
{
	if (!c)
		return;
	free(c->cells);
	free(c);
}

/* Resize and clear. */
int canvas_resize(Canvas *c, int w, int h)
{
	if (w < 0 || h < 0 || (w > 0 && h > 0 && (size_t)w > SIZE_MAX / sizeof(Cell) / (size_t)h))
		return -1;
	size_t n = (size_t)w * (size_t)h;
	Cell *cells = malloc(n ? n * sizeof *cells : 1);
	if (!cells)
		return -1;
	free(c->cells);
	c->cells = cells;
	c->w = w;
	c->h = h;
	canvas_clear(c, EL_DEFAULT);
	return 0;
}

/* Fill every cell with a space of element el. */
void canvas_clear(Canvas *c, Element el)
{
	size_t n = (size_t)c->w * (size_t)c->h;
	for (size_t i = 0; i < n; i++)
		c->cells[i] = (Cell){' ', (uint16_t)el};
}

/* The cell at (x, y), or NULL. */
const Cell *canvas_cell(const Canvas *c, int x, int y)
{
	if (!c || x < 0 || y < 0 || x >= c->w || y >= c->h)
		return NULL;
	return &c->cells[(size_t)y * (size_t)c->w + (size_t)x];
}

/* Write a cell of width 1 or 2, repairing any wide character it cuts in half. */
static void put_cell(Canvas *c, int x, int y, uint32_t cp, Element el, int width)
{
	Cell *row = &c->cells[(size_t)y * (size_t)c->w];
	if (c->ascii && cp > 0x7e)
		cp = '?';
	for (int i = x; i < x + width; i++) {
		if (row[i].cp == 0 && i > 0)          /* cutting the right half of a wide char */
			row[i - 1].cp = ' ';
		if (i + 1 < c->w && row[i + 1].cp == 0 && i + 1 >= x + width)
			row[i + 1].cp = ' ';          /* cutting the left half */
	}
	row[x] = (Cell){cp, (uint16_t)el};
	if (width == 2)
		row[x + 1] = (Cell){0, (uint16_t)el};
}

/* Set one cell, clipped. */
void canvas_set(Canvas *c, int x, int y, uint32_t cp, Element el)
{
	if (!c || x < 0 || y < 0 || x >= c->w || y >= c->h)
		return;
	if (cp < 0x20 || (cp >= 0x7f && (cp < 0xa0 || sanitize_cp_width(cp) != 1)))
		cp = c->ascii ? '?' : 0xFFFD;
	put_cell(c, x, y, cp, el, 1);
}

/* The code point for a glyph. */
uint32_t canvas_glyph(const Canvas *c, Glyph g)
{
	if ((int)g < 0 || g >= GLYPH_COUNT)
		return '?';
	return c->ascii ? (uint32_t)glyphs[g].ascii : glyphs[g].uni;
}

/* Draw sanitized UTF-8 (already clean) cell by cell, stopping at maxw columns. */
static int draw_clean(Canvas *c, int x, int y, int maxw, Element el, const char *s, size_t len)
{
	int col = 0;
	size_t i = 0;
	while (i < len) {
		uint32_t cp;
		int k = sanitize_utf8_decode(s + i, len - i, &cp);
		i += (size_t)k;
		int cw = sanitize_cp_width(cp);
		if (cw <= 0)
			continue;
		if (col + cw > maxw)
			break;
		put_cell(c, x + col, y, cp, el, cw);
		col += cw;
	}
	return col;
}

/* Columns available from x to the right edge within maxw, or 0 when (x, y) is outside. */
static int clip_width(const Canvas *c, int x, int y, int maxw)
{
	if (!c || y < 0 || y >= c->h || x < 0 || x >= c->w || maxw <= 0)
		return 0;
	return maxw < c->w - x ? maxw : c->w - x;
}

/* Sanitize s into buf for at most cols columns; returns the columns. */
static int clean(const Canvas *c, const char *s, char *buf, size_t cap, int cols, size_t *len)
{
	return sanitize_text(s, strlen(s), buf, cap, cols, c->ascii ? SANITIZE_ASCII : 0, len);
}

#define TEXT_BUF 8192

/* Draw untrusted text, sanitized and clipped. */
int canvas_text(Canvas *c, int x, int y, int maxw, Element el, const char *s)
{
	int w = clip_width(c, x, y, maxw);
	if (!s || w == 0)
		return 0;
	char buf[TEXT_BUF];
	size_t len = 0;
	int cols = w < TEXT_BUF / 4 - 4 ? w : TEXT_BUF / 4 - 4;
	clean(c, s, buf, sizeof buf, cols, &len);
	return draw_clean(c, x, y, w, el, buf, len);
}

/* Draw untrusted text, truncated with an ellipsis when it does not fit. */
int canvas_text_ellipsis(Canvas *c, int x, int y, int maxw, Element el, const char *s)
{
	int w = clip_width(c, x, y, maxw);
	if (!s || w == 0)
		return 0;
	char buf[TEXT_BUF];
	size_t len = 0;
	int lim = w < TEXT_BUF / 4 - 8 ? w : TEXT_BUF / 4 - 8;
	/* Two spare columns: if the result still fits in w, nothing was cut. */
	int cols = clean(c, s, buf, sizeof buf, lim + 2, &len);
	if (cols <= w)
		return draw_clean(c, x, y, w, el, buf, len);
	int used = draw_clean(c, x, y, w - 1, el, buf, len);
	put_cell(c, x + used, y, canvas_glyph(c, GLYPH_ELLIPSIS), EL_DIM, 1);
	return used + 1;
}

/* printf into the canvas, sanitized. */
int canvas_printf(Canvas *c, int x, int y, int maxw, Element el, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	if (n < 0)
		return 0;
	return canvas_text(c, x, y, maxw, el, buf);
}

/* Fill a rectangle (clipped) with one code point. */
void canvas_fill(Canvas *c, Rect r, uint32_t cp, Element el)
{
	for (int y = r.y; y < r.y + r.h; y++)
		for (int x = r.x; x < r.x + r.w; x++)
			canvas_set(c, x, y, cp, el);
}

/* Draw a border around r with an optional title. */
void canvas_box(Canvas *c, Rect r, Element el, const char *title)
{
	if (r.w < 2 || r.h < 2)
		return;
	int x1 = r.x + r.w - 1, y1 = r.y + r.h - 1;
	for (int x = r.x + 1; x < x1; x++) {
		canvas_set(c, x, r.y, canvas_glyph(c, GLYPH_HLINE), el);
		canvas_set(c, x, y1, canvas_glyph(c, GLYPH_HLINE), el);
	}
	for (int y = r.y + 1; y < y1; y++) {
		canvas_set(c, r.x, y, canvas_glyph(c, GLYPH_VLINE), el);
		canvas_set(c, x1, y, canvas_glyph(c, GLYPH_VLINE), el);
	}
	canvas_set(c, r.x, r.y, canvas_glyph(c, GLYPH_TL), el);
	canvas_set(c, x1, r.y, canvas_glyph(c, GLYPH_TR), el);
	canvas_set(c, r.x, y1, canvas_glyph(c, GLYPH_BL), el);
	canvas_set(c, x1, y1, canvas_glyph(c, GLYPH_BR), el);
	if (title && *title && r.w > 6) {
		canvas_set(c, r.x + 1, r.y, ' ', el);
		int n = canvas_text_ellipsis(c, r.x + 2, r.y, r.w - 5, EL_TITLE, title);
		canvas_set(c, r.x + 2 + n, r.y, ' ', el);
	}
}

/* Repaint the element of a row span. */
void canvas_paint(Canvas *c, int x, int y, int w, Element el)
{
	if (!c || y < 0 || y >= c->h)
		return;
	for (int i = x < 0 ? 0 : x; i < x + w && i < c->w; i++)
		c->cells[(size_t)y * (size_t)c->w + (size_t)i].el = (uint16_t)el;
}

/* Append cp to out as UTF-8. */
static size_t utf8_put(char *out, uint32_t cp)
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xC0 | (cp >> 6));
		out[1] = (char)(0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xE0 | (cp >> 12));
		out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
		out[2] = (char)(0x80 | (cp & 0x3F));
		return 3;
	}
	out[0] = (char)(0xF0 | (cp >> 18));
	out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
	out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
	out[3] = (char)(0x80 | (cp & 0x3F));
	return 4;
}

/* The canvas as UTF-8 text, one line per row, trailing spaces trimmed. */
char *canvas_to_text(const Canvas *c)
{
	size_t cap = (size_t)c->w * (size_t)c->h * 4 + (size_t)c->h + 1;
	char *out = malloc(cap);
	if (!out)
		return NULL;
	size_t n = 0;
	for (int y = 0; y < c->h; y++) {
		size_t line = n, keep = n;
		for (int x = 0; x < c->w; x++) {
			uint32_t cp = c->cells[(size_t)y * (size_t)c->w + (size_t)x].cp;
			if (cp == 0)
				continue;
			n += utf8_put(out + n, cp);
			if (cp != ' ')
				keep = n;
		}
		(void)line;
		n = keep;
		out[n++] = '\n';
	}
	out[n] = '\0';
	return out;
}

/* Element for a meter cell at position i of inner (by how far along the bar it is). */
static Element meter_el(int i, int inner)
{
	double p = (double)(i + 1) / inner;
	return p <= 0.5 ? EL_METER_LOW : (p <= 0.8 ? EL_METER_MID : EL_METER_HIGH);
}

/* Draw an htop-style meter. */
void canvas_meter(Canvas *c, int x, int y, int w, double frac, Element text_el)
{
	char buf[512];
	if (w < 2 || w >= (int)sizeof buf)
		return;
	fmt_meter(buf, sizeof buf, frac, w);
	int inner = w - 2;
	int fill = fmt_bar_fill(frac, inner);
	char pct[16];
	int pl = fmt_percent(pct, sizeof pct, frac);
	int pct_at = pl <= inner ? inner - pl : inner;
	canvas_set(c, x, y, '[', text_el);
	for (int i = 0; i < inner; i++) {
		/* like htop, the percentage overlays the bar and keeps the fill colours */
		Element el = i < fill ? meter_el(i, inner) : (i >= pct_at ? text_el : EL_METER_EMPTY);
		canvas_set(c, x + 1 + i, y, (uint8_t)buf[1 + i], el);
	}
	canvas_set(c, x + w - 1, y, ']', text_el);
}

/* Draw a sparkline of the last w values. */
void canvas_spark(Canvas *c, int x, int y, int w, Element el, const double *v, int n,
                  double max)
{
	if (w <= 0 || !v || n <= 0)
		return;
	int start = n > w ? n - w : 0;
	if (max <= 0.0)
		for (int i = start; i < n; i++)
			if (v[i] > max)
				max = v[i];
	int pad = w - (n - start);
	for (int i = 0; i < pad; i++)
		canvas_set(c, x + i, y, ' ', el);
	for (int i = start; i < n; i++) {
		int l = fmt_spark_level(v[i], max);
		uint32_t cp = l ? canvas_glyph(c, (Glyph)(GLYPH_SPARK_BASE + l - 1)) : ' ';
		canvas_set(c, x + pad + (i - start), y, cp, el);
	}
}

/* Display width of s once sanitized. */
int canvas_text_width(const char *s, bool ascii)
{
	if (!s)
		return 0;
	char buf[TEXT_BUF];
	size_t len;
	return sanitize_text(s, strlen(s), buf, sizeof buf, TEXT_BUF / 4 - 4,
	                     ascii ? SANITIZE_ASCII : 0, &len);
}
