// Licences carry whole seconds in UTC, written one way only, so the signed text has
// exactly one spelling of each instant and a reader never has to guess a time zone.
const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;

/** Milliseconds since 1970 of `YYYY-MM-DDTHH:mm:ssZ`, or undefined when `text` is not exactly that form of a real instant. */
export function parseLicenceTimestamp(text: string): number | undefined {
  if (!TIMESTAMP.test(text)) return undefined;
  const ms = Date.parse(text);
  // The round trip refuses dates the pattern lets through but the calendar lacks (2026-02-30).
  return Number.isFinite(ms) && formatLicenceTimestamp(ms) === text ? ms : undefined;
}

/** `YYYY-MM-DDTHH:mm:ssZ` of an instant; a fraction of a second is dropped. */
export function formatLicenceTimestamp(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}
