/*
 * sanitize.c: makes untrusted text safe to put on a terminal (see sanitize.h
 * for the contract). Owns the UTF-8 decoder, the display-width tables and the
 * escape-sequence swallower.
 *
 * The safety argument is simple: the output never contains a byte below 0x20
 * (except '\n' with SANITIZE_KEEP_NEWLINES), 0x7F, an invalid UTF-8 sequence or
 * a C1 code point (U+0080..U+009F), so a terminal can never be put into an
 * escape, control-string or overwrite state by it. Swallowing whole sequences
 * (rather than only their introducers) just keeps their payload off screen.
 *
 * Pure: no I/O, no locale (wcwidth depends on the locale; these tables do not).
 */
#include "swarmtop/sanitize.h"

#include <string.h>

typedef struct CpRange {
	uint32_t lo, hi;
} CpRange;

/*
 * Tables generated from Python's unicodedata (Unicode 14.0), with unassigned
 * code points inside a range absorbed into it:
 *   zero_width_ranges: general category Mn, Me, plus Hangul medial/final jamo;
 *   wide_ranges: East Asian Width W or F (includes emoji presentation), CJK planes 2-3;
 *   format_ranges: category Cf except U+00AD (bidi controls, zero-width chars,
 *   invisible tags): dropped from output.
 */
