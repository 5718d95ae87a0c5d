/*
 * test_json.c: the strict JSON reader. JSONTestSuite-style cases written
 * here: y_ documents must parse, n_ documents must be rejected (with the
 * expected reason where it matters), i_ (implementation-defined) choices are
 * pinned down. Values are checked: exact integers, doubles equal to strtod's,
 * escapes and surrogates decoded, tree navigation, duplicate keys, depth.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "swarmtop/json.h"

static Arena arena;

/* Parse len bytes, resetting the arena first. */
static bool parse_n(Json *j, const char *s, size_t len)
{
	arena_reset(&arena);
	return json_parse(j, s, len, &arena);
}

/* Parse a NUL-terminated document. */
static bool parse(Json *j, const char *s)
{
	return parse_n(j, s, strlen(s));
}

/* Documents every strict parser accepts. */
static void test_y_cases(void **state)
{
	static const char *const y[] = {
		"[]",
		"{}",
		" [ ] ",
		"\t\n\r {}\r\n",
		"[1,2,3]",
		"{\"a\":1,\"b\":[true,false,null]}",
		"0",
		"-0",
		"1e5",
		"1E+5",
		"1e-5",
		"1.5",
		"-1.5e-3",
		"0.0",
		"0e0",
		"-0.0E-0",
		"123456789012345678901234567890",
		"1e400",
		"-1e400",
		"1e-400",
		"\"\"",
		"\"\\u0000\"",
		"\"\\ud83d\\ude00\"",
		"\"\\/\\b\\f\\n\\r\\t\\\\\\\"\"",
		"[[[[]]]]",
		"\"\xe6\xbc\xa2\"",
		"{\"a\":1,\"a\":2}",
		"true",
		"false",
		"null",
		"[null]",
		"{\"\":0}",
		"[\"\\u00e9\\u00C9\"]",
		"[-9007199254740991]",
		"{ \"a\" : [ 1 , 2 ] }",
		"\"\x7f\"",
		"[1e0,1E1,1e+1,1e-1,10.25]",
	};
	Json j;
	(void)state;
	for (size_t i = 0; i < sizeof(y) / sizeof(y[0]); i++) {
		bool ok = parse(&j, y[i]);
		if (!ok)
			fprintf(stderr, "y case %zu rejected: %s (%s at %zu)\n", i, y[i],
				json_error_str(j.err), j.err_at);
		assert_true(ok);
		assert_true(j.count >= 1);
	}
}

