export { createApiServer } from './api-server.js';
export type { ApiAuthOptions, ApiClusterOptions, ApiHttpsOptions, ApiServer, ApiServerOptions, ApiUser } from './api-options.js';
export type { ControllerPort, EventRead, HealthReport, Overview, StampedView, UserContext } from './controller-port.js';
export { verifiedPeer, sameDistinguishedName, type VerifiedPeer } from './client-certificate.js';
export { passwordMatches, isWellFormedPasswordEntry } from './password-hash.js';
export { permissionForCommand, hasPermission, type Permission } from './permissions.js';
