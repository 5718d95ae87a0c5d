/*
 * fuzz_json_diff.c: differential libFuzzer target, json.c against cJSON.
 * For every input both parsers must agree on accept/reject, and on accepted
 * documents on the whole tree: types, child counts and order, keys, strings,
 * numbers (same double; exact integers equal to it). json.c's own tree must
 * also be well formed (every container's children end where it says).
 *
 * Intentional differences, excluded explicitly (cJSON is lenient, json.c is
 * strict RFC 8259 or documents a choice):
 *  - control bytes other than TAB, LF, CR anywhere: cJSON skips every byte
 *    <= 0x20 as whitespace; and raw controls inside strings (TAB, LF, CR
 *    too), which cJSON accepts: excluded when json.c said JSON_E_CONTROL;
 *  - a leading UTF-8 BOM: cJSON skips it;
 *  - numbers: cJSON hands [0-9+-.eE]* to strtod, so it accepts 01, -01, 1.,
 *    -.5, 1.e5; excluded only when json.c rejected for a number reason;
 *  - number tokens of 63+ characters: cJSON copies at most 63 into a buffer
 *    and trips over the rest;
 *  - lone UTF-16 surrogates: cJSON rejects, json.c decodes them to U+FFFD;
 *  - \u with non-hex digits ("\u00T0"): cJSON reads it as U+0000, json.c rejects;
 *  - strings and keys holding \u0000: cJSON ends them there; compared up to
 *    the first NUL.
 * Built by tests/fuzz/run.sh with ASan+UBSan; not part of the normal build.
 */
#include <ctype.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "swarmtop/json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Bytes of s (len bytes) up to the first NUL. */
static size_t cut_nul(const char *s, size_t len)
{
	const char *nul = memchr(s, '\0', len);
	return nul ? (size_t)(nul - s) : len;
}

/* True when the input holds something only cJSON's leniency accepts (see the top). */
static bool lenient_input(const uint8_t *d, size_t n)
{
	size_t run = 0;

	if (n >= 3 && d[0] == 0xEF && d[1] == 0xBB && d[2] == 0xBF)
		return true;
	for (size_t i = 0; i < n; i++) {
		if (d[i] < 0x20 && d[i] != '\t' && d[i] != '\n' && d[i] != '\r')
			return true;
		/* cJSON's parse_hex4 returns 0 for a bad digit: "\u00T0" is read as U+0000. */
		if (d[i] == '\\' && i + 1 < n && d[i + 1] == 'u') {
			for (size_t k = i + 2; k < i + 6; k++)
				if (k >= n || !isxdigit(d[k]))
					return true;
		}
		run = strchr("0123456789+-.eE", d[i]) != NULL && d[i] != '\0' ? run + 1 : 0;
		if (run >= 63)
			return true;
	}
	return false;
}

/* True when json.c rejected what cJSON lets through: a number its strtod takes (01, 1.,
 * -.5, 1.e5) or a raw control byte (TAB, LF, CR included) inside a string. */
static bool lenient_reject(const Json *j, const uint8_t *d)
{
	if (j->err == JSON_E_LEADING_ZERO || j->err == JSON_E_NUMBER || j->err == JSON_E_CONTROL)
		return true;

	return j->err == JSON_E_END && j->err_at > 0 && strchr(".eE+-", d[j->err_at - 1]) != NULL;
}

/* Abort unless json.c's node n equals cJSON's item c, recursively. */
static void same(const Json *j, const JsonNode *n, const cJSON *c)
{
	static const int want[JSON_TYPE_COUNT] = {
		[JSON_NULL] = cJSON_NULL,     [JSON_FALSE] = cJSON_False,
		[JSON_TRUE] = cJSON_True,     [JSON_NUMBER] = cJSON_Number,
		[JSON_STRING] = cJSON_String, [JSON_ARRAY] = cJSON_Array,
		[JSON_OBJECT] = cJSON_Object,
	};

	if (n->type >= JSON_TYPE_COUNT || (c->type & 0xFF) != want[n->type])
		abort();
	if (n->key != NULL || c->string != NULL) {
		if (n->key == NULL || c->string == NULL)
			abort();
		size_t kl = cut_nul(n->key, n->keylen);
		if (kl != strlen(c->string) || memcmp(n->key, c->string, kl) != 0)
			abort();
	}
	switch (n->type) {
	case JSON_NUMBER:
		if (n->num != c->valuedouble)
			abort();
		if ((n->flags & JSON_INT) && (double)n->i != c->valuedouble)
			abort();
		break;
	case JSON_STRING: {
		size_t l = cut_nul(n->str, n->len);
		if (c->valuestring == NULL || l != strlen(c->valuestring) ||
		    memcmp(n->str, c->valuestring, l) != 0)
			abort();
		if (((n->flags & JSON_NUL) != 0) != (l != n->len))
			abort();
		break;
	}
	case JSON_ARRAY:
	case JSON_OBJECT: {
		const JsonNode *e = json_first(j, n);
		const cJSON *ce = c->child;
		for (uint32_t i = 0; i < n->len; i++, e = json_after(j, e), ce = ce->next) {
			if (ce == NULL)
				abort();
			same(j, e, ce);
		}
		if (ce != NULL)
			abort();
		break;
	}
	default:
		break;
	}
}

/* Abort unless every container's children end exactly at its next index. */
static void well_formed(const Json *j)
{
	for (uint32_t i = 0; i < j->count; i++) {
		const JsonNode *n = &j->nodes[i];
		if (n->next <= i || n->next > j->count)
			abort();
		if (n->type == JSON_ARRAY || n->type == JSON_OBJECT) {
			uint32_t at = i + 1;
			for (uint32_t k = 0; k < n->len; k++) {
				if (at >= n->next)
					abort();
				at = j->nodes[at].next;
			}
			if (at != n->next)
				abort();
		} else if (n->next != i + 1) {
			abort();
		}
	}
	if (j->count == 0 || j->nodes[0].next != j->count)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static Arena arena;
	static int init;
	const char *end = NULL;
	Json j;
	cJSON *c;
	bool ok, cok;

	if (!init) {
		arena_init(&arena, 64 * 1024);
		init = 1;
	}
	arena_reset(&arena);
	ok = json_parse(&j, (const char *)data, size, &arena);
	if (ok)
		well_formed(&j);
	else if (j.err == JSON_OK || j.err >= JSON_ERROR_COUNT || j.err_at > size)
		abort();
	c = cJSON_ParseWithLengthOpts((const char *)data, size, &end, 0);
	cok = c != NULL && end != NULL;
	if (cok) {
		/* cJSON stops after the value; only whitespace may follow. */
		for (const char *p = end; p < (const char *)data + size; p++)
			if (*p != ' ' && *p != '\t' && *p != '\n' && *p != '\r')
				cok = false;
	}
	if (ok != cok && !lenient_input(data, size) && !(ok && j.replaced > 0) &&
	    !(!ok && lenient_reject(&j, data)))
		abort();
	if (ok && cok)
		same(&j, &j.nodes[0], c);
	cJSON_Delete(c);
	return 0;
}
