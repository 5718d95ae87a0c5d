/*
 * theme.c: the element name table, the built-in dark and monochrome themes,
 * the theme-file parser and colour reduction (true colour -> 256 -> 16 -> 8).
 *
 * Owns: what each semantic element looks like by default, and the text
 * format of themes/<name>.theme (see theme.h).
 * Must not: touch the terminal (crt turns Styles into colour pairs), read
 * files (callers pass the text), or abort on a bad line (report it, go on).
 */
#include "swarmtop/theme.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Element names: the enum name, lower case, first '_' as '.', others as '-'. */
const char *const element_names[EL_COUNT] = {
	[EL_DEFAULT] = "default",
	[EL_DIM] = "dim",
	[EL_TITLE] = "title",
	[EL_BORDER] = "border",
	[EL_SELECTED] = "selected",
	[EL_TAGGED] = "tagged",
	[EL_HEADER] = "header",
	[EL_HEADER_LABEL] = "header.label",
	[EL_DEMO] = "demo",
	[EL_REPLAY] = "replay",
	[EL_READONLY] = "readonly",
	[EL_CONN_OK] = "conn.ok",
	[EL_CONN_WARN] = "conn.warn",
	[EL_CONN_BAD] = "conn.bad",
	[EL_STATUS_IDLE] = "status.idle",
	[EL_STATUS_WORKING] = "status.working",
	[EL_STATUS_INPUT] = "status.input",
	[EL_STATUS_PAUSED] = "status.paused",
	[EL_STATUS_COMPLETED] = "status.completed",
	[EL_STATUS_FAILED] = "status.failed",
	[EL_STATUS_CANCELED] = "status.canceled",
	[EL_STATUS_SUBMITTED] = "status.submitted",
	[EL_STATUS_REJECTED] = "status.rejected",
	[EL_STATUS_STUCK] = "status.stuck",
	[EL_METER_LOW] = "meter.low",
	[EL_METER_MID] = "meter.mid",
	[EL_METER_HIGH] = "meter.high",
	[EL_METER_EMPTY] = "meter.empty",
	[EL_SPARK] = "spark",
	[EL_COST_BILLED] = "cost.billed",
	[EL_COST_ESTIMATED] = "cost.estimated",
	[EL_NO_PRICE] = "no.price",
	[EL_BUDGET_WARN] = "budget.warn",
	[EL_ALARM] = "alarm",
	[EL_LOG_DEBUG] = "log.debug",
	[EL_LOG_INFO] = "log.info",
	[EL_LOG_WARN] = "log.warn",
	[EL_LOG_ERROR] = "log.error",
	[EL_ROLE_USER] = "role.user",
	[EL_ROLE_ASSISTANT] = "role.assistant",
	[EL_ROLE_SYSTEM] = "role.system",
	[EL_ROLE_TOOL] = "role.tool",
	[EL_ROLE_OPERATOR] = "role.operator",
	[EL_SEARCH_HIT] = "search.hit",
	[EL_EDGE] = "edge",
	[EL_KEY] = "key",
	[EL_KEY_TEXT] = "key.text",
	[EL_PROMPT] = "prompt",
	[EL_MESSAGE] = "message",
	[EL_ERROR] = "error",
	[EL_CMD_PENDING] = "cmd.pending",
	[EL_CMD_OK] = "cmd.ok",
	[EL_CMD_FAILED] = "cmd.failed",
};

#define D THEME_COLOR_DEFAULT
#define B THEME_BOLD
#define U THEME_UNDERLINE
#define R THEME_REVERSE
#define M THEME_DIM
#define I THEME_ITALIC

