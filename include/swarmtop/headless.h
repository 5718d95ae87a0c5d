/*
 * headless.h: the subcommands without a screen, for scripts and CI.
 *
 *   record URL...   persist everything; a status line on stderr every second
 *   tail URL...     one sanitized line per event (--json: the message as received)
 *   ctl URL ACTION  one command; prints its acks; exit 0 applied, 1 rejected/unanswered, 2 error
 *   sessions        the recorded sessions as a table
 *   export SESSION  a session as JSON lines: the events as received, then x-command and
 *                   x-gap lines (see headless.c for their fields)
 *
 * Each returns the process exit code (0 ok, 1 operational failure, 2 usage error) after
 * printing a one-line error on stderr for any failure. Never prints the token.
 */
#ifndef SWARMTOP_HEADLESS_H
#define SWARMTOP_HEADLESS_H

#include "swarmtop/cli.h"

/* swarmtop record URL... */
int headless_record(const CliOptions *o);

/* swarmtop tail [--json] URL... */
int headless_tail(const CliOptions *o);

/* swarmtop ctl URL ACTION [--agent ID|--task ID] [--text T] [--reason R] */
int headless_ctl(const CliOptions *o);

/* swarmtop sessions */
int headless_sessions(const CliOptions *o);

/* swarmtop export SESSION [--format jsonl] */
int headless_export(const CliOptions *o);

#endif
