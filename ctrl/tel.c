/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Telemetry: the counters through DPDK's telemetry socket (commands under
 * /siplb/, read with dpdk-telemetry.py) and as Prometheus text (served by the
 * control plane's HTTP listener, ctl.c).
 *
 * DPDK calls the telemetry callbacks on its own thread. Counters are read
 * there as the main lcore reads them (each a single aligned word); the
 * backend table, which the main lcore rewrites on every publish, is read
 * from a copy that tel_update makes under tel_lock.
 */
#include <pthread.h>
#include <string.h>

#include <rte_telemetry.h>

#include "daemon.h"
#include "tel.h"

struct tel_backend {
	char name[BK_NAME_MAX];
	uint16_t weight;
	bool drained, down;
	uint64_t fwd_base;
};

static pthread_mutex_t tel_lock = PTHREAD_MUTEX_INITIALIZER;
static const struct daemon *tel_d;
static unsigned tel_n;
static struct tel_backend tel_bk[CFG_MAX_BACKENDS];
static bool tel_used[CFG_MAX_BACKENDS];

void
tel_update(const struct daemon *d)
{
	pthread_mutex_lock(&tel_lock);
	tel_n = d->n_slots;
	for (unsigned s = 0; s < d->n_slots; s++) {
		tel_used[s] = d->slot[s].used;
		snprintf(tel_bk[s].name, sizeof(tel_bk[s].name), "%s", d->slot[s].bk.name);
		tel_bk[s].weight = d->slot[s].bk.weight;
		tel_bk[s].drained = d->slot[s].drained;
		tel_bk[s].down = d->slot[s].down;
		tel_bk[s].fwd_base = d->slot[s].fwd_base;
	}
	pthread_mutex_unlock(&tel_lock);
}

/* Sum the workers' counters (any thread, see above). */
static void
tel_sum(struct cnt_core *sum)
{
	memset(sum, 0, sizeof(*sum));
	for (unsigned i = 0; i < tel_d->n_wrk; i++)
		if (tel_d->wrk[i]) /* asked before the workers started */
			cnt_add(sum, &tel_d->wrk[i]->cnt);
}

static int
tel_stats(const char *cmd, const char *params, struct rte_tel_data *out)
{
	static struct cnt_core sum; /* 5 KiB: not on the telemetry thread's stack */
	const char *names[64];
	uint64_t vals[64];
	unsigned n;

	(void)cmd;
	(void)params;
	tel_sum(&sum);
	n = cnt_scalars(&sum, names, vals, 64);
	rte_tel_data_start_dict(out);
	for (unsigned i = 0; i < n && i < 64; i++)
		rte_tel_data_add_dict_u64(out, names[i], vals[i]);
	rte_tel_data_add_dict_u64(out, "drops_total", cnt_drops_total(&sum));
	return 0;
}

static int
tel_drops(const char *cmd, const char *params, struct rte_tel_data *out)
{
	static struct cnt_core sum;

	(void)cmd;
	(void)params;
	tel_sum(&sum);
	rte_tel_data_start_dict(out);
	for (unsigned k = 0; k < CNT_DROP__COUNT; k++)
		rte_tel_data_add_dict_u64(out, cnt_drop_name((enum cnt_drop)k), sum.drop[k]);
	return 0;
}

static int
tel_backends(const char *cmd, const char *params, struct rte_tel_data *out)
{
	static struct cnt_core sum;

	(void)cmd;
	(void)params;
	tel_sum(&sum);
	rte_tel_data_start_dict(out);
	pthread_mutex_lock(&tel_lock);
	for (unsigned s = 0; s < tel_n; s++) {
		struct rte_tel_data *b;

		if (!tel_used[s] || (b = rte_tel_data_alloc()) == NULL)
			continue;
		rte_tel_data_start_dict(b);
		rte_tel_data_add_dict_u64(b, "requests", sum.fwd_backend[s] - tel_bk[s].fwd_base);
		rte_tel_data_add_dict_u64(b, "failures", sum.fail_backend[s]);
		rte_tel_data_add_dict_u64(b, "weight", tel_bk[s].weight);
		rte_tel_data_add_dict_u64(b, "up", !tel_bk[s].down);
		rte_tel_data_add_dict_u64(b, "drained", tel_bk[s].drained);
		rte_tel_data_add_dict_container(out, tel_bk[s].name, b, 0);
	}
	pthread_mutex_unlock(&tel_lock);
	return 0;
}

static int
tel_latency(const char *cmd, const char *params, struct rte_tel_data *out)
{
	static struct cnt_core sum;
	struct rte_tel_data *h[2];
	const uint64_t *src[2];
	char le[16];

	(void)cmd;
	(void)params;
	tel_sum(&sum);
	src[0] = sum.lat_first;
	src[1] = sum.lat_final;
	rte_tel_data_start_dict(out);
	for (unsigned j = 0; j < 2; j++) {
		if ((h[j] = rte_tel_data_alloc()) == NULL)
			return -ENOMEM;
		rte_tel_data_start_dict(h[j]);
		for (unsigned i = 0; i < CNT_LAT_BUCKETS; i++) {
			if (cnt_lat_bound(i))
				snprintf(le, sizeof(le), "le_%u", cnt_lat_bound(i));
			else
				snprintf(le, sizeof(le), "inf");
			rte_tel_data_add_dict_u64(h[j], le, src[j][i]);
		}
	}
	rte_tel_data_add_dict_container(out, "invite_first_response_ms", h[0], 0);
	rte_tel_data_add_dict_container(out, "invite_final_response_ms", h[1], 0);
	rte_tel_data_add_dict_u64(out, "first_sum_ms", sum.lat_first_sum_ms);
	rte_tel_data_add_dict_u64(out, "final_sum_ms", sum.lat_final_sum_ms);
	return 0;
}

int
tel_init(const struct daemon *d)
{
	tel_d = d;
	tel_update(d);
	/* Fails only without the telemetry library's init (--no-telemetry),
	 * then these are simply not there. */
	rte_telemetry_register_cmd("/siplb/stats", tel_stats,
				   "siplb counters, summed over workers. No parameters");
	rte_telemetry_register_cmd("/siplb/drops", tel_drops,
				   "siplb drops by reason. No parameters");
	rte_telemetry_register_cmd("/siplb/backends", tel_backends,
				   "siplb backends: requests, failures, weight, up, drained");
	rte_telemetry_register_cmd("/siplb/latency", tel_latency,
				   "siplb INVITE latency histograms (stateful mode), ms buckets");
	return 0;
}

void
tel_prometheus(const struct daemon *d, FILE *f)
{
	struct cnt_core sum;

	daemon_stats_sum(d, &sum);
	cnt_dump_prom(f, &sum, d->bk_names, d->n_slots);
	/* the backends' state, which only the control plane knows */
	fputs("# TYPE siplb_backend_up gauge\n", f);
	for (unsigned s = 0; s < d->n_slots; s++)
		if (d->slot[s].used)
			fprintf(f, "siplb_backend_up{backend=\"%s\"} %d\n", d->slot[s].bk.name,
				!d->slot[s].down);
	fputs("# TYPE siplb_backend_draining gauge\n", f);
	for (unsigned s = 0; s < d->n_slots; s++)
		if (d->slot[s].used)
			fprintf(f, "siplb_backend_draining{backend=\"%s\"} %d\n",
				d->slot[s].bk.name, d->slot[s].drained);
	fputs("# TYPE siplb_backend_weight gauge\n", f);
	for (unsigned s = 0; s < d->n_slots; s++)
		if (d->slot[s].used)
			fprintf(f, "siplb_backend_weight{backend=\"%s\"} %u\n", d->slot[s].bk.name,
				d->slot[s].bk.weight);
	fprintf(f, "# TYPE siplb_reloads_total counter\nsiplb_reloads_total %u\n", d->reloads);
}
