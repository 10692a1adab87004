/**
 * `xstate-parallel-tools/view`: what a person sees of a run: the terminal
 * progress view and the SVG timeline of a batch.
 */
export { createProgressView } from './progress.js';
export type { ProgressView, ProgressViewOptions } from './progress.js';
export { renderTimeline } from './timeline.js';
export type { TimelineOptions } from './timeline.js';