/* The default dark theme, 256 colours: calm greys, colour only where it means something. */
static const Style default_styles[EL_COUNT] = {
	[EL_DEFAULT] = {252, D, 0},          [EL_DIM] = {244, D, 0},
	[EL_TITLE] = {16, 109, B},           [EL_BORDER] = {240, D, 0},
	[EL_SELECTED] = {231, 24, B},        [EL_TAGGED] = {214, D, B},
	[EL_HEADER] = {252, D, 0},           [EL_HEADER_LABEL] = {75, D, B},
	[EL_DEMO] = {16, 214, B},            [EL_REPLAY] = {16, 141, B},
	[EL_READONLY] = {16, 180, B},        [EL_CONN_OK] = {114, D, 0},
	[EL_CONN_WARN] = {221, D, 0},        [EL_CONN_BAD] = {203, D, B},
	[EL_STATUS_IDLE] = {245, D, 0},      [EL_STATUS_WORKING] = {114, D, 0},
	[EL_STATUS_INPUT] = {221, D, B},     [EL_STATUS_PAUSED] = {110, D, 0},
	[EL_STATUS_COMPLETED] = {66, D, 0},  [EL_STATUS_FAILED] = {203, D, B},
	[EL_STATUS_CANCELED] = {243, D, 0},  [EL_STATUS_SUBMITTED] = {152, D, 0},
	[EL_STATUS_REJECTED] = {167, D, 0},  [EL_STATUS_STUCK] = {208, D, B},
	[EL_METER_LOW] = {114, D, 0},        [EL_METER_MID] = {221, D, 0},
	[EL_METER_HIGH] = {203, D, 0},       [EL_METER_EMPTY] = {238, D, 0},
	[EL_SPARK] = {81, D, 0},             [EL_COST_BILLED] = {150, D, 0},
	[EL_COST_ESTIMATED] = {180, D, 0},   [EL_NO_PRICE] = {244, D, 0},
	[EL_BUDGET_WARN] = {214, D, B},      [EL_ALARM] = {231, 160, B},
	[EL_LOG_DEBUG] = {244, D, 0},        [EL_LOG_INFO] = {252, D, 0},
	[EL_LOG_WARN] = {221, D, 0},         [EL_LOG_ERROR] = {203, D, B},
	[EL_ROLE_USER] = {117, D, 0},        [EL_ROLE_ASSISTANT] = {252, D, 0},
	[EL_ROLE_SYSTEM] = {183, D, 0},      [EL_ROLE_TOOL] = {109, D, 0},
	[EL_ROLE_OPERATOR] = {214, D, B},    [EL_SEARCH_HIT] = {16, 220, 0},
	[EL_EDGE] = {242, D, 0},             [EL_KEY] = {231, 238, B},
	[EL_KEY_TEXT] = {16, 73, 0},         [EL_PROMPT] = {231, D, B},
	[EL_MESSAGE] = {117, D, 0},          [EL_ERROR] = {231, 124, B},
	[EL_CMD_PENDING] = {221, D, 0},      [EL_CMD_OK] = {114, D, 0},
	[EL_CMD_FAILED] = {203, D, B},
};

/* Monochrome: attributes carry the meaning. */
static const unsigned mono_attrs[EL_COUNT] = {
	[EL_DIM] = M,             [EL_TITLE] = B | U,        [EL_SELECTED] = R,
	[EL_TAGGED] = B,          [EL_HEADER_LABEL] = B,     [EL_DEMO] = R | B,
	[EL_REPLAY] = R | B,      [EL_READONLY] = R,         [EL_CONN_WARN] = U,
	[EL_CONN_BAD] = B | R,    [EL_STATUS_IDLE] = M,      [EL_STATUS_INPUT] = B | U,
	[EL_STATUS_COMPLETED] = M, [EL_STATUS_FAILED] = B | R, [EL_STATUS_CANCELED] = M,
	[EL_STATUS_REJECTED] = B, [EL_STATUS_STUCK] = B | U, [EL_METER_HIGH] = B,
	[EL_METER_EMPTY] = M,     [EL_COST_ESTIMATED] = M,   [EL_NO_PRICE] = M,
	[EL_BUDGET_WARN] = B | U, [EL_ALARM] = R | B,        [EL_LOG_DEBUG] = M,
	[EL_LOG_WARN] = U,        [EL_LOG_ERROR] = B,        [EL_ROLE_SYSTEM] = M,
	[EL_ROLE_OPERATOR] = B,   [EL_SEARCH_HIT] = R,       [EL_EDGE] = M,
	[EL_KEY] = R | B,         [EL_KEY_TEXT] = R,         [EL_PROMPT] = B,
	[EL_ERROR] = R | B,       [EL_CMD_PENDING] = U,      [EL_CMD_FAILED] = B,
};

/* Fill t with the built-in dark theme. */
void theme_default(Theme *t)
{
	memset(t, 0, sizeof *t);
	snprintf(t->name, sizeof t->name, "default");
	memcpy(t->style, default_styles, sizeof t->style);
}

/* Fill t with the monochrome theme. */
void theme_mono(Theme *t)
{
	memset(t, 0, sizeof *t);
	snprintf(t->name, sizeof t->name, "mono");
	for (int i = 0; i < EL_COUNT; i++)
		t->style[i] = (Style){D, D, mono_attrs[i]};
}

typedef struct NamedValue {
	const char *name;
	int value;
} NamedValue;

static const NamedValue color_names[] = {
	{"black", 0}, {"red", 1},     {"green", 2}, {"yellow", 3},
	{"blue", 4},  {"magenta", 5}, {"cyan", 6},  {"white", 7},
};

static const NamedValue attr_names[] = {
	{"bold", THEME_BOLD}, {"underline", THEME_UNDERLINE}, {"reverse", THEME_REVERSE},
	{"dim", THEME_DIM},   {"italic", THEME_ITALIC},       {"normal", 0},
	{"none", 0},
};

