/*
 * prompt.c: the one-line editor. Edits a UTF-8 buffer by code points; every
 * editing key is a row in a table.
 *
 * Pure: no I/O.
 */
#include "swarmtop/prompt.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "swarmtop/keymap.h"
#include "swarmtop/sanitize.h"

/* True for a UTF-8 continuation byte. */
static bool is_cont(char c)
{
	return ((unsigned char)c & 0xC0) == 0x80;
}

/* Start editing with a label and initial text. */
void prompt_open(Prompt *p, const char *label, const char *initial)
{
	memset(p, 0, sizeof(*p));
	snprintf(p->label, sizeof(p->label), "%s", label);
	if (initial) {
		snprintf(p->buf, sizeof(p->buf), "%s", initial);
		p->len = p->cur = strlen(p->buf);
	}
}

/* Byte offset of the code point before off. */
static size_t prev_cp(const Prompt *p, size_t off)
{
	size_t i = off > 0 ? off - 1 : 0;
	while (i > 0 && is_cont(p->buf[i]))
		i--;
	return i;
}

/* Byte offset of the code point after off. */
static size_t next_cp(const Prompt *p, size_t off)
{
	if (off >= p->len)
		return p->len;
	off++;
	while (off < p->len && is_cont(p->buf[off]))
		off++;
	return off;
}

/* Remove bytes [a, b). */
static void cut(Prompt *p, size_t a, size_t b)
{
	memmove(p->buf + a, p->buf + b, p->len - b);
	p->len -= b - a;
	p->buf[p->len] = '\0';
	if (p->cur > b)
		p->cur -= b - a;
	else if (p->cur > a)
		p->cur = a;
}

/* Insert one code point at the cursor. */
static void insert_cp(Prompt *p, uint32_t cp)
{
	char u[4];
	size_t n;

	if (cp < 0x80) {
		u[0] = (char)cp;
		n = 1;
	} else if (cp < 0x800) {
		u[0] = (char)(0xC0 | (cp >> 6));
		u[1] = (char)(0x80 | (cp & 0x3F));
		n = 2;
	} else if (cp < 0x10000) {
		u[0] = (char)(0xE0 | (cp >> 12));
		u[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
		u[2] = (char)(0x80 | (cp & 0x3F));
		n = 3;
	} else {
		u[0] = (char)(0xF0 | (cp >> 18));
		u[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
		u[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
		u[3] = (char)(0x80 | (cp & 0x3F));
		n = 4;
	}
	if (p->len + n >= sizeof(p->buf))
		return;
	memmove(p->buf + p->cur + n, p->buf + p->cur, p->len - p->cur);
	memcpy(p->buf + p->cur, u, n);
	p->len += n;
	p->cur += n;
	p->buf[p->len] = '\0';
}

static void ed_left(Prompt *p) { p->cur = prev_cp(p, p->cur); }
static void ed_right(Prompt *p) { p->cur = next_cp(p, p->cur); }
static void ed_home(Prompt *p) { p->cur = 0; }
static void ed_end(Prompt *p) { p->cur = p->len; }
static void ed_backspace(Prompt *p) { cut(p, prev_cp(p, p->cur), p->cur); }
static void ed_delete(Prompt *p) { cut(p, p->cur, next_cp(p, p->cur)); }
static void ed_kill_start(Prompt *p) { cut(p, 0, p->cur); }
static void ed_kill_end(Prompt *p) { cut(p, p->cur, p->len); }

/* Ctrl-W: delete the word (and the spaces) before the cursor. */
static void ed_kill_word(Prompt *p)
{
	size_t a = p->cur;
	while (a > 0 && p->buf[a - 1] == ' ')
		a--;
	while (a > 0 && p->buf[a - 1] != ' ')
		a--;
	cut(p, a, p->cur);
}

typedef struct EditKey {
	int key;
	void (*fn)(Prompt *p);
} EditKey;

static const EditKey edit_keys[] = {
	{ KEYC_LEFT, ed_left },          { KEY_CTRL('b'), ed_left },
	{ KEYC_RIGHT, ed_right },        { KEY_CTRL('f'), ed_right },
	{ KEYC_HOME, ed_home },          { KEY_CTRL('a'), ed_home },
	{ KEYC_END, ed_end },            { KEY_CTRL('e'), ed_end },
	{ KEYC_BACKSPACE, ed_backspace }, { KEY_CTRL('h'), ed_backspace },
	{ KEYC_DELETE, ed_delete },      { KEY_CTRL('d'), ed_delete },
	{ KEY_CTRL('u'), ed_kill_start }, { KEY_CTRL('k'), ed_kill_end },
	{ KEY_CTRL('w'), ed_kill_word },
};

/* Feed one key. */
PromptResult prompt_key(Prompt *p, int key)
{
	if (key == KEYC_PASTE_START) {
		p->pasting = true;
		return PROMPT_EDITING;
	}
	if (key == KEYC_PASTE_END) {
		p->pasting = false;
		return PROMPT_EDITING;
	}
	/* Inside a paste, Enter and Tab are text (as spaces), not commands. */
	if (p->pasting && (key == KEYC_ENTER || key == '\n' || key == KEYC_TAB)) {
		insert_cp(p, ' ');
		return PROMPT_EDITING;
	}
	if (key == KEYC_ENTER || key == '\n')
		return PROMPT_DONE;
	if (key == KEYC_ESC || key == KEY_CTRL('c') || key == KEY_CTRL('g'))
		return PROMPT_CANCELED;
	for (size_t i = 0; i < sizeof(edit_keys) / sizeof(edit_keys[0]); i++) {
		if (edit_keys[i].key == key) {
			edit_keys[i].fn(p);
			return PROMPT_EDITING;
		}
	}
	if (key == KEYC_TAB)
		return PROMPT_EDITING;   /* completion is the caller's */
	/* Printable code points only; controls and named keys are ignored. */
	if (key >= 0x20 && key < KEYC_BASE && key != 0x7F && !(key >= 0x80 && key < 0xA0) &&
	    sanitize_cp_width((uint32_t)key) > 0)
		insert_cp(p, (uint32_t)key);
	return PROMPT_EDITING;
}

/* Columns from the start of the text to the cursor. */
int prompt_cursor_col(const Prompt *p)
{
	int cols = 0;
	size_t i = 0;
	while (i < p->cur) {
		uint32_t cp;
		int n = sanitize_utf8_decode(p->buf + i, p->cur - i, &cp);
		int w = sanitize_cp_width(cp);
		cols += w > 0 ? w : 0;
		i += (size_t)n;
	}
	return cols;
}
