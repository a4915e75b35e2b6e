/* SPDX-License-Identifier: MIT */
/* Cholesky factorisation and solve for the normal equations and Newton. */
#include <math.h>

#include "learn_internal.h"

int learn_linalg_cholesky_solve(double *a, double *b, size_t n)
{
	double s, dmax = 0;
	size_t i, j, k;

	for (i = 0; i < n; i++)
		if (fabs(a[i * n + i]) > dmax)
			dmax = fabs(a[i * n + i]);
	/*
	 * A = R'R with R upper triangular, stored over A's upper triangle.
	 * A pivot below 1e-12 of the largest diagonal entry means a singular
	 * matrix for our purposes (collinear features without L2).
	 */
	for (i = 0; i < n; i++) {
		s = a[i * n + i];
		for (k = 0; k < i; k++)
			s -= a[k * n + i] * a[k * n + i];
		if (!(s > 1e-12 * dmax) || !isfinite(s))
			return -1;
		a[i * n + i] = sqrt(s);
		for (j = i + 1; j < n; j++) {
			s = a[i * n + j];
			for (k = 0; k < i; k++)
				s -= a[k * n + i] * a[k * n + j];
			a[i * n + j] = s / a[i * n + i];
		}
	}
	/* R'y = b, then R x = y */
	for (i = 0; i < n; i++) {
		s = b[i];
		for (k = 0; k < i; k++)
			s -= a[k * n + i] * b[k];
		b[i] = s / a[i * n + i];
	}
	for (i = n; i-- > 0;) {
		s = b[i];
		for (k = i + 1; k < n; k++)
			s -= a[i * n + k] * b[k];
		b[i] = s / a[i * n + i];
	}
	return 0;
}
