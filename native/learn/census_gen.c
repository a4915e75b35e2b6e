/* SPDX-License-Identifier: MIT */
/* Census-like income data in two versions whose relationship drifts. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "learn_internal.h"

/*
 * The columns and levels are those of the Adult Census Income dataset
 * (UCI), the data of the documented retraining walkthrough; frequencies
 * are close to the original's.  Income is drawn from a logistic model of
 * the other columns, whose education, hours and occupation terms differ
 * between versions "a" and "b" (docs/census-data.md).  Everything comes
 * from one xoshiro256** stream seeded by splitmix64, so that a seed gives
 * the same bytes on every run.
 */

struct rng {
	uint64_t s[4];
};

static uint64_t splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9E3779B97F4A7C15u);

	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9u;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBu;
	return z ^ (z >> 31);
}

static uint64_t rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

static uint64_t next(struct rng *r)
{
	uint64_t *s = r->s, out = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return out;
}

/* Uniform in [0, 1), 53 bits. */
static double uniform(struct rng *r)
{
	return (double)(next(r) >> 11) * 0x1.0p-53;
}

/* Uniform integer in [0, n), n < 2^32. */
static uint32_t below(struct rng *r, uint32_t n)
{
	return (uint32_t)(((next(r) >> 32) * (uint64_t)n) >> 32);
}

/* Roughly standard normal: the sum of 12 uniforms, less 6. */
static double normal(struct rng *r)
{
	double s = 0;
	int i;

	for (i = 0; i < 12; i++)
		s += uniform(r);
	return s - 6;
}

/* A level with integer weights (per mille or any scale). */
struct level {
	const char *name;
	uint32_t weight;
};

static size_t pick(struct rng *r, const struct level *lv, size_t n)
{
	uint32_t total = 0, x;
	size_t i;

	for (i = 0; i < n; i++)
		total += lv[i].weight;
	x = below(r, total);
	for (i = 0; i + 1 < n; i++) {
		if (x < lv[i].weight)
			return i;
		x -= lv[i].weight;
	}
	return n - 1;
}

#define N(a) (sizeof(a) / sizeof((a)[0]))

static const struct level workclass[] = {
	{ "Private", 6970 },	{ "Self-emp-not-inc", 780 },
	{ "Local-gov", 640 },	{ "?", 560 },
	{ "State-gov", 400 },	{ "Self-emp-inc", 340 },
	{ "Federal-gov", 290 }, { "Without-pay", 12 },
	{ "Never-worked", 8 },
};

/* education, in the order of education-num 1..16 */
static const struct level education[] = {
	{ "Preschool", 20 },	  { "1st-4th", 50 },	{ "5th-6th", 100 },
	{ "7th-8th", 200 },	  { "9th", 160 },	{ "10th", 290 },
	{ "11th", 360 },	  { "12th", 130 },	{ "HS-grad", 3230 },
	{ "Some-college", 2240 }, { "Assoc-voc", 420 }, { "Assoc-acdm", 330 },
	{ "Bachelors", 1640 },	  { "Masters", 530 },	{ "Prof-school", 180 },
	{ "Doctorate", 130 },
};

static const char *const occupations[] = {
	"Adm-clerical",	     "Armed-Forces",	 "Craft-repair",
	"Exec-managerial",   "Farming-fishing",	 "Handlers-cleaners",
	"Machine-op-inspct", "Other-service",	 "Priv-house-serv",
	"Prof-specialty",    "Protective-serv",	 "Sales",
	"Tech-support",	     "Transport-moving",
};

/* occupation weights for low (< 13) and high education-num */
static const uint32_t occ_low[] = { 130, 1, 150, 80, 40,  55, 80,
				    125, 6, 50,	 22, 115, 28, 60 };
static const uint32_t occ_high[] = { 100, 1, 40,  230, 10,  8,	12,
				     30,  1, 330, 18,  130, 40, 12 };

/* income effect of each occupation, versions a and b */
static const double occ_effect[2][14] = {
	{ -0.3, 0.0, 0.0, 1.0, -0.8, -0.9, -0.4, -1.1, -1.5, 0.9, 0.3, 0.3, 0.4,
	  -0.1 },
	{ 0.2, 0.0, 1.0, -0.6, 0.3, 0.2, 0.7, -0.2, -1.0, -0.4, 0.6, -0.5, 1.2,
	  0.9 },
};