static const CpRange zero_width_ranges[] = {
	{ 0x0300, 0x036F }, { 0x0483, 0x0489 }, { 0x0591, 0x05BD }, { 0x05BF, 0x05BF },
	{ 0x05C1, 0x05C2 }, { 0x05C4, 0x05C5 }, { 0x05C7, 0x05C7 }, { 0x0610, 0x061A },
	{ 0x064B, 0x065F }, { 0x0670, 0x0670 }, { 0x06D6, 0x06DC }, { 0x06DF, 0x06E4 },
	{ 0x06E7, 0x06E8 }, { 0x06EA, 0x06ED }, { 0x0711, 0x0711 }, { 0x0730, 0x074A },
	{ 0x07A6, 0x07B0 }, { 0x07EB, 0x07F3 }, { 0x07FD, 0x07FD }, { 0x0816, 0x0819 },
	{ 0x081B, 0x0823 }, { 0x0825, 0x0827 }, { 0x0829, 0x082D }, { 0x0859, 0x085B },
	{ 0x0898, 0x089F }, { 0x08CA, 0x08E1 }, { 0x08E3, 0x0902 }, { 0x093A, 0x093A },
	{ 0x093C, 0x093C }, { 0x0941, 0x0948 }, { 0x094D, 0x094D }, { 0x0951, 0x0957 },
	{ 0x0962, 0x0963 }, { 0x0981, 0x0981 }, { 0x09BC, 0x09BC }, { 0x09C1, 0x09C4 },
	{ 0x09CD, 0x09CD }, { 0x09E2, 0x09E3 }, { 0x09FE, 0x0A02 }, { 0x0A3C, 0x0A3C },
	{ 0x0A41, 0x0A51 }, { 0x0A70, 0x0A71 }, { 0x0A75, 0x0A75 }, { 0x0A81, 0x0A82 },
	{ 0x0ABC, 0x0ABC }, { 0x0AC1, 0x0AC8 }, { 0x0ACD, 0x0ACD }, { 0x0AE2, 0x0AE3 },
	{ 0x0AFA, 0x0B01 }, { 0x0B3C, 0x0B3C }, { 0x0B3F, 0x0B3F }, { 0x0B41, 0x0B44 },
	{ 0x0B4D, 0x0B56 }, { 0x0B62, 0x0B63 }, { 0x0B82, 0x0B82 }, { 0x0BC0, 0x0BC0 },
	{ 0x0BCD, 0x0BCD }, { 0x0C00, 0x0C00 }, { 0x0C04, 0x0C04 }, { 0x0C3C, 0x0C3C },
	{ 0x0C3E, 0x0C40 }, { 0x0C46, 0x0C56 }, { 0x0C62, 0x0C63 }, { 0x0C81, 0x0C81 },
	{ 0x0CBC, 0x0CBC }, { 0x0CBF, 0x0CBF }, { 0x0CC6, 0x0CC6 }, { 0x0CCC, 0x0CCD },
	{ 0x0CE2, 0x0CE3 }, { 0x0D00, 0x0D01 }, { 0x0D3B, 0x0D3C }, { 0x0D41, 0x0D44 },
	{ 0x0D4D, 0x0D4D }, { 0x0D62, 0x0D63 }, { 0x0D81, 0x0D81 }, { 0x0DCA, 0x0DCA },
	{ 0x0DD2, 0x0DD6 }, { 0x0E31, 0x0E31 }, { 0x0E34, 0x0E3A }, { 0x0E47, 0x0E4E },
	{ 0x0EB1, 0x0EB1 }, { 0x0EB4, 0x0EBC }, { 0x0EC8, 0x0ECD }, { 0x0F18, 0x0F19 },
	{ 0x0F35, 0x0F35 }, { 0x0F37, 0x0F37 }, { 0x0F39, 0x0F39 }, { 0x0F71, 0x0F7E },
	{ 0x0F80, 0x0F84 }, { 0x0F86, 0x0F87 }, { 0x0F8D, 0x0FBC }, { 0x0FC6, 0x0FC6 },
	{ 0x102D, 0x1030 }, { 0x1032, 0x1037 }, { 0x1039, 0x103A }, { 0x103D, 0x103E },
	{ 0x1058, 0x1059 }, { 0x105E, 0x1060 }, { 0x1071, 0x1074 }, { 0x1082, 0x1082 },
	{ 0x1085, 0x1086 }, { 0x108D, 0x108D }, { 0x109D, 0x109D }, { 0x1160, 0x11FF },
	{ 0x135D, 0x135F }, { 0x1712, 0x1714 }, { 0x1732, 0x1733 }, { 0x1752, 0x1753 },
	{ 0x1772, 0x1773 }, { 0x17B4, 0x17B5 }, { 0x17B7, 0x17BD }, { 0x17C6, 0x17C6 },
	{ 0x17C9, 0x17D3 }, { 0x17DD, 0x17DD }, { 0x180B, 0x180D }, { 0x180F, 0x180F },
	{ 0x1885, 0x1886 }, { 0x18A9, 0x18A9 }, { 0x1920, 0x1922 }, { 0x1927, 0x1928 },
	{ 0x1932, 0x1932 }, { 0x1939, 0x193B }, { 0x1A17, 0x1A18 }, { 0x1A1B, 0x1A1B },
	{ 0x1A56, 0x1A56 }, { 0x1A58, 0x1A60 }, { 0x1A62, 0x1A62 }, { 0x1A65, 0x1A6C },
	{ 0x1A73, 0x1A7F }, { 0x1AB0, 0x1B03 }, { 0x1B34, 0x1B34 }, { 0x1B36, 0x1B3A },
	{ 0x1B3C, 0x1B3C }, { 0x1B42, 0x1B42 }, { 0x1B6B, 0x1B73 }, { 0x1B80, 0x1B81 },
	{ 0x1BA2, 0x1BA5 }, { 0x1BA8, 0x1BA9 }, { 0x1BAB, 0x1BAD }, { 0x1BE6, 0x1BE6 },
	{ 0x1BE8, 0x1BE9 }, { 0x1BED, 0x1BED }, { 0x1BEF, 0x1BF1 }, { 0x1C2C, 0x1C33 },
	{ 0x1C36, 0x1C37 }, { 0x1CD0, 0x1CD2 }, { 0x1CD4, 0x1CE0 }, { 0x1CE2, 0x1CE8 },
	{ 0x1CED, 0x1CED }, { 0x1CF4, 0x1CF4 }, { 0x1CF8, 0x1CF9 }, { 0x1DC0, 0x1DFF },
	{ 0x20D0, 0x20F0 }, { 0x2CEF, 0x2CF1 }, { 0x2D7F, 0x2D7F }, { 0x2DE0, 0x2DFF },
	{ 0x302A, 0x302D }, { 0x3099, 0x309A }, { 0xA66F, 0xA672 }, { 0xA674, 0xA67D },
	{ 0xA69E, 0xA69F }, { 0xA6F0, 0xA6F1 }, { 0xA802, 0xA802 }, { 0xA806, 0xA806 },
	{ 0xA80B, 0xA80B }, { 0xA825, 0xA826 }, { 0xA82C, 0xA82C }, { 0xA8C4, 0xA8C5 },
	{ 0xA8E0, 0xA8F1 }, { 0xA8FF, 0xA8FF }, { 0xA926, 0xA92D }, { 0xA947, 0xA951 },
	{ 0xA980, 0xA982 }, { 0xA9B3, 0xA9B3 }, { 0xA9B6, 0xA9B9 }, { 0xA9BC, 0xA9BD },
	{ 0xA9E5, 0xA9E5 }, { 0xAA29, 0xAA2E }, { 0xAA31, 0xAA32 }, { 0xAA35, 0xAA36 },
	{ 0xAA43, 0xAA43 }, { 0xAA4C, 0xAA4C }, { 0xAA7C, 0xAA7C }, { 0xAAB0, 0xAAB0 },
	{ 0xAAB2, 0xAAB4 }, { 0xAAB7, 0xAAB8 }, { 0xAABE, 0xAABF }, { 0xAAC1, 0xAAC1 },
	{ 0xAAEC, 0xAAED }, { 0xAAF6, 0xAAF6 }, { 0xABE5, 0xABE5 }, { 0xABE8, 0xABE8 },
	{ 0xABED, 0xABED }, { 0xD7B0, 0xD7FB }, { 0xFB1E, 0xFB1E }, { 0xFE00, 0xFE0F },
	{ 0xFE20, 0xFE2F }, { 0x101FD, 0x101FD }, { 0x102E0, 0x102E0 }, { 0x10376, 0x1037A },
	{ 0x10A01, 0x10A0F }, { 0x10A38, 0x10A3F }, { 0x10AE5, 0x10AE6 }, { 0x10D24, 0x10D27 },
	{ 0x10EAB, 0x10EAC }, { 0x10F46, 0x10F50 }, { 0x10F82, 0x10F85 }, { 0x11001, 0x11001 },
	{ 0x11038, 0x11046 }, { 0x11070, 0x11070 }, { 0x11073, 0x11074 }, { 0x1107F, 0x11081 },
	{ 0x110B3, 0x110B6 }, { 0x110B9, 0x110BA }, { 0x110C2, 0x110C2 }, { 0x11100, 0x11102 },
	{ 0x11127, 0x1112B }, { 0x1112D, 0x11134 }, { 0x11173, 0x11173 }, { 0x11180, 0x11181 },
	{ 0x111B6, 0x111BE }, { 0x111C9, 0x111CC }, { 0x111CF, 0x111CF }, { 0x1122F, 0x11231 },
	{ 0x11234, 0x11234 }, { 0x11236, 0x11237 }, { 0x1123E, 0x1123E }, { 0x112DF, 0x112DF },
	{ 0x112E3, 0x112EA }, { 0x11300, 0x11301 }, { 0x1133B, 0x1133C }, { 0x11340, 0x11340 },
	{ 0x11366, 0x11374 }, { 0x11438, 0x1143F }, { 0x11442, 0x11444 }, { 0x11446, 0x11446 },
	{ 0x1145E, 0x1145E }, { 0x114B3, 0x114B8 }, { 0x114BA, 0x114BA }, { 0x114BF, 0x114C0 },
	{ 0x114C2, 0x114C3 }, { 0x115B2, 0x115B5 }, { 0x115BC, 0x115BD }, { 0x115BF, 0x115C0 },
	{ 0x115DC, 0x115DD }, { 0x11633, 0x1163A }, { 0x1163D, 0x1163D }, { 0x1163F, 0x11640 },
	{ 0x116AB, 0x116AB }, { 0x116AD, 0x116AD }, { 0x116B0, 0x116B5 }, { 0x116B7, 0x116B7 },
	{ 0x1171D, 0x1171F }, { 0x11722, 0x11725 }, { 0x11727, 0x1172B }, { 0x1182F, 0x11837 },
	{ 0x11839, 0x1183A }, { 0x1193B, 0x1193C }, { 0x1193E, 0x1193E }, { 0x11943, 0x11943 },
	{ 0x119D4, 0x119DB }, { 0x119E0, 0x119E0 }, { 0x11A01, 0x11A0A }, { 0x11A33, 0x11A38 },
	{ 0x11A3B, 0x11A3E }, { 0x11A47, 0x11A47 }, { 0x11A51, 0x11A56 }, { 0x11A59, 0x11A5B },
	{ 0x11A8A, 0x11A96 }, { 0x11A98, 0x11A99 }, { 0x11C30, 0x11C3D }, { 0x11C3F, 0x11C3F },
	{ 0x11C92, 0x11CA7 }, { 0x11CAA, 0x11CB0 }, { 0x11CB2, 0x11CB3 }, { 0x11CB5, 0x11CB6 },
	{ 0x11D31, 0x11D45 }, { 0x11D47, 0x11D47 }, { 0x11D90, 0x11D91 }, { 0x11D95, 0x11D95 },
	{ 0x11D97, 0x11D97 }, { 0x11EF3, 0x11EF4 }, { 0x16AF0, 0x16AF4 }, { 0x16B30, 0x16B36 },
	{ 0x16F4F, 0x16F4F }, { 0x16F8F, 0x16F92 }, { 0x16FE4, 0x16FE4 }, { 0x1BC9D, 0x1BC9E },
	{ 0x1CF00, 0x1CF46 }, { 0x1D167, 0x1D169 }, { 0x1D17B, 0x1D182 }, { 0x1D185, 0x1D18B },
	{ 0x1D1AA, 0x1D1AD }, { 0x1D242, 0x1D244 }, { 0x1DA00, 0x1DA36 }, { 0x1DA3B, 0x1DA6C },
	{ 0x1DA75, 0x1DA75 }, { 0x1DA84, 0x1DA84 }, { 0x1DA9B, 0x1DAAF }, { 0x1E000, 0x1E02A },
	{ 0x1E130, 0x1E136 }, { 0x1E2AE, 0x1E2AE }, { 0x1E2EC, 0x1E2EF }, { 0x1E8D0, 0x1E8D6 },
	{ 0x1E944, 0x1E94A }, { 0xE0100, 0xE01EF },
};

