/* raas.c — the process entry point of the `raas` binary; everything else is in main.c. */
#include <stdio.h>

#include "cli/cli.h"

int main(int argc, char **argv)
{
	int rc = raas_cli_main(argc, argv, stdout, stderr);

	if (fflush(stdout) != 0 && rc == 0)
		rc = 3; /* output lost (a full disk, a closed pipe): not a success */
	return rc;
}
