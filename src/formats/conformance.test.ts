import { describe, it } from 'vitest';
import { conformance } from './conformance.js';
import { allFormats } from './registry.js';

for (const format of allFormats()) {
  describe(`format ${format.id}: conformance`, () => {
    it('parses every fixture record, and every record of a .bad. fixture is an error', () => conformance.fixturesParse(format));
    it('answers junk and mutated records with an error, never a throw', () => conformance.junkIsAnError(format));
    it('parses back what it renders', () => conformance.renderRoundTrips(format));
    it('is detected from its own fixtures', () => conformance.detectsItsOwnFixtures(format));
  });
}
