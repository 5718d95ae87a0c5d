/*
 * keymap.c: the action table (every operator action with its help text and
 * default keys), key names, lookups, and rebinding from the config file.
 *
 * Destructive verbs are deliberately on plain letters that need a
 * confirmation (x) and never on Ctrl-D, Ctrl-K or other editor/tmux keys.
 *
 * Pure: no I/O.
 */
#include "swarmtop/keymap.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#define K(...) { __VA_ARGS__ }

const ActionInfo action_table[ACT_COUNT] = {
	[ACT_NONE]          = { "none", "", NULL, SCOPE_GLOBAL, false, K(0) },
	[ACT_QUIT]          = { "quit", "Quit swarmtop", "Quit", SCOPE_GLOBAL, false, K('q', KEYC_F10) },
	[ACT_HELP]          = { "help", "Show this help", "Help", SCOPE_GLOBAL, false, K('?', KEYC_F1) },
	[ACT_VIEW_AGENTS]   = { "agents", "Agents view: the fleet", NULL, SCOPE_GLOBAL, false, K('1') },
	[ACT_VIEW_GRAPH]    = { "graph", "Graph view: the task DAG", NULL, SCOPE_GLOBAL, false, K('2') },
	[ACT_VIEW_TOKENS]   = { "tokens", "Tokens view: usage and cost", NULL, SCOPE_GLOBAL, false, K('3') },
	[ACT_VIEW_CORES]    = { "cores", "Cores view: CPU and threads", NULL, SCOPE_GLOBAL, false, K('4') },
	[ACT_VIEW_LOG]      = { "log", "Log view: messages, logs, acks", NULL, SCOPE_GLOBAL, false, K('5') },
	[ACT_VIEW_COMMANDS] = { "commands", "Commands view: the audit trail", NULL, SCOPE_GLOBAL, false, K('6') },
	[ACT_NEXT_VIEW]     = { "next-view", "Next view", NULL, SCOPE_GLOBAL, false, K(KEYC_TAB) },
	[ACT_PREV_VIEW]     = { "prev-view", "Previous view", NULL, SCOPE_GLOBAL, false, K(KEYC_BTAB) },
	[ACT_UP]            = { "up", "Move the selection up", NULL, SCOPE_GLOBAL, false, K(KEYC_UP, 'k') },
	[ACT_DOWN]          = { "down", "Move the selection down", NULL, SCOPE_GLOBAL, false, K(KEYC_DOWN, 'j') },
	[ACT_LEFT]          = { "left", "Move left (graph: previous layer)", NULL, SCOPE_GLOBAL, false, K(KEYC_LEFT) },
	[ACT_RIGHT]         = { "right", "Move right (graph: next layer)", NULL, SCOPE_GLOBAL, false, K(KEYC_RIGHT) },
	[ACT_PAGE_UP]       = { "page-up", "Page up", NULL, SCOPE_GLOBAL, false, K(KEYC_PGUP) },
	[ACT_PAGE_DOWN]     = { "page-down", "Page down", NULL, SCOPE_GLOBAL, false, K(KEYC_PGDN) },
	[ACT_TOP]           = { "top", "Go to the first row", NULL, SCOPE_GLOBAL, false, K(KEYC_HOME, 'g') },
	[ACT_BOTTOM]        = { "bottom", "Go to the last row", NULL, SCOPE_GLOBAL, false, K(KEYC_END, 'G') },
	[ACT_ENTER]         = { "enter", "Drill into the selection", NULL, SCOPE_GLOBAL, false, K(KEYC_ENTER, '\n') },
	[ACT_BACK]          = { "back", "Back, close, clear the filter", NULL, SCOPE_GLOBAL, false, K(KEYC_ESC) },
	[ACT_FILTER]        = { "filter", "Filter rows (! inverts); log: search", "Filter", SCOPE_GLOBAL, false, K('/') },
	[ACT_PROMPT]        = { "prompt", "Command prompt (:help for commands)", "Cmd", SCOPE_GLOBAL, false, K(':') },
	[ACT_SORT_NEXT]     = { "sort-next", "Sort by the next column", NULL, SCOPE_LIST, false, K('>') },
	[ACT_SORT_PREV]     = { "sort-prev", "Sort by the previous column", NULL, SCOPE_LIST, false, K('<') },
	[ACT_SORT_REVERSE]  = { "sort-reverse", "Reverse the sort order", NULL, SCOPE_LIST, false, K('I') },
	[ACT_TAG]           = { "tag", "Tag the row (verbs apply to tagged rows)", NULL, SCOPE_LIST, false, K(' ') },
	[ACT_UNTAG_ALL]     = { "untag-all", "Untag every row", NULL, SCOPE_LIST, false, K('U') },
	[ACT_PAUSE]         = { "pause", "Pause or resume the selection", "Pause", SCOPE_GLOBAL, true, K('p') },
	[ACT_RETRY]         = { "retry", "Retry the failed or canceled task", "Retry", SCOPE_GLOBAL, true, K('r') },
	[ACT_CANCEL]        = { "cancel", "Cancel the selection (asks first)", "Cancel", SCOPE_GLOBAL, true, K('x') },
	[ACT_INJECT]        = { "inject", "Send the agent an operator message", "Inject", SCOPE_GLOBAL, true, K('i') },
	[ACT_NEXT_RUNTIME]  = { "next-runtime", "Select the next runtime", NULL, SCOPE_GLOBAL, false, K('w') },
	[ACT_PAN_LEFT]      = { "pan-left", "Pan the graph left", NULL, SCOPE_GRAPH, false, K('h') },
	[ACT_PAN_RIGHT]     = { "pan-right", "Pan the graph right", NULL, SCOPE_GRAPH, false, K('l') },
	[ACT_PAN_UP]        = { "pan-up", "Pan the graph up", NULL, SCOPE_GRAPH, false, K('k') },
	[ACT_PAN_DOWN]      = { "pan-down", "Pan the graph down", NULL, SCOPE_GRAPH, false, K('j') },
	[ACT_NEXT_HOT]      = { "next-hot", "Next failed/working task; log: next match", NULL, SCOPE_GLOBAL, false, K('n') },
	[ACT_PREV_HOT]      = { "prev-hot", "Previous failed/working task; log: previous match", NULL, SCOPE_GLOBAL, false, K('N') },
	[ACT_COLLAPSE]      = { "collapse", "Collapse finished subtrees", NULL, SCOPE_GRAPH, false, K('c') },
	[ACT_LIST_MODE]     = { "list-mode", "Graph as a tree list", NULL, SCOPE_GRAPH, false, K('t') },
	[ACT_FOLLOW]        = { "follow", "Follow the newest lines", NULL, SCOPE_LOG, false, K('f') },
	[ACT_LEVEL]         = { "level", "Cycle the minimum log level", NULL, SCOPE_LOG, false, K('v') },
	[ACT_BY_MODEL]      = { "by-model", "Tokens by agent or by model", NULL, SCOPE_LIST, false, K('m') },
	[ACT_REDRAW]        = { "redraw", "Redraw the screen", NULL, SCOPE_GLOBAL, false, K(KEY_CTRL('l')) },
	[ACT_BUDGET_CANCEL] = { "budget-cancel", "Stop a budget's automatic pause countdown", NULL, SCOPE_GLOBAL, false, K('b') },
	[ACT_REPLAY_PLAY]   = { "play", "Replay: play or pause", "Play", SCOPE_REPLAY, false, K(' ') },
	[ACT_REPLAY_SLOWER] = { "slower", "Replay: slower", "Slower", SCOPE_REPLAY, false, K('<') },
	[ACT_REPLAY_FASTER] = { "faster", "Replay: faster", "Faster", SCOPE_REPLAY, false, K('>') },
	[ACT_REPLAY_BACK]   = { "seek-back", "Replay: back 10 s", NULL, SCOPE_REPLAY, false, K(KEYC_LEFT) },
	[ACT_REPLAY_FWD]    = { "seek-forward", "Replay: forward 10 s", "+10s", SCOPE_REPLAY, false, K(KEYC_RIGHT) },
	[ACT_REPLAY_BACK_MIN] = { "seek-back-minute", "Replay: back 1 min", NULL, SCOPE_REPLAY, false, K(KEYC_SLEFT, KEYC_PGUP) },
	[ACT_REPLAY_FWD_MIN]  = { "seek-forward-minute", "Replay: forward 1 min", NULL, SCOPE_REPLAY, false, K(KEYC_SRIGHT, KEYC_PGDN) },
	[ACT_REPLAY_START]  = { "start", "Replay: go to the start", NULL, SCOPE_REPLAY, false, K('g', KEYC_HOME) },
	[ACT_REPLAY_END]    = { "end", "Replay: go to the end", NULL, SCOPE_REPLAY, false, K('G', KEYC_END) },
	[ACT_REPLAY_NEXT_MARK] = { "next-mark", "Replay: next failure, gap or command", "Mark", SCOPE_REPLAY, false, K(']') },
	[ACT_REPLAY_PREV_MARK] = { "prev-mark", "Replay: previous failure, gap or command", NULL, SCOPE_REPLAY, false, K('[') },
};

