/*
 * json.c: the strict JSON reader (see json.h). Owns the grammar (RFC 8259),
 * escape decoding and number conversion for the decode hot path.
 *
 * One iterative pass with an explicit stack of open containers (bounded by
 * JSON_MAX_DEPTH, so hostile nesting costs no C stack), appending nodes to an
 * arena array that doubles when full. Strings without escapes are not copied;
 * integers are read exactly without strtod; other numbers go through strtod
 * in a locale-proof form (digits and an exponent, no decimal point).
 *
 * Pure: must not do I/O, allocate outside the caller's Arena, or keep state.
 */
#include "swarmtop/json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct Parser {
	const unsigned char *buf, *end;
	Json *j;
	Arena *a;
	uint32_t cap;
} Parser;

static const char *const json_error_names[JSON_ERROR_COUNT] = {
	[JSON_OK] = "no error",
	[JSON_E_END] = "unexpected end of input",
	[JSON_E_TOKEN] = "unexpected character",
	[JSON_E_LEADING_ZERO] = "number with a leading zero",
	[JSON_E_NUMBER] = "number without digits",
	[JSON_E_CONTROL] = "control character in a string",
	[JSON_E_ESCAPE] = "invalid escape in a string",
	[JSON_E_DEPTH] = "nested deeper than 1000 levels",
	[JSON_E_TRAILING] = "trailing data after the value",
	[JSON_E_TOO_BIG] = "document too large",
	[JSON_E_NOMEM] = "out of memory",
};

/* 1 for bytes that stop the plain run of a string: '"', '\\' and controls. */
static const unsigned char str_stop[256] = {
	[0x00] = 1, [0x01] = 1, [0x02] = 1, [0x03] = 1, [0x04] = 1, [0x05] = 1, [0x06] = 1,
	[0x07] = 1, [0x08] = 1, [0x09] = 1, [0x0a] = 1, [0x0b] = 1, [0x0c] = 1, [0x0d] = 1,
	[0x0e] = 1, [0x0f] = 1, [0x10] = 1, [0x11] = 1, [0x12] = 1, [0x13] = 1, [0x14] = 1,
	[0x15] = 1, [0x16] = 1, [0x17] = 1, [0x18] = 1, [0x19] = 1, [0x1a] = 1, [0x1b] = 1,
	[0x1c] = 1, [0x1d] = 1, [0x1e] = 1, [0x1f] = 1, ['"'] = 1,  ['\\'] = 1,
};

/* A short English reason for an error code ("unexpected end of input"). */
const char *json_error_str(JsonError e)
{
	if ((unsigned)e >= JSON_ERROR_COUNT)
		return "unknown error";
	return json_error_names[e];
}

/* Record an error at byte at; returns false. */
static bool fail(Parser *ps, JsonError e, const unsigned char *at)
{
	ps->j->err = e;
	ps->j->err_at = (size_t)(at - ps->buf);
	return false;
}