/* Documents a strict parser rejects, with the reason code. */
static void test_n_cases(void **state)
{
	static const struct {
		const char *doc;
		JsonError err;
	} n[] = {
		{"", JSON_E_END},
		{" ", JSON_E_END},
		{"[", JSON_E_END},
		{"]", JSON_E_TOKEN},
		{"[1,]", JSON_E_TOKEN},
		{"{\"a\":1,}", JSON_E_TOKEN},
		{"[,1]", JSON_E_TOKEN},
		{"{,}", JSON_E_TOKEN},
		{"{\"a\"}", JSON_E_TOKEN},
		{"{\"a\" 1}", JSON_E_TOKEN},
		{"{a:1}", JSON_E_TOKEN},
		{"{'a':1}", JSON_E_TOKEN},
		{"['a']", JSON_E_TOKEN},
		{"[01]", JSON_E_LEADING_ZERO},
		{"[-01]", JSON_E_LEADING_ZERO},
		{"[00]", JSON_E_LEADING_ZERO},
		{"[1.]", JSON_E_NUMBER},
		{"[.5]", JSON_E_TOKEN},
		{"[-.5]", JSON_E_NUMBER},
		{"[1.e5]", JSON_E_NUMBER},
		{"[1e]", JSON_E_NUMBER},
		{"[1e+]", JSON_E_NUMBER},
		{"[+1]", JSON_E_TOKEN},
		{"[-]", JSON_E_NUMBER},
		{"[0x10]", JSON_E_TOKEN},
		{"[NaN]", JSON_E_TOKEN},
		{"[Infinity]", JSON_E_TOKEN},
		{"[-Infinity]", JSON_E_NUMBER},
		{"[tru]", JSON_E_TOKEN},
		{"[nul", JSON_E_END},
		{"[truex]", JSON_E_TOKEN},
		{"[True]", JSON_E_TOKEN},
		{"\"abc", JSON_E_END},
		{"\"\\x\"", JSON_E_ESCAPE},
		{"\"\\u12\"", JSON_E_ESCAPE},
		{"\"\\u12g4\"", JSON_E_ESCAPE},
		{"\"\\U0041\"", JSON_E_ESCAPE},
		{"\"a\nb\"", JSON_E_CONTROL},
		{"\"\t\"", JSON_E_CONTROL},
		{"\"\x1b[31m\"", JSON_E_CONTROL},
		{"\"\\\x01\"", JSON_E_ESCAPE},
		{"[1] x", JSON_E_TRAILING},
		{"[1]]", JSON_E_TRAILING},
		{"{} {}", JSON_E_TRAILING},
		{"/* c */ {}", JSON_E_TOKEN},
		{"{}//", JSON_E_TRAILING},
		{"\xef\xbb\xbf{}", JSON_E_TOKEN},
		{"[1 2]", JSON_E_TOKEN},
		{"[\"a\" \"b\"]", JSON_E_TOKEN},
		{"\"\\", JSON_E_END},
		{"[1,\n]", JSON_E_TOKEN},
		{"\x0c[]", JSON_E_TOKEN},
		{"[]\x0c", JSON_E_TRAILING},
		{"[\x0b]", JSON_E_TOKEN},
		{"{\"a\":}", JSON_E_TOKEN},
		{"{\"a\"::1}", JSON_E_TOKEN},
		{"{1:1}", JSON_E_TOKEN},
		{"[1;2]", JSON_E_TOKEN},
		{"{\"a\":1]", JSON_E_TOKEN},
		{"[1}", JSON_E_TOKEN},
		{"\xff", JSON_E_TOKEN},
		{"'x'", JSON_E_TOKEN},
		{"[\"\\u00\"]", JSON_E_ESCAPE},
		{"-", JSON_E_END},
		{"1.", JSON_E_END},
		{"1e", JSON_E_END},
		{"{\"a\":1", JSON_E_END},
	};
	Json j;
	(void)state;
	for (size_t i = 0; i < sizeof(n) / sizeof(n[0]); i++) {
		bool ok = parse(&j, n[i].doc);
		if (ok || j.err != n[i].err)
			fprintf(stderr, "n case %zu (%s): ok=%d err=%s\n", i, n[i].doc, ok,
				json_error_str(j.err));
		assert_false(ok);
		assert_int_equal(j.err, n[i].err);
		assert_true(j.err_at <= strlen(n[i].doc));
	}
}

/* NUL bytes count as bytes (the length rules): inside a value or after it they are errors. */
static void test_nul_bytes(void **state)
{
	Json j;
	(void)state;
	assert_false(parse_n(&j, "[1]\0", 4));
	assert_int_equal(j.err, JSON_E_TRAILING);
	assert_int_equal(j.err_at, 3);
	assert_false(parse_n(&j, "[\0]", 3));
	assert_int_equal(j.err, JSON_E_TOKEN);
	assert_false(parse_n(&j, "\"a\0b\"", 5));
	assert_int_equal(j.err, JSON_E_CONTROL);
	assert_int_equal(j.err_at, 2);
	assert_false(parse_n(&j, "\0", 1));
	/* The length bounds the input: a valid document cut short is incomplete. */
	assert_false(parse_n(&j, "{\"a\":[1,2]}", 10));
	assert_int_equal(j.err, JSON_E_END);
	assert_false(parse_n(&j, NULL, 0));
}

