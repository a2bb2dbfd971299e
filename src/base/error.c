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
	if (problems->out_of_memory)
		fprintf(f, "out of memory while listing problems\n");
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
