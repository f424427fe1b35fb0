import type { ClusterEndpoint } from '../cluster/transport/index.js';
import type { Clock, Logger } from '../common/index.js';
import type { ControllerPort } from './controller-port.js';

/** One configured user (`js7.auth.users.<id>`). */
export interface ApiUser {
  /** `plain:<secret>` or `sha512:<hex>`; absent for certificate-only users. */
  readonly password?: string;
  readonly permissions: readonly string[];
  /** Client-certificate subjects that log in as this user, e.g. `CN=cockpit, O=Example`. */
  readonly distinguishedNames: readonly string[];
}

export interface ApiAuthOptions {
  /** Every caller is an anonymous user with all permissions (development only). */
  readonly public: boolean;
  /** Callers from 127.0.0.1 / ::1 are treated as with `public`. */
  readonly loopbackIsPublic: boolean;
  readonly users: Readonly<Record<string, ApiUser>>;
}

export interface ApiHttpsOptions {
  /** PEM text, chain allowed. */
  readonly certificate: string;
  /** PKCS#8 PEM text. */
  readonly privateKey: string;
  /** PEM texts of the certificates client certificates are verified against. */
  readonly trustedCertificates: readonly string[];
  /** Ask clients for a certificate (they may still come without one). */
  readonly clientAuthentication: boolean;
}

/** What the node serves to its peer on the node-to-node routes (`/journal`, `/event?onlyAcks=true`, `/cluster/command`). */
export interface ApiClusterOptions {
  readonly endpoint: ClusterEndpoint;
  /** `js7.controller.id`: only the user of this name (`js7.auth.users.<id>`) may call the node-to-node routes. */
  readonly controllerId: string;
}

export interface ApiServerOptions {
  readonly host: string;
  /** 0 picks a free port. */
  readonly port: number;
  readonly controller: ControllerPort;
  readonly logger: Logger;
  readonly clock: Clock;
  readonly version: string;
  readonly auth: ApiAuthOptions;
  readonly maxBodyBytes: number;
  /** Serve HTTPS instead of plain HTTP. */
  readonly https?: ApiHttpsOptions;
  /** Idle time after which a session ends (default 1 h). */
  readonly sessionIdleMs?: number;
  /** Interval of keep-alive comments on idle event streams (default 15 s). */
  readonly sseKeepAliveMs?: number;
  /** The status page's directory, read once at start (default: `static/status/` of the package). */
  readonly statusPageDir?: string;
  /** Serve the node-to-node routes; without it they answer 404. */
  readonly cluster?: ApiClusterOptions;
}

/** A listening API server. */
export interface ApiServer {
  /** Base URL, e.g. `https://127.0.0.1:40123`. */
  readonly url: string;
  /** Ends open event streams and long-polls, stops listening and waits for the sockets. Idempotent. */
  close(): Promise<void>;
}