/* Where errors are reported. */
static void test_error_offsets(void **state)
{
	Json j;
	(void)state;
	assert_false(parse(&j, "[1,]"));
	assert_int_equal(j.err_at, 3);
	assert_false(parse(&j, "{\"a\":1}  x"));
	assert_int_equal(j.err, JSON_E_TRAILING);
	assert_int_equal(j.err_at, 7); /* where the value ended */
	assert_false(parse(&j, "[\"ab\\q\"]"));
	assert_int_equal(j.err_at, 4);
	for (int e = 0; e <= JSON_ERROR_COUNT; e++)
		assert_true(strlen(json_error_str((JsonError)e)) > 0);
}

/* Integers are exact in (-2^53, 2^53); integral doubles count as integers. */
static void test_integers(void **state)
{
	static const struct {
		const char *doc;
		bool is_int;
		int64_t i;
	} cases[] = {
		{"0", true, 0},
		{"-0", true, 0},
		{"7", true, 7},
		{"-7", true, -7},
		{"9007199254740991", true, 9007199254740991LL},
		{"-9007199254740991", true, -9007199254740991LL},
		{"9007199254740992", false, 0},
		{"-9007199254740992", false, 0},
		{"9007199254740993", false, 0},
		{"18446744073709551616", false, 0},
		{"99999999999999999999999", false, 0},
		{"4294967297", true, 4294967297LL},
		{"2.0", true, 2},
		{"1e3", true, 1000},
		{"1E+3", true, 1000},
		{"12.5e1", true, 125},
		{"1.5", false, 0},
		{"1e-400", true, 0},
		{"1e400", false, 0},
		{"0.1e1", true, 1},
		{"100e-2", true, 1},
		{"9007199254740991.0", true, 9007199254740991LL},
		{"1e15", true, 1000000000000000LL},
	};
	Json j;
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_true(parse(&j, cases[i].doc));
		assert_int_equal(j.nodes[0].type, JSON_NUMBER);
		if (((j.nodes[0].flags & JSON_INT) != 0) != cases[i].is_int)
			fprintf(stderr, "int case %s\n", cases[i].doc);
		assert_int_equal((j.nodes[0].flags & JSON_INT) != 0, cases[i].is_int);
		if (cases[i].is_int)
			assert_true(j.nodes[0].i == cases[i].i);
		assert_true(j.nodes[0].num == strtod(cases[i].doc, NULL));
	}
	assert_true(parse(&j, "-0"));
	assert_true(signbit(j.nodes[0].num));
	assert_true(parse(&j, "1e400"));
	assert_true(isinf(j.nodes[0].num));
}

/* Doubles are exactly what strtod gives, on both the fast path and the slow one. */
static void test_doubles_match_strtod(void **state)
{
	static const char *const fixed[] = {
		"0.1",
		"0.2",
		"0.30000000000000004",
		"1.7976931348623157e308",
		"4.9e-324",
		"2.2250738585072014e-308",
		"123456789012345678e-5",
		"0.000001",
		"3.14159265358979",
		"1e22",
		"1e23",
		"9007199254740993e-3",
		"0.99",
		"1.05",
		"-0.5",
		"5e-1",
		"0.0000000000000000000000000001",
		"12345678901234567890.123",
		"8.5e-22",
	};
	Json j;
	uint64_t r = 88172645463325252ULL;
	char buf[64];
	(void)state;
	for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++) {
		assert_true(parse(&j, fixed[i]));
		assert_true(j.nodes[0].num == strtod(fixed[i], NULL));
	}
	/* Random mantissas and exponents across the fast path's edges. */
	for (int i = 0; i < 200000; i++) {
		r ^= r << 13;
		r ^= r >> 7;
		r ^= r << 17;
		int digits = 1 + (int)(r % 19), frac = (int)((r >> 8) % 20);
		int exp = (int)((r >> 16) % 61) - 30;
		char mant[32];
		snprintf(mant, sizeof(mant), "%019llu",
			 (unsigned long long)(r >> 1) % 10000000000000000000ULL);
		mant[digits] = '\0';
		if (mant[0] == '0')
			mant[0] = '1';
		if (frac > 0 && frac < digits)
			snprintf(buf, sizeof(buf), "%s%.*s.%se%d", (r & 1) ? "-" : "",
				 digits - frac, mant, mant + digits - frac, exp);
		else
			snprintf(buf, sizeof(buf), "%s%se%d", (r & 1) ? "-" : "", mant, exp);
		if (!parse(&j, buf))
			fprintf(stderr, "double %s rejected\n", buf);
		assert_true(j.err == JSON_OK);
		if (j.nodes[0].num != strtod(buf, NULL))
			fprintf(stderr, "double %s: %.17g vs %.17g\n", buf, j.nodes[0].num,
				strtod(buf, NULL));
		assert_true(j.nodes[0].num == strtod(buf, NULL));
	}
}

