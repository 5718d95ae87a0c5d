/*
 * otlp_http.c: the HTTP/1.1 request framing the OTLP listener needs (libwebsockets
 * 4.1's server does not deliver chunked request bodies, which is what the
 * OpenTelemetry JS exporter sends): the request head (method, path, the headers
 * that matter) and chunked bodies, decoded in place.
 *
 * Pure: must not do I/O. Every byte is hostile: lines and fields are bounded,
 * numbers are checked for overflow, anything unexpected is malformed (-1).
 */
#include "swarmtop/otlp.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

/* Copy a header value (trimmed) into dst; false when it does not fit. */
static bool hcopy(char *dst, size_t cap, const char *v, size_t n)
{
	while (n && (*v == ' ' || *v == '\t'))
		v++, n--;
	while (n && (v[n - 1] == ' ' || v[n - 1] == '\t'))
		n--;
	if (n >= cap)
		return false;
	memcpy(dst, v, n);
	dst[n] = '\0';
	return true;
}

/* Parse the head of a request; 1 complete, 0 need more bytes, -1 malformed. */
int otlp_http_head(const char *buf, size_t len, OtlpHttp *h)
{
	memset(h, 0, sizeof(*h));
	h->content_length = -1;
	h->keep_alive = true;
	const char *end = NULL;
	for (size_t i = 0; i + 3 < len; i++)
		if (buf[i] == '\r' && buf[i + 1] == '\n' && buf[i + 2] == '\r' && buf[i + 3] == '\n') {
			end = buf + i;
			break;
		}
	if (end == NULL)
		return len > OTLP_HTTP_HEAD_MAX ? -1 : 0;
	if ((size_t)(end - buf) > OTLP_HTTP_HEAD_MAX)
		return -1;
	h->head_len = (size_t)(end - buf) + 4;
	/* request line: METHOD SP PATH SP HTTP/1.x */
	const char *p = buf, *eol = memchr(p, '\r', (size_t)(end - p) + 1);
	const char *sp1 = memchr(p, ' ', (size_t)(eol - p));
	const char *sp2 = sp1 ? memchr(sp1 + 1, ' ', (size_t)(eol - sp1 - 1)) : NULL;
	if (!sp1 || !sp2 || (size_t)(sp1 - p) >= sizeof(h->method) ||
	    (size_t)(sp2 - sp1 - 1) >= sizeof(h->path) || eol - sp2 - 1 != 8 ||
	    strncmp(sp2 + 1, "HTTP/1.", 7) != 0)
		return -1;
	memcpy(h->method, p, (size_t)(sp1 - p));
	memcpy(h->path, sp1 + 1, (size_t)(sp2 - sp1 - 1));
	char *q = strchr(h->path, '?');
	if (q)
		*q = '\0';
	if (sp2[8] == '0')
		h->keep_alive = false;   /* HTTP/1.0 */
	/* headers */
	for (p = eol + 2; p < end; p = eol + 2) {
		eol = memchr(p, '\r', (size_t)(end - p) + 1);
		if (eol == NULL || eol[1] != '\n')
			return -1;
		const char *colon = memchr(p, ':', (size_t)(eol - p));
		if (colon == NULL || colon == p)
			return -1;
		size_t kl = (size_t)(colon - p), vl = (size_t)(eol - colon - 1);
		const char *v = colon + 1;
		char tmp[32];
		if (kl == 14 && !strncasecmp(p, "Content-Length", kl)) {
			if (!hcopy(tmp, sizeof(tmp), v, vl) || !*tmp)
				return -1;
			long long n = 0;
			for (const char *d = tmp; *d; d++) {
				if (*d < '0' || *d > '9' || n > (1LL << 40))
					return -1;
				n = n * 10 + (*d - '0');
			}
			h->content_length = n;
		} else if (kl == 17 && !strncasecmp(p, "Transfer-Encoding", kl)) {
			if (!hcopy(tmp, sizeof(tmp), v, vl))
				return -1;
			if (strcasecmp(tmp, "chunked") != 0)
				return -1;   /* gzip etc. are not supported */
			h->chunked = true;
		} else if (kl == 12 && !strncasecmp(p, "Content-Type", kl)) {
			if (!hcopy(h->content_type, sizeof(h->content_type), v, vl))
				return -1;
		} else if (kl == 13 && !strncasecmp(p, "Authorization", kl)) {
			if (!hcopy(h->auth, sizeof(h->auth), v, vl))
				return -1;
		} else if (kl == 16 && !strncasecmp(p, "Content-Encoding", kl)) {
			if (!hcopy(h->encoding, sizeof(h->encoding), v, vl))
				return -1;
		} else if (kl == 10 && !strncasecmp(p, "Connection", kl)) {
			if (hcopy(tmp, sizeof(tmp), v, vl) && !strcasecmp(tmp, "close"))
				h->keep_alive = false;
		}
	}
	if (h->chunked && h->content_length >= 0)
		return -1;   /* RFC 9112 6.3: a request with both is an attack */
	return 1;
}

/* Walk a chunked body in buf[0..len): 1 complete (body decoded in place into buf[0..*body),
 * *used bytes consumed), 0 need more, -1 malformed, -2 larger than max. */
int otlp_http_chunked(char *buf, size_t len, size_t max, size_t *body, size_t *used)
{
	size_t pos = 0, total = 0;
	/* first pass: validate without moving anything */
	for (;;) {
		size_t n = 0, digits = 0;
		while (pos < len && buf[pos] != '\r' && buf[pos] != ';') {
			char ch = buf[pos++];
			int d = ch >= '0' && ch <= '9' ? ch - '0' : ch >= 'a' && ch <= 'f' ? ch - 'a' + 10 :
			        ch >= 'A' && ch <= 'F' ? ch - 'A' + 10 : -1;
			if (d < 0 || ++digits > 8)
				return -1;
			n = n * 16 + (size_t)d;
		}
		while (pos < len && buf[pos] != '\r')   /* chunk extensions: ignored */
			if (++pos > len || buf[pos - 1] == '\n')
				return -1;
		if (pos + 2 > len)
			return 0;
		if (digits == 0 || buf[pos + 1] != '\n')
			return -1;
		pos += 2;
		if (n == 0)
			break;
		if (total + n > max)
			return -2;
		if (pos + n + 2 > len)
			return 0;
		if (buf[pos + n] != '\r' || buf[pos + n + 1] != '\n')
			return -1;
		total += n;
		pos += n + 2;
	}
	/* trailers, then the empty line */
	for (;;) {
		const char *eol = pos < len ? memchr(buf + pos, '\n', len - pos) : NULL;
		if (eol == NULL)
			return len - pos > OTLP_HTTP_HEAD_MAX ? -1 : 0;
		size_t l = (size_t)(eol - (buf + pos));
		if (l == 0 || buf[pos + l - 1] != '\r')
			return -1;
		pos += l + 1;
		if (l == 1)
			break;
	}
	/* second pass: move the data down */
	size_t in = 0, out = 0;
	for (;;) {
		size_t n = 0;
		while (buf[in] != '\r' && buf[in] != ';') {
			char ch = buf[in++];
			n = n * 16 + (size_t)(ch <= '9' ? ch - '0' : (ch | 0x20) - 'a' + 10);
		}
		while (buf[in] != '\r')
			in++;
		in += 2;
		if (n == 0)
			break;
		memmove(buf + out, buf + in, n);
		out += n;
		in += n + 2;
	}
	*body = out;
	*used = pos;
	return 1;
}
