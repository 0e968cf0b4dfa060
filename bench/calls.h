/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * siplb-bench calls: the SIP call generator (--role uac) and responder
 * (--role uas) over kernel UDP sockets or a DPDK port. argv[0] is "calls".
 * Returns the process exit status.
 */
#ifndef SIPLB_BENCH_CALLS_H
#define SIPLB_BENCH_CALLS_H

int calls_main(int argc, char **argv);

#endif
