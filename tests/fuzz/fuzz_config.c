/*
 * fuzz_config.c: libFuzzer target for the config parser. Any bytes go to
 * config_parse with a key table and a price table; every error message must be
 * one printable line, the parsed config must keep its limits (runtime count,
 * budget count, NUL-terminated names), and everything must be freed (leaks are
 * findings). The same bytes also go to config_parse_duration and
 * config_parse_count. Built by run.sh with ASan+UBSan; not part of the normal build.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "swarmtop/config.h"
#include "swarmtop/keymap.h"
#include "swarmtop/usage.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Abort unless an error message is a short, printable, single line. */
static void fz_err(int line, const char *msg, void *ctx)
{
	(void)ctx;
	if (line < 1 || msg == NULL || strlen(msg) > 4096)
		abort();
	for (const unsigned char *p = (const unsigned char *)msg; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			abort();
}

/* Abort unless s is NUL-terminated within cap bytes. */
static void fz_bounded(const char *s, size_t cap)
{
	if (memchr(s, '\0', cap) == NULL)
		abort();
}

/* Parse the input as a config file and check the result's invariants. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	Config c;
	Keymap km;
	PriceTable pt;
	config_init(&c);
	keymap_default(&km);
	prices_init(&pt);
	int bad = config_parse(&c, &km, &pt, (const char *)data, size, fz_err, NULL);
	if (bad < 0 || c.nruntimes > CONFIG_MAX_RUNTIMES || c.nbudgets > CONFIG_MAX_BUDGETS)
		abort();
	for (size_t i = 0; i < c.nruntimes; i++)
		if (c.runtimes[i] == NULL)
			abort();
	fz_bounded(c.theme, sizeof(c.theme));
	fz_bounded(c.otlp, sizeof(c.otlp));
	for (size_t i = 0; i < c.nbudgets; i++) {
		fz_bounded(c.budgets[i].name, sizeof(c.budgets[i].name));
		fz_bounded(c.budgets[i].target, sizeof(c.budgets[i].target));
		if ((unsigned)c.budgets[i].scope >= BUDGET_SCOPE_COUNT ||
		    (unsigned)c.budgets[i].policy >= BUDGET_POLICY_COUNT || c.budgets[i].usd < 0 ||
		    c.budgets[i].tokens < 0)
			abort();
	}
	config_free(&c);
	prices_free(&pt);
	/* The same bytes as one short token. */
	char tok[64];
	size_t n = size < sizeof(tok) - 1 ? size : sizeof(tok) - 1;
	memcpy(tok, data, n);
	tok[n] = '\0';
	if (config_parse_duration(tok) < -1 || config_parse_count(tok) < -1)
		abort();
	return 0;
}
