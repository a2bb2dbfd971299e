/* buf.h — growable byte buffer with a hard maximum (curl's dynbuf).
 *
 * Output documents (invoices, reports, JSON) are built in a raas_buf. Every buffer has a
 * maximum so that input-driven growth ends in an error, never in exhausted memory.
 */
#ifndef RAAS_BASE_BUF_H
#define RAAS_BASE_BUF_H

#include <stddef.h>

#include "raas/error.h"

struct raas_buf {
	char *data; /* NUL-terminated when non-NULL; owned */
	size_t len;
	size_t cap;
	size_t max; /* the length may never exceed this */
};

/* Prepares an empty buffer that may hold at most max bytes. */
void raas_buf_init(struct raas_buf *b, size_t max);
/* Makes room for n more bytes (and the NUL) without changing the contents. */
RAAS_WUR raas_rc raas_buf_reserve(struct raas_buf *b, size_t n);
/* Appends n bytes; RAAS_E_NOMEM, or RAAS_E_INPUT when the result would exceed max. */
RAAS_WUR raas_rc raas_buf_append(struct raas_buf *b, const void *p, size_t n);
RAAS_WUR raas_rc raas_buf_puts(struct raas_buf *b, const char *s);
RAAS_WUR raas_rc raas_buf_putc(struct raas_buf *b, char c);
RAAS_WUR raas_rc raas_buf_printf(struct raas_buf *b, const char *fmt, ...) RAAS_PRINTF(2, 3);
/* Empties the buffer, keeping its memory. */
void raas_buf_reset(struct raas_buf *b);
/* Frees the memory; the buffer is empty and reusable afterwards. */
void raas_buf_free(struct raas_buf *b);

#endif
