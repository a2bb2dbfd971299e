/* raas.c — the process entry point of the `raas` binary; everything else is in main.c. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

int main(int argc, char **argv)
{
	int rc = raas_cli_main(argc, argv, stdout, stderr);

	if (fflush(stdout) != 0 || ferror(stdout)) {
		/* Output lost (a full disk, a closed pipe): not a success. */
		fprintf(stderr, "stdout: %s\n", errno ? strerror(errno) : "write failed");
		rc = 3;
	}
	return rc;
}