typedef struct KeyName {
	const char *name;
	int key;
} KeyName;

static const KeyName key_names[] = {
	{ "Space", ' ' },        { "Tab", KEYC_TAB },       { "BTab", KEYC_BTAB },
	{ "S-Tab", KEYC_BTAB },  { "Enter", KEYC_ENTER },   { "Esc", KEYC_ESC },
	{ "BSpace", KEYC_BACKSPACE }, { "Up", KEYC_UP },   { "Down", KEYC_DOWN },
	{ "Left", KEYC_LEFT },   { "Right", KEYC_RIGHT },   { "PgUp", KEYC_PGUP },
	{ "PgDn", KEYC_PGDN },   { "Home", KEYC_HOME },     { "End", KEYC_END },
	{ "S-Left", KEYC_SLEFT }, { "S-Right", KEYC_SRIGHT }, { "Del", KEYC_DELETE },
	{ "Ins", KEYC_INSERT },  { "F1", KEYC_F1 },   { "F2", KEYC_F2 },   { "F3", KEYC_F3 },
	{ "F4", KEYC_F4 },       { "F5", KEYC_F5 },   { "F6", KEYC_F6 },   { "F7", KEYC_F7 },
	{ "F8", KEYC_F8 },       { "F9", KEYC_F9 },   { "F10", KEYC_F10 }, { "F11", KEYC_F11 },
	{ "F12", KEYC_F12 },
};