/* Aliases accepted for element names ("task.failed" reads as "status.failed"). */
static const struct {
	const char *alias;
	Element el;
} element_aliases[] = {
	{"task.failed", EL_STATUS_FAILED},     {"task.working", EL_STATUS_WORKING},
	{"task.input", EL_STATUS_INPUT},       {"task.paused", EL_STATUS_PAUSED},
	{"task.completed", EL_STATUS_COMPLETED}, {"task.canceled", EL_STATUS_CANCELED},
	{"task.submitted", EL_STATUS_SUBMITTED}, {"task.rejected", EL_STATUS_REJECTED},
	{"task.idle", EL_STATUS_IDLE},         {"task.stuck", EL_STATUS_STUCK},
};

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* Element by name or alias, or -1. */
static int element_lookup(const char *s)
{
	for (int i = 0; i < EL_COUNT; i++)
		if (strcmp(element_names[i], s) == 0)
			return i;
	for (size_t i = 0; i < NELEM(element_aliases); i++)
		if (strcmp(element_aliases[i].alias, s) == 0)
			return (int)element_aliases[i].el;
	return -1;
}

/* Value of a hex digit, or -1. */
static int hexval(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

/* True when s is "#rrggbb". */
static bool is_hex_color(const char *s)
{
	if (s[0] != '#' || strlen(s) != 7)
		return false;
	for (int i = 1; i < 7; i++)
		if (hexval(s[i]) < 0)
			return false;
	return true;
}

/* Parse a colour token into *out; false when it is not a colour. */
static bool parse_color(const char *s, int32_t *out)
{
	if (strcmp(s, "default") == 0) {
		*out = THEME_COLOR_DEFAULT;
		return true;
	}
	const char *base = s;
	int bright = 0;
	if (strncmp(s, "bright-", 7) == 0) {
		base = s + 7;
		bright = 8;
	}
	for (size_t i = 0; i < NELEM(color_names); i++)
		if (strcmp(color_names[i].name, base) == 0) {
			*out = color_names[i].value + bright;
			return true;
		}
	if (is_hex_color(s)) {
		int v[6];
		for (int i = 0; i < 6; i++)
			v[i] = hexval(s[1 + i]);
		*out = THEME_RGB(v[0] * 16 + v[1], v[2] * 16 + v[3], v[4] * 16 + v[5]);
		return true;
	}
	if (s[0] >= '0' && s[0] <= '9' && strlen(s) <= 3) {
		int n = 0;
		for (const char *p = s; *p; p++) {
			if (*p < '0' || *p > '9')
				return false;
			n = n * 10 + (*p - '0');
		}
		if (n > 255)
			return false;
		*out = n;
		return true;
	}
	return false;
}

/* Attribute bit for a token, or -1. */
static int parse_attr(const char *s)
{
	for (size_t i = 0; i < NELEM(attr_names); i++)
		if (strcmp(attr_names[i].name, s) == 0)
			return attr_names[i].value;
	return -1;
}

#define THEME_LINE_MAX 512
#define THEME_TOKENS 12

/* Report a bad line through the callback. */
__attribute__((format(printf, 5, 6)))
static void report(void (*err_cb)(int, const char *, void *), void *ctx, int line,
                   char *buf, const char *fmt, ...)
{
	if (!err_cb)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, 256, fmt, ap);
	va_end(ap);
	err_cb(line, buf, ctx);
}

/* Parse one line's tokens into t; returns 1 when an element was set, 0 otherwise. */
static int parse_line(Theme *t, char **tok, int ntok, int line,
                      void (*err_cb)(int, const char *, void *), void *ctx)
{
	char msg[256];
	int el = element_lookup(tok[0]);
	if (el < 0) {
		report(err_cb, ctx, line, msg, "unknown element '%.64s'", tok[0]);
		return 0;
	}
	if (ntok < 2) {
		report(err_cb, ctx, line, msg, "element '%s' needs a foreground colour", tok[0]);
		return 0;
	}
	Style st = {D, D, 0};
	int i = 1;
	if (!parse_color(tok[i], &st.fg)) {
		report(err_cb, ctx, line, msg,
		       "bad colour '%.64s' (use default, black..white, bright-NAME, 0..255 or "
		       "#rrggbb)", tok[i]);
		return 0;
	}
	i++;
	if (i < ntok && parse_color(tok[i], &st.bg))
		i++;
	for (; i < ntok; i++) {
		int a = parse_attr(tok[i]);
		if (a < 0) {
			report(err_cb, ctx, line, msg,
			       "unknown attribute or colour '%.64s' (attributes: bold underline "
			       "reverse dim italic)", tok[i]);
			return 0;
		}
		st.attr |= (unsigned)a;
	}
	t->style[el] = st;
	return 1;
}

