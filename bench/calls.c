/* SPDX-License-Identifier: BSD-3-Clause */
/* placeholder: siplb-bench calls is being written */
#include <stdio.h>

#include "calls.h"

int
calls_main(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "siplb-bench calls: not built yet\n");
	return 2;
}