/* The default bindings. */
void keymap_default(Keymap *km)
{
	for (int a = 0; a < ACT_COUNT; a++)
		memcpy(km->keys[a], action_table[a].keys, sizeof(km->keys[a]));
}

/* True when action a binds key. */
static bool keymap_has(const Keymap *km, int a, int key)
{
	for (int i = 0; i < KEYMAP_KEYS_PER_ACTION && km->keys[a][i] != 0; i++)
		if (km->keys[a][i] == key)
			return true;
	return false;
}

/* The action bound to key in scope (scope-specific bindings first, then global). */
Action keymap_lookup(const Keymap *km, KeyScope scope, int key)
{
	if (key == 0)
		return ACT_NONE;
	for (int a = 1; a < ACT_COUNT; a++)
		if (action_table[a].scope == scope && scope != SCOPE_GLOBAL && keymap_has(km, a, key))
			return (Action)a;
	/* List-scope actions also apply in the log view (a list too). */
	if (scope == SCOPE_LOG)
		for (int a = 1; a < ACT_COUNT; a++)
			if (action_table[a].scope == SCOPE_LIST && keymap_has(km, a, key))
				return (Action)a;
	for (int a = 1; a < ACT_COUNT; a++)
		if (action_table[a].scope == SCOPE_GLOBAL && keymap_has(km, a, key))
			return (Action)a;
	return ACT_NONE;
}