static const struct level marital[] = {
	{ "Married-civ-spouse", 5500 },
	{ "Never-married", 1900 },
	{ "Divorced", 1500 },
	{ "Separated", 300 },
	{ "Widowed", 550 },
	{ "Married-spouse-absent", 130 },
	{ "Married-AF-spouse", 10 },
};

static const struct level race[] = {
	{ "White", 854 },
	{ "Black", 96 },
	{ "Asian-Pac-Islander", 32 },
	{ "Amer-Indian-Eskimo", 10 },
	{ "Other", 8 },
};

static const struct level country[] = {
	{ "United-States", 8960 },
	{ "Mexico", 200 },
	{ "?", 180 },
	{ "Philippines", 60 },
	{ "Germany", 42 },
	{ "Canada", 37 },
	{ "Puerto-Rico", 35 },
	{ "El-Salvador", 32 },
	{ "India", 31 },
	{ "Cuba", 29 },
	{ "England", 28 },
	{ "Jamaica", 25 },
	{ "South", 25 },
	{ "China", 23 },
	{ "Italy", 22 },
	{ "Dominican-Republic", 21 },
	{ "Vietnam", 21 },
	{ "Guatemala", 20 },
	{ "Japan", 19 },
	{ "Poland", 18 },
	{ "Columbia", 18 },
	{ "Taiwan", 16 },
	{ "Haiti", 14 },
	{ "Iran", 13 },
	{ "Portugal", 11 },
};

static const uint32_t gains[] = { 594,	1055, 2174, 3103,  4386,
				  5178, 7298, 7688, 15024, 99999 };
static const uint32_t losses[] = { 1485, 1590, 1602, 1672, 1740,
				   1887, 1902, 1977, 2415 };

struct person {
	int age;
	size_t workclass;
	long fnlwgt;
	size_t education; /* education-num - 1 */
	size_t marital;
	int occupation; /* -1: "?" */
	const char *relationship;
	size_t race;
	int male;
	uint32_t gain;
	uint32_t loss;
	int hours;
	size_t country;
};

static const char *relationship(struct rng *r, const struct person *p)
{
	double u = uniform(r);

	if (p->marital == 0 || p->marital == 6)
		return p->male ? "Husband" : "Wife";
	if (p->marital == 1) {
		if (p->age < 25)
			return u < 0.6	 ? "Own-child"
			       : u < 0.9 ? "Not-in-family"
					 : "Other-relative";
		return u < 0.6	  ? "Not-in-family"
		       : u < 0.75 ? "Own-child"
		       : u < 0.9  ? "Unmarried"
				  : "Other-relative";
	}
	return u < 0.5	  ? "Not-in-family"
	       : u < 0.9  ? "Unmarried"
	       : u < 0.95 ? "Other-relative"
			  : "Own-child";
}

static void draw(struct rng *r, struct person *p)
{
	struct level lv[14];
	double u;
	size_t i;

	/* age: 17 + Gamma(2, 10.8), at most 90 (mean near 38) */
	u = -log((1 - uniform(r)) * (1 - uniform(r)));
	p->age = 17 + (int)(u * 10.8);
	if (p->age > 90)
		p->age = 90;
	p->male = uniform(r) < 0.67;
	p->education = pick(r, education, N(education));
	p->workclass = pick(r, workclass, N(workclass));
	p->fnlwgt = lround(exp(12.05 + 0.5 * normal(r)));
	if (p->fnlwgt < 12285)
		p->fnlwgt = 12285;
	if (p->fnlwgt > 1484705)
		p->fnlwgt = 1484705;
	if (p->age < 25 && uniform(r) < 0.8) {
		p->marital = 1;
	} else {
		p->marital = pick(r, marital, N(marital));
		if (p->marital == 4 && p->age < 40)
			p->marital = 2;
	}
	/* no occupation when the work class is unknown or absent */
	if (p->workclass == 3 || p->workclass == 8) {
		p->occupation = -1;
	} else {
		/* Bachelors and above lean to managerial and professional */
		for (i = 0; i < 14; i++) {
			lv[i].name = occupations[i];
			lv[i].weight =
				p->education >= 12 ? occ_high[i] : occ_low[i];
		}
		p->occupation = (int)pick(r, lv, 14);
	}
	p->relationship = relationship(r, p);
	p->race = pick(r, race, N(race));
	p->country = pick(r, country, N(country));
	/* hours: 40 for half, otherwise spread, fewer for the young */
	if (uniform(r) < 0.5) {
		p->hours = 40;
	} else {
		p->hours = (int)lround(41 + 12 * normal(r) -
				       (p->age < 25 ? 8 : 0));
		if (p->hours < 1)
			p->hours = 1;
		if (p->hours > 99)
			p->hours = 99;
	}
	p->gain = 0;
	p->loss = 0;
	u = uniform(r);
	if (u < (p->education >= 12 ? 0.08 : 0.04))
		p->gain = gains[below(r, N(gains))];
	else if (u > 0.955)
		p->loss = losses[below(r, N(losses))];
}