static const CpRange wide_ranges[] = {
	{ 0x1100, 0x115F }, { 0x231A, 0x231B }, { 0x2329, 0x232A }, { 0x23E9, 0x23EC },
	{ 0x23F0, 0x23F0 }, { 0x23F3, 0x23F3 }, { 0x25FD, 0x25FE }, { 0x2614, 0x2615 },
	{ 0x2648, 0x2653 }, { 0x267F, 0x267F }, { 0x2693, 0x2693 }, { 0x26A1, 0x26A1 },
	{ 0x26AA, 0x26AB }, { 0x26BD, 0x26BE }, { 0x26C4, 0x26C5 }, { 0x26CE, 0x26CE },
	{ 0x26D4, 0x26D4 }, { 0x26EA, 0x26EA }, { 0x26F2, 0x26F3 }, { 0x26F5, 0x26F5 },
	{ 0x26FA, 0x26FA }, { 0x26FD, 0x26FD }, { 0x2705, 0x2705 }, { 0x270A, 0x270B },
	{ 0x2728, 0x2728 }, { 0x274C, 0x274C }, { 0x274E, 0x274E }, { 0x2753, 0x2755 },
	{ 0x2757, 0x2757 }, { 0x2795, 0x2797 }, { 0x27B0, 0x27B0 }, { 0x27BF, 0x27BF },
	{ 0x2B1B, 0x2B1C }, { 0x2B50, 0x2B50 }, { 0x2B55, 0x2B55 }, { 0x2E80, 0x3029 },
	{ 0x302E, 0x303E }, { 0x3041, 0x3096 }, { 0x309B, 0x3247 }, { 0x3250, 0x4DBF },
	{ 0x4E00, 0xA4C6 }, { 0xA960, 0xA97C }, { 0xAC00, 0xD7A3 }, { 0xF900, 0xFAD9 },
	{ 0xFE10, 0xFE19 }, { 0xFE30, 0xFE6B }, { 0xFF01, 0xFF60 }, { 0xFFE0, 0xFFE6 },
	{ 0x16FE0, 0x16FE3 }, { 0x16FF0, 0x1B2FB }, { 0x1F004, 0x1F004 }, { 0x1F0CF, 0x1F0CF },
	{ 0x1F18E, 0x1F18E }, { 0x1F191, 0x1F19A }, { 0x1F200, 0x1F320 }, { 0x1F32D, 0x1F335 },
	{ 0x1F337, 0x1F37C }, { 0x1F37E, 0x1F393 }, { 0x1F3A0, 0x1F3CA }, { 0x1F3CF, 0x1F3D3 },
	{ 0x1F3E0, 0x1F3F0 }, { 0x1F3F4, 0x1F3F4 }, { 0x1F3F8, 0x1F43E }, { 0x1F440, 0x1F440 },
	{ 0x1F442, 0x1F4FC }, { 0x1F4FF, 0x1F53D }, { 0x1F54B, 0x1F54E }, { 0x1F550, 0x1F567 },
	{ 0x1F57A, 0x1F57A }, { 0x1F595, 0x1F596 }, { 0x1F5A4, 0x1F5A4 }, { 0x1F5FB, 0x1F64F },
	{ 0x1F680, 0x1F6C5 }, { 0x1F6CC, 0x1F6CC }, { 0x1F6D0, 0x1F6D2 }, { 0x1F6D5, 0x1F6DF },
	{ 0x1F6EB, 0x1F6EC }, { 0x1F6F4, 0x1F6FC }, { 0x1F7E0, 0x1F7F0 }, { 0x1F90C, 0x1F93A },
	{ 0x1F93C, 0x1F945 }, { 0x1F947, 0x1F9FF }, { 0x1FA70, 0x1FAF6 }, { 0x20000, 0x3FFFD },
};

