/*
 * crt.c: ncurses edge. Owns curses initialisation and teardown, colour pairs
 * (one per theme element), painting canvases, key translation and the crash
 * path that puts the terminal back the way it was found.
 *
 * Crash handlers must be async-signal-safe, so they do not call endwin():
 * they restore the saved termios with tcsetattr() and write the escape
 * sequences that leave the alternate screen, show the cursor and turn off
 * mouse and bracketed-paste modes, then re-raise the signal.
 */
#include "swarmtop/crt.h"

#include <curses.h>
#include <langinfo.h>
#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>
#include <wchar.h>

#include "swarmtop/keymap.h"

static bool crt_active;
static bool crt_mono;
static struct termios crt_saved_termios;
static bool crt_have_termios;
static attr_t crt_attr[EL_COUNT];
static short crt_pair[EL_COUNT];

/* Bracketed paste on/off, mouse reporting off, cursor visible, leave the alternate screen. */
static const char crt_reset_seq[] = "\033[?2004l\033[?1000l\033[?1002l\033[?1006l\033[?25h\033[?1049l\r\n";

/* ncurses key code -> keymap code. */
static const struct {
	int curses;
	int key;
} crt_keys[] = {
	{ KEY_UP, KEYC_UP },         { KEY_DOWN, KEYC_DOWN },     { KEY_LEFT, KEYC_LEFT },
	{ KEY_RIGHT, KEYC_RIGHT },   { KEY_PPAGE, KEYC_PGUP },    { KEY_NPAGE, KEYC_PGDN },
	{ KEY_HOME, KEYC_HOME },     { KEY_END, KEYC_END },       { KEY_BTAB, KEYC_BTAB },
	{ KEY_SLEFT, KEYC_SLEFT },   { KEY_SRIGHT, KEYC_SRIGHT }, { KEY_DC, KEYC_DELETE },
	{ KEY_IC, KEYC_INSERT },     { KEY_BACKSPACE, KEYC_BACKSPACE }, { KEY_ENTER, KEYC_ENTER },
	{ KEY_RESIZE, KEYC_RESIZE }, { KEY_MOUSE, KEYC_MOUSE },   { KEY_F(1), KEYC_F1 },
	{ KEY_F(2), KEYC_F2 },       { KEY_F(3), KEYC_F3 },       { KEY_F(4), KEYC_F4 },
	{ KEY_F(5), KEYC_F5 },       { KEY_F(6), KEYC_F6 },       { KEY_F(7), KEYC_F7 },
	{ KEY_F(8), KEYC_F8 },       { KEY_F(9), KEYC_F9 },       { KEY_F(10), KEYC_F10 },
	{ KEY_F(11), KEYC_F11 },     { KEY_F(12), KEYC_F12 },
};

/* Theme attribute bits -> curses attributes. */
static const struct {
	unsigned bit;
	attr_t attr;
} crt_attrs[] = {
	{ THEME_BOLD, A_BOLD },     { THEME_UNDERLINE, A_UNDERLINE }, { THEME_REVERSE, A_REVERSE },
	{ THEME_DIM, A_DIM },       { THEME_ITALIC, A_ITALIC },
};

/* Restore the terminal from a signal handler: async-signal-safe calls only. */
static void crt_emergency_restore(void)
{
	if (crt_have_termios)
		tcsetattr(STDIN_FILENO, TCSANOW, &crt_saved_termios);
	ssize_t r = write(STDOUT_FILENO, crt_reset_seq, sizeof(crt_reset_seq) - 1);
	(void)r;
}

/* Fatal signal: restore the terminal, then die of the same signal. */
static void crt_crash(int sig)
{
	crt_emergency_restore();
	signal(sig, SIG_DFL);
	raise(sig);
}

/* Install handlers that restore the terminal on fatal signals and re-raise. */
void crt_install_crash_handlers(void)
{
	static const int sigs[] = { SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT };
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = crt_crash;
	sa.sa_flags = SA_RESETHAND | SA_NODEFER;
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaction(sigs[i], &sa, NULL);
}

/* True when the locale is UTF-8 (otherwise draw ASCII only). */
bool crt_locale_utf8(void)
{
	const char *cs = nl_langinfo(CODESET);
	return cs != NULL && (strcmp(cs, "UTF-8") == 0 || strcmp(cs, "utf8") == 0);
}

/* Start curses. Returns 0, or -1 with a message when stdin/stdout is not a terminal. */
int crt_init(bool no_color, char *err, size_t errlen)
{
	if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
		snprintf(err, errlen, "the dashboard needs a terminal (use 'swarmtop record' or 'tail' for scripts)");
		return -1;
	}
	setlocale(LC_ALL, "");
	if (tcgetattr(STDIN_FILENO, &crt_saved_termios) == 0)
		crt_have_termios = true;
	crt_install_crash_handlers();
	if (initscr() == NULL) {
		snprintf(err, errlen, "cannot initialise the terminal (TERM=%s)",
		         getenv("TERM") ? getenv("TERM") : "unset");
		return -1;
	}
	crt_active = true;
	raw();               /* Ctrl-C arrives as a key; SIGINT from kill still quits cleanly */
	noecho();
	nonl();
	keypad(stdscr, TRUE);
	nodelay(stdscr, TRUE);
	set_escdelay(25);
	curs_set(0);
	mousemask(BUTTON1_CLICKED | BUTTON1_PRESSED | BUTTON4_PRESSED | BUTTON5_PRESSED, NULL);
	mouseinterval(0);
	crt_mono = no_color || !has_colors();
	if (!crt_mono) {
		start_color();
		use_default_colors();
	}
	/* Bracketed paste: pasted text arrives between ESC[200~ and ESC[201~. */
	printf("\033[?2004h");
	fflush(stdout);
	define_key("\033[200~", KEY_MAX + 1);
	define_key("\033[201~", KEY_MAX + 2);
	return 0;
}

