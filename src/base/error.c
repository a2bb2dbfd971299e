/* error.c — filling, formatting and printing struct raas_err and struct raas_problems. */
#include "raas/error.h"

#include <stdarg.h>
#include <string.h>

#include "base/alloc.h"

void raas_err_clear(struct raas_err *err)
{
	if (!err)
		return;
	err->code = RAAS_OK;
	err->path[0] = '\0';
	err->line = 0;
	err->column = 0;
	err->message[0] = '\0';
}

raas_rc raas_err_set(struct raas_err *err, raas_rc code, const char *path, const char *fmt, ...)
{
	va_list ap;

	if (!err)
		return code;
	err->code = code;
	snprintf(err->path, sizeof err->path, "%s", path ? path : "");
	err->line = 0;
	err->column = 0;
	va_start(ap, fmt);
	vsnprintf(err->message, sizeof err->message, fmt, ap);
	va_end(ap);
	return code;
}

void raas_err_at(struct raas_err *err, uint32_t line, uint32_t column)
{
	if (!err)
		return;
	err->line = line;
	err->column = column;
}

size_t raas_err_format(const struct raas_err *err, char *buf, size_t cap)
{
	int n;

	if (err->path[0] && err->line)
		n = snprintf(buf, cap, "%s: line %u, column %u: %s", err->path, err->line,
		             err->column, err->message);
	else if (err->line)
		n = snprintf(buf, cap, "line %u, column %u: %s", err->line, err->column,
		             err->message);
	else if (err->path[0])
		n = snprintf(buf, cap, "%s: %s", err->path, err->message);
	else
		n = snprintf(buf, cap, "%s", err->message);
	return n < 0 ? 0 : (size_t)n;
}

void raas_err_print(FILE *f, const struct raas_err *err)
{
	char buf[RAAS_ERR_PATH_MAX + RAAS_ERR_MESSAGE_MAX + 64];

	raas_err_format(err, buf, sizeof buf);
	fprintf(f, "%s\n", buf);
}

int raas_rc_exit_code(raas_rc rc)
{
	switch (rc) {
	case RAAS_OK:
		return 0;
	case RAAS_E_USAGE:
		return 1;
	case RAAS_E_INPUT:
	case RAAS_E_OVERFLOW:
		return 2;
	case RAAS_E_VERIFY:
		return 4;
	case RAAS_E_STORAGE:
	case RAAS_E_NOMEM:
		break;
	}
	return 3;
}

void raas_problems_add(struct raas_problems *problems, const char *path, const char *fmt, ...)
{
	char text[RAAS_ERR_MESSAGE_MAX];
	struct raas_problem *p;
	va_list ap;

	if (problems->count >= RAAS_PROBLEMS_MAX) {
		problems->dropped++;
		return;
	}
	va_start(ap, fmt);
	vsnprintf(text, sizeof text, fmt, ap);
	va_end(ap);
	if (problems->count == problems->cap) {
		size_t cap = problems->cap ? problems->cap * 2 : 8;
		struct raas_problem *items = raas_realloc(problems->items, cap * sizeof *items);
		if (!items) {
			problems->out_of_memory = 1;
			return;
		}
		problems->items = items;
		problems->cap = cap;
	}
	p = &problems->items[problems->count];
	p->path = raas_strdup(path ? path : "");
	p->message = raas_strdup(text);
	if (!p->path || !p->message) {
		raas_free(p->path);
		raas_free(p->message);
		problems->out_of_memory = 1;
		return;
	}
	problems->count++;
}

void raas_problems_print(FILE *f, const struct raas_problems *problems)
{
	for (size_t i = 0; i < problems->count; i++) {
		const struct raas_problem *p = &problems->items[i];
		if (p->path[0])
			fprintf(f, "%s: %s\n", p->path, p->message);
		else
			fprintf(f, "%s\n", p->message);
	}
	if (problems->dropped)
		fprintf(f, "… and %zu more problems\n", problems->dropped);
	if (problems->out_of_memory)
		fprintf(f, "out of memory while listing problems\n");
}

size_t raas_problems_total(const struct raas_problems *problems)
{
	return problems->count + problems->dropped;
}

const char *raas_escape(char *buf, size_t cap, const char *s, size_t len, size_t max_in)
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0, i = 0, limit = len < max_in ? len : max_in;

	/* Reserve room for the worst-case escape (6) plus "…" (3) and the NUL. */
	while (i < limit && o + 10 < cap) {
		unsigned char c = (unsigned char)s[i];
		if (c == '"' || c == '\\') {
			buf[o++] = '\\';
			buf[o++] = (char)c;
		} else if (c < 0x20 || c == 0x7f) {
			buf[o++] = '\\';
			buf[o++] = 'u';
			buf[o++] = '0';
			buf[o++] = '0';
			buf[o++] = hex[c >> 4];
			buf[o++] = hex[c & 15];
		} else {
			buf[o++] = (char)c;
		}
		i++;
	}
	if (i < len) {
		/* Cut: drop a UTF-8 sequence left incomplete, then mark the cut. */
		size_t lead = o;
		while (lead > 0 && ((unsigned char)buf[lead - 1] & 0xC0) == 0x80)
			lead--;
		if (lead > 0 && ((unsigned char)buf[lead - 1] & 0xC0) == 0xC0) {
			unsigned char b = (unsigned char)buf[lead - 1];
			size_t need = b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : 2;
			if (o - (lead - 1) < need)
				o = lead - 1;
		}
		memcpy(buf + o, "\xe2\x80\xa6", 3);
		o += 3;
	}
	buf[o] = '\0';
	return buf;
}

void raas_problems_free(struct raas_problems *problems)
{
	for (size_t i = 0; i < problems->count; i++) {
		raas_free(problems->items[i].path);
		raas_free(problems->items[i].message);
	}
	raas_free(problems->items);
	memset(problems, 0, sizeof *problems);
}