static const CpRange format_ranges[] = {
	{ 0x0600, 0x0605 }, { 0x061C, 0x061C }, { 0x06DD, 0x06DD }, { 0x070F, 0x070F },
	{ 0x0890, 0x0891 }, { 0x08E2, 0x08E2 }, { 0x180E, 0x180E }, { 0x200B, 0x200F },
	{ 0x202A, 0x202E }, { 0x2060, 0x206F }, { 0xFEFF, 0xFEFF }, { 0xFFF9, 0xFFFB },
	{ 0x110BD, 0x110BD }, { 0x110CD, 0x110CD }, { 0x13430, 0x13438 }, { 0x1BCA0, 0x1BCA3 },
	{ 0x1D173, 0x1D17A }, { 0xE0001, 0xE007F },
};


#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* True when cp lies in one of n sorted, disjoint ranges (binary search). */
static bool in_ranges(uint32_t cp, const CpRange *r, size_t n)
{
	size_t lo = 0, hi = n;

	if (n == 0 || cp < r[0].lo || cp > r[n - 1].hi)
		return false;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (cp > r[mid].hi)
			lo = mid + 1;
		else if (cp < r[mid].lo)
			hi = mid;
		else
			return true;
	}
	return false;
}

/* Decode one UTF-8 code point (strict: no overlongs, surrogates or > U+10FFFF). */
int sanitize_utf8_decode(const char *s, size_t len, uint32_t *cp)
{
	const unsigned char *u = (const unsigned char *)s;
	unsigned char lo = 0x80, hi = 0xBF;
	uint32_t v;
	size_t n;

	*cp = 0xFFFD;
	if (len == 0)
		return 1;
	if (u[0] < 0x80) {
		*cp = u[0];
		return 1;
	}
	if (u[0] >= 0xC2 && u[0] <= 0xDF) {
		n = 2;
		v = u[0] & 0x1F;
	} else if (u[0] >= 0xE0 && u[0] <= 0xEF) {
		n = 3;
		v = u[0] & 0x0F;
		if (u[0] == 0xE0)
			lo = 0xA0;          /* no overlongs */
		else if (u[0] == 0xED)
			hi = 0x9F;          /* no surrogates */
	} else if (u[0] >= 0xF0 && u[0] <= 0xF4) {
		n = 4;
		v = u[0] & 0x07;
		if (u[0] == 0xF0)
			lo = 0x90;          /* no overlongs */
		else if (u[0] == 0xF4)
			hi = 0x8F;          /* nothing above U+10FFFF */
	} else {
		return 1;
	}
	if (len < n)
		return 1;
	if (u[1] < lo || u[1] > hi)
		return 1;
	v = (v << 6) | (u[1] & 0x3F);
	for (size_t i = 2; i < n; i++) {
		if ((u[i] & 0xC0) != 0x80)
			return 1;
		v = (v << 6) | (u[i] & 0x3F);
	}
	*cp = v;
	return (int)n;
}

