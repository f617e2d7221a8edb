/**
 * The `data` of a `load` result (type only): the load result (`LoadResult`, docs/load.md) without its
 * histograms, raw samples and timeline, which go to the result artifact.
 */
import type { Json } from '../core/result.ts';

/** Summary of a load run. */
export type LoadData = { [key: string]: Json };