/* log-odds of ">50K"; @p v is 0 for version a, 1 for b */
static double log_odds(const struct person *p, int v)
{
	static const double edu[2] = { 0.55, -0.05 };
	static const double hours[2] = { 0.25, 0.95 };
	double s = v ? -2.6 : -2.9;
	int age = p->age < 50 ? p->age : 50;

	s += 0.045 * (age - 38);
	s += edu[v] * ((double)p->education + 1 - 10);
	s += hours[v] * (p->hours - 40) / 10.0;
	if (p->occupation >= 0)
		s += occ_effect[v][p->occupation];
	else
		s -= 0.6;
	if (p->marital == 0 || p->marital == 6)
		s += 1.9;
	if (p->male)
		s += 0.3;
	if (p->gain > 5000)
		s += 3.0;
	if (p->loss > 1800)
		s += 1.0;
	return s;
}

learn_code learn_census_generate(FILE *out, const char *version, size_t rows,
				 uint64_t seed, char *err)
{
	static const char *const header[] = { "age",
					      "workclass",
					      "fnlwgt",
					      "education",
					      "education-num",
					      "marital-status",
					      "occupation",
					      "relationship",
					      "race",
					      "sex",
					      "capital-gain",
					      "capital-loss",
					      "hours-per-week",
					      "native-country",
					      "income" };
	char num[6][24];
	const char *row[15];
	struct person p;
	struct rng r;
	uint64_t x;
	size_t i;
	learn_code rc;
	int v;

	if (err)
		err[0] = '\0';
	if (!version || (strcmp(version, "a") && strcmp(version, "b"))) {
		learn_err_set(err, "unknown census version '%s' (a or b)",
			      version ? version : "(null)");
		return LEARN_EINVAL;
	}
	v = version[0] == 'b';
	x = seed;
	for (i = 0; i < 4; i++)
		r.s[i] = splitmix64(&x);
	/* LF line breaks, as the UCI files and this repository's text */
	if ((rc = learn_csv_write_record(out, header, 15, "\n", err)))
		return rc;
	for (i = 0; i < rows; i++) {
		draw(&r, &p);
		snprintf(num[0], sizeof(num[0]), "%d", p.age);
		snprintf(num[1], sizeof(num[1]), "%ld", p.fnlwgt);
		snprintf(num[2], sizeof(num[2]), "%zu", p.education + 1);
		snprintf(num[3], sizeof(num[3]), "%u", (unsigned)p.gain);
		snprintf(num[4], sizeof(num[4]), "%u", (unsigned)p.loss);
		snprintf(num[5], sizeof(num[5]), "%d", p.hours);
		row[0] = num[0];
		row[1] = workclass[p.workclass].name;
		row[2] = num[1];
		row[3] = education[p.education].name;
		row[4] = num[2];
		row[5] = marital[p.marital].name;
		row[6] = p.occupation >= 0 ? occupations[p.occupation] : "?";
		row[7] = p.relationship;
		row[8] = race[p.race].name;
		row[9] = p.male ? "Male" : "Female";
		row[10] = num[3];
		row[11] = num[4];
		row[12] = num[5];
		row[13] = country[p.country].name;
		row[14] = uniform(&r) < 1 / (1 + exp(-log_odds(&p, v)))
				  ? ">50K"
				  : "<=50K";
		if ((rc = learn_csv_write_record(out, row, 15, "\n", err)))
			return rc;
	}
	if (fflush(out) != 0) {
		learn_err_set(err, "write error: %s", strerror(errno));
		return LEARN_EIO;
	}
	return LEARN_OK;
}
