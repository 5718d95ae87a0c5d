/*
 * prompt.h: a one-line editor for the `:` command prompt, the `/` filter,
 * inject text and reasons: cursor movement, backspace/delete, Ctrl-A/E,
 * Ctrl-U (kill to start), Ctrl-W (kill word), Ctrl-K (kill to end), and
 * paste (bracketed paste arrives as ordinary keys; newlines become spaces).
 * Text is UTF-8; the cursor moves by code points.
 *
 * Pure: no I/O.
 */
#ifndef SWARMTOP_PROMPT_H
#define SWARMTOP_PROMPT_H

#include <stdbool.h>
#include <stddef.h>

#define PROMPT_MAX 4096

typedef enum PromptResult {
	PROMPT_EDITING,    /* still editing */
	PROMPT_DONE,       /* Enter */
	PROMPT_CANCELED,   /* Esc or Ctrl-C */
} PromptResult;

typedef struct Prompt {
	char label[64];       /* shown before the text: ":", "/", "inject> " */
	char buf[PROMPT_MAX];
	size_t len;           /* bytes */
	size_t cur;           /* cursor, a byte offset at a code point boundary */
	bool pasting;         /* inside a bracketed paste */
} Prompt;

/* Start editing with a label and initial text. */
void prompt_open(Prompt *p, const char *label, const char *initial);

/* Feed one key (keymap codes: code points and KEYC_*). */
PromptResult prompt_key(Prompt *p, int key);

/* Columns from the start of the text to the cursor (for placing the terminal cursor). */
int prompt_cursor_col(const Prompt *p);

#endif
