/*
 * Go's fmt (%v and the printf verbs), strconv.Quote and encoding/json, as
 * they print the values a template handles. Floats print as Go's shortest
 * representation; printf's numbers go through snprintf with literal formats.
 */
#include <math.h>
#include <stdio.h>

#include "util/strutil.h"
#include "util/template-int.h"

struct fspec {
	uint32_t verb;
	bool minus, plus, sharp, zero, space;
	bool has_width, has_prec;
	int width, prec;
};

static void fmt_arg(struct strbuf *sb, const json_t *v, const struct fspec *f, bool top);

/* ---- UTF-8 ---- */

size_t tfmt_utf8_decode(const char *s, size_t len, uint32_t *r)
{
	const unsigned char *u = (const unsigned char *)s;
	uint32_t min, c;
	size_t n;

	*r = 0xfffd;
	if (len == 0)
		return 0;
	if (u[0] < 0x80) {
		*r = u[0];
		return 1;
	}
	if (u[0] >= 0xc2 && u[0] < 0xe0) {
		n = 2, min = 0x80, c = u[0] & 0x1f;
	} else if (u[0] >= 0xe0 && u[0] < 0xf0) {
		n = 3, min = 0x800, c = u[0] & 0x0f;
	} else if (u[0] >= 0xf0 && u[0] < 0xf5) {
		n = 4, min = 0x10000, c = u[0] & 0x07;
	} else {
		return 1;
	}
	if (len < n)
		return 1;
	for (size_t i = 1; i < n; i++) {
		if ((u[i] & 0xc0) != 0x80)
			return 1;
		c = c << 6 | (u[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c < 0xe000))
		return 1;
	*r = c;
	return n;
}

void tfmt_utf8_encode(struct strbuf *sb, uint32_t r)
{
	char b[4];

	if (r > 0x10ffff || (r >= 0xd800 && r < 0xe000))
		r = 0xfffd;
	if (r < 0x80) {
		strbuf_addch(sb, (char)r);
	} else if (r < 0x800) {
		b[0] = (char)(0xc0 | r >> 6);
		b[1] = (char)(0x80 | (r & 0x3f));
		strbuf_add(sb, b, 2);
	} else if (r < 0x10000) {
		b[0] = (char)(0xe0 | r >> 12);
		b[1] = (char)(0x80 | ((r >> 6) & 0x3f));
		b[2] = (char)(0x80 | (r & 0x3f));
		strbuf_add(sb, b, 3);
	} else {
		b[0] = (char)(0xf0 | r >> 18);
		b[1] = (char)(0x80 | ((r >> 12) & 0x3f));
		b[2] = (char)(0x80 | ((r >> 6) & 0x3f));
		b[3] = (char)(0x80 | (r & 0x3f));
		strbuf_add(sb, b, 4);
	}
}

size_t tfmt_rune_count(const char *s, size_t len)
{
	size_t n = 0;
	uint32_t r;

	for (size_t i = 0; i < len; n++)
		i += tfmt_utf8_decode(s + i, len - i, &r);
	return n;
}

/* What is neither a control, a format, a private use nor a space but ' '. */
bool tfmt_is_print(uint32_t r)
{
	if (r < 0x80)
		return r >= 0x20 && r < 0x7f;
	if (r <= 0xa0 || r == 0xad || (r >= 0x2000 && r <= 0x200f) ||
	    (r >= 0x2028 && r <= 0x202f) || (r >= 0x205f && r <= 0x206f) || r == 0x3000 ||
	    r == 0xfeff || (r >= 0xfff9 && r <= 0xfffb) || r == 0xfffe || r == 0xffff)
		return false;
	return !(r >= 0xe000 && r <= 0xf8ff) && r < 0xf0000;
}

void tfmt_rune_desc(struct strbuf *sb, uint32_t r)
{
	strbuf_addf(sb, "U+%04X", r);
	if (tfmt_is_print(r)) {
		strbuf_addstr(sb, " '");
		tfmt_utf8_encode(sb, r);
		strbuf_addch(sb, '\'');
	}
}

/* ---- strconv.Quote ---- */

/* The letter of a C escape for r, or 0. */
static char escape_letter(uint32_t r, bool json)
{
	switch (r) {
	case '\a':
		return json ? 0 : 'a';
	case '\b':
		return 'b';
	case '\f':
		return 'f';
	case '\n':
		return 'n';
	case '\r':
		return 'r';
	case '\t':
		return 't';
	case '\v':
		return json ? 0 : 'v';
	default:
		return 0;
	}
}

static void quote_rune(struct strbuf *sb, uint32_t r, char quote, bool ascii)
{
	if (r == (unsigned char)quote || r == '\\') {
		strbuf_addch(sb, '\\');
		strbuf_addch(sb, (char)r);
	} else if (ascii ? r < 0x7f && tfmt_is_print(r) : tfmt_is_print(r)) {
		tfmt_utf8_encode(sb, r);
	} else if (escape_letter(r, false)) {
		strbuf_addch(sb, '\\');
		strbuf_addch(sb, escape_letter(r, false));
	} else if (r < 0x20 || r == 0x7f) {
		strbuf_addf(sb, "\\x%02x", r);
	} else if (r < 0x10000) {
		strbuf_addf(sb, "\\u%04x", r);
	} else {
		strbuf_addf(sb, "\\U%08x", r);
	}
}

void tfmt_quote(struct strbuf *sb, const char *s, size_t len, char quote, bool ascii)
{
	strbuf_addch(sb, quote);
	for (size_t i = 0; i < len;) {
		uint32_t r;
		size_t w = tfmt_utf8_decode(s + i, len - i, &r);

		if (r == 0xfffd && w == 1)
			strbuf_addf(sb, "\\x%02x", (unsigned char)s[i]);
		else
			quote_rune(sb, r, quote, ascii);
		i += w;
	}
	strbuf_addch(sb, quote);
}

/* strconv.CanBackquote */
static bool can_backquote(const char *s, size_t len)
{
	for (size_t i = 0; i < len;) {
		uint32_t r;
		size_t w = tfmt_utf8_decode(s + i, len - i, &r);

		if ((r == 0xfffd && w == 1) || r == '`' || r == 0xfeff || (r < ' ' && r != '\t') ||
		    r == 0x7f)
			return false;
		i += w;
	}
	return true;
}

/* ---- floats ---- */

/* Shortest digits that read back as d (> 0): value is 0.digits * 10^dp. */
static int shortest_digits(double d, char digits[20], int *dp)
{
	char buf[40], *e;
	int n = 0;

	for (int prec = 0; prec < 17; prec++) {
		snprintf(buf, sizeof(buf), "%.*e", prec, d);
		if (strtod(buf, NULL) == d)
			break;
	}
	e = strchr(buf, 'e');
	for (char *c = buf; c < e; c++)
		if (*c >= '0' && *c <= '9')
			digits[n++] = *c;
	while (n > 1 && digits[n - 1] == '0')
		n--;
	digits[n] = '\0';
	*dp = atoi(e + 1) + 1;
	return n;
}

/* d.ddde+XX with the digits given. */
static void digits_e(struct strbuf *sb, const char *dg, int nd, int dp, char e)
{
	int exp = dp - 1;

	strbuf_addch(sb, dg[0]);
	if (nd > 1) {
		strbuf_addch(sb, '.');
		strbuf_add(sb, dg + 1, (size_t)nd - 1);
	}
	strbuf_addf(sb, "%c%c%02d", e, exp < 0 ? '-' : '+', exp < 0 ? -exp : exp);
}

/* ddd.ddd with all the digits given. */
static void digits_f(struct strbuf *sb, const char *dg, int nd, int dp)
{
	if (dp <= 0) {
		strbuf_addstr(sb, "0.");
		for (int i = 0; i < -dp; i++)
			strbuf_addch(sb, '0');
		strbuf_add(sb, dg, (size_t)nd);
	} else if (dp >= nd) {
		strbuf_add(sb, dg, (size_t)nd);
		for (int i = nd; i < dp; i++)
			strbuf_addch(sb, '0');
	} else {
		strbuf_add(sb, dg, (size_t)dp);
		strbuf_addch(sb, '.');
		strbuf_add(sb, dg + dp, (size_t)(nd - dp));
	}
}

/*
 * strconv.FormatFloat(d, fmt, -1, 64) of a finite d: 'g' switches to an
 * exponent at 1e+06 (fmt's %v), 'j' at 1e21 and below 1e-6 (encoding/json).
 */
static void float_shortest(struct strbuf *sb, double d, char fmt)
{
	char dg[20];
	int dp, nd, exp;
	bool e;

	if (d == 0) {
		strbuf_addstr(sb, signbit(d) ? "-0" : "0");
		return;
	}
	if (d < 0)
		strbuf_addch(sb, '-');
	nd = shortest_digits(fabs(d), dg, &dp);
	exp = dp - 1;
	if (fmt == 'j')
		e = fabs(d) < 1e-6 || fabs(d) >= 1e21;
	else
		e = exp < -4 || exp >= 6;
	if (!e) {
		digits_f(sb, dg, nd, dp);
	} else if (fmt == 'j' && exp > -10 && exp < 0) {
		/* encoding/json cleans e-07 up to e-7 */
		digits_e(sb, dg, nd, dp, 'e');
		sb->buf[sb->len - 2] = sb->buf[sb->len - 1];
		sb->buf[--sb->len] = '\0';
	} else {
		digits_e(sb, dg, nd, dp, fmt == 'G' ? 'E' : 'e');
	}
}

/* ---- padding ---- */

static void pad(struct strbuf *sb, const char *s, size_t len, const struct fspec *f, bool zero)
{
	size_t n = tfmt_rune_count(s, len), fill;

	if (!f->has_width || (size_t)f->width <= n) {
		strbuf_add(sb, s, len);
		return;
	}
	fill = (size_t)f->width - n;
	if (f->minus)
		strbuf_add(sb, s, len);
	for (size_t i = 0; i < fill; i++)
		strbuf_addch(sb, zero && !f->minus ? '0' : ' ');
	if (!f->minus)
		strbuf_add(sb, s, len);
}

static void pad_str(struct strbuf *sb, const char *s, const struct fspec *f)
{
	pad(sb, s, strlen(s), f, false);
}

/* A number: zero padding goes between the sign and the digits. */
static void pad_number(struct strbuf *sb, const char *num, const struct fspec *f)
{
	size_t len = strlen(num), sign = *num == '-' || *num == '+' || *num == ' ';

	if (f->zero && !f->minus && f->has_width && (size_t)f->width > len) {
		strbuf_add(sb, num, sign);
		for (size_t i = len; i < (size_t)f->width; i++)
			strbuf_addch(sb, '0');
		strbuf_addstr(sb, num + sign);
		return;
	}
	pad_str(sb, num, f);
}

/* ---- the verbs ---- */

static void bad_verb(struct strbuf *sb, const json_t *v, uint32_t verb)
{
	static const struct fspec plain = {.verb = 'v'};

	strbuf_addstr(sb, "%!");
	tfmt_utf8_encode(sb, verb);
	strbuf_addch(sb, '(');
	if (!v || json_is_null(v)) {
		strbuf_addstr(sb, "<nil>");
	} else {
		strbuf_addf(sb, "%s=", tfmt_type_name(v));
		fmt_arg(sb, v, &plain, false);
	}
	strbuf_addch(sb, ')');
}

static void fmt_unsigned(struct strbuf *sb, unsigned long long u, int base, bool upper)
{
	const char *dig = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	char buf[70];
	int i = sizeof(buf);

	do {
		buf[--i] = dig[u % (unsigned)base];
		u /= (unsigned)base;
	} while (u);
	strbuf_add(sb, buf + i, sizeof(buf) - (size_t)i);
}

/* fmt's fmtInteger. */
static void fmt_integer(struct strbuf *sb, long long v, int base, const struct fspec *f)
{
	unsigned long long u = v < 0 ? 0 - (unsigned long long)v : (unsigned long long)v;
	struct strbuf num = STRBUF_INIT, dg = STRBUF_INIT;
	int prec = 0;

	if (f->has_prec) {
		prec = f->prec;
	} else if (f->zero && !f->minus && f->has_width) {
		prec = f->width - (v < 0 || f->plus || f->space);
	}
	if (!(f->has_prec && f->prec == 0 && u == 0))
		fmt_unsigned(&dg, u, base, f->verb == 'X');
	strbuf_addstr(&num, v < 0 ? "-" : f->plus ? "+" : f->space ? " " : "");
	if (f->sharp && base != 10 && u != 0)
		strbuf_addstr(&num, base == 16	? (f->verb == 'X' ? "0X" : "0x")
				    : base == 8 ? "0"
						: "0b");
	if (f->verb == 'O')
		strbuf_addstr(&num, "0o");
	for (int i = (int)dg.len; i < prec; i++)
		strbuf_addch(&num, '0');
	strbuf_add(&num, dg.buf ? dg.buf : "", dg.len);
	pad_str(sb, num.buf, f);
	strbuf_release(&num);
	strbuf_release(&dg);
}

static void fmt_rune(struct strbuf *sb, long long v, const struct fspec *f)
{
	uint32_t r = v < 0 || v > 0x10ffff ? 0xfffd : (uint32_t)v;
	struct strbuf s = STRBUF_INIT, enc = STRBUF_INIT;

	tfmt_utf8_encode(&enc, r);
	if (f->verb == 'c') {
		strbuf_addstr(&s, enc.buf);
	} else if (f->verb == 'q') {
		tfmt_quote(&s, enc.buf, enc.len, '\'', f->plus);
	} else {
		strbuf_addf(&s, "U+%04llX", (unsigned long long)(v < 0 ? 0 : v));
		if (f->sharp && tfmt_is_print(r))
			strbuf_addf(&s, " '%s'", enc.buf);
	}
	pad_str(sb, s.buf, f);
	strbuf_release(&s);
	strbuf_release(&enc);
}

static void fmt_int_verb(struct strbuf *sb, const json_t *v, const struct fspec *f)
{
	long long i = json_integer_value(v);

	switch (f->verb) {
	case 'v':
	case 'd':
		fmt_integer(sb, i, 10, f);
		break;
	case 'b':
		fmt_integer(sb, i, 2, f);
		break;
	case 'o':
	case 'O':
		fmt_integer(sb, i, 8, f);
		break;
	case 'x':
	case 'X':
		fmt_integer(sb, i, 16, f);
		break;
	case 'c':
	case 'q':
	case 'U':
		fmt_rune(sb, i, f);
		break;
	default:
		bad_verb(sb, v, f->verb);
	}
}

/* |d| with a precision, as C and Go print it alike. */
static char *float_prec(double d, uint32_t verb, int prec)
{
	d = fabs(d);
	switch (verb) {
	case 'e':
		return xasprintf("%.*e", prec, d);
	case 'E':
		return xasprintf("%.*E", prec, d);
	case 'f':
		return xasprintf("%.*f", prec, d);
	case 'G':
		return xasprintf("%.*G", prec, d);
	default:
		return xasprintf("%.*g", prec, d);
	}
}

static void fmt_float(struct strbuf *sb, double d, const struct fspec *f)
{
	struct strbuf num = STRBUF_INIT;
	uint32_t verb = f->verb == 'v' ? 'g' : f->verb == 'F' ? 'f' : f->verb;
	int prec = f->has_prec ? f->prec : verb == 'g' || verb == 'G' ? -1 : 6;

	if (signbit(d) && !isnan(d))
		strbuf_addch(&num, '-');
	else if (f->plus || (isinf(d) && !f->space))
		strbuf_addch(&num, '+');
	else if (f->space)
		strbuf_addch(&num, ' ');
	if (isinf(d) || isnan(d)) {
		strbuf_addstr(&num, isinf(d) ? "Inf" : "NaN");
		pad_str(sb, num.buf, f);
	} else if (prec < 0) {
		float_shortest(&num, fabs(d), (char)verb);
		pad_number(sb, num.buf, f);
	} else {
		_cleanup_free_ char *digits = float_prec(d, verb, prec);

		strbuf_addstr(&num, digits);
		pad_number(sb, num.buf, f);
	}
	strbuf_release(&num);
}

/* %x of a string: two digits a byte. */
static void fmt_hex_string(struct strbuf *sb, const char *s, size_t len, const struct fspec *f)
{
	struct strbuf hex = STRBUF_INIT;
	const char *dig = f->verb == 'X' ? "0123456789ABCDEF" : "0123456789abcdef";

	if (f->has_prec && (size_t)f->prec < len)
		len = (size_t)f->prec;
	for (size_t i = 0; i < len; i++) {
		if (f->space && i > 0)
			strbuf_addch(&hex, ' ');
		if (f->sharp && (f->space || i == 0))
			strbuf_addstr(&hex, f->verb == 'X' ? "0X" : "0x");
		strbuf_addch(&hex, dig[(unsigned char)s[i] >> 4]);
		strbuf_addch(&hex, dig[(unsigned char)s[i] & 15]);
	}
	pad(sb, hex.buf ? hex.buf : "", hex.len, f, f->zero);
	strbuf_release(&hex);
}

static void fmt_string(struct strbuf *sb, const json_t *v, const struct fspec *f)
{
	const char *s = json_string_value(v);
	size_t len = json_string_length(v);
	struct strbuf q = STRBUF_INIT;

	if (f->verb == 'x' || f->verb == 'X') {
		fmt_hex_string(sb, s, len, f);
		return;
	}
	if (f->verb != 'v' && f->verb != 's' && f->verb != 'q') {
		bad_verb(sb, v, f->verb);
		return;
	}
	if (f->has_prec) {
		size_t i = 0;
		uint32_t r;

		for (int n = 0; n < f->prec && i < len; n++)
			i += tfmt_utf8_decode(s + i, len - i, &r);
		len = i;
	}
	if (f->verb != 'q') {
		pad(sb, s, len, f, f->zero);
		return;
	}
	if (f->sharp && can_backquote(s, len)) {
		strbuf_addch(&q, '`');
		strbuf_add(&q, s, len);
		strbuf_addch(&q, '`');
	} else {
		tfmt_quote(&q, s, len, '"', f->plus);
	}
	pad(sb, q.buf, q.len, f, f->zero);
	strbuf_release(&q);
}

static int cmp_keys(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The keys of an object, sorted as fmt and range visit a Go map. Free the array only. */
static const char **sorted_keys(const json_t *obj, size_t *n)
{
	const char **keys = xcalloc(json_object_size(obj) + 1, sizeof(*keys));
	const char *k;
	json_t *v;

	*n = 0;
	json_object_foreach((json_t *)obj, k, v) keys[(*n)++] = k;
	sort_array(keys, *n, sizeof(*keys), cmp_keys);
	return keys;
}

static void fmt_elem(struct strbuf *sb, const json_t *v, const struct fspec *f)
{
	if (json_is_null(v))
		pad_str(sb, "<nil>", f);
	else
		fmt_arg(sb, v, f, false);
}

static void fmt_object(struct strbuf *sb, const json_t *v, const struct fspec *f)
{
	size_t n;
	_cleanup_free_ const char **keys = sorted_keys(v, &n);

	strbuf_addstr(sb, "map[");
	for (size_t i = 0; i < n; i++) {
		json_t *k = json_string_nocheck(keys[i]);

		if (i > 0)
			strbuf_addch(sb, ' ');
		fmt_arg(sb, k, f, false);
		strbuf_addch(sb, ':');
		fmt_elem(sb, json_object_get(v, keys[i]), f);
		json_decref(k);
	}
	strbuf_addch(sb, ']');
}

static void fmt_array(struct strbuf *sb, const json_t *v, const struct fspec *f)
{
	strbuf_addch(sb, '[');
	for (size_t i = 0; i < json_array_size(v); i++) {
		if (i > 0)
			strbuf_addch(sb, ' ');
		fmt_elem(sb, json_array_get(v, i), f);
	}
	strbuf_addch(sb, ']');
}

static bool verb_fits(const json_t *v, uint32_t verb)
{
	switch (v ? json_typeof(v) : JSON_NULL) {
	case JSON_NULL:
		return verb == 'v';
	case JSON_TRUE:
	case JSON_FALSE:
		return verb == 'v' || verb == 't';
	case JSON_REAL:
		return verb < 0x80 && verb && strchr("vgGeEfF", (int)verb);
	default:
		return true;
	}
}

static void fmt_arg(struct strbuf *sb, const json_t *v, const struct fspec *f, bool top)
{
	if (f->verb == 'T')
		pad_str(sb, tfmt_type_name(v), f);
	else if ((!v || json_is_null(v)) && (!top || f->verb == 'v'))
		pad_str(sb, "<nil>", f);
	else if (!verb_fits(v, f->verb))
		bad_verb(sb, v, f->verb);
	else if (json_is_boolean(v))
		pad_str(sb, json_is_true(v) ? "true" : "false", f);
	else if (json_is_integer(v))
		fmt_int_verb(sb, v, f);
	else if (json_is_real(v))
		fmt_float(sb, json_real_value(v), f);
	else if (json_is_string(v))
		fmt_string(sb, v, f);
	else if (json_is_array(v))
		fmt_array(sb, v, f);
	else
		fmt_object(sb, v, f);
}

const char *tfmt_type_name(const json_t *v)
{
	switch (v ? json_typeof(v) : JSON_NULL) {
	case JSON_STRING:
		return "string";
	case JSON_INTEGER:
		return "int";
	case JSON_REAL:
		return "float64";
	case JSON_TRUE:
	case JSON_FALSE:
		return "bool";
	case JSON_OBJECT:
		return "map[string]interface {}";
	case JSON_ARRAY:
		return "[]interface {}";
	default:
		return "<nil>";
	}
}

void tfmt_value(struct strbuf *sb, const json_t *v)
{
	static const struct fspec plain = {.verb = 'v'};

	fmt_arg(sb, v, &plain, true);
}

void tfmt_sprint(struct strbuf *sb, json_t *const *args, size_t n, bool ln)
{
	for (size_t i = 0; i < n; i++) {
		bool str = json_is_string(args[i]), prev = i > 0 && json_is_string(args[i - 1]);

		if (i > 0 && (ln || (!str && !prev)))
			strbuf_addch(sb, ' ');
		tfmt_value(sb, args[i]);
	}
	if (ln)
		strbuf_addch(sb, '\n');
}

/* ---- printf ---- */

/* A width or precision: digits, or '*' taking an int argument. False when bad. */
static bool printf_num(const char *fmt, size_t len, size_t *i, json_t *const *args, size_t n,
		       size_t *argi, int *num, bool *present)
{
	*present = false;
	*num = 0;
	if (*i < len && fmt[*i] == '*') {
		json_t *a = *argi < n ? args[*argi] : NULL;

		(*i)++;
		(*argi)++;
		if (!json_is_integer(a) || llabs(json_integer_value(a)) > 1000000)
			return false;
		*num = (int)json_integer_value(a);
		*present = true;
		return true;
	}
	for (; *i < len && fmt[*i] >= '0' && fmt[*i] <= '9'; (*i)++) {
		if (*num > 1000000) {
			*i = len;
			*present = false;
			return true;
		}
		*num = *num * 10 + (fmt[*i] - '0');
		*present = true;
	}
	return true;
}

static void printf_flags(const char *fmt, size_t len, size_t *i, struct fspec *f)
{
	for (; *i < len; (*i)++) {
		switch (fmt[*i]) {
		case '#':
			f->sharp = true;
			break;
		case '0':
			f->zero = !f->minus;
			break;
		case '+':
			f->plus = true;
			break;
		case '-':
			f->minus = true;
			f->zero = false;
			break;
		case ' ':
			f->space = true;
			break;
		default:
			return;
		}
	}
}

/* The flags, width and precision of one directive; false when done (no verb). */
static bool printf_spec(struct strbuf *sb, const char *fmt, size_t len, size_t *i,
			json_t *const *args, size_t n, size_t *argi, struct fspec *f)
{
	printf_flags(fmt, len, i, f);
	if (!printf_num(fmt, len, i, args, n, argi, &f->width, &f->has_width))
		strbuf_addstr(sb, "%!(BADWIDTH)");
	if (f->has_width && f->width < 0) {
		f->minus = true;
		f->zero = false;
		f->width = -f->width;
	}
	if (*i < len && fmt[*i] == '.') {
		bool star = *i + 1 < len && fmt[*i + 1] == '*';

		(*i)++;
		if (!printf_num(fmt, len, i, args, n, argi, &f->prec, &f->has_prec)) {
			strbuf_addstr(sb, "%!(BADPREC)");
		} else if (star && f->prec < 0) {
			f->prec = 0;
			f->has_prec = false;
		} else if (!f->has_prec) {
			f->prec = 0;
			f->has_prec = true;
		}
	}
	if (*i >= len) {
		strbuf_addstr(sb, "%!(NOVERB)");
		return false;
	}
	*i += tfmt_utf8_decode(fmt + *i, len - *i, &f->verb);
	return true;
}

int tfmt_printf(struct strbuf *sb, const char *fmt, size_t len, json_t *const *args, size_t n,
		size_t limit)
{
	size_t argi = 0, i = 0;

	while (i < len) {
		if (limit && sb->len > limit)
			return -1;
		struct fspec f = {0};
		const char *pct = memchr(fmt + i, '%', len - i);
		size_t end = pct ? (size_t)(pct - fmt) : len;

		strbuf_add(sb, fmt + i, end - i);
		if (!pct)
			break;
		i = end + 1;
		if (!printf_spec(sb, fmt, len, &i, args, n, &argi, &f))
			break;
		if (f.verb == '%') {
			strbuf_addch(sb, '%');
		} else if (argi >= n) {
			strbuf_addstr(sb, "%!");
			tfmt_utf8_encode(sb, f.verb);
			strbuf_addstr(sb, "(MISSING)");
		} else {
			if (f.verb == 'v')
				f.plus = f.sharp = false;
			fmt_arg(sb, args[argi++], &f, true);
		}
	}
	if (limit && sb->len > limit)
		return -1;
	if (argi >= n)
		return 0;
	strbuf_addstr(sb, "%!(EXTRA ");
	for (size_t k = argi; k < n; k++) {
		if (k > argi)
			strbuf_addstr(sb, ", ");
		if (!args[k] || json_is_null(args[k])) {
			strbuf_addstr(sb, "<nil>");
			continue;
		}
		strbuf_addf(sb, "%s=", tfmt_type_name(args[k]));
		tfmt_value(sb, args[k]);
	}
	strbuf_addch(sb, ')');
	return 0;
}

/* ---- encoding/json ---- */

static void json_string_out(struct strbuf *sb, const char *s, size_t len)
{
	static const char hex[] = "0123456789abcdef";

	strbuf_addch(sb, '"');
	for (size_t i = 0; i < len;) {
		unsigned char c = (unsigned char)s[i];
		uint32_t r;
		size_t w;

		if (c < 0x80) {
			if (c == '"' || c == '\\')
				strbuf_addf(sb, "\\%c", c);
			else if (escape_letter(c, true))
				strbuf_addf(sb, "\\%c", escape_letter(c, true));
			else if (c < 0x20)
				strbuf_addf(sb, "\\u00%c%c", hex[c >> 4], hex[c & 15]);
			else
				strbuf_addch(sb, (char)c);
			i++;
			continue;
		}
		w = tfmt_utf8_decode(s + i, len - i, &r);
		if (r == 0xfffd && w == 1)
			strbuf_addstr(sb, "\\ufffd");
		else if (r == 0x2028 || r == 0x2029)
			strbuf_addf(sb, "\\u%04x", r);
		else
			strbuf_add(sb, s + i, w);
		i += w;
	}
	strbuf_addch(sb, '"');
}

static void json_container(struct strbuf *sb, const json_t *v)
{
	const char *k;
	json_t *e;
	size_t i;
	bool first = true;

	if (json_is_array(v)) {
		strbuf_addch(sb, '[');
		json_array_foreach((json_t *)v, i, e)
		{
			if (i > 0)
				strbuf_addch(sb, ',');
			tfmt_json(sb, e);
		}
		strbuf_addch(sb, ']');
		return;
	}
	strbuf_addch(sb, '{');
	json_object_foreach((json_t *)v, k, e)
	{
		if (!first)
			strbuf_addch(sb, ',');
		first = false;
		json_string_out(sb, k, strlen(k));
		strbuf_addch(sb, ':');
		tfmt_json(sb, e);
	}
	strbuf_addch(sb, '}');
}

void tfmt_json(struct strbuf *sb, const json_t *v)
{
	if (!v || json_is_null(v))
		strbuf_addstr(sb, "null");
	else if (json_is_boolean(v))
		strbuf_addstr(sb, json_is_true(v) ? "true" : "false");
	else if (json_is_integer(v))
		strbuf_addf(sb, "%lld", (long long)json_integer_value(v));
	else if (json_is_real(v))
		float_shortest(sb, json_real_value(v), 'j');
	else if (json_is_string(v))
		json_string_out(sb, json_string_value(v), json_string_length(v));
	else
		json_container(sb, v);
}
