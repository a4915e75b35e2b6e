/* SPDX-License-Identifier: MIT */
/* Executing a web service's graph of Studio modules with learn/. */
#ifndef EMU_GRAPH_H
#define EMU_GRAPH_H

#include <stddef.h>

#include "amlr/error.h"
#include "amlr/json.h"
#include "learn.h"

/*
 * A Resource Manager web service's definition (its "properties": package
 * nodes and edges, assets) read as a dataflow graph and run on CSV data.
 * The catalogue of modules, their ids and ports is docs/emulator-modules.md:
 * Web Service Input/Output, Select Columns in Dataset, Train Model,
 * Two-Class Logistic Regression, Linear Regression, Score Model, Evaluate
 * Model, and the "[trained model]" Resource asset.  A module is known by
 * the id in its asset's locationInfo.uri (aml://module/<id>) or else by
 * its asset's name; any other module makes the whole graph unusable, with
 * an error naming it.
 *
 * Values flow along edges: datasets (CSV text), untrained learners and
 * trained models.  Only the nodes the wanted outputs depend on run, each
 * at most once.  Nothing is shared between calls: run graphs from as many
 * threads as you like.
 */

#define EMU_GRAPH_ERR_SIZE 512

/* What a web service output carries. */
enum emu_graph_kind {
	EMU_GRAPH_DATASET = 1, /* CSV text (.csv) */
	EMU_GRAPH_MODEL = 2 /* a trained model (.ilearner) */
};

/* One input: a web service input's name and its CSV text (borrowed). */
struct emu_graph_input {
	const char *name;
	const char *data;
	size_t len;
};

/* One output of a run: its name and bytes (NUL-terminated), owned. */
struct emu_graph_output {
	char *name;
	enum emu_graph_kind kind;
	char *data;
	size_t len;
};

/*
 * Where Resource assets' models come from.  load() lends the model that
 * asset @p name (locationInfo.uri @p uri) names, with a handle that the
 * graph passes to release() once the run is over, so that models may be
 * shared and cached; on failure it writes one line into @p err
 * (EMU_GRAPH_ERR_SIZE bytes) and returns non-zero.
 */
struct emu_graph_models {
	amlr_code (*load)(const learn_model **out, void **handle, char *err,
			  const char *name, const char *uri, void *payload);
	void (*release)(void *handle, void *payload);
	void *payload;
};

/**
 * Check @p props as a graph this emulator can run: every node's module
 * known, every edge between existing nodes, no cycle.
 *
 * @return AMLR_OK; AMLR_EINVAL with @p err filled; AMLR_EFAIL (memory)
 */
amlr_code emu_graph_check(char err[EMU_GRAPH_ERR_SIZE], const amlr_json *props);

/**
 * What output @p name carries: a trained model (Train Model feeds it) or
 * a dataset.
 *
 * @return AMLR_OK; AMLR_ENOTFOUND (no such output); AMLR_EINVAL (a graph
 *	that does not check, @p err filled); AMLR_EFAIL
 */
amlr_code emu_graph_output_kind(enum emu_graph_kind *out,
				char err[EMU_GRAPH_ERR_SIZE],
				const amlr_json *props, const char *name);

/**
 * The name of the @p i-th web service input (@p output 0) or output
 * (@p output 1) of @p props, in node order; NULL past the last.
 * Ownership: borrowed from @p props.
 */
const char *emu_graph_io_name(const amlr_json *props, int output, size_t i);

/**
 * The first graph parameter (package.graphParameters) that neither
 * @p globals (a request's GlobalParameters, may be NULL) nor the
 * definition's "parameters" give a value, or NULL when none is missing.
 * Ownership: borrowed from @p props.
 */
const char *emu_graph_missing_global(const amlr_json *props,
				     const amlr_json *globals);

/**
 * Run the graph of @p props for the outputs @p wanted (NULL: every output
 * of the package, in node order) on @p inputs.  Graph parameters take
 * their values from @p globals (may be NULL), else from the definition's
 * "parameters", and replace the node parameters they link.  Resource
 * assets are loaded through @p models (NULL: a graph with one fails).
 *
 * @param[out] out the outputs, in the order asked for
 * @param[out] n_out their number
 * @return AMLR_OK; AMLR_EINVAL (the graph, an unsupported module, a
 *	missing input or graph parameter, data the learner refuses:
 *	@p err says which);
 *	AMLR_ENOTFOUND (a wanted output the package lacks, named in @p err);
 *	what models->load returned; AMLR_EFAIL (memory)
 * Ownership: *out is the caller's, for emu_graph_outputs_free().
 */
amlr_code emu_graph_run(struct emu_graph_output **out, size_t *n_out,
			char err[EMU_GRAPH_ERR_SIZE], const amlr_json *props,
			const struct emu_graph_input *inputs, size_t n_inputs,
			const amlr_json *globals, const char *const *wanted,
			size_t n_wanted, const struct emu_graph_models *models);

/** Free the outputs of emu_graph_run(); accepts NULL. */
void emu_graph_outputs_free(struct emu_graph_output *v, size_t n);

#endif
