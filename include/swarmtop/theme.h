/*
 * theme.h: semantic colour elements and themes.
 *
 * Views draw with elements (EL_TASK_FAILED, EL_METER_HIGH), never with
 * colours. A theme maps each element to a foreground, background and
 * attributes; 8-colour, 256-colour, true colour and monochrome are just
 * different maps. Themes are text files (themes/<name>.theme):
 *
 *     # comment
 *     element-name  fg  [bg]  [bold] [underline] [reverse] [dim]
 *     task.failed   red       default bold
 *     meter.high    #ff5f5f   default
 *
 * Colours: default, the 8 names (black red green yellow blue magenta cyan
 * white), bright-<name>, 0..255, or #rrggbb (mapped down to 256 or 8 colours
 * when the terminal has fewer).
 *
 * Pure: parsing works on text; crt does the terminal side.
 */
#ifndef SWARMTOP_THEME_H
#define SWARMTOP_THEME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum Element {
	EL_DEFAULT,
	EL_DIM,             /* secondary text */
	EL_TITLE,           /* view titles, column headers */
	EL_BORDER,
	EL_SELECTED,        /* the selected row */
	EL_TAGGED,          /* tagged rows (Space) */
	EL_HEADER,          /* the header band */
	EL_HEADER_LABEL,
	EL_DEMO,            /* the DEMO badge */
	EL_REPLAY,          /* the REPLAY badge and position bar */
	EL_READONLY,
	EL_CONN_OK,
	EL_CONN_WARN,       /* connecting, reconnecting */
	EL_CONN_BAD,        /* auth failed, protocol error */
	EL_STATUS_IDLE,
	EL_STATUS_WORKING,
	EL_STATUS_INPUT,    /* input-required */
	EL_STATUS_PAUSED,
	EL_STATUS_COMPLETED,
	EL_STATUS_FAILED,
	EL_STATUS_CANCELED,
	EL_STATUS_SUBMITTED,
	EL_STATUS_REJECTED,
	EL_STATUS_STUCK,
	EL_METER_LOW,
	EL_METER_MID,
	EL_METER_HIGH,
	EL_METER_EMPTY,
	EL_SPARK,
	EL_COST_BILLED,
	EL_COST_ESTIMATED,
	EL_NO_PRICE,
	EL_BUDGET_WARN,
	EL_ALARM,
	EL_LOG_DEBUG,
	EL_LOG_INFO,
	EL_LOG_WARN,
	EL_LOG_ERROR,
	EL_ROLE_USER,
	EL_ROLE_ASSISTANT,
	EL_ROLE_SYSTEM,
	EL_ROLE_TOOL,
	EL_ROLE_OPERATOR,
	EL_SEARCH_HIT,
	EL_EDGE,
	EL_KEY,             /* key names in the key bar and help */
	EL_KEY_TEXT,
	EL_PROMPT,
	EL_MESSAGE,         /* status line: information */
	EL_ERROR,           /* status line / banner: an error */
	EL_CMD_PENDING,     /* command sent, not yet applied */
	EL_CMD_OK,
	EL_CMD_FAILED,
	EL_COUNT
} Element;

/* Theme element names as written in theme files ("task.failed"), indexed by Element. */
extern const char *const element_names[EL_COUNT];

#define THEME_COLOR_DEFAULT (-1)

/* Attribute bits. */
enum {
	THEME_BOLD = 1 << 0,
	THEME_UNDERLINE = 1 << 1,
	THEME_REVERSE = 1 << 2,
	THEME_DIM = 1 << 3,
	THEME_ITALIC = 1 << 4,
};

/* One element's look. Colours: THEME_COLOR_DEFAULT, 0..255 (palette), or
 * 0x1000000 | 0xRRGGBB for true colour. */
typedef struct Style {
	int32_t fg, bg;
	unsigned attr;
} Style;

#define THEME_RGB(r, g, b) (0x1000000 | ((r) << 16) | ((g) << 8) | (b))
#define THEME_IS_RGB(c) ((c) >= 0x1000000)

typedef struct Theme {
	char name[64];
	Style style[EL_COUNT];
} Theme;

/* The built-in default dark theme (used when no file is found). */
void theme_default(Theme *t);

/* Monochrome: attributes only (NO_COLOR, --no-color). */
void theme_mono(Theme *t);

/* Parse theme text over t (start from theme_default for unset elements). Bad lines call
 * err_cb(line, message, ctx) and are skipped. Returns the number of elements set. */
int theme_parse(Theme *t, const char *text, size_t len,
                void (*err_cb)(int line, const char *msg, void *ctx), void *ctx);

/* Reduce a colour to a palette of ncolors (8, 16, 256); RGB mapped to the nearest. */
int32_t theme_reduce_color(int32_t c, int ncolors);

#endif
