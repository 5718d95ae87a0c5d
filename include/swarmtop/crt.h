/*
 * crt.h: the terminal. ncurses set-up and teardown, colour pairs from a
 * Theme, painting a Canvas with one doupdate(), reading keys (translated to
 * keymap codes), mouse and bracketed paste, and restoring the terminal on
 * every way out: normal exit, SIGINT/SIGTERM/SIGHUP, and crashes.
 *
 * This is the only module that includes curses.h.
 */
#ifndef SWARMTOP_CRT_H
#define SWARMTOP_CRT_H

#include <stdbool.h>

#include "swarmtop/canvas.h"
#include "swarmtop/theme.h"

typedef struct CrtMouse {
	int x, y;
	int button;      /* 1 left, 2 middle, 3 right, 4 wheel up, 5 wheel down */
} CrtMouse;

/* Start curses. no_color forces attributes only; ascii is decided by the caller.
 * Returns 0, or -1 with a message in err when stdin/stdout is not a terminal. */
int crt_init(bool no_color, char *err, size_t errlen);

/* Restore the terminal (idempotent). */
void crt_done(void);

/* Number of colours the terminal offers (0 when monochrome). */
int crt_colors(void);

/* Map theme elements to colour pairs and attributes. */
void crt_set_theme(const Theme *t);

/* Current terminal size. */
void crt_size(int *w, int *h);

/* Paint a canvas (same size as the terminal) and update the screen once. */
void crt_paint(const Canvas *c, int cursor_x, int cursor_y);

/* Repaint the whole screen on the next paint (Ctrl-L). */
void crt_force_repaint(void);

/* Read one pending key without blocking: a keymap code (see keymap.h), KEYC_RESIZE,
 * KEYC_MOUSE (then *mouse is set), or -1 when none is pending. */
int crt_key(CrtMouse *mouse);

/* True when the locale is UTF-8 (otherwise draw ASCII only). */
bool crt_locale_utf8(void);

/* Install handlers that restore the terminal on fatal signals and re-raise. */
void crt_install_crash_handlers(void);

#endif