/* True for format characters that are dropped: bidi controls, zero-width, tags. */
static bool cp_is_format(uint32_t cp)
{
	return in_ranges(cp, format_ranges, NELEM(format_ranges));
}

/* True for C0, DEL, C1 and the Unicode line/paragraph separators. */
static bool cp_is_control(uint32_t cp)
{
	return cp < 0x20 || (cp >= 0x7F && cp <= 0x9F) || cp == 0x2028 || cp == 0x2029;
}

/* Display width of one code point: 0 (combining/zero-width), 1, or 2 (wide); -1 for controls. */
int sanitize_cp_width(uint32_t cp)
{
	if (cp_is_control(cp))
		return -1;
	if (cp < 0x300)
		return 1;
	if (cp_is_format(cp) || in_ranges(cp, zero_width_ranges, NELEM(zero_width_ranges)))
		return 0;
	if (in_ranges(cp, wide_ranges, NELEM(wide_ranges)))
		return 2;
	return 1;
}

/* What kind of body follows an escape introducer. */
typedef enum SeqKind {
	SEQ_NONE,     /* not an introducer */
	SEQ_CSI,      /* parameters, intermediates, one final byte */
	SEQ_STRING,   /* control string up to BEL or ST: OSC, DCS, SOS, PM, APC */
	SEQ_KIND_COUNT
} SeqKind;

