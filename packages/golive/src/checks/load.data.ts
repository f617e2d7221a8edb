/**
 * The `data` of a `load` result (type only): the load result (`LoadResult`, docs/load.md) without its
 * histograms, raw samples and timeline, which go to the result artifact, plus `plot`: the latency distribution
 * read from the histogram and the timeline downsampled (load/plot-data.ts).
 */
import type { Json } from '../core/result.ts';
import type { LoadPlotData } from '../load/plot-data.ts';

/** Summary of a load run, and the compact figures its plots are drawn from (`plot`). */
export type LoadData = { [key: string]: Json } & { plot?: LoadPlotData };