/* Parse theme text over t. */
int theme_parse(Theme *t, const char *text, size_t len,
                void (*err_cb)(int line, const char *msg, void *ctx), void *ctx)
{
	int set = 0, line = 0;
	size_t i = 0;
	while (i < len) {
		size_t end = i;
		while (end < len && text[end] != '\n')
			end++;
		line++;
		char buf[THEME_LINE_MAX];
		size_t n = end - i;
		bool too_long = n >= sizeof buf;
		if (too_long)
			n = sizeof buf - 1;
		memcpy(buf, text + i, n);
		buf[n] = '\0';
		i = end + 1;
		char *tok[THEME_TOKENS];
		int ntok = 0;
		bool too_many = false, bad_byte = false;
		for (char *p = buf; *p;) {
			while (*p == ' ' || *p == '\t' || *p == '\r')
				*p++ = '\0';
			if (!*p)
				break;
			if (*p == '#' && !(ntok > 0 && hexval(p[1]) >= 0))
				break;   /* a comment (a colour "#rrggbb" never comes first) */
			if (ntok == THEME_TOKENS) {
				too_many = true;
				break;
			}
			tok[ntok++] = p;
			while (*p && *p != ' ' && *p != '\t' && *p != '\r') {
				if ((unsigned char)*p < 0x20 || (unsigned char)*p >= 0x7f)
					bad_byte = true;
				p++;
			}
		}
		char msg[256];
		if (ntok == 0)
			continue;
		if (too_long)
			report(err_cb, ctx, line, msg, "line longer than %d bytes",
			       THEME_LINE_MAX - 1);
		else if (bad_byte)
			report(err_cb, ctx, line, msg, "non-ASCII or control byte in line");
		else if (too_many)
			report(err_cb, ctx, line, msg, "too many words (element fg [bg] [attrs])");
		else
			set += parse_line(t, tok, ntok, line, err_cb, ctx);
	}
	return set;
}

/* RGB of a palette index (xterm defaults). */
static void palette_rgb(int idx, int *r, int *g, int *b)
{
	static const unsigned char base16[16][3] = {
		{0, 0, 0},       {205, 0, 0},     {0, 205, 0},     {205, 205, 0},
		{0, 0, 238},     {205, 0, 205},   {0, 205, 205},   {229, 229, 229},
		{127, 127, 127}, {255, 0, 0},     {0, 255, 0},     {255, 255, 0},
		{92, 92, 255},   {255, 0, 255},   {0, 255, 255},   {255, 255, 255},
	};
	static const int cube[6] = {0, 95, 135, 175, 215, 255};
	if (idx < 16) {
		*r = base16[idx][0];
		*g = base16[idx][1];
		*b = base16[idx][2];
	} else if (idx < 232) {
		idx -= 16;
		*r = cube[idx / 36];
		*g = cube[idx / 6 % 6];
		*b = cube[idx % 6];
	} else {
		*r = *g = *b = 8 + 10 * (idx - 232);
	}
}

/* Squared distance between two colours. */
static int dist2(int r1, int g1, int b1, int r2, int g2, int b2)
{
	return (r1 - r2) * (r1 - r2) + (g1 - g2) * (g1 - g2) + (b1 - b2) * (b1 - b2);
}

/* Nearest palette index among [lo, hi) to an RGB colour. */
static int nearest(int r, int g, int b, int lo, int hi)
{
	int best = lo, bestd = -1;
	for (int i = lo; i < hi; i++) {
		int pr, pg, pb;
		palette_rgb(i, &pr, &pg, &pb);
		int d = dist2(r, g, b, pr, pg, pb);
		if (bestd < 0 || d < bestd) {
			best = i;
			bestd = d;
		}
	}
	return best;
}

/* Reduce a colour to a palette of ncolors. */
int32_t theme_reduce_color(int32_t c, int ncolors)
{
	if (c < 0 || ncolors > 256)
		return c;
	if (ncolors < 8)
		return THEME_COLOR_DEFAULT;
	int r, g, b;
	if (THEME_IS_RGB(c)) {
		r = (c >> 16) & 0xff;
		g = (c >> 8) & 0xff;
		b = c & 0xff;
		return nearest(r, g, b, ncolors >= 256 ? 16 : 0, ncolors >= 256 ? 256 : ncolors);
	}
	if (c < ncolors)
		return c;
	if (c < 16)
		return c - 8;   /* bright-X on an 8-colour terminal: X */
	palette_rgb(c, &r, &g, &b);
	return nearest(r, g, b, 0, ncolors < 16 ? ncolors : 16);
}
