/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * lve-sample.h - statistics samples for the tests of the statistics
 * database (tests/unit/test-lve-db.c on SQLite, tests/host/test-lve-db-pg.c
 * on PostgreSQL): a reproducible pseudo-random sequence and a sample with
 * every field set from it. Header only (needs stats.h's struct lve_sample).
 */
#pragma once

#include <stdint.h>

#include "stats.h"

/* xorshift64: the next value of the sequence in *state (never 0). */
static inline uint64_t lvetest_rnd(uint64_t *state)
{
	*state ^= *state << 13;
	*state ^= *state >> 7;
	*state ^= *state << 17;
	return *state;
}

/* A 5-second sample of LVE id at ts with pseudo-random values of every field. */
static inline struct lve_sample lvetest_sample(uint64_t *state, uint32_t id, int64_t ts)
{
	struct lve_sample s = { .id = id, .ts = ts, .interval = 5 };

	s.aCPU = (uint32_t)(lvetest_rnd(state) % 40000);
	s.lCPU = (uint32_t)(lvetest_rnd(state) % 3) * 10000;
	s.CPUf = lvetest_rnd(state) % 4;
	s.aEP = (uint32_t)(lvetest_rnd(state) % 30);
	s.lEP = 20;
	s.EPf = lvetest_rnd(state) % 3;
	s.aVMem = lvetest_rnd(state) % (1ull << 40);
	s.lVMem = lvetest_rnd(state) % 2 ? 0 : (1ull << 32);
	s.VMemF = lvetest_rnd(state) % 2;
	s.aPMem = lvetest_rnd(state) % (1ull << 33);
	s.lPMem = (lvetest_rnd(state) % 4) << 30;
	s.PMemF = lvetest_rnd(state) % 5;
	s.aNproc = (uint32_t)(lvetest_rnd(state) % 200);
	s.lNproc = 100;
	s.NprocF = lvetest_rnd(state) % 2;
	s.aIO = lvetest_rnd(state) % (1ull << 30);
	s.lIO = 1ull << 20;
	s.IOf = lvetest_rnd(state) % 2;
	s.aIOPS = (uint32_t)(lvetest_rnd(state) % 5000);
	s.lIOPS = 1024;
	s.IOPSf = lvetest_rnd(state) % 2;
	s.nprocs = (uint32_t)(lvetest_rnd(state) % 50);
	s.nthreads = s.nprocs * 2;
	return s;
}
