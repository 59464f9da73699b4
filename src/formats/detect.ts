import { CalltrailError } from '../core/errors.js';
import type { Format } from './format.js';
import { allFormats } from './registry.js';

export interface Detection {
  format: Format;
  confidence: number;
  /** Every format that scored, best first. */
  scores: { id: string; confidence: number }[];
}

const MIN_CONFIDENCE = 0.5;
const AMBIGUOUS_MARGIN = 0.1;

/** Picks the format of a stream from its first records; says so when no guess, or more than one, fits. */
export function detectFormat(sample: readonly string[], where: string): Detection {
  const lines = sample.filter((l) => l.trim().length > 0);
  if (lines.length === 0) {
    throw new CalltrailError('FORMAT_UNDETECTED', `${where}: no records to detect the format from`);
  }
  const scores = allFormats()
    .map((format) => ({ format, confidence: format.detect(lines) }))
    .sort((a, b) => b.confidence - a.confidence);
  const summary = scores.map((s) => ({ id: s.format.id, confidence: Number(s.confidence.toFixed(2)) }));
  const best = scores[0];
  if (!best || best.confidence < MIN_CONFIDENCE) {
    throw new CalltrailError('FORMAT_UNDETECTED', `${where}: no known format matches these records; name one with --format`, summary);
  }
  const second = scores[1];
  if (second && best.confidence - second.confidence < AMBIGUOUS_MARGIN) {
    throw new CalltrailError(
      'FORMAT_UNDETECTED',
      `${where}: ambiguous, the records fit both ${best.format.id} and ${second.format.id}; name one with --format`,
      summary,
    );
  }
  return { format: best.format, confidence: best.confidence, scores: summary };
}