/* Check that the single string in doc decodes to want (wlen bytes). */
static void check_string(const char *doc, const char *want, size_t wlen)
{
	Json j;
	assert_true(parse(&j, doc));
	assert_int_equal(j.nodes[0].type, JSON_STRING);
	assert_int_equal(j.nodes[0].len, wlen);
	assert_memory_equal(j.nodes[0].str, want, wlen);
}

/* Escapes and \u sequences become UTF-8; lone surrogates become U+FFFD. */
static void test_strings(void **state)
{
	Json j;
	const char *doc = "\"plain text\"";
	(void)state;
	check_string("\"\\/\\b\\f\\n\\r\\t\\\\\\\"\"", "/\b\f\n\r\t\\\"", 8);
	check_string("\"\\u0041\\u00e9\\u6F22\"", "A\xc3\xa9\xe6\xbc\xa2", 6);
	check_string("\"\\ud83d\\ude00\"", "\xf0\x9f\x98\x80", 4);
	check_string("\"\\uDBFF\\uDFFF\"", "\xf4\x8f\xbf\xbf", 4);
	check_string("\"\\u0000\"", "\0", 1);
	check_string("\"a\\u0000b\"", "a\0b", 3);
	/* Raw bytes >= 0x80 are kept as they are, even invalid UTF-8 (i_ case). */
	check_string("\"\xff\xfe\"", "\xff\xfe", 2);
	/* Lone surrogates. */
	assert_true(parse(&j, "\"\\ud800\""));
	assert_int_equal(j.replaced, 1);
	check_string("\"\\ud800\"", "\xef\xbf\xbd", 3);
	check_string("\"\\udc00x\"", "\xef\xbf\xbdx", 4);
	check_string("\"\\ud800\\u0041\"",
		     "\xef\xbf\xbd"
		     "A",
		     4);
	check_string("\"\\ud800\\ud800\\udc00\"", "\xef\xbf\xbd\xf0\x90\x80\x80", 7);
	check_string("\"\\ud800\\\"\"", "\xef\xbf\xbd\"", 4);
	check_string("\"\\ude00\\ud83d\"", "\xef\xbf\xbd\xef\xbf\xbd", 6);
	assert_true(parse(&j, "\"\\ude00\\ud83d\""));
	assert_int_equal(j.replaced, 2);
	/* \u0000 is flagged, other strings are not. */
	assert_true(parse(&j, "[\"\\u0000\",\"\\n\"]"));
	assert_true(j.nodes[1].flags & JSON_NUL);
	assert_false(j.nodes[2].flags & JSON_NUL);
	/* A string without escapes points into the input: no copy. */
	assert_true(parse(&j, doc));
	assert_ptr_equal(j.nodes[0].str, doc + 1);
	/* Long strings, every length around the 8-byte scan, with a stop byte at each place. */
	for (size_t len = 0; len < 40; len++) {
		char s[64], w[64];
		for (size_t k = 0; k < len; k++)
			w[k] = (char)('a' + (char)(k % 26));
		s[0] = '"';
		memcpy(s + 1, w, len);
		s[len + 1] = '"';
		assert_true(parse_n(&j, s, len + 2));
		assert_int_equal(j.nodes[0].len, len);
		assert_memory_equal(j.nodes[0].str, w, len);
		for (size_t k = 0; k < len; k++) {
			char t[64];
			memcpy(t, s, len + 2);
			t[k + 1] = '\x1f';
			assert_false(parse_n(&j, t, len + 2));
			assert_int_equal(j.err, JSON_E_CONTROL);
			assert_int_equal(j.err_at, k + 1);
			t[k + 1] = '"';
			assert_false(parse_n(&j, t, len + 2)); /* a string, then trailing data */
		}
	}
}