/* Skip JSON whitespace (space, tab, LF, CR). */
static const unsigned char *skip_ws(const unsigned char *p, const unsigned char *end)
{
	while (p < end && *p <= ' ' && (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t'))
		p++;
	return p;
}

/* True when c is an ASCII digit. */
static bool is_digit(unsigned char c)
{
	return (unsigned)(c - '0') < 10;
}

/* Append a zeroed node of a type, growing the array; NULL (error set) when out of room. */
static JsonNode *new_node(Parser *ps, JsonType type, const unsigned char *at)
{
	Json *j = ps->j;
	JsonNode *n;

	if (j->count == ps->cap) {
		uint32_t cap = ps->cap > UINT32_MAX / 2 - 1 ? UINT32_MAX - 1 : ps->cap * 2;
		JsonNode *grown;
		if (cap <= j->count) {
			fail(ps, JSON_E_TOO_BIG, at);
			return NULL;
		}
		grown = arena_alloc(ps->a, (size_t)cap * sizeof(*grown));
		if (grown == NULL) {
			fail(ps, JSON_E_NOMEM, at);
			return NULL;
		}
		if (j->count > 0)
			memcpy(grown, j->nodes, (size_t)j->count * sizeof(*grown));
		j->nodes = grown;
		ps->cap = cap;
	}
	n = &j->nodes[j->count++];
	memset(n, 0, sizeof(*n));
	n->type = (uint8_t)type;
	n->next = j->count;
	return n;
}

/* Value of one hex digit, or -1. */
static int hex_val(unsigned char c)
{
	if (is_digit(c))
		return c - '0';
	c |= 0x20;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Read the 4 hex digits of a \u escape at p (p[0] == '\\', p[1] == 'u'); -1 if invalid. */
static long read_u4(const unsigned char *p, const unsigned char *end)
{
	long v = 0;

	if (end - p < 6)
		return -1;
	for (int i = 2; i < 6; i++) {
		int h = hex_val(p[i]);
		if (h < 0)
			return -1;
		v = v * 16 + h;
	}
	return v;
}

/* Write code point cp as UTF-8 at o; returns the byte after it. */
static char *put_utf8(char *o, unsigned long cp)
{
	if (cp < 0x80) {
		*o++ = (char)cp;
	} else if (cp < 0x800) {
		*o++ = (char)(0xC0 | (cp >> 6));
		*o++ = (char)(0x80 | (cp & 0x3F));
	} else if (cp < 0x10000) {
		*o++ = (char)(0xE0 | (cp >> 12));
		*o++ = (char)(0x80 | ((cp >> 6) & 0x3F));
		*o++ = (char)(0x80 | (cp & 0x3F));
	} else {
		*o++ = (char)(0xF0 | (cp >> 18));
		*o++ = (char)(0x80 | ((cp >> 12) & 0x3F));
		*o++ = (char)(0x80 | ((cp >> 6) & 0x3F));
		*o++ = (char)(0x80 | (cp & 0x3F));
	}
	return o;
}

/* Simple escapes: the byte after '\\' -> the byte it stands for (0: not simple). */
static const char simple_esc[128] = {
	['"'] = '"',  ['\\'] = '\\', ['/'] = '/',  ['b'] = '\b',
	['f'] = '\f', ['n'] = '\n',  ['r'] = '\r', ['t'] = '\t',
};

/* Decode the escaped string body s..q (exclusive) into the arena. */
static bool unescape(Parser *ps, const unsigned char *s, const unsigned char *q, const char **out,
		     uint32_t *outlen, uint8_t *flags)
{
	char *buf = arena_alloc(ps->a, (size_t)(q - s) + 1), *o = buf;

	if (buf == NULL)
		return fail(ps, JSON_E_NOMEM, s);
	while (s < q) {
		const unsigned char *run = s;
		while (s < q && *s != '\\')
			s++;
		memcpy(o, run, (size_t)(s - run));
		o += s - run;
		if (s == q)
			break;
		/* s[0] == '\\' and the scan guaranteed a byte after it. */
		if (s[1] < 128 && simple_esc[s[1]] != 0) {
			*o++ = simple_esc[s[1]];
			s += 2;
			continue;
		}
		if (s[1] != 'u')
			return fail(ps, JSON_E_ESCAPE, s);
		long cp = read_u4(s, q);
		if (cp < 0)
			return fail(ps, JSON_E_ESCAPE, s);
		s += 6;
		if (cp >= 0xD800 && cp <= 0xDBFF) {
			long lo = (q - s >= 6 && s[0] == '\\' && s[1] == 'u') ? read_u4(s, q) : -1;
			if (lo >= 0xDC00 && lo <= 0xDFFF) {
				cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
				s += 6;
			} else {
				cp = 0xFFFD; /* lone high surrogate; what follows is read on its own
					      */
				ps->j->replaced++;
			}
		} else if (cp >= 0xDC00 && cp <= 0xDFFF) {
			cp = 0xFFFD; /* lone low surrogate */
			ps->j->replaced++;
		}
		if (cp == 0 && flags != NULL)
			*flags |= JSON_NUL;
		o = put_utf8(o, (unsigned long)cp);
	}
	*o = '\0';
	*out = buf;
	*outlen = (uint32_t)(o - buf);
	return true;
}

#define SWAR_ONES 0x0101010101010101ULL
#define SWAR_HIGH 0x8080808080808080ULL

/* High bits marking bytes of x that are '"', '\\' or below 0x20 (0: none). Borrows only
 * mark bytes above a real hit, so the lowest marked byte is always exact. */
static uint64_t swar_stop(uint64_t x)
{
	uint64_t q = x ^ (SWAR_ONES * '"'), b = x ^ (SWAR_ONES * '\\');
	uint64_t hit =
		((q - SWAR_ONES) & ~q) | ((b - SWAR_ONES) & ~b) | ((x - SWAR_ONES * 0x20) & ~x);
	return hit & SWAR_HIGH;
}

/* Parse the string starting at *pp ('"'); sets out, outlen (and JSON_NUL in flags). */
static bool parse_string(Parser *ps, const unsigned char **pp, const char **out, uint32_t *outlen,
			 uint8_t *flags)
{
	const unsigned char *s = *pp + 1, *q = s, *end = ps->end;
	bool escaped = false;

	for (;;) {
		uint64_t x;
		while (end - q >= 8) {
			memcpy(&x, q, 8);
			uint64_t hit = swar_stop(x);
			if (hit != 0) {
#if defined(__GNUC__) && defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
				q += __builtin_ctzll(hit) >> 3;   /* straight to the stop byte */
#endif
				break;
			}
			q += 8;
		}
		while (q < end && !str_stop[*q])
			q++;
		if (q == end)
			return fail(ps, JSON_E_END, q);
		if (*q == '"')
			break;
		if (*q != '\\')
			return fail(ps, JSON_E_CONTROL, q);
		/* Skip the escaped byte (validated by unescape) unless it is a control. */
		if (end - q < 2)
			return fail(ps, JSON_E_END, end);
		if (q[1] < 0x20)
			return fail(ps, JSON_E_ESCAPE, q);
		escaped = true;
		q += 2;
	}
	if ((size_t)(q - s) > UINT32_MAX - 1)
		return fail(ps, JSON_E_TOO_BIG, s);
	*pp = q + 1;
	if (!escaped) {
		*out = (const char *)s;
		*outlen = (uint32_t)(q - s);
		return true;
	}
	return unescape(ps, s, q, out, outlen, flags);
}

/* Powers of ten exact in a double. */
static const double pow10_exact[23] = {
	1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
	1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
};

/* Set n's JSON_INT and i when its double is integral and inside (-2^53, 2^53). */
static void mark_int(JsonNode *n)
{
	if (n->num > -(double)JSON_INT_LIMIT && n->num < (double)JSON_INT_LIMIT &&
	    (double)(int64_t)n->num == n->num) {
		n->i = (int64_t)n->num;
		n->flags |= JSON_INT;
	}
}

/* Convert a validated number token with a fraction or exponent (or too many digits).
 * Exact fast path (Clinger): a mantissa below 2^53 times or divided by an exact power
 * of ten is one correctly rounded operation, the same double strtod returns. Else
 * strtod, locale-proof: the digits, then "e<exp>" (no decimal point to localise). */
static bool slow_number(Parser *ps, const unsigned char *p, const unsigned char *end, JsonNode *n)
{
	char local[96], *buf = local, *o;
	const unsigned char *start = p;
	size_t tok = (size_t)(end - p);
	long long exp = 0, fdigits = 0, e = 0;
	uint64_t m = 0;
	int nsig = 0;
	bool neg = false, eneg = false, frac = false;

	if (*p == '-') {
		neg = true;
		p++;
	}
	for (; p < end && (is_digit(*p) || *p == '.'); p++) {
		if (*p == '.') {
			frac = true;
			continue;
		}
		fdigits += frac;
		if (nsig > 0 || *p != '0') {
			if (nsig < 19)
				m = m * 10 + (uint64_t)(*p - '0');
			nsig++;
		}
	}
	if (p < end && (*p | 0x20) == 'e') {
		p++;
		if (*p == '+' || *p == '-')
			eneg = *p++ == '-';
		/* Saturate: past 2^40 the value is 0 or infinite whatever the digits. */
		while (p < end && is_digit(*p)) {
			if (e < (1LL << 40))
				e = e * 10 + (*p - '0');
			p++;
		}
	}
	exp = (eneg ? -e : e) - fdigits;
	if (nsig <= 19 && m < (1ULL << 53) && exp >= -22 && exp <= 22) {
		double d = (double)m;
		d = exp < 0 ? d / pow10_exact[-exp] : d * pow10_exact[exp];
		n->num = neg ? -d : d;
		mark_int(n);
		return true;
	}
	if (tok + 32 > sizeof(local)) {
		buf = arena_alloc(ps->a, tok + 32);
		if (buf == NULL)
			return fail(ps, JSON_E_NOMEM, start);
	}
	o = buf;
	for (p = start; p < end && *p != 'e' && *p != 'E'; p++)
		if (*p != '.')
			*o++ = (char)*p;
	snprintf(o, tok + 32 - (size_t)(o - buf), "e%lld", exp);
	n->num = strtod(buf, NULL);
	mark_int(n);
	return true;
}

/* Parse the number at *pp into n (strict grammar); moves *pp past it. */
static bool parse_number(Parser *ps, const unsigned char **pp, JsonNode *n)
{
	const unsigned char *start = *pp, *p = start, *end = ps->end;
	uint64_t v = 0;
	int nd = 0;
	bool neg = false, simple = true;

	if (*p == '-') {
		neg = true;
		p++;
	}
	if (p == end || !is_digit(*p))
		return fail(ps, p == end ? JSON_E_END : JSON_E_NUMBER, p);
	if (*p == '0') {
		p++;
		nd = 1;
		if (p < end && is_digit(*p))
			return fail(ps, JSON_E_LEADING_ZERO, p - 1);
	} else {
		while (p < end && is_digit(*p)) {
			if (nd < 19)
				v = v * 10 + (uint64_t)(*p - '0');
			nd++;
			p++;
		}
	}
	if (p < end && *p == '.') {
		simple = false;
		p++;
		if (p == end || !is_digit(*p))
			return fail(ps, p == end ? JSON_E_END : JSON_E_NUMBER, p);
		while (p < end && is_digit(*p))
			p++;
	}
	if (p < end && (*p | 0x20) == 'e') {
		simple = false;
		p++;
		if (p < end && (*p == '+' || *p == '-'))
			p++;
		if (p == end || !is_digit(*p))
			return fail(ps, p == end ? JSON_E_END : JSON_E_NUMBER, p);
		while (p < end && is_digit(*p))
			p++;
	}
	*pp = p;
	n->type = JSON_NUMBER;
	if (simple && nd <= 19 && v < (uint64_t)JSON_INT_LIMIT) {
		n->i = neg ? -(int64_t)v : (int64_t)v;
		n->num = neg ? -(double)v : (double)v; /* "-0" stays -0.0, like strtod */
		n->flags |= JSON_INT;
		return true;
	}
	return slow_number(ps, start, p, n);
}

/* Parse the literal word (true, false, null) at *pp; moves *pp past it. */
static bool parse_literal(Parser *ps, const unsigned char **pp, JsonNode *n)
{
	static const struct {
		const char *word;
		size_t len;
		JsonType type;
	} lits[] = {
		{"true", 4, JSON_TRUE},
		{"false", 5, JSON_FALSE},
		{"null", 4, JSON_NULL},
	};
	const unsigned char *p = *pp;

	for (size_t i = 0; i < sizeof(lits) / sizeof(lits[0]); i++) {
		if (p[0] != (unsigned char)lits[i].word[0])
			continue;
		size_t have = (size_t)(ps->end - p);
		size_t k = 1;
		while (k < lits[i].len && k < have && p[k] == (unsigned char)lits[i].word[k])
			k++;
		if (k < lits[i].len)
			return fail(ps, k == have ? JSON_E_END : JSON_E_TOKEN, p + k);
		n->type = (uint8_t)lits[i].type;
		*pp = p + lits[i].len;
		return true;
	}
	return fail(ps, JSON_E_TOKEN, p);
}

/* Parse an object member's key and the ':' after it; *pp at the '"'. */
static bool parse_key(Parser *ps, const unsigned char **pp, const char **key, uint32_t *keylen)
{
	const unsigned char *p = *pp;

	if (p == ps->end)
		return fail(ps, JSON_E_END, p);
	if (*p != '"')
		return fail(ps, JSON_E_TOKEN, p);
	if (!parse_string(ps, &p, key, keylen, NULL))
		return false;
	p = skip_ws(p, ps->end);
	if (p == ps->end)
		return fail(ps, JSON_E_END, p);
	if (*p != ':')
		return fail(ps, JSON_E_TOKEN, p);
	*pp = skip_ws(p + 1, ps->end);
	return true;
}

/* Parse len bytes of buf into j, allocating from a; false with j->err set if invalid. */
bool json_parse(Json *j, const char *buf, size_t len, Arena *a)
{
	return json_parse_with(j, buf, len, a, NULL, 0);
}

/* Parse like json_parse, keeping the first nscratch nodes in the caller's scratch array. */
bool json_parse_with(Json *j, const char *buf, size_t len, Arena *a, JsonNode *scratch,
		     size_t nscratch)
{
	uint32_t stack[JSON_MAX_DEPTH];
	uint32_t depth = 0;
	const char *key = NULL;
	uint32_t keylen = 0;
	Parser ps = {.buf = (const unsigned char *)buf, .j = j, .a = a};
	const unsigned char *p = ps.buf;

	memset(j, 0, sizeof(*j));
	if (buf == NULL)
		len = 0;
	ps.end = ps.buf + len;
	if (len > UINT32_MAX - 2)
		return fail(&ps, JSON_E_TOO_BIG, p);
	if (scratch != NULL && nscratch >= 8) {
		ps.cap = nscratch > UINT32_MAX / 2 ? UINT32_MAX / 2 : (uint32_t)nscratch;
		j->nodes = scratch;
	} else {
		ps.cap = (uint32_t)(len / 8 + 8);
		j->nodes = arena_alloc(a, (size_t)ps.cap * sizeof(*j->nodes));
		if (j->nodes == NULL)
			return fail(&ps, JSON_E_NOMEM, p);
	}
	p = skip_ws(p, ps.end);
	for (;;) {
		/* A value starts at p. */
		JsonNode *n;
		uint32_t idx = j->count;

		if (p == ps.end)
			return fail(&ps, JSON_E_END, p);
		n = new_node(&ps, JSON_NULL, p);
		if (n == NULL)
			return false;
		n->key = key;
		n->keylen = keylen;
		key = NULL;
		keylen = 0;
		if (depth > 0)
			j->nodes[stack[depth - 1]].len++;
		switch (*p) {
		case '{':
		case '[': {
			unsigned char close = *p == '{' ? '}' : ']';
			if (depth == JSON_MAX_DEPTH)
				return fail(&ps, JSON_E_DEPTH, p);
			n->type = *p == '{' ? JSON_OBJECT : JSON_ARRAY;
			stack[depth++] = idx;
			p = skip_ws(p + 1, ps.end);
			if (p < ps.end && *p == close) {
				p++;
				depth--;
				break; /* empty: n->next is already idx + 1 */
			}
			if (close == '}' && !parse_key(&ps, &p, &key, &keylen))
				return false;
			continue;
		}
		case '"':
			n->type = JSON_STRING;
			if (!parse_string(&ps, &p, &n->str, &n->len, &n->flags))
				return false;
			break;
		case '-':
		case '0':
		case '1':
		case '2':
		case '3':
		case '4':
		case '5':
		case '6':
		case '7':
		case '8':
		case '9':
			if (!parse_number(&ps, &p, n))
				return false;
			break;
		default:
			if (!parse_literal(&ps, &p, n))
				return false;
			break;
		}
		/* A value ended at p: close containers, or find the next member or element. */
		for (;;) {
			const unsigned char *vend = p;
			JsonNode *parent;

			p = skip_ws(p, ps.end);
			if (depth == 0) {
				if (p != ps.end)
					return fail(&ps, JSON_E_TRAILING, vend);
				return true;
			}
			if (p == ps.end)
				return fail(&ps, JSON_E_END, p);
			parent = &j->nodes[stack[depth - 1]];
			if (*p == ',') {
				p = skip_ws(p + 1, ps.end);
				if (parent->type == JSON_OBJECT &&
				    !parse_key(&ps, &p, &key, &keylen))
					return false;
				break;
			}
			if (*p != (parent->type == JSON_OBJECT ? '}' : ']'))
				return fail(&ps, JSON_E_TOKEN, p);
			parent->next = j->count;
			depth--;
			p++;
		}
	}
}

/* The first member of object obj whose key is key (keylen bytes), or NULL. */
const JsonNode *json_get(const Json *j, const JsonNode *obj, const char *key, size_t keylen)
{
	const JsonNode *c;

	if (obj == NULL || obj->type != JSON_OBJECT)
		return NULL;
	c = json_first(j, obj);
	for (uint32_t i = 0; i < obj->len; i++, c = json_after(j, c))
		if (c->keylen == keylen && memcmp(c->key, key, keylen) == 0)
			return c;
	return NULL;
}