/* Introducers by their 7-bit final (ESC x) or, equivalently, C1 code point - 0x40. */
static const SeqKind seq_by_final[0x80] = {
	['['] = SEQ_CSI,
	[']'] = SEQ_STRING, ['P'] = SEQ_STRING, ['X'] = SEQ_STRING,
	['^'] = SEQ_STRING, ['_'] = SEQ_STRING,
};

/* Index just past a CSI body starting at i: parameter/intermediate bytes and one final. */
static size_t skip_csi(const unsigned char *u, size_t len, size_t i)
{
	while (i < len && u[i] >= 0x20 && u[i] <= 0x3F)
		i++;
	if (i < len && u[i] >= 0x40 && u[i] <= 0x7E)
		i++;
	/* Anything else aborts the sequence; the main loop handles that byte. */
	return i;
}

/* Index just past a control string starting at i: up to BEL, ESC \, U+009C or the end. */
static size_t skip_string(const unsigned char *u, size_t len, size_t i)
{
	while (i < len) {
		if (u[i] == 0x07)
			return i + 1;
		if (u[i] == 0x1B)
			return (i + 1 < len && u[i + 1] == '\\') ? i + 2 : i;
		if (u[i] == 0xC2 && i + 1 < len && u[i + 1] == 0x9C)
			return i + 2;
		if (u[i] == 0x18 || u[i] == 0x1A)   /* CAN, SUB abort the string */
			return i + 1;
		i++;
	}
	return i;
}

/* Index just past the body of a sequence of the given kind starting at i. */
static size_t skip_body(SeqKind k, const unsigned char *u, size_t len, size_t i)
{
	if (k == SEQ_CSI)
		return skip_csi(u, len, i);
	if (k == SEQ_STRING)
		return skip_string(u, len, i);
	return i;
}

/* Index just past an ESC-introduced sequence whose ESC is at i. */
static size_t skip_escape(const unsigned char *u, size_t len, size_t i)
{
	i++;                                   /* the ESC */
	if (i >= len)
		return i;
	if (u[i] < 0x80 && seq_by_final[u[i]] != SEQ_NONE)
		return skip_body(seq_by_final[u[i]], u, len, i + 1);
	/* nF: intermediates 0x20-0x2F then a final 0x30-0x7E; Fp/Fe/Fs: one byte 0x30-0x7E. */
	while (i < len && u[i] >= 0x20 && u[i] <= 0x2F)
		i++;
	if (i < len && u[i] >= 0x30 && u[i] <= 0x7E)
		i++;
	return i;
}

typedef struct Sink {
	char *out;
	size_t cap, len;
	int cols, max_cols;
	bool full;
} Sink;

