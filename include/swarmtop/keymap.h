/*
 * keymap.h: keys, actions, and the table that binds one to the other.
 *
 * Every operator action is a row in action_table (name, help, default
 * keys, where it applies). The help screen, the key bar, `:` completion and
 * the docs are generated from that table; the config file rebinds keys by
 * action name ("key pause P"), refusing duplicates with a clear message.
 *
 * Keys are swarmtop's own codes (printable code points, control keys as
 * KEY_CTRL('x'), and KEYC_* for named keys) so that this module stays pure;
 * crt translates terminal keys into them.
 *
 * Pure: no I/O.
 */
#ifndef SWARMTOP_KEYMAP_H
#define SWARMTOP_KEYMAP_H

#include <stdbool.h>
#include <stddef.h>

#define KEY_CTRL(c) ((c) & 0x1f)
#define KEYC_ESC      27
#define KEYC_ENTER    13
#define KEYC_TAB      9
#define KEYC_BACKSPACE 127
#define KEYC_BASE     0x110000   /* above every code point */
enum {
	KEYC_UP = KEYC_BASE, KEYC_DOWN, KEYC_LEFT, KEYC_RIGHT,
	KEYC_PGUP, KEYC_PGDN, KEYC_HOME, KEYC_END, KEYC_BTAB,
	KEYC_SLEFT, KEYC_SRIGHT, KEYC_DELETE, KEYC_INSERT,
	KEYC_F1, KEYC_F2, KEYC_F3, KEYC_F4, KEYC_F5, KEYC_F6,
	KEYC_F7, KEYC_F8, KEYC_F9, KEYC_F10, KEYC_F11, KEYC_F12,
	KEYC_RESIZE, KEYC_MOUSE, KEYC_PASTE_START, KEYC_PASTE_END,
	KEYC_LAST
};

/* Where an action applies. A key may be bound once per scope; global keys
 * conflict with every scope. */
typedef enum KeyScope {
	SCOPE_GLOBAL,
	SCOPE_LIST,      /* views with a selectable list (agents, tokens, cores, log, commands) */
	SCOPE_GRAPH,
	SCOPE_LOG,
	SCOPE_REPLAY,    /* only while replaying: these take precedence */
	SCOPE_COUNT
} KeyScope;

typedef enum Action {
	ACT_NONE,
	ACT_QUIT,
	ACT_HELP,
	ACT_VIEW_AGENTS,
	ACT_VIEW_GRAPH,
	ACT_VIEW_TOKENS,
	ACT_VIEW_CORES,
	ACT_VIEW_LOG,
	ACT_VIEW_COMMANDS,
	ACT_NEXT_VIEW,
	ACT_PREV_VIEW,
	ACT_UP,
	ACT_DOWN,
	ACT_LEFT,
	ACT_RIGHT,
	ACT_PAGE_UP,
	ACT_PAGE_DOWN,
	ACT_TOP,
	ACT_BOTTOM,
	ACT_ENTER,
	ACT_BACK,
	ACT_FILTER,
	ACT_PROMPT,
	ACT_SORT_NEXT,
	ACT_SORT_PREV,
	ACT_SORT_REVERSE,
	ACT_TAG,
	ACT_UNTAG_ALL,
	ACT_PAUSE,          /* pause/resume toggle */
	ACT_RETRY,
	ACT_CANCEL,
	ACT_INJECT,
	ACT_NEXT_RUNTIME,
	ACT_PAN_LEFT,
	ACT_PAN_RIGHT,
	ACT_PAN_UP,
	ACT_PAN_DOWN,
	ACT_NEXT_HOT,       /* graph: next failed/working task */
	ACT_PREV_HOT,
	ACT_COLLAPSE,
	ACT_LIST_MODE,
	ACT_FOLLOW,
	ACT_LEVEL,
	ACT_BY_MODEL,
	ACT_REDRAW,
	ACT_BUDGET_CANCEL,  /* cancel a budget countdown */
	ACT_REPLAY_PLAY,
	ACT_REPLAY_SLOWER,
	ACT_REPLAY_FASTER,
	ACT_REPLAY_BACK,
	ACT_REPLAY_FWD,
	ACT_REPLAY_BACK_MIN,
	ACT_REPLAY_FWD_MIN,
	ACT_REPLAY_START,
	ACT_REPLAY_END,
	ACT_REPLAY_NEXT_MARK,
	ACT_REPLAY_PREV_MARK,
	ACT_COUNT
} Action;

#define KEYMAP_KEYS_PER_ACTION 3

typedef struct ActionInfo {
	const char *name;       /* for config and `:` ("pause") */
	const char *help;       /* one line for `?` */
	const char *bar;        /* short label for the key bar, or NULL to leave it out */
	KeyScope scope;
	bool steering;          /* removed by --read-only and in replay */
	int keys[KEYMAP_KEYS_PER_ACTION];  /* default keys, 0-terminated */
} ActionInfo;

extern const ActionInfo action_table[ACT_COUNT];

typedef struct Keymap {
	int keys[ACT_COUNT][KEYMAP_KEYS_PER_ACTION];
} Keymap;

/* The default bindings. */
void keymap_default(Keymap *km);

/* The action bound to key in scope (scope-specific bindings first, then global). */
Action keymap_lookup(const Keymap *km, KeyScope scope, int key);

/* Bind action (by name) to key (by name, e.g. "P", "C-x", "F5", "PgDn"), replacing its
 * defaults on first rebind. Returns 0, or -1 with err: unknown action, unknown key, or the
 * key is already bound to another action in an overlapping scope. */
int keymap_bind(Keymap *km, const char *action, const char *key, char *err, size_t errlen);

/* Parse a key name; returns the key code or -1. */
int keymap_key_parse(const char *name);

/* Name a key ("C-x", "PgDn", "p"); returns buf. */
const char *keymap_key_name(int key, char *buf, size_t cap);

/* Find an action by name; ACT_NONE when unknown. */
Action keymap_action_by_name(const char *name);

#endif
