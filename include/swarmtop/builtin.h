/*
 * builtin.h: files compiled into the binary so that one small executable
 * works anywhere: the shipped themes (themes/NAME.theme) and the default price
 * table (docs/prices). The build generates builtin.c from those files; the
 * files on disk stay the source of truth and users override them in their
 * config directory.
 */
#ifndef SWARMTOP_BUILTIN_H
#define SWARMTOP_BUILTIN_H

#include <stddef.h>

typedef struct BuiltinFile {
	const char *name;   /* theme name ("default") or "prices" */
	const char *text;
} BuiltinFile;

extern const BuiltinFile builtin_themes[];
extern const size_t builtin_themes_count;
extern const char builtin_prices[];

/* The built-in theme called name, or NULL. */
const char *builtin_theme(const char *name);

#endif