/* Containers: child counts, subtree skipping, member lookup, first duplicate wins. */
static void test_tree(void **state)
{
	Json j;
	const JsonNode *root, *a, *c, *x;
	(void)state;
	assert_true(parse(&j, "{\"a\":[1,{\"b\":2},[]],\"c\":3,\"a\":\"dup\",\"ab\":4}"));
	assert_int_equal(j.count, 9);
	root = &j.nodes[0];
	assert_int_equal(root->type, JSON_OBJECT);
	assert_int_equal(root->len, 4);
	assert_int_equal(root->next, 9);
	a = json_first(&j, root);
	assert_int_equal(a->keylen, 1);
	assert_memory_equal(a->key, "a", 1);
	assert_int_equal(a->type, JSON_ARRAY);
	assert_int_equal(a->len, 3);
	x = json_first(&j, a);
	assert_true(x->i == 1 && x->key == NULL);
	x = json_after(&j, x);
	assert_int_equal(x->type, JSON_OBJECT);
	assert_true(json_get(&j, x, "b", 1)->i == 2);
	x = json_after(&j, x);
	assert_int_equal(x->type, JSON_ARRAY);
	assert_null(json_first(&j, x));
	c = json_after(&j, a);
	assert_memory_equal(c->key, "c", 1);
	assert_true(c->i == 3);
	/* Lookup by key: exact length, first duplicate. */
	assert_ptr_equal(json_get(&j, root, "a", 1), a);
	assert_true(json_get(&j, root, "ab", 2)->i == 4);
	assert_null(json_get(&j, root, "b", 1));
	assert_null(json_get(&j, root, "", 0));
	assert_null(json_get(&j, a, "a", 1)); /* not an object */
	assert_null(json_get(&j, NULL, "a", 1));
	/* Escaped keys are decoded. */
	assert_true(parse(&j, "{\"t\\u0079pe\":1}"));
	assert_non_null(json_get(&j, &j.nodes[0], "type", 4));
	/* Walking every child of a long array lands on each element in turn. */
	assert_true(parse(&j, "[[1,[2]],3,{\"k\":[4]},5]"));
	x = json_first(&j, &j.nodes[0]);
	int64_t want[] = {-1, 3, -1, 5};
	for (uint32_t i = 0; i < j.nodes[0].len; i++, x = json_after(&j, x))
		if (want[i] >= 0)
			assert_true(x->i == want[i]);
}

