/* buf.c — raas_buf growth with doubling and a hard maximum. */
#include "base/buf.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "base/alloc.h"

void raas_buf_init(struct raas_buf *b, size_t max)
{
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
	b->max = max;
}

raas_rc raas_buf_reserve(struct raas_buf *b, size_t n)
{
	size_t want, cap;
	char *data;

	if (n > b->max || b->len > b->max - n)
		return RAAS_E_INPUT;
	want = b->len + n + 1;
	if (want <= b->cap)
		return RAAS_OK;
	cap = b->cap ? b->cap : 256;
	while (cap < want)
		cap = cap > SIZE_MAX / 2 ? want : cap * 2;
	data = raas_realloc(b->data, cap);
	if (!data)
		return RAAS_E_NOMEM;
	b->data = data;
	b->cap = cap;
	return RAAS_OK;
}

raas_rc raas_buf_append(struct raas_buf *b, const void *p, size_t n)
{
	raas_rc rc = raas_buf_reserve(b, n);

	if (rc)
		return rc;
	if (n)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
	return RAAS_OK;
}

raas_rc raas_buf_puts(struct raas_buf *b, const char *s)
{
	return raas_buf_append(b, s, strlen(s));
}

raas_rc raas_buf_putc(struct raas_buf *b, char c)
{
	return raas_buf_append(b, &c, 1);
}

raas_rc raas_buf_printf(struct raas_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;
	raas_rc rc;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return RAAS_E_STORAGE;
	rc = raas_buf_reserve(b, (size_t)n);
	if (rc)
		return rc;
	va_start(ap, fmt);
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
	return RAAS_OK;
}

void raas_buf_reset(struct raas_buf *b)
{
	b->len = 0;
	if (b->data)
		b->data[0] = '\0';
}

void raas_buf_free(struct raas_buf *b)
{
	raas_free(b->data);
	raas_buf_init(b, b->max);
}