/* Find an action by name; ACT_NONE when unknown. */
Action keymap_action_by_name(const char *name)
{
	for (int a = 1; a < ACT_COUNT; a++)
		if (strcmp(action_table[a].name, name) == 0)
			return (Action)a;
	return ACT_NONE;
}

/* Parse a key name; returns the key code or -1. */
int keymap_key_parse(const char *name)
{
	size_t n = strlen(name);

	for (size_t i = 0; i < sizeof(key_names) / sizeof(key_names[0]); i++)
		if (strcasecmp(key_names[i].name, name) == 0)
			return key_names[i].key;
	if (n == 3 && (name[0] == 'C' || name[0] == 'c') && name[1] == '-' &&
	    ((name[2] >= 'a' && name[2] <= 'z') || (name[2] >= 'A' && name[2] <= 'Z')))
		return KEY_CTRL(name[2]);
	if (n == 1 && name[0] > ' ' && name[0] < 0x7f)
		return (unsigned char)name[0];
	return -1;
}

/* Name a key ("C-x", "PgDn", "p"); returns buf. */
const char *keymap_key_name(int key, char *buf, size_t cap)
{
	for (size_t i = 0; i < sizeof(key_names) / sizeof(key_names[0]); i++) {
		if (key_names[i].key == key) {
			snprintf(buf, cap, "%s", key_names[i].name);
			return buf;
		}
	}
	if (key > 0 && key < 27)
		snprintf(buf, cap, "C-%c", 'a' + key - 1);
	else if (key > ' ' && key < 0x7f)
		snprintf(buf, cap, "%c", key);
	else
		snprintf(buf, cap, "#%d", key);
	return buf;
}

/* True when scopes a and b can see the same key press. */
static bool keymap_scopes_overlap(KeyScope a, KeyScope b)
{
	return a == b || (a == SCOPE_LIST && b == SCOPE_LOG) || (a == SCOPE_LOG && b == SCOPE_LIST);
}

/* Bind action (by name) to key (by name), replacing its defaults on first rebind. */
int keymap_bind(Keymap *km, const char *action, const char *key, char *err, size_t errlen)
{
	Action a = keymap_action_by_name(action);
	int k = keymap_key_parse(key);
	char kn[32];

	if (a == ACT_NONE) {
		snprintf(err, errlen, "unknown action '%s'", action);
		return -1;
	}
	if (k < 0) {
		snprintf(err, errlen, "unknown key '%s' (use e.g. p, C-x, F5, PgDn, Space)", key);
		return -1;
	}
	for (int b = 1; b < ACT_COUNT; b++) {
		if (b == (int)a || !keymap_has(km, b, k))
			continue;
		if (keymap_scopes_overlap(action_table[b].scope, action_table[a].scope)) {
			snprintf(err, errlen, "key %s is already bound to '%s'",
			         keymap_key_name(k, kn, sizeof(kn)), action_table[b].name);
			return -1;
		}
	}
	/* The first rebind of an action replaces its defaults; later ones add keys. */
	bool defaults = memcmp(km->keys[a], action_table[a].keys, sizeof(km->keys[a])) == 0;
	if (defaults)
		memset(km->keys[a], 0, sizeof(km->keys[a]));
	for (int i = 0; i < KEYMAP_KEYS_PER_ACTION; i++) {
		if (km->keys[a][i] == 0 || km->keys[a][i] == k) {
			km->keys[a][i] = k;
			return 0;
		}
	}
	snprintf(err, errlen, "action '%s' already has %d keys", action, KEYMAP_KEYS_PER_ACTION);
	return -1;
}