/* Nesting up to JSON_MAX_DEPTH parses; one level deeper is rejected, 100 000 does not crash. */
static void test_depth(void **state)
{
	size_t big = 100000;
	char *buf = malloc(2 * big + 16);
	Json j;
	(void)state;
	assert_non_null(buf);
	memset(buf, '[', JSON_MAX_DEPTH);
	memset(buf + JSON_MAX_DEPTH, ']', JSON_MAX_DEPTH);
	assert_true(parse_n(&j, buf, 2 * JSON_MAX_DEPTH));
	assert_int_equal(j.count, JSON_MAX_DEPTH);
	memset(buf, '[', JSON_MAX_DEPTH + 1);
	memset(buf + JSON_MAX_DEPTH + 1, ']', JSON_MAX_DEPTH + 1);
	assert_false(parse_n(&j, buf, 2 * JSON_MAX_DEPTH + 2));
	assert_int_equal(j.err, JSON_E_DEPTH);
	assert_int_equal(j.err_at, JSON_MAX_DEPTH);
	assert_string_equal(json_error_str(j.err), "nested deeper than 1000 levels");
	memset(buf, '[', big);
	memset(buf + big, ']', big);
	assert_false(parse_n(&j, buf, 2 * big));
	assert_int_equal(j.err, JSON_E_DEPTH);
	/* Objects count the same as arrays. */
	char *p = buf;
	for (int i = 0; i < JSON_MAX_DEPTH + 1; i++)
		memcpy(p, "{\"a\":", 5), p += 5;
	*p++ = '1';
	memset(p, '}', JSON_MAX_DEPTH + 1);
	p += JSON_MAX_DEPTH + 1;
	assert_false(parse_n(&j, buf, (size_t)(p - buf)));
	assert_int_equal(j.err, JSON_E_DEPTH);
	/* Deep but closed, then siblings: the stack unwinds correctly. */
	assert_true(parse(&j, "[[[[1]]],[[2]],3]"));
	assert_int_equal(j.nodes[0].len, 3);
	free(buf);
}

/* A small scratch array overflows into the arena with the same result. */
static void test_scratch_growth(void **state)
{
	JsonNode scratch[8];
	Json j;
	size_t cap = 400000, n = 0;
	char *buf = malloc(cap);
	(void)state;
	assert_non_null(buf);
	n += (size_t)sprintf(buf, "{\"list\":[");
	for (int i = 0; i < 20000; i++)
		n += (size_t)sprintf(buf + n, "%s{\"v\":%d}", i ? "," : "", i);
	n += (size_t)sprintf(buf + n, "],\"end\":true}");
	arena_reset(&arena);
	assert_true(json_parse_with(&j, buf, n, &arena, scratch, 8));
	assert_int_equal(j.count, 2 + 2 * 20000 + 1);
	assert_true(j.nodes != scratch);
	const JsonNode *list = json_get(&j, &j.nodes[0], "list", 4), *e = json_first(&j, list);
	for (int i = 0; i < 20000; i++, e = json_after(&j, e))
		assert_true(json_get(&j, e, "v", 1)->i == i);
	assert_int_equal(json_get(&j, &j.nodes[0], "end", 3)->type, JSON_TRUE);
	/* Small documents stay in the scratch array. */
	arena_reset(&arena);
	assert_true(json_parse_with(&j, "[1,2]", 5, &arena, scratch, 8));
	assert_ptr_equal(j.nodes, scratch);
	free(buf);
}

/* Every proper prefix of a valid document is rejected; every single byte is handled. */
static void test_prefixes_and_bytes(void **state)
{
	const char *doc = "{\"a\":[1.5e3,-2,\"x\\u00e9\\n\",true,false,null,{}],\"b\":{\"c\":[]}}";
	size_t len = strlen(doc);
	Json j;
	(void)state;
	assert_true(parse(&j, doc));
	for (size_t i = 0; i < len; i++)
		assert_false(parse_n(&j, doc, i));
	for (int b = 0; b < 256; b++) {
		char c = (char)b;
		bool ok = parse_n(&j, &c, 1);
		assert_int_equal(ok, b >= '0' && b <= '9');
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_y_cases),
		cmocka_unit_test(test_n_cases),
		cmocka_unit_test(test_nul_bytes),
		cmocka_unit_test(test_error_offsets),
		cmocka_unit_test(test_integers),
		cmocka_unit_test(test_doubles_match_strtod),
		cmocka_unit_test(test_strings),
		cmocka_unit_test(test_tree),
		cmocka_unit_test(test_depth),
		cmocka_unit_test(test_scratch_growth),
		cmocka_unit_test(test_prefixes_and_bytes),
	};
	int rc;
	arena_init(&arena, 64 * 1024);
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	arena_free(&arena);
	return rc;
}