/* Append one code point's bytes and width, or mark the sink full when it does not fit. */
static void sink_put(Sink *k, const char *bytes, size_t n, int width)
{
	if (k->full)
		return;
	if ((k->max_cols >= 0 && k->cols + width > k->max_cols) || k->len + n >= k->cap) {
		k->full = true;
		return;
	}
	memcpy(k->out + k->len, bytes, n);
	k->len += n;
	k->cols += width;
}

/* Sanitize len bytes of in into out, stopping before max_cols columns would be exceeded. */
int sanitize_text(const char *in, size_t len, char *out, size_t cap, int max_cols,
                  unsigned flags, size_t *out_len)
{
	const unsigned char *u = (const unsigned char *)in;
	Sink k = { .out = out, .cap = cap, .max_cols = max_cols };
	bool ascii = flags & SANITIZE_ASCII;
	size_t i = 0;

	if (out_len != NULL)
		*out_len = 0;
	if (out == NULL || cap == 0)
		return 0;
	if (in == NULL)
		len = 0;
	while (i < len && !k.full) {
		uint32_t cp;
		int n = sanitize_utf8_decode(in + i, len - i, &cp);
		bool invalid = (n == 1 && cp == 0xFFFD);
		int w;

		if (invalid) {
			if (ascii)
				sink_put(&k, "?", 1, 1);
			else
				sink_put(&k, "\xEF\xBF\xBD", 3, 1);
			i++;
			continue;
		}
		if (cp == 0x1B) {
			i = skip_escape(u, len, i);
			continue;
		}
		i += (size_t)n;
		if (cp >= 0x80 && cp <= 0x9F) {
			/* An encoded C1 introducer swallows its body like its ESC form. */
			i = skip_body(seq_by_final[cp - 0x40], u, len, i);
			continue;
		}
		if (cp == '\n' && (flags & SANITIZE_KEEP_NEWLINES)) {
			sink_put(&k, "\n", 1, 0);
			continue;
		}
		if (cp == '\t' || cp == '\n' || cp == 0x2028 || cp == 0x2029) {
			sink_put(&k, " ", 1, 1);
			continue;
		}
		w = sanitize_cp_width(cp);
		if (w < 0 || cp_is_format(cp))
			continue;                      /* CR, BS, BEL, other controls, bidi, ZW */
		if (ascii && cp >= 0x80) {
			if (w > 0)
				sink_put(&k, "?", 1, 1);
			continue;
		}
		sink_put(&k, in + i - n, (size_t)n, w);
	}
	k.out[k.len] = '\0';
	if (out_len != NULL)
		*out_len = k.len;
	return k.cols;
}

/* Display width of a whole (already sanitized) UTF-8 string. */
int sanitize_width(const char *s)
{
	size_t len = s ? strlen(s) : 0, i = 0;
	int cols = 0;

	while (i < len) {
		uint32_t cp;
		int n = sanitize_utf8_decode(s + i, len - i, &cp);
		int w = sanitize_cp_width(cp);
		cols += w > 0 ? w : 0;
		i += (size_t)n;
	}
	return cols;
}

/* True when len bytes of s contain nothing sanitize_text would change. */
bool sanitize_is_clean(const char *s, size_t len)
{
	size_t i = 0;

	while (i < len) {
		uint32_t cp;
		int n = sanitize_utf8_decode(s + i, len - i, &cp);
		if (n == 1 && cp == 0xFFFD)
			return false;
		if (cp_is_control(cp) || cp_is_format(cp))
			return false;
		i += (size_t)n;
	}
	return true;
}

/* How many of s's len bytes to keep for at most max bytes without splitting a UTF-8
 * sequence: len when it fits, else max backed off to the start of the sequence it cuts. */
size_t sanitize_utf8_cut(const char *s, size_t len, size_t max)
{
	size_t cut;

	if (len <= max)
		return len;
	cut = max;
	/* A sequence has at most three continuation bytes: never back off further. */
	while (cut > 0 && ((unsigned char)s[cut] & 0xC0) == 0x80 && max - cut < 4)
		cut--;
	return cut;
}

/* The "%.*s" precision that prints at most max bytes of the string s without splitting a
 * UTF-8 sequence. */
int sanitize_prec(const char *s, int max)
{
	size_t m = max > 0 ? (size_t)max : 0;
	return (int)sanitize_utf8_cut(s, strnlen(s, m + 1), m);
}