/* Restore the terminal (idempotent). */
void crt_done(void)
{
	if (!crt_active)
		return;
	crt_active = false;
	printf("\033[?2004l");
	fflush(stdout);
	curs_set(1);
	endwin();
}

/* Number of colours the terminal offers (0 when monochrome). */
int crt_colors(void)
{
	return crt_mono ? 0 : COLORS;
}

/* Map theme elements to colour pairs and attributes. */
void crt_set_theme(const Theme *t)
{
	int ncolors = crt_colors();
	int palette = ncolors >= 256 ? 256 : ncolors >= 16 ? 16 : 8;

	for (int e = 0; e < EL_COUNT; e++) {
		const Style *s = &t->style[e];
		attr_t a = A_NORMAL;
		for (size_t i = 0; i < sizeof(crt_attrs) / sizeof(crt_attrs[0]); i++)
			if (s->attr & crt_attrs[i].bit)
				a |= crt_attrs[i].attr;
		crt_attr[e] = a;
		crt_pair[e] = 0;
		if (ncolors > 0 && e + 1 < COLOR_PAIRS) {
			short fg = (short)theme_reduce_color(s->fg, palette);
			short bg = (short)theme_reduce_color(s->bg, palette);
			if (fg >= ncolors)
				fg = -1;
			if (bg >= ncolors)
				bg = -1;
			init_pair((short)(e + 1), fg, bg);
			crt_pair[e] = (short)(e + 1);
		}
	}
}

/* Current terminal size. */
void crt_size(int *w, int *h)
{
	getmaxyx(stdscr, *h, *w);
}

/* Paint a canvas (same size as the terminal) and update the screen once. */
void crt_paint(const Canvas *c, int cursor_x, int cursor_y)
{
	int sw, sh;
	getmaxyx(stdscr, sh, sw);
	for (int y = 0; y < c->h && y < sh; y++) {
		for (int x = 0; x < c->w && x < sw; x++) {
			const Cell *cell = &c->cells[y * c->w + x];
			if (cell->cp == 0)
				continue;       /* right half of a wide character */
			int el = cell->el < EL_COUNT ? cell->el : EL_DEFAULT;
			wchar_t wc[2] = { (wchar_t)cell->cp, 0 };
			cchar_t cc;
			/* The bottom-right cell would scroll the screen: skip its last column. */
			if (y == sh - 1 && x == sw - 1)
				continue;
			setcchar(&cc, wc, crt_attr[el], crt_pair[el], NULL);
			mvadd_wch(y, x, &cc);
		}
	}
	if (cursor_x >= 0 && cursor_y >= 0) {
		move(cursor_y, cursor_x);
		curs_set(1);
	} else {
		curs_set(0);
	}
	wnoutrefresh(stdscr);
	doupdate();
}

/* Repaint the whole screen on the next paint (Ctrl-L). */
void crt_force_repaint(void)
{
	clearok(curscr, TRUE);
}

/* Test hook (tests/integration/harden_signals.sh): with SWARMTOP_TEST_CRASH=segv, Ctrl-]
 * raises SIGSEGV, to prove the crash path restores the terminal. Compiled into the test
 * build only (-DSWARMTOP_TEST_HOOKS); inert otherwise. */
static void crt_test_crash(wint_t wc)
{
#ifdef SWARMTOP_TEST_HOOKS
	const char *how = wc == 0x1d ? getenv("SWARMTOP_TEST_CRASH") : NULL;
	if (how != NULL && strcmp(how, "segv") == 0)
		raise(SIGSEGV);
#else
	(void)wc;
#endif
}

/* Read one pending key without blocking. */
int crt_key(CrtMouse *mouse)
{
	wint_t wc;
	int r = wget_wch(stdscr, &wc);

	if (r == ERR)
		return -1;
	if (r == OK)
		crt_test_crash(wc);
	if (r == OK)
		return wc == '\r' ? KEYC_ENTER : (wc == 8 ? KEYC_BACKSPACE : (int)wc);
	if ((int)wc == KEY_MAX + 1)
		return KEYC_PASTE_START;
	if ((int)wc == KEY_MAX + 2)
		return KEYC_PASTE_END;
	if (wc == KEY_MOUSE) {
		MEVENT ev;
		if (getmouse(&ev) != OK || mouse == NULL)
			return -1;
		mouse->x = ev.x;
		mouse->y = ev.y;
		mouse->button = (ev.bstate & BUTTON4_PRESSED) ? 4 :
		                (ev.bstate & BUTTON5_PRESSED) ? 5 : 1;
		return KEYC_MOUSE;
	}
	for (size_t i = 0; i < sizeof(crt_keys) / sizeof(crt_keys[0]); i++)
		if (crt_keys[i].curses == (int)wc)
			return crt_keys[i].key;
	return -1;
}
