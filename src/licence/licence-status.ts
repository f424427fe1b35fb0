import type { Licence } from './licence-document.js';
import { formatLicenceTimestamp } from './licence-timestamp.js';

/** How a node's licence stands at one instant; timestamps are `YYYY-MM-DDTHH:mm:ssZ`. */
export type LicenceStatus =
  | {
      readonly TYPE: 'Valid';
      readonly id: string;
      readonly licensee: string;
      readonly validFrom: string;
      readonly validUntil: string;
      /** Whole days until validUntil, rounded up: 1 on the last day. */
      readonly daysLeft: number;
      /** Set from WARNING_DAYS before validUntil on. */
      readonly warning?: string;
    }
  | { readonly TYPE: 'Missing'; readonly reason: string }
  | { readonly TYPE: 'Invalid'; readonly reason: string }
  | { readonly TYPE: 'Expired'; readonly id: string; readonly validUntil: string }
  | { readonly TYPE: 'NotYetValid'; readonly id: string; readonly validFrom: string };

/** Days before validUntil from which the log and the API warn. */
export const WARNING_DAYS = 30;

const DAY_MS = 24 * 3600 * 1000;

/** Judges a (verified) licence at wall time `now`: valid from validFrom inclusive until validUntil exclusive. */
export function licenceStatusAt(licence: Licence, now: number): LicenceStatus {
  const { id, licensee } = licence;
  if (now < licence.validFrom) return { TYPE: 'NotYetValid', id, validFrom: formatLicenceTimestamp(licence.validFrom) };
  const validUntil = formatLicenceTimestamp(licence.validUntil);
  if (now >= licence.validUntil) return { TYPE: 'Expired', id, validUntil };
  const left = licence.validUntil - now;
  const daysLeft = Math.ceil(left / DAY_MS);
  const valid = { TYPE: 'Valid', id, licensee, validFrom: formatLicenceTimestamp(licence.validFrom), validUntil, daysLeft } as const;
  if (left > WARNING_DAYS * DAY_MS) return valid;
  return { ...valid, warning: `the licence ${id} expires on ${validUntil} (${daysLeft} day${daysLeft === 1 ? '' : 's'})` };
}
