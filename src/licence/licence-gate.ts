import { readFile as readFileFromDisk } from 'node:fs/promises';
import { TandemError, type Clock, type Logger } from '../common/index.js';
import type { Licence } from './licence-document.js';
import { parseLicenceFile } from './licence-file.js';
import { licenceStatusAt, type LicenceStatus } from './licence-status.js';
import { trustedKeys } from './trusted-keys.js';

/** Where the licence comes from, and what judges it. */
export interface LicenceGateOptions {
  /** Absolute path of the licence file (`js7.license.file`); unset means no licence. */
  readonly file?: string;
  /** Issuer keys (PEM, SPKI) trusted besides the built-in vendor key. */
  readonly trustedPublicKeys: readonly string[];
  readonly clock: Clock;
  readonly logger: Logger;
  readonly readFile?: (path: string) => Promise<string>;
}

/** The answer to "may this node take authority now?". */
export type LicencePermission = { readonly ok: true } | { readonly ok: false; readonly error: TandemError };

type Loaded =
  | { readonly TYPE: 'Loaded'; readonly licence: Licence }
  | { readonly TYPE: 'Missing'; readonly reason: string }
  | { readonly TYPE: 'Invalid'; readonly reason: string };

const CONSEQUENCE = 'automatic failover and switchover are disabled (demotion, fencing and rejoin still work)';

/**
 * Decides whether this node may *take* authority (fail over, switch over). It never
 * stands in the way of giving authority up. The file is read once, at load; its dates
 * are judged at each call, so a licence that expires while the node runs is noticed.
 */
export class LicenceGate {
  readonly #loaded: Loaded;
  readonly #clock: Clock;
  readonly #logger: Logger;

  private constructor(loaded: Loaded, clock: Clock, logger: Logger) {
    this.#loaded = loaded;
    this.#clock = clock;
    this.#logger = logger;
  }

  /** Reads and checks the licence and logs the outcome; never throws for a missing or bad licence, since the node must start anyway. */
  static async load(options: LicenceGateOptions): Promise<LicenceGate> {
    const logger = options.logger.child({ component: 'licence' });
    // Said even when another key verifies the licence: the next licence may need this one.
    for (const problem of trustedKeys(options.trustedPublicKeys).problems) logger.warn({ problem }, `js7.license.trusted-public-keys: ${problem}`);
    const loaded = await readLicence(options);
    const gate = new LicenceGate(loaded, options.clock, logger);
    gate.logStatus();
    return gate;
  }

  /** The licence judged at the clock's current wall time. */
  status(): LicenceStatus {
    const loaded = this.#loaded;
    switch (loaded.TYPE) {
      case 'Loaded':
        return licenceStatusAt(loaded.licence, this.#clock.now());
      case 'Missing':
      case 'Invalid':
        return loaded;
      default: {
        const never: never = loaded;
        throw new Error(`unexpected licence state ${JSON.stringify(never)}`);
      }
    }
  }

  /** Whether the licence allows this node to become active by itself; the error says what to do when not. */
  permitsTakingAuthority(): LicencePermission {
    const status = this.status();
    switch (status.TYPE) {
      case 'Valid':
        return { ok: true };
      case 'Missing':
        return refuse('LicenceMissing', `No licence: ${status.reason}; ${CONSEQUENCE}. Install a licence file (js7.license.file) and restart the node.`, {
          reason: status.reason,
        });
      case 'Invalid':
        return refuse(
          'LicenceInvalid',
          `The licence is invalid: ${status.reason}; ${CONSEQUENCE}. Run \`tandem license verify FILE\`, and install the file as issued or ask for a new one.`,
          { reason: status.reason },
        );
      case 'Expired':
        return refuse('LicenceExpired', `The licence ${status.id} expired on ${status.validUntil}; ${CONSEQUENCE}. Install a current licence.`, {
          licenceId: status.id,
          validUntil: status.validUntil,
        });
      case 'NotYetValid':
        return refuse(
          'LicenceExpired',
          `The licence ${status.id} is not valid before ${status.validFrom}; ${CONSEQUENCE}. Check the node's clock, or install a licence valid now.`,
          { licenceId: status.id, validFrom: status.validFrom },
        );
      default: {
        const never: never = status;
        throw new Error(`unexpected licence status ${JSON.stringify(never)}`);
      }
    }
  }

  /** Logs the current status: info when valid, warn when about to expire or not usable, error when invalid. */
  logStatus(): void {
    const status = this.status();
    switch (status.TYPE) {
      case 'Valid': {
        const fields = { licenceId: status.id, licensee: status.licensee, validUntil: status.validUntil, daysLeft: status.daysLeft };
        if (status.warning === undefined) this.#logger.info(fields, 'licence valid');
        else this.#logger.warn(fields, status.warning);
        return;
      }
      case 'Missing':
        this.#logger.warn({ reason: status.reason }, `no licence: ${status.reason}; ${CONSEQUENCE}`);
        return;
      case 'Invalid':
        this.#logger.error({ reason: status.reason }, `the licence is invalid: ${status.reason}; ${CONSEQUENCE}`);
        return;
      case 'Expired':
        this.#logger.warn({ licenceId: status.id, validUntil: status.validUntil }, `the licence ${status.id} expired on ${status.validUntil}; ${CONSEQUENCE}`);
        return;
      case 'NotYetValid':
        this.#logger.warn({ licenceId: status.id, validFrom: status.validFrom }, `the licence ${status.id} is not valid before ${status.validFrom}; ${CONSEQUENCE}`);
        return;
      default: {
        const never: never = status;
        throw new Error(`unexpected licence status ${JSON.stringify(never)}`);
      }
    }
  }
}

function refuse(code: 'LicenceMissing' | 'LicenceInvalid' | 'LicenceExpired', message: string, args: Record<string, unknown>): LicencePermission {
  return { ok: false, error: new TandemError(code, message, args) };
}

async function readLicence(options: LicenceGateOptions): Promise<Loaded> {
  const { file } = options;
  if (file === undefined) return { TYPE: 'Missing', reason: 'js7.license.file is not set' };
  let text: string;
  try {
    text = await (options.readFile ?? ((path) => readFileFromDisk(path, 'utf8')))(file);
  } catch (err) {
    // Absent is "no licence installed"; present but unreadable is a broken installation.
    if (errorCode(err) === 'ENOENT') return { TYPE: 'Missing', reason: `the licence file ${file} does not exist` };
    return { TYPE: 'Invalid', reason: `cannot read the licence file ${file}: ${err instanceof Error ? err.message : String(err)}` };
  }
  try {
    return { TYPE: 'Loaded', licence: parseLicenceFile(text, options.trustedPublicKeys) };
  } catch (err) {
    return { TYPE: 'Invalid', reason: `${file}: ${err instanceof Error ? err.message : String(err)}` };
  }
}

function errorCode(err: unknown): unknown {
  return typeof err === 'object' && err !== null ? (err as { code?: unknown }).code : undefined;
}
